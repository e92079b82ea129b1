"""Backups and restore: consistent under writers, exact on restore, one at a time, failures seen,
retention of automatic backups only, the nightly run at its hour, the copy on a second disk."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import errno
import json
import os
import shutil
import sqlite3
import threading

import pytest

from tests.helpers.api import activity_lines, problem
from tests.helpers.clock import FakeClock
from tests.helpers.events import next_event, open_stream
from tests.helpers.planning import MONDAY, make_chauffeur, make_mission
from tomatoplan.app import create_app
from tomatoplan.base import clock
from tomatoplan.rules import backup_files, backup_folder, backup_health
from tomatoplan.rules import restore as restore_rules
from tomatoplan.rules.activity import SYSTEM
from tomatoplan.web.state import BACKUPS, DB, SCHEDULER


async def live_fingerprint(client) -> dict:
    async with client.app[DB].read() as session:
        return await backup_files.live_fingerprint(session)


def backup_names(folder: str) -> list[str]:
    """The backups of a folder, by name."""
    return sorted(name for name in (os.listdir(folder) if os.path.isdir(folder) else [])
                  if backup_folder.NAME_PATTERN.fullmatch(name))


def temporary_files(folder: str) -> list[str]:
    """What a backup in progress (or interrupted and not cleaned) leaves in a folder."""
    return sorted(name for name in (os.listdir(folder) if os.path.isdir(folder) else [])
                  if name.startswith(backup_folder.TEMP_PREFIX))


async def make_backup(admin, description: str = "") -> dict:
    response = await admin.post("/admin/backups", params={"description": description})
    assert response.status == 201, await response.text()
    return await response.json()


async def planning(admin) -> dict:
    """What a planner sees of the planning, to compare before and after a restore."""
    return {path: await (await admin.get(path)).json()
            for path in ("/missions", "/chauffeurs", "/voyages", "/competences")}


async def eventually(condition, what: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not {what} after {seconds} s")


# --- making one ----------------------------------------------------------------------------

async def test_a_backup_taken_while_ten_writers_run_is_a_committed_state(client, admin, config):
    """Each mission is written with its activity line in one transaction: a consistent copy
    has a line for every mission and a mission for every creation line, nothing half-written."""
    stop = asyncio.Event()

    async def writer(number: int) -> int:
        made = 0
        while not stop.is_set() and made < 200:
            response = await admin.post("/missions", json={"date_mission": MONDAY,
                                                           "destination": f"W{number}-{made}"})
            assert response.status == 201
            made += 1
        return made

    writers = [asyncio.ensure_future(writer(number)) for number in range(10)]
    await asyncio.sleep(0.05)
    names = [(await make_backup(admin, f"sous charge {i}"))["name"] for i in range(3)]
    stop.set()
    assert sum(await asyncio.gather(*writers)) > 0
    for name in names:
        path = os.path.join(config.backup_dir, name)
        found = backup_files.validate(path, latest=client.app[DB].schema_version)
        assert found["integrity"] == "ok"
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            missions = {row[0] for row in conn.execute("SELECT id FROM missions")}
            created = {row[0] for row in conn.execute(
                "SELECT entity_id FROM activity_log WHERE entity = 'mission' AND action = 'create'")}
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert missions == created
        assert found["description"]["counts"]["missions"] == len(missions)
        assert found["description"]["fingerprint"] == found["fingerprint"]
        assert journal == "delete"  # one self-contained file
    assert temporary_files(config.backup_dir) == []


async def test_a_backup_describes_itself_and_the_description_travels_with_the_file(client, admin,
                                                                                    config):
    await make_chauffeur(admin)
    made = await make_backup(admin, "Avant les congés")
    assert made["trigger"] == "manuel" and made["created_by"] == "ADMIN"
    assert made["description"] == "Avant les congés" and made["integrity"] == "ok"
    assert made["counts"]["chauffeurs"] == 1 and made["schema_version"] == client.app[DB].schema_version
    copied = os.path.join(str(config.backup_dir) + "-ailleurs", made["name"])
    os.makedirs(os.path.dirname(copied))
    with open(os.path.join(config.backup_dir, made["name"]), "rb") as source, \
            open(copied, "wb") as target:
        target.write(source.read())
    carried = backup_files.read_description(copied)
    assert (carried["name"], carried["description"], carried["trigger"]) == \
        (made["name"], "Avant les congés", "manuel")
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"]) == ("backup", "backup")
    assert json.loads(line["changes"])["name"] == made["name"]


async def test_two_backups_in_the_same_second_keep_both(client, admin, config):
    backups = client.app[BACKUPS]
    moment = datetime.datetime(2024, 1, 15, 12, 0, 0)
    backups.local_now = lambda: moment
    first, second = await make_backup(admin), await make_backup(admin)
    assert (first["name"], second["name"]) == ("backup_20240115_120000.db", "backup_20240115_120000_1.db")


def copies_held(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Backup copies that wait: `entered` is set once one has started, and it finishes when
    the test sets `release` (at most 10 s)."""
    release, entered = threading.Event(), threading.Event()
    real_copy = backup_files.make_copy

    def slow_copy(database_path, temp):
        entered.set()
        release.wait(10)
        real_copy(database_path, temp)

    monkeypatch.setattr(backup_files, "make_copy", slow_copy)
    return entered, release


