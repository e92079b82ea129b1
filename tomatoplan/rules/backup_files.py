"""Backup files: making them, checking them, describing them, and the planning they restore.

The one home of `sql/backups.sql`. A backup is a SQLite database, a single self-contained file
(journal mode DELETE) whose table `tomatoplan_backup` holds its description: the description
travels with the file, through a copy to another server and through a restore. Everything on
files runs with the standard sqlite3 module in a worker thread (`asyncio.to_thread`), never on
the event loop; a file is written under a hidden temporary name, synced, then given its name.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import sqlite3
from typing import Any, Iterator, Optional

from ..base import sqlfiles
from ..base.db import BUSY_TIMEOUT_MS, WriteSession, add_functions

Q = sqlfiles.load("backups")

# backup_20240115_120000.db, and _1, _2... when two backups fall in the same second.
NAME_PATTERN = re.compile(r"backup_(\d{8})_(\d{6})(?:_(\d{1,3}))?\.db")
TEMP_PREFIX = ".tmp-"
# Parents first: restored in this order, emptied in the reverse one.
PLANNING_TABLES = ("skills", "chauffeurs", "chauffeur_competences", "absences", "voyages",
                   "voyage_competences", "missions")
# The schema name the restore attaches a backup under (sql/backups.sql names it).
ATTACHED = "sauvegarde"
SQLITE_MAGIC = b"SQLite format 3\x00"
COPY_CHUNK = 1024 * 1024


class BackupFileError(Exception):
    """A file that is not a usable backup; the message says why, in French."""


@contextlib.contextmanager
def _connect(path: str, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{_uri_path(path)}?mode={'ro' if read_only else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.row_factory = sqlite3.Row
        add_functions(conn)
        yield conn
    finally:
        conn.close()


def _uri_path(path: str) -> str:
    return os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def fsync_path(path: str) -> None:
    """Flush a file, or a folder's entries, to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(folder: str, purpose: str) -> str:
    """A hidden name in `folder` that no listing takes for a backup."""
    return os.path.join(folder, f"{TEMP_PREFIX}{purpose}-{os.getpid()}-{os.urandom(4).hex()}.db")


def remove_quietly(path: str) -> None:
    """Remove a file and the journal files SQLite may have left beside it."""
    for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
        with contextlib.suppress(OSError):  # absent, or its folder is gone or is not one
            os.remove(leftover)


