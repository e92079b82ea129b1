"""How rows come back from SQLite: the session helpers every loader is written against.

A loader is an `async def` taking a session (`fetch_all`, `fetch_one`, `fetch_value`); the
same loader serves a read snapshot (`Database.snapshot`), a single-statement read (`OneTrip`)
and a write transaction (`WriteSession`).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Awaitable, Callable, Iterable, Mapping, Optional, Protocol, TypeVar, Union

import aiosqlite

Params = Union[Mapping[str, Any], Iterable[Any]]
T = TypeVar("T")


class Queries(Protocol):
    """What OneTrip needs of the database (`db.Database`)."""

    async def query(self, sql: str, params: Params = ()) -> list[dict]: ...


class Session:
    """Query helpers over one connection; rows come back as plain dicts.

    Each call is one `execute_fetchall`, one trip to the connection's thread (a cursor's
    execute, fetchone and close would be three): fetch_one and fetch_value serve statements of
    at most one row (by a key, LIMIT 1, an aggregate), fetch_value those of one column.
    """

    def __init__(self, conn: aiosqlite.Connection):
        self.conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[dict]:
        return [dict(row) for row in await self.conn.execute_fetchall(sql, params)]

    async def fetch_one(self, sql: str, params: Params = ()) -> Optional[dict]:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return next(iter(row.values())) if row is not None else None


class ReadSession(Session):
    """A consistent snapshot for the length of the `async with db.read()` block."""


class _ThreadSession(Session):
    """The session a `Database.snapshot` loader gets: it runs on the reader's own thread and
    reads the sqlite3 connection directly, so its awaits never suspend."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw

    async def fetch_all(self, sql: str, params: Params = ()) -> list[dict]:
        return [dict(row) for row in self.raw.execute(sql, params).fetchall()]


def _run_to_end(awaitable: Awaitable[T]) -> T:
    """Drive a coroutine that never suspends (its awaits are `_ThreadSession` reads) to its
    result, on the current thread."""
    coroutine = awaitable.__await__()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a snapshot loader waited for something other than its own reads")


def in_snapshot(raw: sqlite3.Connection, loader: Callable[[Session], Awaitable[T]]) -> T:
    raw.execute("BEGIN")
    try:
        return _run_to_end(loader(_ThreadSession(raw)))
    finally:
        raw.execute("COMMIT")


class OneTrip(Session):
    """The session helpers for loaders that read ONE statement: each call is
    `Database.query`, on a pooled reader without BEGIN/COMMIT."""

    def __init__(self, db: Queries):
        self.db = db

    async def fetch_all(self, sql: str, params: Params = ()) -> list[dict]:
        return await self.db.query(sql, params)


class WriteSession(Session):
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


class _ThreadWriteSession(WriteSession):
    """The transaction a `Database.transaction` work function gets: on the writer's own
    thread, each statement runs at once (see `_ThreadSession`)."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw
        self.notes = []

    async def fetch_all(self, sql: str, params: Params = ()) -> list[dict]:
        return [dict(row) for row in self.raw.execute(sql, params).fetchall()]

    async def execute(self, sql: str, params: Params = ()) -> tuple[int, int]:
        cursor = self.raw.execute(sql, params)
        try:
            return cursor.lastrowid or 0, cursor.rowcount
        finally:
            cursor.close()


def in_transaction(raw: sqlite3.Connection, work: Callable[[WriteSession], Awaitable[T]]
                   ) -> tuple[T, list]:
    """BEGIN IMMEDIATE, the work, COMMIT (ROLLBACK when it raises), on the current thread: the
    work's result and the notes its transaction collected."""
    session = _ThreadWriteSession(raw)
    raw.execute("BEGIN IMMEDIATE")
    try:
        result = _run_to_end(work(session))
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return result, session.notes
