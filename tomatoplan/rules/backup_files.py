"""What is inside a backup file: the copy of the live database, its validation, the description
it carries, the fingerprint of its planning, and the restore of that planning.

The one home of `sql/backups.sql`. A backup is a SQLite database, one self-contained file
(journal mode DELETE) whose table `tomatoplan_backup` holds its description: it travels with
the file. A file from elsewhere (an upload, a file put in the folder) is untrusted until
`validate` has shown that its schema is exactly what this server's migrations make for its
version (so nothing of its own, no view nor trigger, can run), and checked its integrity, its
references and the types of its columns. Everything here is blocking and runs in a worker
thread (`asyncio.to_thread`), never on the event loop.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sqlite3
import threading
import time
from typing import Any, Iterator, Optional

from ..base import sqlfiles
from ..base.db import WriteSession
from ..base.dbfile import BUSY_TIMEOUT_MS, add_functions, migrate_connection
from . import backup_folder as folder

Q = sqlfiles.load("backups")

# Parents first: restored in this order, emptied in the reverse one.
PLANNING_TABLES = ("skills", "chauffeurs", "chauffeur_competences", "absences", "vehicules",
                   "vehicule_indisponibilites", "voyages", "voyage_competences", "missions",
                   "jours_valides")
# The schema name the restore attaches a backup under (sql/backups.sql names it).
ATTACHED = "sauvegarde"
DESCRIPTION_TABLE = "tomatoplan_backup"
SQLITE_MAGIC = b"SQLite format 3\x00"
# No single check of a file may take longer (a pathological file cannot hang a backup).
CHECK_SECONDS = 600
# The description's fields and their types; anything else in a document is dropped.
TEXT_FIELDS = ("name", "created_at", "description", "trigger", "original_trigger", "created_by",
               "integrity", "server_version", "imported_at", "imported_by")


class BackupFileError(Exception):
    """A file that is not a usable backup; the message says why, in French."""


class Interrupted(BackupFileError):
    """The work was abandoned because its caller was cancelled."""


class NewerSchema(BackupFileError):
    """A backup of a newer version of the server: this one cannot read it."""


# --- connections ---------------------------------------------------------------------------

@contextlib.contextmanager
def _connect(path: str, *, read_only: bool = False,
             deadline: Optional[float] = None) -> Iterator[sqlite3.Connection]:
    """A plain connection to a backup file: no code of the file's may run (trusted_schema
    off), and past `deadline` (time.monotonic) every statement is interrupted."""
    uri = "file:" + os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    conn = sqlite3.connect(f"{uri}?mode={'ro' if read_only else 'rw'}", uri=True,
                           isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA trusted_schema = OFF")
        add_functions(conn)
        if deadline is not None:
            conn.set_progress_handler(lambda: time.monotonic() > deadline, 100_000)
        yield conn
    except sqlite3.OperationalError as exc:
        if deadline is not None and "interrupted" in str(exc):
            raise BackupFileError(f"vérification trop longue (plus de {CHECK_SECONDS} s)") from None
        raise
    finally:
        conn.close()


def make_copy(database_path: str, temp: str) -> None:
    """A consistent copy of the live database by SQLite's online backup API, in one step (one
    read snapshot: writers go on, nothing waits), then made one self-contained file."""
    source = sqlite3.connect(database_path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        target = sqlite3.connect(temp, isolation_level=None)
        try:
            source.backup(target)
            # The copy inherits WAL mode from the live database: a backup is one file.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    finally:
        source.close()


# --- validation ----------------------------------------------------------------------------

@functools.cache
def reference_schema(version: int) -> frozenset:
    """(type, name, table, sql) of every object this server's migrations make up to `version`,
    and the description table."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for _, _, text in sqlfiles.migrations()[:version]:
            for statement in sqlfiles.split_statements(text):
                conn.execute(statement)
        conn.execute(Q.create_description_table)
        return frozenset(conn.execute(Q.schema_objects).fetchall())
    finally:
        conn.close()


def _column_types(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(row["name"], row["type"].upper()) for row in conn.execute(Q.table_columns, {"table": table})]


def _badly_typed(conn: sqlite3.Connection) -> list[str]:
    """'table.column' of every planning column holding a value of another type than declared
    (the tables are not STRICT: SQLite would store 'abc' in an INTEGER column)."""
    found = []
    for table in PLANNING_TABLES:
        for column, declared in _column_types(conn, table):
            allowed = ("integer",) if declared == "INTEGER" else ("text",)
            # Identifiers from the schema just shown equal to this server's own: not from a client.
            sql = (f'SELECT 1 FROM "{table}" WHERE typeof("{column}") NOT IN '
                   f"('null', '{allowed[0]}') LIMIT 1")
            if conn.execute(sql).fetchone():
                found.append(f"{table}.{column}")
    return found


