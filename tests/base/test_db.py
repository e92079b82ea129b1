"""Migrations, the start-up self-check and the one-writer rule."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tomatoplan.base import resources, sqlfiles
from tomatoplan.base.db import Database, DatabaseError, OneTrip

# Tables, indexes and triggers by name: what a schema is made of.
SCHEMA_OBJECTS = ("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                  "ORDER BY type, name")


def test_migrations_are_numbered_without_gaps():
    found = sqlfiles.migrations()
    assert [version for version, _, _ in found] == list(range(1, len(found) + 1))


def migrate(conn: sqlite3.Connection, up_to: int) -> None:
    """Apply the migrations one by one up to `up_to`, the way the server does (foreign keys off
    while the schema changes, checked before each COMMIT)."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for version, filename, text in sqlfiles.migrations()[current:up_to]:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN")
        for statement in sqlfiles.split_statements(text):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], filename
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version, filename
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_migrations_walk_one_by_one_on_a_fresh_database(tmp_path):
    """Each migration applies on top of the previous one and moves user_version by one."""
    conn = sqlite3.connect(tmp_path / "walk.db", isolation_level=None)
    migrate(conn, len(sqlfiles.migrations()))
    walked = conn.execute(SCHEMA_OBJECTS).fetchall()
    conn.close()

    # The same schema as the server's own start (all migrations in one transaction).
    db = Database(str(tmp_path / "at_once.db"))
    await db.open()
    async with db.read() as session:
        rows = await session.fetch_all(SCHEMA_OBJECTS)
    await db.close()
    assert [(row["type"], row["name"]) for row in rows] == walked


SCHEMA_3_DATA = """
INSERT INTO users (id, username, role, created_at, created_by, updated_at, updated_by)
     VALUES (2, 'JEAN.DUPONT', 'planner', 't', 'SYSTEM', 't', 'SYSTEM');
INSERT INTO sessions (id, jti, user_id, created_at, last_seen_at, expires_at)
     VALUES (7, 'j7', 2, 't', 't', '9999-01-01');
INSERT INTO chauffeurs (id, nom, prenom, matricule, created_at, created_by, updated_at, updated_by)
     VALUES (1, 'DUPONT', 'Jean', 'M-1', 't', 'ADMIN', 't', 'ADMIN');
INSERT INTO chauffeur_competences (id, chauffeur_id, skill_code, date_expiration, created_at,
                                   created_by, updated_at, updated_by)
     VALUES (1, 1, 'ADR', '2030-01-01', 't', 'ADMIN', 't', 'ADMIN');
INSERT INTO absences (id, chauffeur_id, date_debut, date_fin, created_at, created_by, updated_at,
                      updated_by)
     VALUES (1, 1, '2024-01-15', '2024-01-19', 't', 'ADMIN', 't', 'ADMIN');
INSERT INTO voyages (id, code, jours, created_at, created_by, updated_at, updated_by)
     VALUES (1, 'PAR-01', 5, 't', 'ADMIN', 't', 'ADMIN');
INSERT INTO voyage_competences (voyage_id, skill_code) VALUES (1, 'ADR');
INSERT INTO missions (id, date_mission, destination, voyage_id, chauffeur_id, heure_debut,
                      prix_cents, created_at, created_by, updated_at, updated_by)
     VALUES (1, '2024-01-15', 'Paris', 1, 1, '06:00', 12550, 't', 'ADMIN', 't', 'ADMIN'),
            (2, '2024-01-16', 'Lyon', NULL, NULL, NULL, NULL, 't', 'ADMIN', 't', 'ADMIN');
-- mission 3 was created then deleted before the upgrade: only the log remembers it
INSERT INTO activity_log (at, username, action, entity, entity_id)
     VALUES ('t', 'ADMIN', 'create', 'mission', 3), ('t', 'ADMIN', 'delete', 'mission', 3);
"""
TABLES = ("users", "sessions", "skills", "chauffeurs", "chauffeur_competences", "absences",
          "voyages", "voyage_competences", "missions", "activity_log")


