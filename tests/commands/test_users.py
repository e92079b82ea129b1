"""`user list|add|set-role|disable|enable`, run as a sysadmin recovering a lost administrator."""

from __future__ import annotations

import contextlib
import sqlite3

from tests.helpers.cli import run


def rows(folder, sql: str) -> list:
    with contextlib.closing(sqlite3.connect(folder / "data" / "tomatoplan.db")) as conn:
        return conn.execute(sql).fetchall()


def test_a_sysadmin_recovers_a_lost_administrator(tmp_path):
    made = run(tmp_path, "user", "add", "CORP\\jean.dupont", "--role", "planner",
               "--nom-affiche", "Jean Dupont")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Utilisateur JEAN.DUPONT créé")
    # No database in this folder yet: it is created, and the command says where.
    assert f"aucune base à {tmp_path}/data/tomatoplan.db : une nouvelle base y est créée" in made.stderr
    promoted = run(tmp_path, "user", "list")
    assert "aucune base" not in promoted.stderr
    promoted = run(tmp_path, "user", "set-role", "jean.dupont", "admin")
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout.strip() == "JEAN.DUPONT a maintenant le rôle Accès complet."
    assert rows(tmp_path, "SELECT username, role, display_name, active FROM users") == [
        ("JEAN.DUPONT", "admin", "Jean Dupont", 1)]
    lines = rows(tmp_path, "SELECT action, username, summary FROM activity_log ORDER BY id")
    assert [line[0] for line in lines] == ["create", "update"]
    assert all(line[1].endswith("(ligne de commande)") for line in lines)
    listed = run(tmp_path, "user", "list")
    assert listed.returncode == 0 and "JEAN.DUPONT" in listed.stdout and "admin" in listed.stdout


def test_the_api_rules_hold_and_a_refusal_is_one_french_line(tmp_path):
    assert run(tmp_path, "user", "add", "chef", "--role", "admin").returncode == 0
    last = run(tmp_path, "user", "disable", "chef")
    assert last.returncode == 1
    assert last.stderr.strip() == ("tomatoplan: CHEF est le dernier administrateur actif : "
                                   "nommez d'abord un autre administrateur.")
    assert run(tmp_path, "user", "set-role", "chef", "viewer").returncode == 1
    assert rows(tmp_path, "SELECT role, active FROM users") == [("admin", 1)]
    taken = run(tmp_path, "user", "add", "CHEF", "--role", "viewer")
    assert taken.returncode == 1 and "existe déjà" in taken.stderr
    bad = run(tmp_path, "user", "add", "pas un nom", "--role", "viewer")
    assert bad.returncode == 1 and "username : Identifiant invalide" in bad.stderr
    unknown = run(tmp_path, "user", "disable", "personne")
    assert unknown.returncode == 1 and "PERSONNE inconnu" in unknown.stderr
    assert run(tmp_path, "user", "add", "x", "--role", "chef").returncode == 2  # argparse: choices
    assert run(tmp_path, "user").returncode == 2
    assert len(rows(tmp_path, "SELECT id FROM users")) == 1


def test_disabling_closes_the_sessions_and_enable_undoes_it(tmp_path):
    run(tmp_path, "user", "add", "chef", "--role", "admin")
    run(tmp_path, "user", "add", "planif", "--role", "planner")
    disabled = run(tmp_path, "user", "disable", "planif")
    assert disabled.returncode == 0
    assert "ne peut plus se connecter" in disabled.stdout and "sessions ouvertes" in disabled.stdout
    assert "PLANIF" not in run(tmp_path, "user", "list").stdout
    assert "(désactivé)" in run(tmp_path, "user", "list", "--tous").stdout
    enabled = run(tmp_path, "user", "enable", "planif")
    assert enabled.returncode == 0 and enabled.stdout.strip() == "PLANIF est réactivé."
    assert rows(tmp_path, "SELECT active FROM users WHERE username = 'PLANIF'") == [(1,)]


def test_the_activity_log_names_who_typed_the_command_under_sudo(tmp_path):
    made = run(tmp_path, "user", "add", "chef", "--role", "admin", SUDO_USER="jdupont")
    assert made.returncode == 0, made.stderr
    assert rows(tmp_path, "SELECT username FROM activity_log") == [("jdupont (ligne de commande)",)]
