"""SQLite access: one writer connection behind a lock, a pool of read-only connections.

SQLite has a single writer. Every write takes the writer lock and opens `BEGIN IMMEDIATE`
(never a read transaction upgraded later, which fails at once with "database is locked"
under contention). Reads use their own connections in WAL mode, so they never wait behind
a write or a backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import sqlite3
from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Optional, Union

import aiosqlite

from . import sqlfiles

log = logging.getLogger(__name__)

Params = Union[Mapping[str, Any], Iterable[Any]]
BUSY_TIMEOUT_MS = 10_000
_SCHEMA_NAME = re.compile(r"[a-z][a-z_]{0,30}")


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


class _Session:
    """Query helpers over one connection; rows come back as plain dicts."""

    def __init__(self, conn: aiosqlite.Connection):
        self.conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[dict]:
        rows = await self.conn.execute_fetchall(sql, params)
        return [dict(row) for row in rows]

    async def fetch_one(self, sql: str, params: Params = ()) -> Optional[dict]:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return dict(row) if row is not None else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row is not None else None


class ReadSession(_Session):
    """A consistent snapshot for the length of the `async with db.read()` block."""


class WriteSession(_Session):
    """One `BEGIN IMMEDIATE` transaction.

    `notes` collects what the transaction wants told once it is committed (the activity-log
    lines); the database hands them to its commit listeners (the live feed) after COMMIT.
    """

    def __init__(self, conn: aiosqlite.Connection):
        super().__init__(conn)
        self.notes: list[dict] = []

    async def execute(self, sql: str, params: Params = ()) -> tuple[int, int]:
        """Run one statement; return (lastrowid, rowcount)."""
        async with self.conn.execute(sql, params) as cursor:
            return cursor.lastrowid or 0, cursor.rowcount


async def _end_transaction(conn: aiosqlite.Connection, statement: str) -> None:
    """COMMIT or ROLLBACK, ignoring "no transaction is active" (the BEGIN never ran)."""
    try:
        await conn.execute(statement)
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            raise


def _row_factory(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
    return sqlite3.Row(cursor, row)


class Database:
    """The application's database: open it once, then `read()` and `write()`."""

    def __init__(self, path: str, synchronous: str = "FULL", readers: int = 4):
        self.path = path
        self.synchronous = synchronous
        self.reader_count = readers
        self.schema_version = 0
        self.journal_mode = ""
        self._writer: Optional[aiosqlite.Connection] = None
        self._readers: list[aiosqlite.Connection] = []
        self._idle_readers: Optional[asyncio.Queue] = None
        self._write_lock = asyncio.Lock()
        self.commit_listeners: list[Callable[[list], None]] = []

    async def _connect(self, read_only: bool) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = _row_factory
            await conn.create_function("row_digest", 1, row_digest, deterministic=True)
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            if read_only:
                await conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def open(self) -> None:
        """Open, check and migrate the file; raise DatabaseError when it cannot be served."""
        try:
            self.journal_mode, self.schema_version = await asyncio.to_thread(
                check_and_migrate, self.path)
            self._writer = await self._connect(read_only=False)
            for _ in range(self.reader_count):
                self._readers.append(await self._connect(read_only=True))
        except sqlite3.DatabaseError as exc:
            await self.close(checkpoint=False)
            raise DatabaseError(f"base {self.path!r} inutilisable: {exc}") from None
        except BaseException:
            await self.close(checkpoint=False)
            raise
        self._idle_readers = asyncio.Queue()
        for conn in self._readers:
            self._idle_readers.put_nowait(conn)

    async def close(self, checkpoint: bool = True) -> None:
        """Close every connection; checkpoint the WAL into the main file first."""
        for conn in self._readers:
            await conn.close()
        self._readers = []
        self._idle_readers = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                if checkpoint:
                    async with self._write_lock:
                        await _end_transaction(writer, "ROLLBACK")
                        await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                await writer.close()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[ReadSession]:
        """A read-only snapshot on a pooled connection; never waits for the writer."""
        if self._idle_readers is None:
            raise DatabaseError("base fermée")
        conn = await self._idle_readers.get()
        try:
            await conn.execute("BEGIN")
            yield ReadSession(conn)
        finally:
            try:
                await _end_transaction(conn, "COMMIT")
            finally:
                self._idle_readers.put_nowait(conn)

    @contextlib.asynccontextmanager
    async def write(self, attach: Optional[tuple[str, str]] = None) -> AsyncIterator[WriteSession]:
        """One write transaction: COMMIT when the block ends, ROLLBACK when it raises.

        `attach=(schema_name, path)` attaches another database file for the length of the
        transaction (`INSERT INTO main.t SELECT ... FROM schema_name.t`), before BEGIN and
        detached after it ends, as SQLite requires.
        """
        if self._writer is None:
            raise DatabaseError("base fermée")
        if attach is not None and not _SCHEMA_NAME.fullmatch(attach[0]):
            raise ValueError(f"not a schema name: {attach[0]!r}")
        async with self._write_lock:
            conn = self._writer
            session = WriteSession(conn)
            try:
                if attach is not None:
                    await self._detach(conn, attach[0])  # left by an interrupted transaction
                    await conn.execute(f"ATTACH DATABASE :path AS {attach[0]}", {"path": attach[1]})
                await conn.execute("BEGIN IMMEDIATE")
                yield session
                await conn.execute("COMMIT")
            except BaseException:
                # Also when cancelled while BEGIN was queued, or when COMMIT itself fails:
                # calls on one connection run in order, so nothing stays open.
                await _end_transaction(conn, "ROLLBACK")
                raise
            finally:
                if attach is not None:
                    await self._detach(conn, attach[0])
        if session.notes:
            # Synchronous and right after COMMIT: listeners see commits in commit order.
            for listener in self.commit_listeners:
                listener(session.notes)

    @staticmethod
    async def _detach(conn: aiosqlite.Connection, schema: str) -> None:
        """Detach `schema` if attached; a failure is logged, never raised (the transaction's
        outcome is what the caller must hear about)."""
        try:
            attached = {row[1] for row in await conn.execute_fetchall("PRAGMA database_list")}
            if schema in attached:
                await conn.execute(f"DETACH DATABASE {schema}")
        except sqlite3.Error as exc:
            log.error("could not detach %s: %s", schema, exc)

    async def ping(self) -> None:
        """Raise when the database cannot answer a read."""
        async with self.read() as session:
            await session.fetch_value("SELECT count(*) FROM sqlite_master")
