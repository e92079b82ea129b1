"""`config list` and `config reset`: the settings changed from the admin pages, seen and undone
from the command line (the way back when a change keeps everybody out)."""

from __future__ import annotations

import contextlib
import sqlite3

from tests.helpers.cli import run
from tomatoplan.base.config import Config
from tomatoplan.base.db import Database
from tomatoplan.rules.activity import Actor
from tomatoplan.rules.settings import RuntimeSettings


async def change_from_the_admin_page(folder, values: dict) -> None:
    """What PATCH /admin/config stores, written to this folder's database (on the test's own
    event loop: a second loop left behind by asyncio.run would leak its sockets)."""
    db = Database(str(folder / "data" / "tomatoplan.db"), readers=1)
    await db.open()
    try:
        await RuntimeSettings(Config()).change(db, Actor("ADMIN"), values, "127.0.0.1")
    finally:
        await db.close()


def stored(folder) -> list:
    with contextlib.closing(sqlite3.connect(folder / "data" / "tomatoplan.db")) as conn:
        return conn.execute("SELECT key FROM settings ORDER BY key").fetchall()


async def test_a_sysadmin_sees_and_undoes_what_was_changed_from_the_admin_pages(tmp_path):
    (tmp_path / ".env").write_text("TOMATOPLAN_AUTO_BACKUP_HOUR=3\n")
    assert run(tmp_path, "user", "add", "chef", "--role", "admin").returncode == 0
    await change_from_the_admin_page(tmp_path, {"auto_backup_hour": 5, "allowed_networks": ["10.0.0.0/8"]})
    listed = run(tmp_path, "config", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "administration, par ADMIN" in lines["TOMATOPLAN_AUTO_BACKUP_HOUR"]
    assert "(fichier : 3)" in lines["TOMATOPLAN_AUTO_BACKUP_HOUR"]
    assert lines["TOMATOPLAN_TOKEN_TTL_HOURS"].split()[1:] == ["10", "défaut"]

    reset = run(tmp_path, "config", "reset", "TOMATOPLAN_ALLOWED_NETWORKS", SUDO_USER="jdupont")
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.strip() == "TOMATOPLAN_ALLOWED_NETWORKS rétabli : (vide)"
    assert stored(tmp_path) == [("auto_backup_hour",)]
    assert run(tmp_path, "config", "reset", "--tous").stdout.strip() == \
        "TOMATOPLAN_AUTO_BACKUP_HOUR rétabli : 3"
    assert stored(tmp_path) == []
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / "tomatoplan.db")) as conn:
        lines = conn.execute("SELECT username, summary FROM activity_log WHERE action = 'settings' "
                             "ORDER BY id").fetchall()
    assert lines[1] == ("jdupont (ligne de commande)",
                        "Configuration : ALLOWED_NETWORKS : 10.0.0.0/8 → (vide)")


async def test_an_unknown_or_missing_name_changes_nothing(tmp_path):
    assert run(tmp_path, "user", "add", "chef", "--role", "admin").returncode == 0
    await change_from_the_admin_page(tmp_path, {"log_level": "DEBUG"})
    unknown = run(tmp_path, "config", "reset", "PORT")
    assert unknown.returncode == 1 and "réglage inconnu : PORT" in unknown.stderr
    assert run(tmp_path, "config", "reset").returncode == 1
    assert stored(tmp_path) == [("log_level",)]


async def test_check_names_the_settings_that_win_over_the_env_file(tmp_path):
    assert run(tmp_path, "backup").returncode == 0
    assert "réglages changés" not in run(tmp_path, "check").stdout
    await change_from_the_admin_page(tmp_path, {"token_ttl_hours": 2})
    checked = run(tmp_path, "check")
    assert checked.returncode == 0, checked.stdout
    assert "OK        réglages changés depuis l'administration, prioritaires sur le .env : " \
           "TOKEN_TTL_HOURS=2 (ADMIN, " in checked.stdout