def validate(path: str, *, latest: int) -> dict[str, Any]:
    """Everything known of a backup file once shown safe and sound: integrity, schema
    version, description, row counts, planning fingerprint. BackupFileError saying why not."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise BackupFileError("ce fichier n'est pas une base SQLite")
        with _connect(path, read_only=True, deadline=time.monotonic() + CHECK_SECONDS) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > latest:
                raise NewerSchema(f"sauvegarde d'une version plus récente du serveur (schéma {version}, "
                                  f"ce serveur : {latest}) : mettez tomatoplan.pyz à jour pour la lire")
            if version < 1:
                raise BackupFileError("ce fichier n'est pas une base TomatoPlan")
            objects = {tuple(row) for row in conn.execute(Q.schema_objects)}
            expected = reference_schema(version)
            unexpected = sorted(name for _, name, _, _ in objects - expected)
            missing = sorted(name for _, name, _, _ in expected - objects if name != DESCRIPTION_TABLE)
            if unexpected or missing:
                raise BackupFileError(
                    "ce fichier n'a pas le schéma d'une base TomatoPlan "
                    f"(objets en trop : {', '.join(unexpected) or 'aucun'} ; "
                    f"manquants : {', '.join(missing) or 'aucun'})")
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                raise BackupFileError(f"base endommagée (integrity_check : {'; '.join(integrity[:3])})")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise BackupFileError(f"{len(broken)} référence(s) rompue(s), par ex. table "
                                      f"{broken[0][0]} ligne {broken[0][1]}")
            typed = _badly_typed(conn)
            if typed:
                raise BackupFileError(f"valeurs d'un mauvais type dans {', '.join(typed[:5])}")
            row = conn.execute(Q.read_description).fetchone() if (
                "table", DESCRIPTION_TABLE, DESCRIPTION_TABLE) in {o[:3] for o in objects} else None
            return {
                "integrity": "ok",
                "schema_version": version,
                "description": clean_description(row[0] if row else None),
                "counts": dict(conn.execute(Q.row_counts).fetchone()),
                # The queries name this schema's columns: an older one is fingerprinted migrated.
                "fingerprint": _fingerprint_of(conn) if version == latest else {},
            }
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"base illisible ({exc})") from None


def clean_description(document: Any) -> Optional[dict]:
    """The description of a backup as this server reads it: a JSON object whose known fields
    have their types; anything else is dropped (the file may come from anywhere)."""
    try:
        found = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    clean: dict[str, Any] = {key: found[key] for key in TEXT_FIELDS if isinstance(found.get(key), str)}
    if isinstance(found.get("schema_version"), int):
        clean["schema_version"] = found["schema_version"]
    for key in ("counts", "fingerprint"):
        if isinstance(found.get(key), dict):
            clean[key] = found[key]
    return clean


# --- description and fingerprint -----------------------------------------------------------

def _fingerprint_of(conn: sqlite3.Connection) -> dict[str, dict]:
    return {table: dict(conn.execute(getattr(Q, f"fingerprint_{table}")).fetchone())
            for table in PLANNING_TABLES}


def describe(path: str, document: dict) -> None:
    """Write the description into a backup file (validated, or made by this server)."""
    with _connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(Q.create_description_table)
        conn.execute(Q.write_description, {"document": json.dumps(document, ensure_ascii=False)})
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = DELETE")


def read_description(path: str) -> Optional[dict]:
    """The description a backup file carries, None when it has none or cannot be read."""
    try:
        with _connect(path, read_only=True, deadline=time.monotonic() + 10) as conn:
            if not conn.execute(Q.has_description).fetchone():
                return None
            row = conn.execute(Q.read_description).fetchone()
    except (sqlite3.DatabaseError, BackupFileError):
        return None
    return clean_description(row[0] if row else None)


def automatic_before(where: str, cutoff: str) -> list[str]:
    """The automatic backups of a folder made before `cutoff` (ISO UTC), by name; none other."""
    names = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(where):
            if folder.NAME_PATTERN.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                described = read_description(entry.path) or {}
                if described.get("trigger") == "auto" and described.get("created_at", "~") < cutoff:
                    names.append(entry.name)
    return sorted(names)


def make_single_file(path: str) -> None:
    """Make an uploaded database file self-contained (journal mode DELETE): it may say WAL."""
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupFileError("ce fichier n'est pas une base SQLite")
    try:
        with _connect(path, deadline=time.monotonic() + CHECK_SECONDS) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"base illisible ({exc})") from None


# --- the restore ---------------------------------------------------------------------------

def prepare_restore(source: str, work: str, latest: int, cancelled: threading.Event) -> dict:
    """Copy a backup to `work`, validate the copy, bring it to this server's schema; what it
    holds, with the fingerprint the live planning must have after the restore. The work
    file is removed on any failure, and when `cancelled` is set (checked between steps)."""
    try:
        shutil.copyfile(source, work)
        if cancelled.is_set():
            raise Interrupted("restauration interrompue")
        found = validate(work, latest=latest)
        if cancelled.is_set():
            raise Interrupted("restauration interrompue")
        with _connect(work, deadline=time.monotonic() + CHECK_SECONDS) as conn:
            migrate_connection(conn, os.path.basename(source))
            found["expected"] = _fingerprint_of(conn)
        return found
    except BaseException:
        folder.remove_quietly(work)
        raise


async def replace_planning(tx: WriteSession) -> None:
    """Replace every planning table by the attached backup's (see ATTACHED): children emptied
    first, parents filled first, with a large page cache for the time of the copy. The live
    constraints hold the copy (sqlite3.IntegrityError)."""
    await tx.execute(Q.large_cache)
    try:
        for table in reversed(PLANNING_TABLES):
            await tx.execute(getattr(Q, f"clear_{table}"))
        for table in PLANNING_TABLES:
            await tx.execute(getattr(Q, f"copy_{table}"))
    finally:
        await tx.execute(Q.usual_cache)
        await tx.execute(Q.release_memory)


async def live_counts(db) -> dict[str, int]:
    """Rows of the main tables of the database in service, counted as a backup counts its own."""
    return (await db.query(Q.row_counts))[0]


async def live_fingerprint(session) -> dict[str, dict]:
    """Row count and checksum of each planning table, in the caller's transaction."""
    return {table: await session.fetch_one(getattr(Q, f"fingerprint_{table}"))
            for table in PLANNING_TABLES}