def remove_stale_temps(folder: str) -> int:
    """Remove the temporary files a crash left behind; how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.listdir(folder):
            if entry.startswith(TEMP_PREFIX):
                remove_quietly(os.path.join(folder, entry))
                removed += 1
    return removed


def new_name(moment: datetime.datetime, taken: int = 0) -> str:
    """backup_YYYYMMDD_HHMMSS.db for a local time, with _N after it when N names are taken."""
    base = moment.strftime("backup_%Y%m%d_%H%M%S")
    return f"{base}.db" if taken == 0 else f"{base}_{taken}.db"


def free_name(folder: str, moment: datetime.datetime) -> str:
    """The first backup name of `moment` no file of `folder` has."""
    for taken in range(1000):
        name = new_name(moment, taken)
        if not os.path.lexists(os.path.join(folder, name)):
            return name
    raise FileExistsError(f"{folder}: no free backup name at {moment}")


def publish(temp: str, folder: str, name: str, *, exactly: bool = False) -> str:
    """Give a synced temporary file its name in `folder`, never over an existing file; the
    name given. A hard link is atomic and fails when the name exists: then the next free name
    of the same second is taken (another process was quicker), or FileExistsError if `exactly`.
    """
    while True:
        try:
            os.link(temp, os.path.join(folder, name))
        except FileExistsError:
            if exactly:
                raise
            found = NAME_PATTERN.fullmatch(name)
            name = free_name(folder, datetime.datetime.strptime(
                found.group(1) + found.group(2), "%Y%m%d%H%M%S"))  # type: ignore[union-attr]
            continue
        os.remove(temp)
        fsync_path(folder)
        return name


# --- the copy of the live database ---------------------------------------------------------

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


def make_single_file(path: str) -> None:
    """Make a database file self-contained (journal mode DELETE): an uploaded file may say WAL."""
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupFileError("ce fichier n'est pas une base SQLite")
    try:
        with _connect(path) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"base illisible ({exc})") from None


# --- what a file holds ---------------------------------------------------------------------

def inspect(path: str, *, full_check: bool = True) -> dict[str, Any]:
    """What a backup file holds: integrity, schema version, description, row counts and
    fingerprint of the planning. BackupFileError when it is not a TomatoPlan database."""
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupFileError("ce fichier n'est pas une base SQLite")
    try:
        with _connect(path, read_only=True) as conn:
            integrity = [row[0] for row in conn.execute(
                "PRAGMA integrity_check" if full_check else "PRAGMA quick_check")]
            schema_version = conn.execute("PRAGMA user_version").fetchone()[0]
            if conn.execute(Q.planning_tables_present).fetchone()[0] != len(PLANNING_TABLES):
                raise BackupFileError("ce fichier n'est pas une base TomatoPlan (tables du planning "
                                      "absentes)")
            description = None
            if conn.execute(Q.has_description).fetchone():
                row = conn.execute(Q.read_description).fetchone()
                description = json.loads(row[0]) if row else None
            counts = dict(conn.execute(Q.row_counts).fetchone())
            fingerprint = _fingerprint_of(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"base illisible ({exc})") from None
    return {
        "integrity": "ok" if integrity == ["ok"] else "; ".join(integrity[:5]),
        "schema_version": schema_version,
        "description": description,
        "counts": counts,
        "fingerprint": fingerprint,
    }


def _fingerprint_of(conn: sqlite3.Connection) -> dict[str, dict]:
    return {table: dict(conn.execute(getattr(Q, f"fingerprint_{table}")).fetchone())
            for table in PLANNING_TABLES}


def fingerprint_file(path: str) -> dict[str, dict]:
    """Row count and checksum of each planning table of a database file."""
    with _connect(path, read_only=True) as conn:
        return _fingerprint_of(conn)


def describe(path: str, document: dict) -> None:
    """Write the description into the backup file (it travels with it)."""
    with _connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(Q.create_description_table)
        conn.execute(Q.write_description, {"document": json.dumps(document, ensure_ascii=False)})
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = DELETE")


def read_description(path: str) -> Optional[dict]:
    """The description a backup file carries, None when it has none or cannot be read."""
    try:
        with _connect(path, read_only=True) as conn:
            if not conn.execute(Q.has_description).fetchone():
                return None
            row = conn.execute(Q.read_description).fetchone()
    except sqlite3.DatabaseError:
        return None
    try:
        return json.loads(row[0]) if row else None
    except ValueError:
        return None


# --- a verified copy elsewhere -------------------------------------------------------------

def copy_verified(source: str, folder: str, name: str) -> str:
    """Copy a backup into another folder (another disk): written under a temporary name,
    synced, read back and compared byte for byte (sha256), then named. The path."""
    temp = temp_path(folder, "copie")
    try:
        written = hashlib.sha256()
        with open(source, "rb") as reader, open(temp, "xb") as writer:
            for block in iter(lambda: reader.read(COPY_CHUNK), b""):
                writer.write(block)
                written.update(block)
            writer.flush()
            os.fsync(writer.fileno())
        read_back = hashlib.sha256()
        with open(temp, "rb") as reader:
            for block in iter(lambda: reader.read(COPY_CHUNK), b""):
                read_back.update(block)
        if read_back.digest() != written.digest():
            raise OSError(f"{folder}: la copie relue diffère de la sauvegarde")
        target = os.path.join(folder, name)
        os.replace(temp, target)
        fsync_path(folder)
        return target
    except BaseException:
        remove_quietly(temp)
        raise


# --- the restore, inside the live database's write transaction ------------------------------

async def replace_planning(tx: WriteSession) -> None:
    """Replace every planning table by the attached backup's (see ATTACHED), children emptied
    first and parents filled first; 409-worthy BackupFileError if a reference breaks."""
    for table in reversed(PLANNING_TABLES):
        await tx.execute(getattr(Q, f"clear_{table}"))
    for table in PLANNING_TABLES:
        await tx.execute(getattr(Q, f"copy_{table}"))
    broken = await tx.fetch_all(Q.broken_references)
    if broken:
        raise BackupFileError(f"références rompues après la copie ({len(broken)}, par ex. "
                              f"{broken[0]['table']} ligne {broken[0]['rowid']})")


async def live_fingerprint(session) -> dict[str, dict]:
    """Row count and checksum of each planning table, in the caller's transaction."""
    return {table: await session.fetch_one(getattr(Q, f"fingerprint_{table}"))
            for table in PLANNING_TABLES}
