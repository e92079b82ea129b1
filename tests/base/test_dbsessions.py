"""Database.snapshot: several reads in one snapshot, in one trip to the reader's thread."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
import pytest

from tomatoplan.base.db import Database, Session

COUNT = "SELECT count(*) FROM settings"


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "s.db"), readers=1)
    await database.open()
    yield database
    await database.close()


def idle_readers(db: Database) -> list:
    readers = [db._idle_readers.get_nowait() for _ in range(db._idle_readers.qsize())]
    for conn in readers:
        db._idle_readers.put_nowait(conn)
    return readers


async def test_the_reads_of_a_loader_see_one_snapshot_and_take_one_trip(db, monkeypatch):
    trips = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        trips.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)

    async def loader(session: Session) -> tuple:
        before = await session.fetch_value(COUNT)
        # Another connection commits a row between the two reads: the snapshot does not see it.
        other = sqlite3.connect(db.path, isolation_level=None)
        other.execute("INSERT INTO settings (key, value, updated_at, updated_by) "
                      "VALUES ('k', 'v', 't', 'TEST')")
        other.close()
        row = await session.fetch_one("SELECT count(*) AS n, max(key) AS k FROM settings")
        return before, row, await session.fetch_all("SELECT key FROM settings")

    assert await db.snapshot(loader) == (0, {"n": 0, "k": None}, [])
    assert len(trips) == 1
    assert await db.query("SELECT key FROM settings") == [{"key": "k"}]  # committed, seen after
    assert [conn.in_transaction for conn in idle_readers(db)] == [False]


async def test_an_error_in_a_loader_reaches_the_caller_and_frees_the_reader(db):
    async def loader(session: Session) -> None:
        await session.fetch_all(COUNT)
        raise LookupError("introuvable")

    with pytest.raises(LookupError, match="introuvable"):
        await db.snapshot(loader)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.snapshot(lambda session: session.fetch_all("SELECT * FROM nowhere"))
    assert [conn.in_transaction for conn in idle_readers(db)] == [False]
    assert await db.snapshot(lambda session: session.fetch_value(COUNT)) == 0


async def test_a_loader_that_waits_for_something_else_is_refused(db):
    async def loader(session: Session) -> int:
        await asyncio.sleep(0)  # not a read: it would need the event loop
        return await session.fetch_value(COUNT)

    with pytest.raises(RuntimeError, match="other than its own reads"):
        await db.snapshot(loader)
    assert [conn.in_transaction for conn in idle_readers(db)] == [False]


async def test_concurrent_snapshots_share_the_pool(tmp_path):
    db = Database(str(tmp_path / "p.db"), readers=2)
    await db.open()
    try:
        values = await asyncio.gather(*(db.snapshot(lambda session: session.fetch_value(COUNT))
                                        for _ in range(20)))
        assert values == [0] * 20
        assert len(idle_readers(db)) == 2
    finally:
        await db.close()
