"""SIGTERM (what systemd sends): the request in flight finishes, then the server exits 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

from tests.helpers import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited while starting"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
    env.update(TOMATOPLAN_PORT=str(port), TOMATOPLAN_HOST="127.0.0.1", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "tomatoplan"], cwd=tmp_path, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    answers: list = []

    def log_in():
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/auth/login", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "ADMIN", "hostname": "PC-SHUTDOWN"}).encode())
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answers.append((response.status, json.loads(response.read())))

    try:
        _wait_ready(port, process)
        # Another process holds the database's write lock: the login's write now waits inside
        # the server, a request in flight when SIGTERM comes.
        blocker = sqlite3.connect(tmp_path / "data" / "tomatoplan.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        client = threading.Thread(target=log_in)
        client.start()
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert process.poll() is None, "the server did not wait for the request in flight"
        blocker.execute("COMMIT")
        blocker.close()
        client.join(timeout=30)
        assert answers and answers[0][0] == 200
        assert answers[0][1]["user"]["username"] == "ADMIN"
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    wal = tmp_path / "data" / "tomatoplan.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    log_text = (tmp_path / "logs" / "server.log").read_text("utf-8")
    assert "database closed" in log_text
