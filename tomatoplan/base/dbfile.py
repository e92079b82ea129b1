"""The database file before it is served: the SQL functions every connection has, the checks
(WAL mode, quick_check) and the migrations, on plain sqlite3 connections. `db` serves it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3

from . import sqlfiles

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def row_digest(text: str) -> int:
    """A 31-bit checksum of one row's text, e.g. `row_digest(json_array(id, nom, ...))`: summed
    over a table with its row count, it makes a content fingerprint (see rules/backups)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big") >> 1


def add_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions every connection of the server has, for a plain sqlite3 connection."""
    conn.create_function("row_digest", 1, row_digest, deterministic=True)


class DatabaseError(RuntimeError):
    """The database file cannot be served (broken, newer than the code, not SQLite)."""


def migrate_connection(conn: sqlite3.Connection, label: str) -> int:
    """Apply the migrations a database lacks, on a plain sqlite3 connection in autocommit
    mode (the server's file at start, a backup's work copy before a restore); its version.

    Foreign keys are off while the schema changes, as SQLite prescribes for rebuilding a table
    (a DROP TABLE would otherwise cascade into the rows that reference it); the references
    are checked before COMMIT instead. The PRAGMA is a no-op inside a transaction, hence
    before BEGIN. A database newer than the code is refused.
    """
    migrations = sqlfiles.migrations()
    latest = len(migrations)
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > latest:
        raise DatabaseError(
            f"base {label!r} au schéma {current}, plus récent que ce serveur "
            f"(schéma {latest}): utilisez une version plus récente de tomatoplan.pyz"
        )
    if current == latest:
        return latest
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version, filename, text in migrations[current:]:
            log.info("applying migration %s to %s", filename, label)
            for statement in sqlfiles.split_statements(text):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise DatabaseError(f"base {label!r}: la migration casse {len(broken)} "
                                f"référence(s), par ex. {tuple(broken[0])}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    log.info("database %s migrated from schema %d to %d", label, current, latest)
    return latest


def check_and_migrate(path: str) -> tuple[str, int]:
    """What the server does to its file before serving it: WAL mode (impossible on a network
    share), quick_check, migrations. (journal mode, schema version); DatabaseError otherwise."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        journal_mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        if journal_mode != "wal":
            raise DatabaseError(
                f"base {path!r}: le mode WAL est impossible (mode {journal_mode!r}); "
                "le dossier est-il sur un partage réseau ?"
            )
        problems = [row[0] for row in conn.execute("PRAGMA quick_check") if row[0] != "ok"]
        if problems:
            raise DatabaseError(
                f"base {path!r} endommagée (quick_check: {problems[0]}); restaurez une sauvegarde"
            )
        return journal_mode, migrate_connection(conn, path)
    finally:
        conn.close()


def inspect_file(path: str) -> list[tuple[str, str]]:
    """What `check` says of the database file, read only (nothing migrated, nothing written):
    (level, French line) pairs, level "ok", "attention" or "erreur"."""
    if not os.path.exists(path):
        return [("erreur", f"base {os.path.abspath(path)} absente : lancez check depuis le dossier "
                           "du service (celui de son .env) ; une installation neuve la crée à son "
                           "premier démarrage")]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        return [("erreur", f"base {path} illisible : {exc}")]
    try:
        found = []
        latest = len(sqlfiles.migrations())
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > latest:
            found.append(("erreur", f"base au schéma {version}, plus récent que ce serveur "
                                    f"({latest}) : utilisez une version plus récente"))
        elif version < latest:
            found.append(("ok", f"base au schéma {version} : le serveur la mettra au schéma "
                                f"{latest} à son démarrage"))
        else:
            found.append(("ok", f"base au schéma {version}"))
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            found.append(("erreur", f"base endommagée (integrity_check : {problems[0]}) : "
                                    "restaurez une sauvegarde"))
        elif broken:
            found.append(("erreur", f"{len(broken)} référence(s) cassée(s), par ex. {tuple(broken[0])}"))
        else:
            found.append(("ok", "intégrité de la base vérifiée (integrity_check, clés étrangères)"))
        return found
    except sqlite3.Error as exc:
        return [("erreur", f"base {path} illisible : {exc}")]
    finally:
        conn.close()
