"""SQLite access: one writer connection behind a lock, a pool of read-only connections.
(Opening the file, checking and migrating it: `dbfile`.)

SQLite has a single writer. Every write takes the writer lock and opens `BEGIN IMMEDIATE`
(never a read transaction upgraded later, which fails at once with "database is locked"
under contention). Reads use their own connections in WAL mode, so they never wait behind
a write or a backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from typing import AsyncIterator, Awaitable, Callable, Optional

import aiosqlite

from . import clock
from .dbfile import BUSY_TIMEOUT_MS, DatabaseError, check_and_migrate, row_digest
from .dbsessions import OneTrip, Params, ReadSession, Session, T, WriteSession, in_snapshot, in_transaction
from .errors import InsufficientStorage
from .logs import Bursts

log = logging.getLogger(__name__)

__all__ = ["Database", "DatabaseError", "OneTrip", "ReadSession", "Session", "WriteSession"]
_SCHEMA_NAME = re.compile(r"[a-z][a-z_]{0,30}")


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL: the disk (or the file's size limit) refused the write."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code == sqlite3.SQLITE_FULL
    return isinstance(exc, sqlite3.OperationalError) and "database or disk is full" in str(exc)


DISK_FULL_DETAIL = ("Espace disque insuffisant sur le serveur : la modification n'a pas été "
                    "enregistrée. Prévenez l'administrateur.")


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
        # When writes began to be refused for lack of disk space (ISO time); None once a write
        # succeeds again. /health and the dashboard say so meanwhile.
        self.disk_full_since: Optional[str] = None
        self._disk_full_log = Bursts(60.0)
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

    async def outside_commits(self) -> int:
        """A number that changes when another process (a command, the sqlite3 shell) commits to
        the file: PRAGMA data_version of the writer, whose own commits leave it unchanged."""
        if self._writer is None:
            raise DatabaseError("base fermée")
        return (await self._writer.execute_fetchall("PRAGMA data_version"))[0][0]

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

    async def snapshot(self, loader: Callable[[Session], Awaitable[T]]) -> T:
        """`await loader(session)` with its statements in one snapshot, in ONE trip to a pooled
        reader's thread: BEGIN, the loader's reads, COMMIT run there without coming back to
        the event loop in between (a read with N statements in `read()` costs N + 2 trips).

        The loader is an ordinary `async def` over the session helpers (the same loaders serve
        a write transaction); it may await only the session's reads, which return at once
        there, and compute: RuntimeError if it waits for anything else.
        """
        if self._idle_readers is None:
            raise DatabaseError("base fermée")
        conn = await self._idle_readers.get()
        try:
            # aiosqlite (pinned at 0.22 by requirements.lock) runs a function on the
            # connection's thread through `_execute`; tests/base/test_db.py holds it to that.
            return await conn._execute(lambda: in_snapshot(conn._conn, loader))
        finally:
            self._idle_readers.put_nowait(conn)

    async def query(self, sql: str, params: Params = ()) -> list[dict]:
        """The rows of ONE statement, in one trip to a pooled reader: no BEGIN/COMMIT, since a
        single statement is its own snapshot. Use `read()` when several statements must see
        the same data."""
        if self._idle_readers is None:
            raise DatabaseError("base fermée")
        conn = await self._idle_readers.get()
        try:
            rows = await conn.execute_fetchall(sql, params)
        finally:
            self._idle_readers.put_nowait(conn)
        return [dict(row) for row in rows]

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
            except BaseException as exc:
                # Also when cancelled while BEGIN was queued, or when COMMIT itself fails:
                # calls on one connection run in order, so nothing stays open.
                await _end_transaction(conn, "ROLLBACK")
                if is_disk_full(exc):
                    self._disk_full()
                    raise InsufficientStorage(DISK_FULL_DETAIL, code="disk_full") from None
                raise
            finally:
                if attach is not None:
                    await self._detach(conn, attach[0])
        self._committed(session.notes)

    async def transaction(self, work: Callable[[WriteSession], Awaitable[T]]) -> T:
        """`await work(tx)` as one write transaction run in ONE trip to the writer's thread:
        BEGIN IMMEDIATE, its statements and COMMIT (ROLLBACK when it raises) without coming
        back to the event loop in between; `write()` takes a trip per statement.

        `work` is an async function over the session helpers, awaiting nothing but them (see
        `snapshot`). A caller cancelled meanwhile (a client gone) does not undo it: the
        transaction ends as it would have, and its commit is told to the listeners.
        """
        if self._writer is None:
            raise DatabaseError("base fermée")
        running = asyncio.ensure_future(self._transaction(work))
        running.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(running)

    async def _transaction(self, work: Callable[[WriteSession], Awaitable[T]]) -> T:
        async with self._write_lock:
            conn = self._writer
            try:
                # aiosqlite's `_execute` runs a function on the connection's thread (see snapshot).
                result, notes = await conn._execute(lambda: in_transaction(conn._conn, work))
            except BaseException as exc:
                if is_disk_full(exc):
                    self._disk_full()
                    raise InsufficientStorage(DISK_FULL_DETAIL, code="disk_full") from None
                raise
        self._committed(notes)
        return result

    def _committed(self, notes: list) -> None:
        if self.disk_full_since is not None:
            log.warning("database %s writable again (writes refused for a full disk since %s)",
                        self.path, self.disk_full_since)
            self.disk_full_since = None
        if notes:
            # Synchronous and right after COMMIT: listeners see commits in commit order.
            for listener in self.commit_listeners:
                listener(notes)

    def _disk_full(self) -> None:
        if self.disk_full_since is None:
            self.disk_full_since = clock.now_iso()
        held = self._disk_full_log.check()
        if held is not None:
            log.error("database %s: write refused, disk full (since %s; %d more refused in the "
                      "last minute)", self.path, self.disk_full_since, held)

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
        """Raise when the database cannot answer a read (its schema, in one trip)."""
        await self.query("SELECT count(*) AS objects FROM sqlite_master")