async def test_a_second_backup_or_restore_while_one_runs_gets_409(client, admin, monkeypatch):
    entered, release = copies_held(monkeypatch)
    first = asyncio.ensure_future(admin.post("/admin/backups"))
    await eventually(entered.is_set, "copying")
    await problem(await admin.post("/admin/backups"), 409, "backup_busy")
    await problem(await admin.post("/admin/backups/restore/backup_20240115_120000.db"), 404,
                  "backup_not_found")  # a name that does not exist is told before the wait
    release.set()
    assert (await first).status == 201


@pytest.mark.parametrize("breakage", ["disk_full", "folder_is_a_file"])
async def test_a_failed_backup_leaves_no_file_is_logged_and_the_server_goes_on(
        client, admin, config, monkeypatch, breakage):
    if breakage == "disk_full":
        def full_disk(database_path, temp):
            with open(temp, "wb") as handle:
                handle.write(b"SQLite format 3\x00" + b"\x00" * 4096)  # half a copy, then no room
            raise OSError(errno.ENOSPC, "No space left on device", temp)

        monkeypatch.setattr(backup_files, "make_copy", full_disk)
        detail = "disque plein"
    else:
        shutil.rmtree(config.backup_dir, ignore_errors=True)
        with open(config.backup_dir, "w") as handle:
            handle.write("pas un dossier")
        detail = "Sauvegarde impossible"
    body = await problem(await admin.post("/admin/backups"), 503, "backup_failed")
    assert detail in body["detail"]
    if breakage == "disk_full":
        assert backup_names(config.backup_dir) == temporary_files(config.backup_dir) == []
    line = (await activity_lines(client))[0]
    assert line["action"] == "backup_failed" and json.loads(line["changes"])["trigger"] == "manuel"
    dashboard = await (await admin.get("/stats/dashboard")).json()
    assert dashboard["derniere_sauvegarde"]["ok"] is False
    assert (await admin.get("/missions")).status == 200


# --- automatic backups, retention, health --------------------------------------------------

def nightly_factory(fake: FakeClock):
    def factory(config):
        app = create_app(config)
        app[SCHEDULER].clock = fake
        return app
    return factory


async def test_the_nightly_backup_runs_at_the_configured_hour(make_client, config):
    fake = FakeClock(datetime.datetime(2024, 1, 15, 2, 59))
    client = await make_client(app_factory=nightly_factory(fake), auto_backup_enabled=True,
                               auto_backup_hour=3)
    job = next(job for job in client.app[SCHEDULER].jobs if job.name == "sauvegarde automatique")
    assert job.at == (3, 0)
    await fake.advance(59)
    assert backup_names(config.backup_dir) == []
    await fake.advance(1)
    await eventually(lambda: job.runs == 1 and not job.running, "backed up")
    assert job.last_error is None and len(backup_names(config.backup_dir)) == 1
    made = (await client.app[BACKUPS].list())[0]
    assert (made["trigger"], made["created_by"]) == ("auto", "SYSTEM")
    health = await (await client.get("/health")).json()
    assert health["status"] == "ok" and health["sauvegardes"]["last"]["name"] == made["name"]


