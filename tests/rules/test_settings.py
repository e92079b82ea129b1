"""RuntimeSettings: the stored changes on top of the configuration read at start."""

from __future__ import annotations

import json
import logging

from tomatoplan.base.config import SETTINGS, Config
from tomatoplan.rules.settings import RuntimeSettings
from tomatoplan.web.state import DB


async def test_a_stored_value_the_server_no_longer_accepts_is_logged_and_left_out(client, caplog):
    db = client.app[DB]
    async with db.write() as tx:
        for key, value in (("auto_backup_hour", json.dumps(99)), ("log_level", "not json"),
                           ("removed_setting", json.dumps(1)),
                           ("backup_retention_days", json.dumps(12))):
            await tx.execute("INSERT INTO settings (key, value, updated_at, updated_by) "
                             "VALUES (:key, :value, '2024-01-15T00:00:00.000Z', 'ADMIN')",
                             {"key": key, "value": value})
    settings = RuntimeSettings(Config(auto_backup_hour=3))
    with caplog.at_level(logging.WARNING, logger="tomatoplan"):
        await settings.load(db)
    assert settings.config.auto_backup_hour == 3 and settings.config.log_level == "INFO"
    assert settings.config.backup_retention_days == 12
    ignored = [record.getMessage() for record in caplog.records]
    assert len(ignored) == 3 and all("stored setting" in line for line in ignored)


def test_every_documented_variable_is_described_with_its_value():
    settings = RuntimeSettings(Config(secret_key="s" * 40, allowed_networks=()))
    rows = settings.describe()["parametres"]
    assert [row["nom"] for row in rows] == ["TOMATOPLAN_" + setting.name for setting in SETTINGS]
    assert all(isinstance(row["valeur"], str) for row in rows)
    assert "s" * 40 not in json.dumps(rows)
    generated = RuntimeSettings(Config(secret_key="")).describe()["parametres"]
    assert {row["cle"]: row["valeur"] for row in generated}["secret_key"] == \
        "(générée, fichier secret.key)"
