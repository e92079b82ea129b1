"""A backup file from elsewhere is untrusted: whatever it carries (views, triggers, extra
tables, lying versions, broken references, wrong types, odd descriptions), it is refused or
read safely, never run, never a 500, never a hang; and the SQL of backups covers every column."""

from __future__ import annotations

import datetime
import os
import re
import sqlite3
import time

import pytest

from tests.helpers.planning import make_chauffeur, make_mission
from tomatoplan.base import clock, sqlfiles
from tomatoplan.rules import backup_files
from tomatoplan.web.state import BACKUPS, DB


async def made(admin) -> dict:
    response = await admin.post("/admin/backups")
    assert response.status == 201, await response.text()
    return await response.json()


async def a_backup(admin, tmp_path) -> bytes:
    """The bytes of a fresh backup holding one chauffeur and one mission given to him."""
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"])
    return await (await admin.get(f"/admin/backups/{(await made(admin))['name']}/download")).read()


def crafted(content: bytes, tmp_path, sql: str) -> bytes:
    """The backup changed the way any sqlite3 tool can (foreign keys off, checks ignored)."""
    path = tmp_path / f"crafted-{time.monotonic_ns()}.db"
    path.write_bytes(content)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(sql)
    conn.close()
    return path.read_bytes()


async def live(client) -> dict:
    async with client.app[DB].read() as session:
        return await backup_files.live_fingerprint(session)


HOSTILE = {
    "recursive_view": "DROP TABLE sessions; DROP TABLE users; CREATE VIEW users AS WITH RECURSIVE "
                      "n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n;",
    "trigger": "CREATE TRIGGER rewrite AFTER INSERT ON tomatoplan_backup BEGIN "
               "UPDATE tomatoplan_backup SET document = '{}'; END;",
    "extra_table": "CREATE TABLE extra (x);",
    "description_table_of_another_shape": "DROP TABLE tomatoplan_backup; "
                                          "CREATE TABLE tomatoplan_backup (x TEXT);",
    "lying_version": "PRAGMA user_version = 2;",
    "dangling_reference": "UPDATE missions SET chauffeur_id = 999;",
    "text_in_an_integer_column": "UPDATE missions SET prix_cents = 'beaucoup';",
    "blob_in_a_text_column": "UPDATE missions SET remarques = x'00ff';",
    "not_a_tomatoplan_database": "DROP TABLE missions;",
}


@pytest.mark.parametrize("hostility", sorted(HOSTILE))
async def test_a_hostile_upload_is_refused_quickly_and_leaves_nothing(client, admin, config, tmp_path,
                                                                      hostility):
    content = crafted(await a_backup(admin, tmp_path), tmp_path, HOSTILE[hostility])
    before = sorted(os.listdir(config.backup_dir))
    started = time.monotonic()
    response = await admin.post("/admin/backups/upload", data=content)
    body = await response.json()
    assert response.status == 422, body
    assert [error["code"] for error in body["errors"]] == ["not_a_backup"]
    assert time.monotonic() - started < 30
    assert sorted(os.listdir(config.backup_dir)) == before
    assert (await admin.post("/admin/backups")).status == 201  # nothing left hanging or locked


@pytest.mark.parametrize("hostility", sorted(HOSTILE))
async def test_a_hostile_file_in_the_folder_is_refused_by_restore_and_changes_nothing(
        client, admin, config, tmp_path, hostility):
    content = crafted(await a_backup(admin, tmp_path), tmp_path, HOSTILE[hostility])
    (tmp_path / "data" / "backups" / "backup_20200101_000000.db").write_bytes(content)
    fingerprint = await live(client)
    response = await admin.post("/admin/backups/restore/backup_20200101_000000.db")
    body = await response.json()
    assert response.status == 409 and body["code"] == "restore_failed", body
    assert await live(client) == fingerprint
    assert (await admin.get("/missions")).status == 200