async def test_retention_deletes_only_old_automatic_backups(client, admin, config):
    backups = client.app[BACKUPS]
    made = {}
    for label, trigger, days_old in [("old_auto", "auto", 40), ("new_auto", "auto", 2),
                                     ("old_manual", "manuel", 400),
                                     ("old_before_restore", "avant_restauration", 400)]:
        backups.local_now = lambda days=days_old: datetime.datetime(2024, 1, 1) + datetime.timedelta(
            minutes=len(made))
        entry = await make_backup(admin, label)
        path = os.path.join(config.backup_dir, entry["name"])
        described = backup_files.read_description(path)
        described.update(trigger=trigger, created_at=clock.iso(
            clock.now() - datetime.timedelta(days=days_old)))
        backup_files.describe(path, described)
        made[label] = entry["name"]
    assert await backups._prune(backups.folder, 30) == [made["old_auto"]]
    assert backup_names(config.backup_dir) == sorted(v for k, v in made.items() if k != "old_auto")
    line = (await activity_lines(client))[0]
    assert (line["action"], line["username"]) == ("delete", "SYSTEM")
    assert made["old_auto"] in line["summary"]


async def test_health_is_degraded_when_the_nightly_backup_failed_or_is_late(client, config):
    backups = client.app[BACKUPS]
    backups.config = dataclasses.replace(config, auto_backup_enabled=True)
    now = clock.now()
    assert (await backup_health.health(backups, now))["status"] == "ok"  # just started: nothing due yet
    assert (await backup_health.health(backups, now - datetime.timedelta(hours=27)))["status"] == "degraded"

    async def line(action: str, hours_ago: float) -> None:
        async with client.app[DB].write() as tx:
            await tx.execute(
                "INSERT INTO activity_log (at, username, action, entity, summary, changes) "
                "VALUES (:at, 'SYSTEM', :action, 'backup', 'x', :changes)",
                {"at": clock.iso(now - datetime.timedelta(hours=hours_ago)), "action": action,
                 "changes": json.dumps({"trigger": "auto", "name": "backup_20240115_020000.db"})})

    await line("backup", 27)
    assert (await backup_health.health(backups, now))["status"] == "degraded"
    await line("backup", 1)
    assert (await backup_health.health(backups, now))["status"] == "ok"
    await line("backup_failed", 0.5)
    report = await backup_health.health(backups, now)
    assert report["status"] == "degraded" and "échoué" in report["detail"]
    assert (await (await client.get("/health")).json())["status"] == "degraded"


async def test_each_backup_gets_a_verified_copy_on_the_second_disk(make_client, config, tmp_path):
    copies = tmp_path / "nas"
    client = await make_client(backup_copy_dir=str(copies))
    from tests.helpers.api import login
    admin = await login(client, "ADMIN")
    made = await make_backup(admin)
    with open(copies / made["name"], "rb") as copy, \
            open(os.path.join(config.backup_dir, made["name"]), "rb") as original:
        assert copy.read() == original.read()
    assert [name for name in os.listdir(copies) if name.startswith(".")] == []


async def test_a_failed_copy_is_reported_like_a_failed_backup(make_client, config, tmp_path):
    not_a_folder = tmp_path / "nas-absent"
    not_a_folder.write_text("le partage n'est pas monté")
    client = await make_client(backup_copy_dir=str(not_a_folder))
    from tests.helpers.api import login
    admin = await login(client, "ADMIN")
    made = await make_backup(admin)  # the backup itself is made
    line = (await activity_lines(client))[0]
    assert line["action"] == "backup_failed"
    assert json.loads(line["changes"]) == {**json.loads(line["changes"]), "stage": "copie",
                                           "name": made["name"]}
    assert (await (await admin.get("/stats/dashboard")).json())["derniere_sauvegarde"]["ok"] is False