async def test_an_existing_database_keeps_every_row_through_the_id_migration(tmp_path):
    """0004 rebuilds the tables: rows, references (nothing cascades) and indexes survive, and
    no id the table or the activity log ever named is given again."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, 3)
    conn.executescript(SCHEMA_3_DATA)
    before = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES}
    # Later migrations add columns (0006: source_id): the rows keep the values they had.
    columns = {table: ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
               for table in TABLES}
    indexes = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                           "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    conn.close()

    db = Database(str(path))
    await db.open()
    async with db.read() as session:
        for table in TABLES:
            rows = await session.fetch_all(f"SELECT {columns[table]} FROM {table} ORDER BY 1")
            assert [tuple(row.values()) for row in rows] == before[table], table
        assert await session.fetch_all("PRAGMA foreign_key_check") == []
        now = await session.fetch_all("SELECT name FROM sqlite_master WHERE type = 'index' "
                                      "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        assert set(indexes) <= {(row["name"],) for row in now}  # and later migrations' own
    async with db.write() as tx:
        mission_id, _ = await tx.execute(
            "INSERT INTO missions (date_mission, destination, created_at, created_by, updated_at, "
            "updated_by) VALUES ('2024-01-17', 'Nantes', 't', 'T', 't', 'T')")
        session_id, _ = await tx.execute(
            "INSERT INTO sessions (jti, user_id, created_at, last_seen_at, expires_at) "
            "VALUES ('j8', 2, 't', 't', 't')")
    await db.close()
    assert mission_id == 4  # not 3: the log remembers a mission 3
    assert session_id == 8


async def test_opening_twice_migrates_once(tmp_path):
    path = str(tmp_path / "t.db")
    for _ in range(2):
        db = Database(path)
        await db.open()
        assert db.schema_version == len(sqlfiles.migrations())
        assert db.journal_mode == "wal"
        await db.close()


async def test_a_database_newer_than_the_code_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    db = Database(str(path))
    with pytest.raises(DatabaseError, match="plus récent"):
        await db.open()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 999
    conn.close()


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(DatabaseError, match="inutilisable"):
        await Database(str(path)).open()


async def test_a_failing_migration_leaves_the_database_untouched(tmp_path, monkeypatch):
    real = sqlfiles.migrations()
    broken = [*real, (len(real) + 1, f"{len(real) + 1:04d}_broken.sql",
                      "CREATE TABLE half (id INTEGER);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(sqlfiles, "migrations", lambda: broken)
    with pytest.raises(DatabaseError):
        await Database(str(tmp_path / "m.db")).open()
    conn = sqlite3.connect(tmp_path / "m.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
    conn.close()


async def test_pragmas_are_set_on_every_connection(tmp_path):
    db = Database(str(tmp_path / "p.db"), synchronous="FULL")
    await db.open()
    async with db.read() as session:
        assert await session.fetch_value("PRAGMA foreign_keys") == 1
        assert await session.fetch_value("PRAGMA synchronous") == 2
        assert await session.fetch_value("PRAGMA busy_timeout") >= 1000
        assert await session.fetch_value("PRAGMA query_only") == 1
    await db.close()


async def test_a_write_that_raises_is_rolled_back(tmp_path):
    db = Database(str(tmp_path / "w.db"))
    await db.open()
    with pytest.raises(ValueError):
        async with db.write() as tx:
            await tx.execute("INSERT INTO settings (key, value, updated_at, updated_by) "
                             "VALUES ('k', '1', 'now', 'test')")
            raise ValueError("stop")
    async with db.read() as session:
        assert await session.fetch_value("SELECT count(*) FROM settings") == 0
    await db.close()


async def a_write_held_open(db: Database, release: asyncio.Event) -> asyncio.Task:
    """A write transaction that inserts one setting and stays open until `release` is set."""
    writing = asyncio.Event()

    async def long_write():
        async with db.write() as tx:
            await tx.execute("INSERT INTO settings (key, value, updated_at, updated_by) "
                             "VALUES ('k', '1', 'now', 'test')")
            writing.set()
            await release.wait()

    task = asyncio.create_task(long_write())
    await writing.wait()
    return task


async def test_reads_do_not_wait_for_an_open_write(tmp_path):
    db = Database(str(tmp_path / "r.db"))
    await db.open()
    release = asyncio.Event()
    task = await a_write_held_open(db, release)
    async with db.read() as session:
        # The uncommitted row is invisible, and the read did not block.
        assert await asyncio.wait_for(session.fetch_value("SELECT count(*) FROM settings"), 2) == 0
    release.set()
    await task
    async with db.read() as session:
        assert await session.fetch_value("SELECT count(*) FROM settings") == 1
    await db.close()


async def test_close_checkpoints_the_wal(tmp_path):
    path = tmp_path / "c.db"
    db = Database(str(path))
    await db.open()
    async with db.write() as tx:
        await tx.execute("INSERT INTO settings (key, value, updated_at, updated_by) "
                         "VALUES ('k', '1', 'now', 'test')")
    await db.close()
    wal = tmp_path / "c.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_every_query_file_parses_into_named_queries():
    areas = [name[:-len(".sql")] for name in resources.list_files("sql") if name.endswith(".sql")]
    assert "missions" in areas
    for area in areas:
        assert sqlfiles.load(area).names(), area
    with pytest.raises(ValueError, match="twice"):
        sqlfiles.parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")
    with pytest.raises(ValueError, match="before the first"):
        sqlfiles.parse_queries("SELECT 1;\n-- name: a\nSELECT 2;")


def test_split_statements_keeps_triggers_whole():
    script = ("CREATE TABLE t (a);\n-- comment\nCREATE TRIGGER x BEFORE UPDATE ON t BEGIN\n"
              "  SELECT RAISE(ABORT, 'no');\nEND;\n")
    assert len(sqlfiles.split_statements(script)) == 2


async def test_a_one_statement_read_takes_one_trip_and_leaves_no_transaction(tmp_path):
    db = Database(str(tmp_path / "q.db"))
    await db.open()
    release = asyncio.Event()
    task = await a_write_held_open(db, release)
    # Its own snapshot: the open write is invisible, and the read does not wait for it.
    rows = await asyncio.wait_for(db.query("SELECT count(*) AS n FROM settings"), 2)
    assert rows == [{"n": 0}]
    release.set()
    await task
    one = OneTrip(db)
    assert await one.fetch_one("SELECT key FROM settings WHERE key = :k", {"k": "k"}) == {"key": "k"}
    assert await one.fetch_one("SELECT key FROM settings WHERE key = :k", {"k": "x"}) is None
    assert await one.fetch_value("SELECT count(*) FROM settings") == 1
    assert await one.fetch_value("SELECT key FROM settings WHERE 0") is None
    # Every pooled reader is back, none left inside a transaction.
    readers = [await db._idle_readers.get() for _ in range(db._idle_readers.qsize())]
    assert readers and not any(conn.in_transaction for conn in readers)
    for conn in readers:
        db._idle_readers.put_nowait(conn)
    await db.close()
