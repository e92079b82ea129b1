"""The administration's dashboard, login, users and sessions screens in a real browser
(tests/helpers/browser.py: Chromium through Playwright, on the built zipapp)."""

from __future__ import annotations

import datetime
import urllib.parse

import pytest

from tests.helpers.browser import log_in, playwright_api, screenshot
from tests.helpers.zipapp import get_json

pytestmark = pytest.mark.zipapp
sync_api = playwright_api()


def test_an_admin_sees_the_dashboard_follow_a_mission_created_through_the_api(admin_server, page):
    base, port, _ = admin_server
    page.goto(base + "/")  # a browser at the root lands on the administration
    assert page.url == base + "/admin"
    log_in(page, base, "ADMIN")
    figure = page.locator("#missions-jour")
    sync_api.expect(figure).to_have_text("0")
    sync_api.expect(page.locator("#direct")).to_have_text("en direct")
    status, body = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    assert status == 200, body
    today = datetime.date.today().isoformat()  # the dashboard's day is the server's
    status, mission = get_json(port, "/missions", token=body["access_token"],
                               body={"date_mission": today, "destination": "Lyon <b>quai</b>"})
    assert status == 201, mission
    sync_api.expect(figure).to_have_text("1")  # from the event stream, no reload
    sync_api.expect(page.locator("#activite tr").first).to_contain_text("Lyon <b>quai</b>")
    assert page.locator("#activite b").count() == 0  # shown as text, never as markup
    screenshot(page, "tableau-de-bord")
    assert page.console_errors == []


def test_a_refused_login_keeps_what_was_typed_and_says_why_next_to_the_field(admin_server, page):
    base, _, _ = admin_server
    log_in(page, base, "PERSONNE.INCONNUE")
    message = page.locator("#erreur-identifiant")
    sync_api.expect(message).not_to_be_empty()
    field = page.locator("#connexion").get_by_label("Identifiant Windows")
    assert field.input_value() == "PERSONNE.INCONNUE"
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#tableau").is_hidden()
    screenshot(page, "connexion-refusee")
    # The refused POST itself is the only console line (Chromium reports failed requests).
    assert len(page.console_errors) == 1 and "status of 4" in page.console_errors[0]


def test_another_role_sees_a_clear_refusal_then_logs_out(admin_server, page):
    base, port, _ = admin_server
    status, admin = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    status, created = get_json(port, "/admin/users", token=admin["access_token"],
                               body={"username": "PLANIF.TEST", "role": "planner"})
    assert status == 201, created
    log_in(page, base, "PLANIF.TEST")
    sync_api.expect(page.locator("#refus")).to_be_visible()
    sync_api.expect(page.locator("#refus-role")).to_have_text("planner")
    assert page.locator("#tableau").is_hidden()
    screenshot(page, "refus-role")
    page.get_by_role("button", name="Se déconnecter").click()
    sync_api.expect(page.locator("#connexion")).to_be_visible()
    page.reload()  # the cookie is gone: the login form again, without asking the server
    sync_api.expect(page.locator("#connexion")).to_be_visible()
    assert page.console_errors == []


def test_an_admin_sees_who_is_connected_from_where_and_revokes_a_session(admin_server, page):
    base, port, _ = admin_server
    status, admin = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    get_json(port, "/admin/users", token=admin["access_token"],
             body={"username": "PLANIF.POSTE", "role": "planner"})
    # Markup or bidi characters in a PC name are refused at login (422): what can reach this
    # page is letters, digits, "-", "_" and "."; the page shows it as text all the same.
    refused, _ = get_json(port, "/auth/login", body={"username": "PLANIF.POSTE",
                                                      "hostname": 'PC-<img src=x>\u202e'})
    assert refused == 422
    hostname = "PC-ATELIER_2.local"
    status, planner = get_json(port, "/auth/login", body={"username": "PLANIF.POSTE", "hostname": hostname})
    assert status == 200, planner
    page.on("dialog", lambda dialog: page.console_errors.append(f"dialog: {dialog.message}"))
    log_in(page, base, "ADMIN", "/admin/connexions")
    row = page.locator("#sessions-liste tr", has_text="PLANIF.POSTE")
    sync_api.expect(row).to_have_count(1)
    sync_api.expect(row.locator("td").nth(2)).to_have_text(hostname)
    screenshot(page, "sessions")
    row.get_by_role("button", name="Révoquer").click()
    sync_api.expect(row).to_have_count(0)
    assert get_json(port, "/auth/me", token=planner["access_token"])[0] == 401  # at once
    assert page.console_errors == []