# --- restore -------------------------------------------------------------------------------

async def test_restore_gives_back_exactly_the_backup_and_keeps_the_state_it_replaced(client, admin,
                                                                                     as_role):
    chauffeur = await make_chauffeur(admin)
    await admin.post(f"/chauffeurs/{chauffeur['id']}/absences",
                     json={"date_debut": "2024-02-01", "date_fin": "2024-02-02"})
    for destination in ("Paris", "Lyon", "Lille"):
        await make_mission(admin, destination=destination, chauffeur_id=chauffeur["id"]
                           if destination == "Paris" else None)
    saved_view, saved_print = await planning(admin), await live_fingerprint(client)
    made = await make_backup(admin, "état A")

    await admin.delete("/missions/2")
    await admin.put("/missions/1", json={"remarques": "changée"})
    await make_mission(admin, destination="Nantes")
    planner = await as_role("planner")  # a user created after the backup
    replaced_print = await live_fingerprint(client)

    response = await admin.post(f"/admin/backups/restore/{made['name']}")
    report = await response.json()
    assert response.status == 200, report
    assert await live_fingerprint(client) == saved_print == report["fingerprint"]
    assert await planning(admin) == saved_view
    before = backup_files.validate(os.path.join(client.app[BACKUPS].folder, report["before"]),
                                   latest=client.app[DB].schema_version)
    assert before["description"]["trigger"] == "avant_restauration"
    assert before["fingerprint"] == replaced_print
    # Users, sessions and the log are kept: both still work, the log says who restored.
    assert (await planner.get("/auth/me")).status == 200
    line = (await activity_lines(client))[0]
    assert (line["action"], line["username"]) == ("restore", "ADMIN")
    assert made["name"] in line["summary"] and report["before"] in line["summary"]
    # Ids are never given twice, also across a restore.
    assert (await make_mission(admin, destination="Brest"))["id"] == 5


async def test_readers_are_served_while_a_restore_runs(client, admin):
    for number in range(50):
        await make_mission(admin, destination=f"D{number}")
    made = await make_backup(admin)
    results = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            response = await admin.get("/missions/by-date/" + MONDAY)
            results.append((response.status, len(await response.json())))

    readers = [asyncio.ensure_future(reader()) for _ in range(4)]
    await asyncio.sleep(0.02)
    response = await admin.post(f"/admin/backups/restore/{made['name']}")
    done.set()
    await asyncio.gather(*readers)
    assert response.status == 200
    assert results and all(result == (200, 50) for result in results)


async def test_a_restore_tells_every_event_stream_to_reload(client, admin):
    made = await make_backup(admin)
    stream = await open_stream(admin, params={"topics": "missions"})
    await admin.post(f"/admin/backups/restore/{made['name']}")
    assert (await next_event(stream))["event"] == "resync"
    stream.close()


