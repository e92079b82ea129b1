"""The administration's Sauvegardes screen in a real browser (tests/helpers/browser.py:
Chromium through Playwright, on the built zipapp): make a backup and restore it, download one,
import it back, refuse a file that is no backup, delete one; the API's refusals beside their
field, what was typed kept, a session ended meanwhile."""

from __future__ import annotations

import urllib.request

import pytest

from tests.helpers.browser import log_in, playwright_api, screenshot
from tests.helpers.zipapp import get_json

pytestmark = pytest.mark.zipapp
sync_api = playwright_api()
expect = sync_api.expect
# No proxy from the environment for the requests to our own loopback server.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api_token(port: int) -> str:
    status, body = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    assert status == 200, body
    return body["access_token"]


def backups_by_name(port: int, token: str) -> dict:
    status, listed = get_json(port, "/admin/backups", token=token)
    assert status == 200, listed
    return {backup["name"]: backup for backup in listed}


def make_backup(page, description: str):
    """Make a backup through the page's form; its row."""
    form = page.locator("#nouvelle-sauvegarde")
    form.get_by_label("Description").fill(description)
    form.get_by_role("button", name="Sauvegarder maintenant").click()
    row = page.locator("#sauvegardes-liste tr", has_text=description)
    expect(row).to_have_count(1)
    expect(form.get_by_label("Description")).to_have_value("")  # emptied once made
    return row