def test_an_admin_creates_a_user_changes_its_role_and_deactivates_it(admin_server, page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/utilisateurs")
    form = page.locator("#nouvel-utilisateur")
    sync_api.expect(form).to_be_visible()
    form.get_by_label("Identifiant Windows").fill("pas un nom!")
    form.get_by_label("Nom affiché").fill("Zoé <i>Martin</i>")
    form.get_by_role("button", name="Créer l'utilisateur").click()
    sync_api.expect(page.locator("#erreur-username")).not_to_be_empty()  # next to its field
    assert form.get_by_label("Identifiant Windows").input_value() == "pas un nom!"  # kept
    assert form.get_by_label("Nom affiché").input_value() == "Zoé <i>Martin</i>"
    form.get_by_label("Identifiant Windows").fill("ZOE.MARTIN")
    form.get_by_label("Rôle").select_option("planner")
    form.get_by_role("button", name="Créer l'utilisateur").click()
    row = page.locator("#utilisateurs-liste tr", has_text="ZOE.MARTIN")
    sync_api.expect(row).to_have_count(1)
    sync_api.expect(row.locator("td").nth(1)).to_have_text("Zoé <i>Martin</i>")  # as text
    assert form.get_by_label("Identifiant Windows").input_value() == ""  # emptied once made
    row.get_by_label("Rôle de ZOE.MARTIN", exact=True).select_option("planner_advanced")
    _, admin = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    users = get_json(port, "/admin/users?include_inactive=true", token=admin["access_token"])[1]
    assert next(u for u in users if u["username"] == "ZOE.MARTIN")["role"] == "planner"  # not yet
    row.get_by_role("button", name="Appliquer le rôle de ZOE.MARTIN").click()
    stored = None
    for _ in range(50):  # bounded: the change is one request away
        users = get_json(port, "/admin/users?include_inactive=true", token=admin["access_token"])[1]
        stored = next(user for user in users if user["username"] == "ZOE.MARTIN")
        if stored["role"] == "planner_advanced":
            break
        page.wait_for_timeout(100)
    assert stored["role"] == "planner_advanced"
    screenshot(page, "utilisateurs")
    row.get_by_role("button", name="Désactiver ZOE.MARTIN").click()
    sync_api.expect(row.locator("td").nth(3)).to_have_text("désactivé")
    refused, _ = get_json(port, "/auth/login", body={"username": "ZOE.MARTIN", "hostname": "PC-1"})
    assert refused in (401, 403)
    # The last active administrator cannot be deactivated: the API's refusal shows on the page.
    page.locator("#utilisateurs-liste tr", has_text="ADMIN").first.get_by_role(
        "button", name="Désactiver ADMIN").click()
    sync_api.expect(page.locator("#erreur-utilisateurs")).not_to_be_empty()
    expected_refusals = [text for text in page.console_errors if "status of 4" in text]
    assert page.console_errors == expected_refusals and len(expected_refusals) == 2


HOSTILE = 'Jean <img src=x id=injecte> <script>document.title="pris"</script> \u202egpj.exe'


def test_what_clients_typed_shows_as_inert_text_on_every_screen(admin_server, page):
    base, port, _ = admin_server
    status, admin = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    token = admin["access_token"]
    status, user = get_json(port, "/admin/users", token=token,
                            body={"username": "MARKUP.TEST", "role": "planner", "display_name": HOSTILE})
    assert status == 201, user
    status, mission = get_json(port, "/missions", token=token,
                               body={"date_mission": datetime.date.today().isoformat(),
                                     "destination": HOSTILE, "remarques": HOSTILE})
    assert status == 201, mission
    status, backup = get_json(port, "/admin/backups?description=" + urllib.parse.quote(HOSTILE),
                              token=token, method="POST")
    assert status == 201, backup
    page.on("dialog", lambda dialog: page.console_errors.append(f"dialog: {dialog.message}"))
    log_in(page, base, "ADMIN")
    sync_api.expect(page.locator("#navigation")).to_be_visible()  # the session cookie is set
    for path, shown in (("/admin", "#activite"), ("/admin/utilisateurs", "#utilisateurs-liste"),
                        ("/admin/logs", "#contenu"), ("/admin/sauvegardes", "#contenu")):
        page.goto(base + path)
        sync_api.expect(page.locator(shown)).to_contain_text("<img src=x id=injecte>")
        # The bidi override is shown as its code, not obeyed ("gpj.exe" never reads "exe.jpg").
        sync_api.expect(page.locator(shown)).to_contain_text("[U+202E]gpj.exe")
        assert "\u202e" not in page.locator(shown).inner_text()
        assert page.locator("#injecte").count() == 0 and page.locator("#contenu script").count() == 0
        assert page.title() != "pris"
    screenshot(page, "texte-inerte")
    assert page.console_errors == []


def test_a_dashboard_whose_session_is_revoked_says_so_instead_of_waiting(admin_server, page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN")
    sync_api.expect(page.locator("#direct")).to_have_text("en direct")
    status, api = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    assert status == 200, api
    status, sessions = get_json(port, "/admin/sessions", token=api["access_token"])
    assert status == 200, sessions
    browser_sessions = [s for s in sessions if s["hostname"] == "navigateur"]
    for session in browser_sessions:
        assert get_json(port, f"/admin/sessions/{session['id']}", token=api["access_token"],
                        method="DELETE")[0] == 204
    # The server ends the event stream; the browser's retry gets a 401 and gives up: the page
    # asks who it is and shows the login form, saying why.
    sync_api.expect(page.locator("#connexion")).to_be_visible(timeout=20_000)
    sync_api.expect(page.locator("#erreur-identifiant")).to_have_text(
        "Votre session a pris fin : reconnectez-vous pour continuer.")
    # Chromium reports the refused requests themselves; nothing else may be in the console.
    assert all("status of 401" in text for text in page.console_errors), page.console_errors