async def test_an_older_backup_is_migrated_and_a_newer_or_damaged_one_refused(client, admin, config):
    from tests.base.test_db import SCHEMA_3_DATA, migrate

    older = os.path.join(config.backup_dir, "backup_20230101_120000.db")
    os.makedirs(config.backup_dir, exist_ok=True)
    conn = sqlite3.connect(older, isolation_level=None)
    migrate(conn, 3)
    conn.executescript(SCHEMA_3_DATA)
    conn.close()
    response = await admin.post("/admin/backups/restore/backup_20230101_120000.db")
    assert response.status == 200, await response.text()
    missions = await (await admin.get("/missions")).json()
    assert [(m["id"], m["destination"]) for m in missions] == [(1, "Paris"), (2, "Lyon")]

    fingerprint = await live_fingerprint(client)
    newer = os.path.join(config.backup_dir, "backup_20990101_120000.db")
    made = await make_backup(admin)
    os.rename(os.path.join(config.backup_dir, made["name"]), newer)
    with contextlib.closing(sqlite3.connect(newer, isolation_level=None)) as conn:
        conn.execute("PRAGMA user_version = 99")
    await problem(await admin.post("/admin/backups/restore/backup_20990101_120000.db"), 409,
                  "backup_newer_schema")
    damaged = os.path.join(config.backup_dir, "backup_20000101_120000.db")
    with open(newer, "rb") as source:
        content = bytearray(source.read())
    content[len(content) // 2: len(content) // 2 + 2048] = b"\xff" * 2048
    with open(damaged, "wb") as target:
        target.write(content)
    response = await admin.post("/admin/backups/restore/backup_20000101_120000.db")
    assert response.status in (409, 422), await response.text()
    assert await live_fingerprint(client) == fingerprint


async def test_a_backup_cancelled_while_copying_leaves_nothing(client, config, monkeypatch):
    """SIGTERM during the nightly backup: the worker thread finishes its copy, then drops it."""
    entered, release = copies_held(monkeypatch)
    running = asyncio.ensure_future(client.app[BACKUPS].run_nightly())
    await eventually(entered.is_set, "copying")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    release.set()
    await eventually(lambda: not temporary_files(config.backup_dir), "the copy dropped")
    assert backup_names(config.backup_dir) == []


# --- from review: what happens around a restore and under failures ---------------------------

def held(monkeypatch, module, name: str):
    """Make `module.name` (a blocking function run in a worker thread) wait until released;
    (entered, release) events."""
    entered, release = threading.Event(), threading.Event()
    real = getattr(module, name)

    def waiting(*args, **kwargs):
        entered.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)
    return entered, release


async def test_a_write_made_while_a_restore_prepares_is_kept_in_the_before_backup(client, admin,
                                                                                   monkeypatch):
    made = await make_backup(admin)
    entered, release = held(monkeypatch, backup_files, "prepare_restore")
    restoring = asyncio.ensure_future(admin.post(f"/admin/backups/restore/{made['name']}"))
    await eventually(entered.is_set, "preparing")
    late = await make_mission(admin, destination="Pendant la restauration")
    release.set()
    report = await (await restoring).json()
    before = backup_files.validate(os.path.join(client.app[BACKUPS].folder, report["before"]),
                                   latest=client.app[DB].schema_version)
    assert before["counts"]["missions"] == 1  # the late mission can be got back from there
    before_path = os.path.join(client.app[BACKUPS].folder, report["before"])
    with contextlib.closing(sqlite3.connect(before_path)) as conn:
        assert conn.execute("SELECT destination FROM missions WHERE id = ?",
                            (late["id"],)).fetchone() == ("Pendant la restauration",)


async def test_the_nightly_backup_waits_for_a_restore_and_prunes_after_it(client, admin, config,
                                                                          monkeypatch):
    made = await make_backup(admin)
    backups = client.app[BACKUPS]
    entered, release = held(monkeypatch, backup_files, "prepare_restore")
    restoring = asyncio.ensure_future(admin.post(f"/admin/backups/restore/{made['name']}"))
    await eventually(entered.is_set, "preparing")
    nightly = asyncio.ensure_future(backups.run_nightly())
    await asyncio.sleep(0.2)
    assert not nightly.done()  # waiting its turn, not failing, not pruning meanwhile
    release.set()
    assert (await restoring).status == 200
    await asyncio.wait_for(nightly, 10)
    assert len(backup_names(config.backup_dir)) == 3  # the backup, before the restore, the night's


async def test_a_copy_never_replaces_a_file_of_the_second_disk(make_client, tmp_path):
    from tests.helpers.api import login

    copies = tmp_path / "nas"
    copies.mkdir()
    client = await make_client(backup_copy_dir=str(copies))
    backups = client.app[BACKUPS]
    backups.local_now = lambda: datetime.datetime(2024, 1, 15, 2, 0, 0)
    (copies / "backup_20240115_020000.db").write_bytes(b"l'autre serveur")
    await make_backup(await login(client, "ADMIN"))
    assert (copies / "backup_20240115_020000.db").read_bytes() == b"l'autre serveur"
    assert (copies / "backup_20240115_020000_1.db").exists()


