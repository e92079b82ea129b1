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


@pytest.fixture
def trips(monkeypatch) -> list:
    """The functions sent to a connection's thread (one trip each), from now on."""
    sent: list = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        sent.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_the_reads_of_a_loader_see_one_snapshot_and_take_one_trip(db, trips):

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


INSERT = ("INSERT INTO settings (key, value, updated_at, updated_by) "
          "VALUES (:key, 'v', 't', 'TEST')")


async def test_a_transaction_takes_one_trip_commits_and_tells_the_listeners(db, trips):
    told = []
    db.commit_listeners.append(told.append)

    async def work(tx) -> int:
        _, count = await tx.execute(INSERT, {"key": "a"})
        await tx.execute(INSERT, {"key": "b"})
        tx.notes.append({"entity": "setting"})
        return count + await tx.fetch_value("SELECT count(*) FROM settings")

    assert await db.transaction(work) == 3
    assert len(trips) == 1
    assert told == [[{"entity": "setting"}]]
    assert await db.query("SELECT key FROM settings ORDER BY key") == [{"key": "a"}, {"key": "b"}]


async def test_a_transaction_that_raises_leaves_nothing_and_frees_the_writer(db):
    told = []
    db.commit_listeners.append(told.append)

    async def failing(tx) -> None:
        await tx.execute(INSERT, {"key": "a"})
        tx.notes.append({"entity": "setting"})
        raise LookupError("refusé")

    with pytest.raises(LookupError, match="refusé"):
        await db.transaction(failing)
    with pytest.raises(sqlite3.IntegrityError):  # the same key twice: SQLite refuses the second
        await db.transaction(lambda tx: _twice(tx))

    async def waits(tx) -> None:
        await tx.execute(INSERT, {"key": "c"})
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="other than its own reads"):
        await db.transaction(waits)
    assert told == []
    assert await db.query("SELECT key FROM settings") == []
    assert not db._writer.in_transaction
    await db.transaction(lambda tx: tx.execute(INSERT, {"key": "d"}))  # the writer is free
    assert await db.query("SELECT key FROM settings") == [{"key": "d"}]


async def _twice(tx) -> None:
    await tx.execute(INSERT, {"key": "x"})
    await tx.execute(INSERT, {"key": "x"})


async def test_a_caller_cancelled_meanwhile_does_not_undo_the_transaction(db):
    told = []
    db.commit_listeners.append(told.append)

    async def work(tx) -> None:
        await tx.execute(INSERT, {"key": "a"})
        tx.notes.append({"entity": "setting"})

    async with db.write():  # holds the writer: the transaction below waits for it
        caller = asyncio.ensure_future(db.transaction(work))
        await asyncio.sleep(0.05)
        caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    for _ in range(100):  # bounded: the transaction finishes on its own
        if told:
            break
        await asyncio.sleep(0.01)
    assert told == [[{"entity": "setting"}]]
    assert await db.query("SELECT key FROM settings") == [{"key": "a"}]