def test_an_admin_makes_a_backup_and_restores_it_after_typing_its_name(admin_server, page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/sauvegardes")
    row = make_backup(page, "Avant <b>tournée</b>")
    assert page.locator("#sauvegardes-liste b").count() == 0  # shown as text, never as markup
    expect(row).to_contain_text("manuelle")
    expect(row).to_contain_text("ADMIN")
    expect(row).to_contain_text("vérifiée")
    name = row.get_attribute("data-backup")
    token = api_token(port)
    in_backup = backups_by_name(port, token)[name]["counts"]["missions"]
    status, mission = get_json(port, "/missions", token=token,
                               body={"date_mission": "2030-01-15", "destination": "Lyon"})
    assert status == 201, mission

    opener = row.get_by_role("button", name=f"Restaurer {name}")
    opener.click()
    dialog = page.locator("#dialogue-restauration")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("Pour confirmer, tapez le nom de la sauvegarde")
    expect(field).to_be_focused()
    page.keyboard.press("Escape")  # closes, and the keyboard is back on the row's button
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    # What will be replaced: the live planning (the mission made since) beside the backup's.
    missions = dialog.locator("#restauration-lignes tr", has_text="Missions")
    expect(missions.locator("td").nth(0)).to_have_text(str(in_backup + 1))
    expect(missions.locator("td").nth(1)).to_have_text(str(in_backup))
    absences = dialog.locator("#restauration-lignes tr", has_text="Absences")
    expect(absences.locator("td").nth(0)).to_have_text("0")  # every table counted, live
    expect(dialog).to_contain_text("Une sauvegarde de l'état actuel est faite d'abord")
    expect(dialog.locator("#restauration-sauvegarde")).to_contain_text("« Avant <b>tournée</b> »")
    confirm = dialog.get_by_role("button", name="Restaurer", exact=True)
    for wrong in (name[:-1], name.upper(), f" {name}"):
        field.fill(wrong)
        expect(confirm).to_be_disabled()
    field.press("Enter")  # nothing is sent with a wrong name
    expect(dialog).to_be_visible()
    field.fill(name)
    expect(confirm).to_be_enabled()
    screenshot(page, "sauvegardes-restauration")
    confirm.click()
    expect(dialog).to_be_hidden()

    message = page.locator("#sauvegardes-etat")
    expect(message).to_contain_text(f"Sauvegarde {name} restaurée")
    assert get_json(port, f"/missions/{mission['id']}", token=token)[0] == 404  # the API token lives on
    safety = [backup for backup in backups_by_name(port, token).values()
              if backup["trigger"] == "avant_restauration"
              and backup["description"] == f"Avant la restauration de {name}"]
    assert len(safety) == 1 and safety[0]["counts"]["missions"] == in_backup + 1
    expect(message).to_contain_text(f"gardé dans la sauvegarde {safety[0]['name']}")
    safety_row = page.locator(f'#sauvegardes-liste tr[data-backup="{safety[0]["name"]}"]')
    expect(safety_row).to_contain_text("avant restauration")
    # Sessions are kept by a restore: the page goes on without a new login.
    expect(page.locator("#connexion")).to_be_hidden()
    expect(page.locator("#contenu")).to_be_visible()
    assert page.console_errors == []


def test_an_admin_downloads_a_backup_imports_it_back_refuses_a_stray_file_and_deletes_one(
        admin_server, page, tmp_path):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/sauvegardes")
    # The field holds 500 characters; past its maxlength the API's refusal shows beside it.
    description = page.locator("#nouvelle-sauvegarde").get_by_label("Description")
    description.evaluate("field => field.removeAttribute('maxlength')")
    description.fill("x" * 501)
    page.get_by_role("button", name="Sauvegarder maintenant").click()
    expect(page.locator("#erreur-description")).to_contain_text("500")
    assert description.input_value() == "x" * 501 and description.get_attribute("aria-invalid") == "true"
    row = make_backup(page, "À emporter sur une clé")
    name = row.get_attribute("data-backup")
    with page.expect_download() as downloading:
        row.get_by_role("link", name=f"Télécharger {name}").click()
    download = downloading.value
    assert download.suggested_filename == name
    saved = tmp_path / name
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"SQLite format 3\x00")

    importer = page.locator("#import-sauvegarde")
    importer.get_by_label("Fichier de sauvegarde (.db)").set_input_files(str(saved))
    importer.get_by_label("Description (facultative)").fill("Revenue <i>du poste</i>")
    importer.get_by_role("button", name="Importer").click()
    imported = page.locator("#sauvegardes-liste tr", has_text="Revenue <i>du poste</i>")
    expect(imported).to_have_count(1)
    expect(imported).to_contain_text("importée")
    expect(imported).to_contain_text("à l'origine : manuelle")
    assert page.locator("#sauvegardes-liste i").count() == 0
    imported_name = imported.get_attribute("data-backup")
    assert imported_name != name  # its own name is taken: a new one
    expect(page.locator("#sauvegardes-etat")).to_contain_text(imported_name)
    expect(importer.get_by_label("Description (facultative)")).to_have_value("")
    # Several backups fit the width of a laptop's screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "sauvegardes")

    token = api_token(port)
    before = set(backups_by_name(port, token))
    stray = tmp_path / "notes.db"
    stray.write_text("Ceci n'est pas une base.\n", encoding="utf-8")
    importer.get_by_label("Fichier de sauvegarde (.db)").set_input_files(str(stray))
    importer.get_by_label("Description (facultative)").fill("Ne doit pas apparaître")
    importer.get_by_role("button", name="Importer").click()
    refusal = page.locator("#erreur-fichier")  # next to the file field, in French
    expect(refusal).to_contain_text("Sauvegarde refusée : ce fichier n'est pas une base SQLite")
    file_field = importer.get_by_label("Fichier de sauvegarde (.db)")
    assert file_field.get_attribute("aria-invalid") == "true"
    assert importer.get_by_label("Description (facultative)").input_value() == "Ne doit pas apparaître"
    expect(importer.get_by_role("button", name="Importer")).to_be_enabled()
    assert set(backups_by_name(port, token)) == before  # nothing added
    expect(page.locator("#sauvegardes-liste tr", has_text="Ne doit pas apparaître")).to_have_count(0)

    imported.get_by_role("button", name=f"Supprimer {imported_name}").click()
    dialog = page.locator("#dialogue-suppression")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(imported_name)
    expect(dialog.get_by_role("button", name="Annuler")).to_be_focused()  # the harmless choice
    dialog.get_by_role("button", name="Supprimer", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(imported).to_have_count(0)
    expect(page.locator("#sauvegardes-etat")).to_contain_text(f"Sauvegarde {imported_name} supprimée")
    assert get_json(port, f"/admin/backups/{imported_name}", token=token)[0] == 404
    assert name in backups_by_name(port, token)  # only that one
    # The two refusals are the only console lines (Chromium reports failed requests).
    refusals = [text for text in page.console_errors if "status of 422" in text]
    assert page.console_errors == refusals and len(refusals) == 2


def revoke_browser_sessions(port: int, token: str) -> None:
    status, open_sessions = get_json(port, "/admin/sessions?limit=1000", token=token)
    assert status == 200, open_sessions
    for session in open_sessions:
        if session["hostname"] == "navigateur":
            request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/sessions/{session['id']}",
                                             method="DELETE",
                                             headers={"Authorization": f"Bearer {token}"})
            with LOOPBACK.open(request, timeout=5) as answer:
                assert answer.status == 204


def test_a_session_ended_meanwhile_brings_the_login_back_and_keeps_what_was_typed(admin_server, page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/sauvegardes")
    form = page.locator("#nouvelle-sauvegarde")
    form.get_by_label("Description").fill("Tapée avant la révocation")
    revoke_browser_sessions(port, api_token(port))
    form.evaluate("form => form.requestSubmit()")  # the page may have seen it already (events)
    expect(page.locator("#connexion")).to_be_visible()
    expect(page.locator("#erreur-identifiant")).to_have_text(
        "Votre session a pris fin : reconnectez-vous pour continuer.")
    page.locator("#connexion").get_by_label("Identifiant Windows").fill("ADMIN")  # no reload
    page.get_by_role("button", name="Se connecter").click()
    expect(form).to_be_visible()
    assert form.get_by_label("Description").input_value() == "Tapée avant la révocation"
    # The refused requests (the form's, and a reload the event stream may have asked for).
    refusals = [text for text in page.console_errors if "status of 401" in text]
    assert page.console_errors == refusals and refusals