async def test_a_restore_works_after_one_interrupted_while_attached(client, admin, config):
    made = await make_backup(admin)
    writer = client.app[DB]._writer  # as an interrupted restore leaves it
    await writer.execute("ATTACH DATABASE :path AS sauvegarde",
                         {"path": os.path.join(config.backup_dir, made["name"])})
    assert (await admin.post(f"/admin/backups/restore/{made['name']}")).status == 200
    attached = [row[1] for row in await writer.execute_fetchall("PRAGMA database_list")]
    assert attached == ["main"] or "sauvegarde" not in attached


async def test_a_restore_cancelled_while_preparing_leaves_no_file(client, admin, config, monkeypatch):
    made = await make_backup(admin)
    entered, release = held(monkeypatch, backup_files, "validate")
    restoring = asyncio.ensure_future(restore_rules.restore(client.app[BACKUPS], SYSTEM, made["name"]))
    await eventually(entered.is_set, "validating")
    restoring.cancel()
    with pytest.raises(asyncio.CancelledError):
        await restoring
    release.set()
    await eventually(lambda: not temporary_files(config.backup_dir), "the work file removed")


async def test_a_nightly_failure_that_cannot_be_logged_still_shows_on_health(client, config,
                                                                             monkeypatch):
    from tomatoplan.rules import activity

    backups = client.app[BACKUPS]
    backups.config = dataclasses.replace(config, auto_backup_enabled=True)

    def full_disk(database_path, temp):
        raise OSError(errno.ENOSPC, "No space left on device", temp)

    async def log_refused(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backup_files, "make_copy", full_disk)
    monkeypatch.setattr(activity, "record_alone", log_refused)
    with pytest.raises(Exception, match="disque plein"):
        await backups.run_nightly()
    report = await (await client.get("/health")).json()
    assert report["status"] == "degraded"
    assert "disque plein" in report["sauvegardes"]["last"]["summary"]


async def test_a_second_upload_is_refused_before_its_body_is_stored(client, admin, config):
    content = await (await admin.get(f"/admin/backups/{(await make_backup(admin))['name']}/download")).read()
    release = asyncio.Event()

    async def slow_body():
        yield content[:1024]
        await release.wait()
        yield content[1024:]

    first = asyncio.ensure_future(admin.post("/admin/backups/upload", data=slow_body()))
    await eventually(lambda: temporary_files(config.backup_dir), "the first upload stored")
    await problem(await admin.post("/admin/backups/upload", data=content), 409, "backup_busy")
    assert len(temporary_files(config.backup_dir)) == 1
    release.set()
    assert (await first).status == 201


async def test_the_commands_and_the_server_take_turns(client, admin, config):
    """Another process (here the `backup` command) gets the folder's lock or a clear refusal."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    environment = {key: value for key, value in os.environ.items() if not key.startswith("TOMATOPLAN_")}
    environment.update(PYTHONPATH=str(ROOT), TOMATOPLAN_DATABASE_PATH=config.database_path,
                       TOMATOPLAN_BACKUP_DIR=config.backup_dir, TOMATOPLAN_LOG_DIR="")
    backups = client.app[BACKUPS]
    async with backups.exclusive():
        busy = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "tomatoplan", "backup"], env=environment,
            capture_output=True, text=True, timeout=60, check=False)
        assert busy.returncode == 1 and "déjà en cours" in busy.stderr
        # Nor does another process's start remove a backup's temporary files meanwhile.
        os.makedirs(config.backup_dir, exist_ok=True)
        open(os.path.join(config.backup_dir, ".tmp-sauvegarde-1-ab.db"), "w").close()
        other = type(backups)(backups.db, backups.config)
        assert await other.tidy() == 0
        assert temporary_files(config.backup_dir) == [".tmp-sauvegarde-1-ab.db"]
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "tomatoplan", "backup"], env=environment,
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert await backups.tidy() == 1 and temporary_files(config.backup_dir) == []
