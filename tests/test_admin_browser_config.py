"""The Configuration screen in a real browser (tests/helpers/browser.py): the configuration in
force with its secret hidden, and the automatic backup's hour changed without a restart."""

from __future__ import annotations

import pytest

from tests.helpers.browser import log_in, playwright_api, screenshot
from tests.helpers.zipapp import get_json

pytestmark = pytest.mark.zipapp
sync_api = playwright_api()


def admin_token(port: int) -> str:
    status, body = get_json(port, "/auth/login", body={"username": "ADMIN", "hostname": "PC-API"})
    assert status == 200, body
    return body["access_token"]


def test_an_admin_changes_the_backup_hour_and_it_applies_at_once(admin_server, page):
    base, port, folder = admin_server
    log_in(page, base, "ADMIN", "/admin/configuration")
    hour = page.get_by_label("Heure de la sauvegarde automatique (0-23)")
    sync_api.expect(hour).to_have_value("2")
    sync_api.expect(page.locator("#prochaine-sauvegarde")).to_contain_text("à 02:00")
    secret = page.locator('tr[data-variable="TOMATOPLAN_SECRET_KEY"]')
    sync_api.expect(secret).to_contain_text("(générée, fichier secret.key)")
    key = (folder / "data" / "secret.key").read_text().strip()
    assert key not in page.content()

    hour.fill("24")  # refused next to the field; what was typed stays
    page.get_by_role("button", name="Enregistrer").click()
    sync_api.expect(page.locator("#erreur-auto_backup_hour")).to_have_text("Au plus 23.")
    assert hour.input_value() == "24" and hour.get_attribute("aria-invalid") == "true"

    hour.fill("4")
    page.get_by_role("button", name="Enregistrer").click()
    sync_api.expect(page.locator("#reglages-faits")).to_have_text("Réglages enregistrés et appliqués.")
    sync_api.expect(page.locator("#prochaine-sauvegarde")).to_contain_text("à 04:00")
    sync_api.expect(page.locator("#origine-auto_backup_hour")).to_contain_text("Modifié par ADMIN")
    sync_api.expect(page.locator('tr[data-variable="TOMATOPLAN_AUTO_BACKUP_HOUR"]')).to_contain_text(
        "administration")
    status, config = get_json(port, "/admin/config", token=admin_token(port))
    assert status == 200 and config["modifiables"]["auto_backup_hour"] == 4
    assert config["prochaine_sauvegarde"].endswith("T04:00")
    screenshot(page, "configuration")

    page.get_by_role("button", name="Rétablir TOMATOPLAN_AUTO_BACKUP_HOUR à la valeur du fichier").click()
    sync_api.expect(page.locator("#prochaine-sauvegarde")).to_contain_text("à 02:00")
    sync_api.expect(hour).to_have_value("2")
    status, lines = get_json(port, "/stats/activity/recent?action=settings", token=admin_token(port))
    assert [line["summary"] for line in lines] == [
        "Configuration : AUTO_BACKUP_HOUR : 4 → 2", "Configuration : AUTO_BACKUP_HOUR : 2 → 4"]
    # The refused PATCH is the only console line (Chromium reports failed requests).
    assert len(page.console_errors) == 1 and "status of 422" in page.console_errors[0]