async def test_a_check_constraint_broken_in_the_file_is_refused_by_the_live_schema(client, admin,
                                                                                    config, tmp_path):
    content = crafted(await a_backup(admin, tmp_path), tmp_path,
                      "PRAGMA ignore_check_constraints = ON; UPDATE missions SET statut = 'pirate';")
    (tmp_path / "data" / "backups" / "backup_20200101_000000.db").write_bytes(content)
    fingerprint = await live(client)
    response = await admin.post("/admin/backups/restore/backup_20200101_000000.db")
    assert response.status == 409 and (await response.json())["code"] == "restore_failed"
    assert await live(client) == fingerprint


@pytest.mark.parametrize("document", ["'pas du json'", "'[1, 2]'", "'5'", "'null'",
                                      "json_set(document, '$.created_at', 5)",
                                      "json_set(document, '$.counts', 'beaucoup', '$.trigger', 7)"])
async def test_an_odd_description_is_ignored_not_trusted(client, admin, tmp_path, document):
    content = crafted(await a_backup(admin, tmp_path), tmp_path,
                      f"UPDATE tomatoplan_backup SET document = {document};")
    response = await admin.post("/admin/backups/upload", data=content)
    imported = await response.json()
    assert response.status == 201, imported
    assert imported["trigger"] == "importee" and isinstance(imported["created_at"], str)
    assert (await admin.get("/admin/backups")).status == 200
    backups = client.app[BACKUPS]
    async with backups.exclusive():
        await backups._prune(backups.folder, 1)


async def test_an_imported_automatic_backup_is_never_pruned(client, admin, config, tmp_path):
    old = clock.iso(clock.now() - datetime.timedelta(days=400))
    content = crafted(await a_backup(admin, tmp_path), tmp_path,
                      "UPDATE tomatoplan_backup SET document = json_set(document, '$.trigger', 'auto', "
                      f"'$.created_at', '{old}', '$.name', 'backup_20200101_000000.db');")
    imported = await (await admin.post("/admin/backups/upload", data=content)).json()
    assert (imported["trigger"], imported["original_trigger"]) == ("importee", "auto")
    backups = client.app[BACKUPS]
    async with backups.exclusive():
        assert await backups._prune(backups.folder, 30) == []


async def test_names_take_ascii_digits_only(client, admin):
    for name in ("backup_２０２４０１１５_１２００００.db", "backup_٢٠٢٤٠١١٥_١٢٠٠٠٠.db"):
        response = await admin.get(f"/admin/backups/{name}")
        assert response.status == 404
        response = await admin.post("/admin/backups/upload", params={"name": name}, data=b"x")
        assert response.status == 422


def _columns(sql: str) -> set[str]:
    return set(re.findall(r"[a-z_]+", sql))


@pytest.mark.parametrize("table", backup_files.PLANNING_TABLES)
async def test_the_fingerprint_and_the_copy_name_every_column(client, table):
    """A migration adding a column to a planning table must add it to sql/backups.sql."""
    async with client.app[DB].read() as session:
        columns = {row["name"] for row in await session.fetch_all(
            "SELECT name FROM pragma_table_info(:table)", {"table": table})}
    queries = sqlfiles.load("backups")
    assert columns <= _columns(getattr(queries, f"fingerprint_{table}"))
    copy = getattr(queries, f"copy_{table}")
    insert, select = copy.split("SELECT", 1)
    assert columns <= _columns(insert) and columns <= _columns(select)


def test_the_reference_schema_is_what_a_fresh_server_has(tmp_path):
    from tomatoplan.base.dbfile import check_and_migrate

    path = str(tmp_path / "fresh.db")
    _, version = check_and_migrate(path)
    conn = sqlite3.connect(path)
    conn.execute(backup_files.Q.create_description_table)
    objects = {tuple(row) for row in conn.execute(backup_files.Q.schema_objects)}
    conn.close()
    assert objects == backup_files.reference_schema(version)
