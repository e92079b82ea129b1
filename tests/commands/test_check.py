"""`check`: one line per check, exit 1 when something is wrong, nothing changed."""

from __future__ import annotations

import contextlib
import os
import sqlite3

from tests.helpers.cli import run


def test_a_sound_installation_passes_and_nothing_is_written(tmp_path):
    assert run(tmp_path, "backup").returncode == 0  # creates the database and one backup
    database = tmp_path / "data" / "tomatoplan.db"
    before = database.stat().st_mtime_ns
    checked = run(tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK        intégrité de la base vérifiée" in checked.stdout
    assert "1 sauvegarde(s) dans ./data/backups" in checked.stdout
    assert checked.stdout.strip().endswith("0 erreur(s), 0 avertissement(s).")
    assert database.stat().st_mtime_ns == before


def test_a_damaged_database_an_exposed_key_and_a_newer_schema_are_errors(tmp_path):
    assert run(tmp_path, "backup").returncode == 0
    (tmp_path / ".env").write_text("TOMATOPLAN_SECRET_KEY=" + "k" * 40 + "\n")
    os.chmod(tmp_path / ".env", 0o644)
    database = tmp_path / "data" / "tomatoplan.db"
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
        conn.execute("PRAGMA user_version = 999")
    checked = run(tmp_path, "check")
    assert checked.returncode == 1
    assert "ERREUR    base au schéma 999, plus récent que ce serveur" in checked.stdout
    assert "ERREUR    .env contient TOMATOPLAN_SECRET_KEY" in checked.stdout
    assert "k" * 40 not in checked.stdout + checked.stderr
    database.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)  # a header, then nothing
    broken = run(tmp_path, "check")
    assert broken.returncode == 1 and "ERREUR    base" in broken.stdout


def test_an_invalid_configuration_is_exit_2(tmp_path):
    checked = run(tmp_path, "check", TOMATOPLAN_PORT="http")
    assert checked.returncode == 2 and "TOMATOPLAN_PORT" in checked.stderr


def test_run_from_the_wrong_folder_it_says_so_and_creates_nothing(tmp_path):
    checked = run(tmp_path, "check")
    assert checked.returncode == 1
    assert "ERREUR    TOMATOPLAN_DATABASE_PATH : dossier" in checked.stdout
    assert f"ERREUR    base {tmp_path}/data/tomatoplan.db absente" in checked.stdout
    assert list(tmp_path.iterdir()) == []  # no data/, no logs/: a check changes nothing
