"""The backup commands, run as a sysadmin runs them: `python3 tomatoplan.pyz backup`,
`backups`, `restore NAME`, in the server's working folder (its .env, its data)."""

from __future__ import annotations

import contextlib
import sqlite3

from tests.helpers.cli import run
from tomatoplan.rules import backup_files


def test_backup_list_and_restore_from_the_command_line(tmp_path):
    (tmp_path / ".env").write_text("TOMATOPLAN_BACKUP_DIR=./sauvegardes\n")
    made = run(tmp_path, "backup", "--description", "avant la mise à jour")
    assert made.returncode == 0, made.stderr
    name = made.stdout.split("Sauvegarde faite : ", 1)[1].split(" ", 1)[0]
    path = tmp_path / "sauvegardes" / name
    described = backup_files.read_description(str(path))
    assert (described["description"], described["trigger"]) == ("avant la mise à jour", "manuel")
    assert described["created_by"].endswith("(ligne de commande)")

    listed = run(tmp_path, "backups")
    assert listed.returncode == 0 and name in listed.stdout and "avant la mise à jour" in listed.stdout

    database = tmp_path / "data" / "tomatoplan.db"
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
        conn.execute("INSERT INTO chauffeurs (nom, prenom, created_at, created_by, updated_at, "
                     "updated_by) VALUES ('APRES', 'Coup', 't', 'X', 't', 'X')")
    restored = run(tmp_path, "restore", name)
    assert restored.returncode == 0, restored.stderr
    assert f"Restauration de {name} faite" in restored.stdout
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
        assert conn.execute("SELECT count(*) FROM chauffeurs").fetchone()[0] == 0
        line = conn.execute("SELECT action, username FROM activity_log ORDER BY id DESC LIMIT 1").fetchone()
    assert line[0] == "restore" and line[1].endswith("(ligne de commande)")
    before = restored.stdout.split("gardé dans ", 1)[1].rstrip(".\n")
    assert backup_files.read_description(str(tmp_path / "sauvegardes" / before))["trigger"] == \
        "avant_restauration"


def test_a_bad_name_or_configuration_fails_with_one_line(tmp_path):
    refused = run(tmp_path, "restore", "../data/tomatoplan.db")
    assert refused.returncode == 1
    # (A first line says the folder had no database yet: restoring onto a new server is allowed.)
    assert refused.stderr.strip().splitlines()[-1] == "tomatoplan: Nom de sauvegarde invalide : " \
                                                      "attendu backup_AAAAMMJJ_HHMMSS.db."
    missing = run(tmp_path, "restore", "backup_20990101_000000.db")
    assert missing.returncode == 1 and "introuvable" in missing.stderr
    misconfigured = run(tmp_path, "backups", TOMATOPLAN_BACKUP_COPY_RETENTION_DAYS="jamais")
    assert misconfigured.returncode == 2 and "BACKUP_COPY_RETENTION_DAYS" in misconfigured.stderr
    empty = run(tmp_path, "backups")
    assert empty.returncode == 0 and "Aucune sauvegarde" in empty.stdout
