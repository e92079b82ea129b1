"""/admin/config: the configuration in force, secrets masked, and the settings an administrator
changes without a restart (applied at once, stored, logged, back to the file's value with null)."""

from __future__ import annotations

import datetime
import logging

import pytest

from tests.helpers.api import TEST_SECRET, activity_lines, invalid_fields, login, problem
from tests.helpers.clock import FakeClock
from tests.helpers.server import REMOTE_HEADER, pretending_addresses
from tests.helpers.waiting import eventually
from tomatoplan.app import create_app
from tomatoplan.base import clock
from tomatoplan.base.config import SETTINGS
from tomatoplan.rules.backups import AUTO_BACKUP_JOB
from tomatoplan.web.state import BACKUPS, SCHEDULER
from tomatoplan.web.state import SETTINGS as RUNTIME


def by_name(body: dict) -> dict:
    return {row["nom"]: row for row in body["parametres"]}


async def config_of(api) -> dict:
    response = await api.get("/admin/config")
    assert response.status == 200
    return await response.json()


async def settings_lines(client) -> list:
    return [line for line in await activity_lines(client) if line["action"] == "settings"]


async def test_the_configuration_in_force_lists_every_variable_with_its_source_and_hides_secrets(
        client, admin):
    response = await admin.get("/admin/config")
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    text = await response.text()
    assert TEST_SECRET not in text
    rows = by_name(await response.json())
    assert list(rows) == ["TOMATOPLAN_" + setting.name for setting in SETTINGS]
    secret = rows["TOMATOPLAN_SECRET_KEY"]
    assert secret["masquee"] is True and secret["valeur"] == "(définie, masquée)"
    hour = rows["TOMATOPLAN_AUTO_BACKUP_HOUR"]
    assert (hour["valeur"], hour["source"], hour["modifiable"]) == ("2", "défaut", True)
    assert rows["TOMATOPLAN_PORT"]["modifiable"] is False
    body = await config_of(admin)
    assert body["modifiables"] == {"auto_backup_hour": 2, "backup_retention_days": 30,
                                   "log_level": "INFO", "allowed_networks": [],
                                   "token_ttl_hours": 10.0}
    assert body["prochaine_sauvegarde"] is None  # automatic backups are off in the tests


def nightly_app(clock):
    def factory(config):
        app = create_app(config)
        app[SCHEDULER].clock = clock
        return app
    return factory


async def test_a_new_backup_hour_moves_the_nightly_backup_at_once_and_survives_a_restart(
        make_client, caplog):
    fake = FakeClock(datetime.datetime(2024, 1, 15, 2, 30))
    client = await make_client(app_factory=nightly_app(fake), auto_backup_enabled=True,
                               auto_backup_hour=3)
    admin = await login(client, "ADMIN")
    assert (await config_of(admin))["prochaine_sauvegarde"] == "2024-01-15T03:00"
    with caplog.at_level(logging.INFO, logger="tomatoplan"):
        response = await admin.request("PATCH", "/admin/config", json={"auto_backup_hour": 4})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["prochaine_sauvegarde"] == "2024-01-15T04:00"
    row = by_name(body)["TOMATOPLAN_AUTO_BACKUP_HOUR"]
    assert (row["valeur"], row["source"], row["valeur_fichier"], row["modifiee_par"]) == \
        ("4", "administration", "3", "ADMIN")
    assert "AUTO_BACKUP_HOUR changed by ADMIN: 3 -> 4" in caplog.text
    [line] = await settings_lines(client)
    assert line["summary"] == "Configuration : AUTO_BACKUP_HOUR : 3 → 4"
    assert line["username"] == "ADMIN" and line["entity"] == "settings"

    job = client.app[SCHEDULER].job(AUTO_BACKUP_JOB)
    await fake.advance(3600)  # 03:30: not at the old hour
    assert job.runs == 0
    await fake.advance(3600)  # 04:30
    await eventually(lambda: job.runs == 1 and not job.running)  # at 04:00

    await client.close()  # the same database, started again: the change is kept
    again = await make_client(auto_backup_enabled=True, auto_backup_hour=3)
    assert again.app[SCHEDULER].job(AUTO_BACKUP_JOB).at == (4, 0)
    admin = await login(again, "ADMIN")
    response = await admin.request("PATCH", "/admin/config", json={"auto_backup_hour": None})
    row = by_name(await response.json())["TOMATOPLAN_AUTO_BACKUP_HOUR"]
    assert (row["valeur"], row["source"]) == ("3", "défaut") and "valeur_fichier" not in row
    assert again.app[SCHEDULER].job(AUTO_BACKUP_JOB).at == (3, 0)


async def test_the_log_level_changes_at_once_and_returns_to_the_file_value(client, admin):
    root = logging.getLogger()
    before = root.level
    try:
        response = await admin.request("PATCH", "/admin/config", json={"log_level": "DEBUG"})
        assert response.status == 200
        assert root.level == logging.DEBUG
        await admin.request("PATCH", "/admin/config", json={"log_level": None})
        assert root.level == logging.INFO
    finally:
        root.setLevel(before)


