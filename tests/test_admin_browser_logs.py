"""The Journaux screen in a real browser (tests/helpers/browser.py: Chromium through
Playwright, on the built zipapp): the activity log filtered and paged, the server log followed
live."""

from __future__ import annotations

import datetime

import pytest

from tests.helpers.browser import log_in, playwright_api, screenshot
from tests.helpers.zipapp import get_json

pytestmark = pytest.mark.zipapp
sync_api = playwright_api()

PLANNER = "PLANIF.JOURNAL"
PLANNER_MISSIONS = 55  # more than the page's 50 lines


@pytest.fixture(scope="module")
def activity(admin_server):
    """Activity of two users made through the API: ADMIN creates the planner and 2 missions,
    the planner logs in and creates PLANNER_MISSIONS missions."""
    _, port, _ = admin_server
    today = datetime.date.today().isoformat()
    status, admin = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-ADMIN"})
    assert status == 200, admin
    status, created = get_json(port, "/admin/users", token=admin["access_token"],
                               body={"username": PLANNER, "role": "planner"})
    assert status == 201, created
    for n in range(2):
        status, mission = get_json(port, "/missions", token=admin["access_token"],
                                   body={"date_mission": today, "destination": f"Admin {n}"})
        assert status == 201, mission
    status, planner = get_json(port, "/auth/login", body={"username": PLANNER, "hostname": "PC-QUAI"})
    assert status == 200, planner
    for n in range(PLANNER_MISSIONS):
        status, mission = get_json(port, "/missions", token=planner["access_token"],
                                   body={"date_mission": today, "destination": f"Lyon <b>{n}</b>"})
        assert status == 201, mission


def column(page, index: int) -> list[str]:
    return page.locator(f"#journal-liste tr td:nth-child({index})").all_text_contents()


def test_an_admin_filters_the_activity_log_pages_it_and_follows_the_server_log(admin_server, activity,
                                                                               page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/logs")
    form = page.locator("#filtre-journal")
    position = page.locator("#journal-position")
    sync_api.expect(position).to_contain_text("lignes 1–50 sur")
    server_lines = page.locator("#serveur-lignes li")
    sync_api.expect(page.locator("#serveur-etat")).to_have_text("en direct")
    sync_api.expect(server_lines.filter(has_text="listening on http://127.0.0.1")).to_have_count(1)

    form.get_by_label("Utilisateur").fill("planif.journal")  # names are compared in capitals
    form.get_by_role("button", name="Filtrer").click()
    sync_api.expect(position).to_have_text(f"lignes 1–50 sur {PLANNER_MISSIONS + 1}")  # + its login
    assert set(column(page, 2)) == {PLANNER}
    assert set(column(page, 3)) == {"PC-QUAI"}
    assert "Lyon <b>54</b>" in column(page, 6)[0]  # the newest first, shown as text
    assert page.locator("#journal-liste b").count() == 0

    form.get_by_label("Action").select_option(label="Création")
    form.get_by_role("button", name="Filtrer").click()
    sync_api.expect(position).to_have_text(f"lignes 1–50 sur {PLANNER_MISSIONS}")
    assert set(column(page, 4)) == {"Création"}
    assert column(page, 5)[0].startswith("Mission n° ")
    assert page.get_by_role("button", name="Précédent").is_disabled()
    page.get_by_role("button", name="Suivant").click()
    sync_api.expect(position).to_have_text(f"lignes 51–{PLANNER_MISSIONS} sur {PLANNER_MISSIONS}")
    assert len(column(page, 1)) == PLANNER_MISSIONS - 50
    assert "Lyon <b>0</b>" in column(page, 6)[-1]  # the oldest last
    assert page.get_by_role("button", name="Suivant").is_disabled()
    page.get_by_role("button", name="Précédent").click()
    sync_api.expect(position).to_have_text(f"lignes 1–50 sur {PLANNER_MISSIONS}")

    page.get_by_role("button", name="Effacer les filtres").click()
    sync_api.expect(position).not_to_have_text(f"lignes 1–50 sur {PLANNER_MISSIONS}")
    assert form.get_by_label("Utilisateur").input_value() == ""
    form.get_by_label("Action").select_option(label="Connexion refusée")
    form.get_by_role("button", name="Filtrer").click()
    sync_api.expect(position).to_have_text("aucune ligne")

    # After the page opened: a refused login shows in both logs, without reloading the page.
    refused, _ = get_json(port, "/auth/login", body={"username": "INTRUS.JOURNAL", "hostname": "PC-X"})
    assert refused == 401
    sync_api.expect(server_lines.filter(has_text='"POST /auth/login HTTP/1.1" 401')).to_have_count(1)
    intruder = page.locator("#journal-liste tr", has_text="INTRUS.JOURNAL")
    sync_api.expect(intruder).to_have_count(1)  # the event stream's reload kept the filter
    assert set(column(page, 4)) == {"Connexion refusée"}
    assert server_lines.filter(has_text="/admin/server-log").count() == 0  # the polling is not logged
    screenshot(page, "journaux")
    assert page.console_errors == []


def test_pausing_the_server_log_holds_new_lines_until_it_resumes(admin_server, page):
    base, port, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/logs")
    sync_api.expect(page.locator("#serveur-etat")).to_have_text("en direct")
    pause = page.get_by_role("button", name="Mettre en pause")
    pause.click()
    sync_api.expect(page.locator("#serveur-etat")).to_have_text("en pause")
    assert page.get_by_role("button", name="Reprendre").get_attribute("aria-pressed") == "true"
    assert get_json(port, "/auth/login", body={"username": "PAUSE.JOURNAL"})[0] == 401
    marker = page.locator("#serveur-lignes li", has_text="POST /auth/login")
    seen = marker.count()
    page.wait_for_timeout(2500)  # more than one polling period
    assert marker.count() == seen
    page.get_by_role("button", name="Reprendre").click()
    sync_api.expect(marker).to_have_count(seen + 1)
    page.locator("#filtre-serveur").get_by_label("Niveau minimum").select_option("ERROR")
    sync_api.expect(page.locator("#serveur-lignes li.niveau-info")).to_have_count(0)
    assert page.console_errors == []


def test_a_period_ending_before_it_starts_is_explained_next_to_its_field(admin_server, page):
    base, _, _ = admin_server
    log_in(page, base, "ADMIN", "/admin/logs")
    form = page.locator("#filtre-journal")
    position = page.locator("#journal-position")
    sync_api.expect(position).to_contain_text("lignes 1–")
    shown = position.text_content()
    form.get_by_label("Utilisateur").fill("ADMIN")
    form.get_by_label("Du").fill("2024-02-01")
    form.get_by_label("Au").fill("2024-01-31")
    form.get_by_role("button", name="Filtrer").click()
    message = page.locator("#erreur-jusqu_a")
    sync_api.expect(message).to_have_text("Ne peut pas précéder le début de la période (depuis).")
    assert form.get_by_label("Au").get_attribute("aria-invalid") == "true"
    assert [form.get_by_label(name).input_value() for name in ("Utilisateur", "Du", "Au")] == [
        "ADMIN", "2024-02-01", "2024-01-31"]  # kept as typed
    assert position.text_content() == shown  # the table still shows what it showed
    screenshot(page, "journaux-periode-refusee")
    form.get_by_label("Au").fill("2024-02-29")
    form.get_by_role("button", name="Filtrer").click()
    sync_api.expect(position).to_have_text("aucune ligne")
    sync_api.expect(message).to_be_empty()
    # The refused request itself is the only console line (Chromium reports failed requests).
    assert len(page.console_errors) == 1 and "status of 422" in page.console_errors[0]
