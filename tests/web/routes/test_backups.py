"""The backup routes as an admin (and curl) calls them: the seed's three calls, every bad name
refused with nothing touched, bad inputs, download and upload."""

from __future__ import annotations

import contextlib
import os
import sqlite3

import pytest

from tests.helpers.api import activity_lines, invalid_fields, problem
from tests.helpers.planning import make_chauffeur, make_mission
from tomatoplan.rules import backup_files
from tomatoplan.web.state import BACKUPS, DB


async def made(admin, **params) -> dict:
    response = await admin.post("/admin/backups", params=params)
    assert response.status == 201, await response.text()
    return await response.json()


async def state(client, folder: str) -> tuple:
    """The files of the backups folder and the planning's fingerprint: what must not move."""
    async with client.app[DB].read() as session:
        fingerprint = await backup_files.live_fingerprint(session)
    return sorted(os.listdir(folder)), fingerprint


async def test_the_seeds_three_calls(client, admin):
    await make_mission(admin)
    response = await admin.post("/admin/backups?description=Mon%20backup")
    created = await response.json()
    assert response.status == 201
    assert response.headers["Location"] == f"/admin/backups/{created['name']}"
    assert created["description"] == "Mon backup" and created["counts"]["missions"] == 1
    listed = await (await admin.get("/admin/backups")).json()
    assert [entry["name"] for entry in listed] == [created["name"]]
    assert (await admin.get(f"/admin/backups/{created['name']}")).status == 200
    response = await admin.post(f"/admin/backups/restore/{created['name']}")
    report = await response.json()
    assert response.status == 200 and report["name"] == created["name"]
    names = [entry["name"] for entry in await (await admin.get("/admin/backups")).json()]
    assert report["before"] in names


BAD_NAMES = [
    "..", "...", "%2e%2e", "backup_2024.db", "backup_20240115_120000.db.bak", "backup_20240115_1200.db",
    "tomatoplan.db", "BACKUP_20240115_120000.DB", "backup_20240115_120000.db%00",
    "..%2fdata%2ftomatoplan.db", "%2e%2e%2fdata%2ftomatoplan.db", "backup_20240115_120000.db%2f..",
    "..%5ctomatoplan.db", "backup_20240115_120000.db%5c..", "secret.key", "%00",
]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_a_name_that_is_not_a_backup_name_touches_nothing(client, admin, config, name):
    await made(admin)
    before = await state(client, config.backup_dir)
    for method, path in [("GET", f"/admin/backups/{name}"),
                         ("GET", f"/admin/backups/{name}/download"),
                         ("DELETE", f"/admin/backups/{name}"),
                         ("POST", f"/admin/backups/restore/{name}")]:
        response = await admin.request(method, path)
        if response.url.path in ("/admin", "/admin/"):  # "/admin/backups/.." once dot segments go:
            expected = (200, "text/html") if method == "GET" else (405, "application/problem+json")
            assert (response.status, response.content_type) == expected, (method, path)
            continue  # the administration page, or its refusal of that method
        assert response.status == 404, (method, path, response.status)
        assert response.content_type == "application/problem+json"
    assert await state(client, config.backup_dir) == before


async def test_a_backup_name_that_is_a_link_a_folder_or_nothing_is_not_found(client, admin, config):
    await made(admin)
    os.symlink(config.database_path, os.path.join(config.backup_dir, "backup_20240115_120000.db"))
    os.mkdir(os.path.join(config.backup_dir, "backup_20240115_130000.db"))
    before = await state(client, config.backup_dir)
    for name in ("backup_20240115_120000.db", "backup_20240115_130000.db",
                 "backup_20240115_140000.db"):
        for method, path in [("GET", f"/admin/backups/{name}/download"),
                             ("DELETE", f"/admin/backups/{name}"),
                             ("POST", f"/admin/backups/restore/{name}")]:
            await problem(await admin.request(method, path), 404, "backup_not_found")
    assert await state(client, config.backup_dir) == before
    listed = [entry["name"] for entry in await (await admin.get("/admin/backups")).json()]
    assert "backup_20240115_120000.db" not in listed and "backup_20240115_130000.db" not in listed


async def test_making_a_backup_refuses_odd_parameters_and_a_body(client, admin, config):
    os.makedirs(config.backup_dir, exist_ok=True)
    before = await state(client, config.backup_dir)
    assert await invalid_fields(await admin.post("/admin/backups", params={"descrption": "x"})) == \
        {"descrption": "unknown_parameter"}
    assert await invalid_fields(await admin.post("/admin/backups", params={"description": "x" * 501})) \
        == {"description": "too_long"}
    await problem(await admin.post("/admin/backups", json={"description": "dans le corps"}), 400,
                  "unexpected_body")
    assert await state(client, config.backup_dir) == before