async def test_a_shorter_token_lifetime_applies_to_the_next_logins_only(client, admin):
    response = await admin.request("PATCH", "/admin/config", json={"token_ttl_hours": 1.5})
    assert (await response.json())["modifiables"]["token_ttl_hours"] == 1.5
    answer = await (await client.post("/auth/login", json={"username": "ADMIN"})).json()
    lifetime = clock.parse_iso(answer["expires_at"]) - clock.now()
    assert 5390 < lifetime.total_seconds() <= 5400
    assert (await admin.get("/auth/me")).status == 200  # the session opened before still works


async def test_retention_follows_the_change(client, admin):
    await admin.request("PATCH", "/admin/config", json={"backup_retention_days": 7})
    assert client.app[BACKUPS].config.backup_retention_days == 7


async def test_allowed_networks_apply_to_the_next_request_and_never_lock_out_the_admin(make_client):
    client = await make_client(app_factory=lambda config: pretending_addresses(create_app(config)))
    admin = await login(client, "ADMIN")
    office = {REMOTE_HEADER: "10.1.2.3"}
    assert (await client.get("/health", headers={REMOTE_HEADER: "192.168.1.9"})).status == 200
    response = await admin.request("PATCH", "/admin/config", headers=office,
                                   json={"allowed_networks": ["192.168.1.0/24"]})
    assert (await invalid_fields(response)) == {"allowed_networks": "locks_you_out"}
    assert client.app[RUNTIME].config.allowed_networks == ()
    response = await admin.request("PATCH", "/admin/config", headers=office,
                                   json={"allowed_networks": ["10.0.0.0/8", " 172.16.5.1 "]})
    assert response.status == 200
    assert (await response.json())["modifiables"]["allowed_networks"] == ["10.0.0.0/8",
                                                                          "172.16.5.1/32"]
    refused = await client.get("/health", headers={REMOTE_HEADER: "192.168.1.9"})
    await problem(refused, 403, "network_not_allowed")
    assert (await client.get("/health", headers=office)).status == 200
    await admin.request("PATCH", "/admin/config", json={"allowed_networks": None})
    assert (await client.get("/health", headers={REMOTE_HEADER: "192.168.1.9"})).status == 200


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"auto_backup_hour": 24}, "auto_backup_hour", "out_of_range"),
    ({"auto_backup_hour": "4"}, "auto_backup_hour", "type"),
    ({"auto_backup_hour": 4.5}, "auto_backup_hour", "type"),
    ({"backup_retention_days": 0}, "backup_retention_days", "out_of_range"),
    ({"log_level": "VERBOSE"}, "log_level", "choice"),
    ({"allowed_networks": "10.0.0.0/8"}, "allowed_networks", "type"),
    ({"allowed_networks": ["10.0.0.0/33"]}, "allowed_networks", "format"),
    ({"allowed_networks": [7]}, "allowed_networks", "type"),
    ({"token_ttl_hours": 0}, "token_ttl_hours", "out_of_range"),
    ({"token_ttl_hours": 0.2}, "token_ttl_hours", "out_of_range"),
    ({"token_ttl_hours": 1e-9}, "token_ttl_hours", "out_of_range"),
    ({"token_ttl_hours": True}, "token_ttl_hours", "type"),
    ({"token_ttl_hours": 745}, "token_ttl_hours", "out_of_range"),
    ({"secret_key": "x" * 40}, "secret_key", "unknown_field"),
    ({"port": 9000}, "port", "unknown_field"),
    ({}, "(corps)", "required"),
    ([], "(corps)", "type"),
])
async def test_a_bad_change_is_a_422_next_to_its_field_and_changes_nothing(client, admin, body,
                                                                          field, code):
    before = await config_of(admin)
    response = await admin.request("PATCH", "/admin/config", json=body)
    assert (await invalid_fields(response)).get(field) == code
    assert await config_of(admin) == before
    assert await settings_lines(client) == []


async def test_only_an_admin_reads_or_changes_the_configuration(client, admin, as_role):
    await problem(await client.get("/admin/config"), 401, "not_authenticated")
    await problem(await client.patch("/admin/config", json={"log_level": "DEBUG"}), 401,
                  "not_authenticated")
    for role in ("planner", "planner_advanced", "driver_admin", "viewer", "finance"):
        api = await as_role(role)
        await problem(await api.get("/admin/config"), 403, "forbidden")
        await problem(await api.request("PATCH", "/admin/config", json={"log_level": "DEBUG"}),
                      403, "forbidden")
    response = await admin.request("PATCH", "/admin/config", data=b'{"log_level": ',
                                   headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert (await config_of(admin))["modifiables"]["log_level"] == "INFO"
    assert await settings_lines(client) == []
