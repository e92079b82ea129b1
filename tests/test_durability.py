"""What the built zipapp guarantees under stress, from the outside (`python3 -I tomatoplan.pyz`,
real sockets, several client threads):

- crash: kill -9 at random moments under write load, again and again; after each, the file
  passes `PRAGMA integrity_check` and every write that got its 201 is there;
- lost update: 20 clients update one mission from the same version at once: one 200, the
  others 412, and the version counts exactly the successes;
- contention: writers and readers together: no 5xx, no "database is locked", the WAL bounded;
- SIGTERM under load: a clean exit, no write committed without its answer, a clean restart.

Bounded: TOMATOPLAN_TEST_CRASH_LOOPS kill -9 loops (5 by default; 50 for the full run).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.helpers.zipapp import free_port, start_server, stop_server, wait_for_health

pytestmark = pytest.mark.zipapp

CRASH_LOOPS = int(os.environ.get("TOMATOPLAN_TEST_CRASH_LOOPS", "5"))
WRITERS = 8


class Client:
    """One keep-alive HTTP connection, as a PTT client holds one."""

    def __init__(self, port: int, token: str = ""):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: object = None,
             headers: Optional[dict] = None) -> tuple[int, object]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=None if body is None else json.dumps(body),
                              headers=sent)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def log_in(port: int) -> str:
    client = Client(port)
    try:
        status, body = client.call("POST", "/auth/login", {"username": "ADMIN"})
    finally:
        client.close()
    assert status == 200, body
    return body["access_token"]  # type: ignore[index]


@contextlib.contextmanager
def server(pyz: Path, workdir: Path, port: int) -> Iterator[subprocess.Popen]:
    with open(workdir / "server.out", "ab") as output:
        process = start_server(sys.executable, pyz, workdir, port, output)
        try:
            wait_for_health(process, port)
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


class Writers:
    """Threads creating missions until stopped; what got a 201, and every status seen."""

    def __init__(self, port: int, token: str, count: int = WRITERS, prefix: str = "W"):
        self.port, self.token, self.prefix = port, token, prefix
        self.stop = threading.Event()
        self.acknowledged: dict[int, str] = {}
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._write, args=(n,)) for n in range(count)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _write(self, number: int) -> None:
        client = Client(self.port, self.token)
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            destination = f"{self.prefix}{number}-{sequence}"
            try:
                status, body = client.call("POST", "/missions", {
                    "date_mission": "2024-01-15", "destination": destination})
            except (OSError, http.client.HTTPException):
                if self.stop.is_set():
                    break
                time.sleep(0.01)  # the server is gone or restarting: try again
                client = Client(self.port, self.token)
                continue
            with self.lock:
                self.statuses.append(status)
                if status == 201:
                    self.acknowledged[body["id"]] = destination  # type: ignore[index]
        client.close()


def stored_missions(database: Path) -> dict[int, str]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return dict(conn.execute("SELECT id, destination FROM missions"))


def integrity(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill_9_under_write_load_loses_no_acknowledged_write(pyz, tmp_path):
    port = free_port()
    database = tmp_path / "data" / "tomatoplan.db"
    chance = random.Random(20240115)
    acknowledged: dict[int, str] = {}
    for loop in range(CRASH_LOOPS):
        with server(pyz, tmp_path, port) as process:
            with Writers(port, log_in(port), prefix=f"L{loop}-") as writers:
                time.sleep(chance.uniform(0.2, 1.0))
                process.kill()  # SIGKILL: no shutdown, no checkpoint
                process.wait()
            acknowledged.update(writers.acknowledged)
            assert writers.acknowledged, f"loop {loop}: no write went through"
            assert all(status < 500 for status in writers.statuses)
        assert integrity(database) == "ok", f"loop {loop}"
        stored = stored_missions(database)
        lost = {key: value for key, value in acknowledged.items() if stored.get(key) != value}
        assert lost == {}, f"loop {loop}: {len(lost)} acknowledged writes lost"
    with server(pyz, tmp_path, port):  # and it starts again on what is left
        assert stored_missions(database).keys() >= acknowledged.keys()


def race(port: int, token: str, path: str, version: int, count: int = 20) -> list[int]:
    """`count` clients PUT `path` with If-Match `version`, released at the same instant."""
    clients = [Client(port, token) for _ in range(count)]
    start = threading.Barrier(count)
    answers: list[int] = []

    def update(client: Client, number: int) -> None:
        start.wait()
        status, _ = client.call("PUT", path, {"remarques": f"v{version} client {number}"},
                                headers={"If-Match": f'"{version}"'})
        answers.append(status)

    threads = [threading.Thread(target=update, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for client in clients:
        client.close()
    return answers


def test_twenty_clients_updating_one_version_at_once_one_wins(pyz, tmp_path):
    port = free_port()
    with server(pyz, tmp_path, port) as process:
        token = log_in(port)
        creator = Client(port, token)
        status, mission = creator.call("POST", "/missions", {"date_mission": "2024-01-15",
                                                             "destination": "Paris"})
        assert status == 201
        path = f"/missions/{mission['id']}"  # type: ignore[index]
        successes = 0
        for version in (1, 2, 3):
            assert sorted(race(port, token, path, version)) == [200] + [412] * 19
            successes += 1
        status, final = creator.call("GET", path)
        assert final["version"] == 1 + successes  # type: ignore[index]
        creator.close()
        assert stop_server(process) == 0


def test_writers_and_readers_together_no_5xx_no_locked_database(pyz, tmp_path):
    port = free_port()
    with server(pyz, tmp_path, port) as process:
        token = log_in(port)
        stop = threading.Event()
        read_statuses: list[int] = []

        def read() -> None:
            client = Client(port, token)
            paths = ["/missions?limit=50", "/stats/dashboard", "/health", "/chauffeurs"]
            while not stop.is_set():
                status, _ = client.call("GET", random.choice(paths))
                read_statuses.append(status)
            client.close()

        readers = [threading.Thread(target=read) for _ in range(8)]
        with Writers(port, token, count=4) as writers:
            for thread in readers:
                thread.start()
            time.sleep(5)
            stop.set()
            for thread in readers:
                thread.join(60)
        assert read_statuses and all(status == 200 for status in read_statuses)
        assert writers.statuses and set(writers.statuses) == {201}
        assert stop_server(process) == 0
    log = (tmp_path / "logs" / "server.log").read_text("utf-8")
    assert "database is locked" not in log and "Traceback" not in log
    wal = tmp_path / "data" / "tomatoplan.db-wal"
    assert not wal.exists() or wal.stat().st_size < 16 * 1024 * 1024


def test_sigterm_under_load_exits_cleanly_and_commits_nothing_unanswered(pyz, tmp_path):
    port = free_port()
    database = tmp_path / "data" / "tomatoplan.db"
    with server(pyz, tmp_path, port) as process:
        with Writers(port, log_in(port)) as writers:
            time.sleep(1.0)
            started = time.monotonic()
            code = stop_server(process)
            stopped_in = time.monotonic() - started
        assert code == 0
        assert stopped_in < 12, f"SIGTERM took {stopped_in:.1f} s"
    assert writers.acknowledged and all(status < 500 for status in writers.statuses)
    assert integrity(database) == "ok"
    assert stored_missions(database) == writers.acknowledged  # nothing lost, nothing unanswered
    wal = tmp_path / "data" / "tomatoplan.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed at stop
    with server(pyz, tmp_path, port):
        pass
    log = (tmp_path / "logs" / "server.log").read_text("utf-8")
    assert "Traceback" not in log