async def test_download_then_upload_brings_the_same_backup_back(client, admin, config):
    await make_chauffeur(admin)
    original = await made(admin, description="à garder")
    response = await admin.get(f"/admin/backups/{original['name']}/download")
    content = await response.read()
    assert response.status == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{original["name"]}"'
    with open(os.path.join(config.backup_dir, original["name"]), "rb") as handle:
        assert content == handle.read()
    assert (await admin.delete(f"/admin/backups/{original['name']}")).status == 204
    assert await (await admin.get("/admin/backups")).json() == []

    response = await admin.post("/admin/backups/upload", data=content,
                                headers={"Content-Type": "application/octet-stream"})
    imported = await response.json()
    assert response.status == 201, imported
    assert imported["name"] == original["name"]  # its own name, free again
    assert (imported["description"], imported["trigger"], imported["original_trigger"],
            imported["counts"]) == ("à garder", "importee", "manuel", original["counts"])
    assert imported["imported_at"]
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"]) == ("create", "backup")
    assert (await admin.post(f"/admin/backups/restore/{imported['name']}")).status == 200


async def test_an_upload_under_a_name_or_a_taken_name(client, admin, config):
    content = await (await admin.get(f"/admin/backups/{(await made(admin))['name']}/download")).read()
    renamed = await admin.post("/admin/backups/upload", params={"name": "backup_20200101_000000.db",
                                                                 "description": "du serveur A"},
                               data=content)
    body = await renamed.json()
    assert renamed.status == 201 and body["name"] == "backup_20200101_000000.db"
    assert body["description"] == "du serveur A"
    before = await state(client, config.backup_dir)
    await problem(await admin.post("/admin/backups/upload", params={"name": "backup_20200101_000000.db"},
                                   data=content), 409, "backup_exists")
    assert await invalid_fields(await admin.post("/admin/backups/upload", params={"name": "../x.db"},
                                                 data=content)) == {"name": "format"}
    again = await admin.post("/admin/backups/upload", data=content)  # its own name is taken
    assert again.status == 201 and (await again.json())["name"] not in before[0]


@pytest.mark.parametrize(("content", "status", "field_code"), [
    (b"", 400, None),
    (b"ceci n'est pas une base", 422, "not_a_backup"),
    (b"SQLite format 3\x00" + b"\x00" * 100, 422, "not_a_backup"),
])
async def test_an_upload_that_is_not_a_backup_is_refused_and_leaves_nothing(client, admin, config,
                                                                            content, status,
                                                                            field_code):
    os.makedirs(config.backup_dir, exist_ok=True)
    before = await state(client, config.backup_dir)
    response = await admin.post("/admin/backups/upload", data=content)
    body = await response.json()
    assert response.status == status, body
    if field_code:
        assert [error["code"] for error in body["errors"]] == [field_code]
    assert await state(client, config.backup_dir) == before


async def test_an_upload_of_another_database_or_a_newer_schema_is_refused(client, admin, config,
                                                                          tmp_path):
    other = tmp_path / "autre.db"
    with contextlib.closing(sqlite3.connect(other, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE t (x)")
    response = await admin.post("/admin/backups/upload", data=other.read_bytes())
    assert [e["code"] for e in (await response.json())["errors"]] == ["not_a_backup"]
    newer = tmp_path / "newer.db"
    newer.write_bytes(await (await admin.get(
        f"/admin/backups/{(await made(admin))['name']}/download")).read())
    with contextlib.closing(sqlite3.connect(newer, isolation_level=None)) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = await state(client, config.backup_dir)
    response = await admin.post("/admin/backups/upload", data=newer.read_bytes())
    assert [e["code"] for e in (await response.json())["errors"]] == ["newer_schema"]
    assert await state(client, config.backup_dir) == before


async def test_an_upload_past_the_size_limit_is_413_and_leaves_nothing(make_client, config):
    from tests.helpers.api import login

    client = await make_client(max_backup_size=4096)
    admin = await login(client, "ADMIN")
    os.makedirs(config.backup_dir, exist_ok=True)
    before = sorted(os.listdir(config.backup_dir))
    await problem(await admin.post("/admin/backups/upload", data=b"x" * 5000), 413, "payload_too_large")

    async def chunked():
        for _ in range(5):
            yield b"x" * 1000

    await problem(await admin.post("/admin/backups/upload", data=chunked()), 413, "payload_too_large")
    assert sorted(os.listdir(config.backup_dir)) == before


async def test_deleting_a_backup_is_logged(client, admin, config):
    name = (await made(admin))["name"]
    assert (await admin.delete(f"/admin/backups/{name}")).status == 204
    assert not os.path.exists(os.path.join(config.backup_dir, name))
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"], line["summary"]) == \
        ("delete", "backup", f"Suppression de la sauvegarde {name}")
    await problem(await admin.delete(f"/admin/backups/{name}"), 404, "backup_not_found")


async def test_only_admins_see_backups(client, as_role):
    assert client.app[BACKUPS]
    for role in ("viewer", "planner", "planner_advanced", "driver_admin", "finance"):
        api = await as_role(role)
        await problem(await api.get("/admin/backups"), 403, "forbidden")
        await problem(await api.post("/admin/backups"), 403, "forbidden")
    await problem(await client.get("/admin/backups"), 401, "not_authenticated")


async def test_the_live_counts_are_what_a_backup_of_now_would_say(client, admin, as_role):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"])
    response = await admin.get("/admin/backups/live-counts")
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    live = await response.json()
    assert (live["missions"], live["chauffeurs"]) == (1, 1)
    made = await (await admin.post("/admin/backups")).json()
    assert made["counts"] == live
    await problem(await client.get("/admin/backups/live-counts"), 401, "not_authenticated")
    planner = await as_role("planner")
    await problem(await planner.get("/admin/backups/live-counts"), 403, "forbidden")
