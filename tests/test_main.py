"""SIGTERM (what systemd sends): the request in flight finishes, then the server exits 0. The
exit codes by which systemd knows what a restart can fix: 1 an unexpected error (restarted), 2
configuration, 3 database, 4 the port (not restarted)."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.helpers import ROOT
from tomatoplan.__main__ import EXIT_LISTEN, EXIT_UNEXPECTED, listen_failure


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


def _start(tmp_path, port: int, **settings: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
    env.update(TOMATOPLAN_PORT=str(port), TOMATOPLAN_HOST="127.0.0.1", PYTHONPATH=str(ROOT),
               **{f"TOMATOPLAN_{name}": value for name, value in settings.items()})
    return subprocess.Popen([sys.executable, "-m", "tomatoplan"], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_a_port_already_taken_is_one_french_line_and_exit_4(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _start(tmp_path, taken.getsockname()[1])
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 4
    errors = [line for line in stderr.decode().splitlines() if " ERROR " in line]
    assert len(errors) == 1, stderr.decode()
    assert "port déjà utilisé (un autre TomatoPlan tourne-t-il ? voir TOMATOPLAN_PORT)" in errors[0]
    assert "Traceback" not in stderr.decode()


def _start_and_stop(tmp_path) -> str:
    """Start the server, stop it once it answers; what it wrote on stderr."""
    port = _free_port()
    process = _start(tmp_path, port)
    try:
        _wait_ready(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    return stderr.decode()


def test_files_holding_the_data_are_for_the_server_account_only(tmp_path):
    _start_and_stop(tmp_path)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "tomatoplan.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "logs" / "server.log").stat().st_mode) == 0o600


def test_a_dot_env_holding_the_key_readable_by_others_is_warned_about(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TOMATOPLAN_SECRET_KEY=" + "k" * 40 + "\n", "utf-8")
    env_file.chmod(0o644)
    stderr = _start_and_stop(tmp_path)
    warning = [line for line in stderr.splitlines() if "WARNING" in line and ".env" in line]
    assert warning and "chmod 600" in warning[0], stderr
    env_file.chmod(0o600)


@pytest.mark.parametrize(("error", "said"), [
    ("RuntimeError('un bogue')", "RuntimeError: un bogue"),
    # An OSError that is not the listening socket's: not "impossible d'écouter".
    ("PermissionError(errno.EACCES, 'Permission non accordée', '/srv/t/data/secret.key')",
     "PermissionError: [Errno 13] Permission non accordée: '/srv/t/data/secret.key'"),
    ("OSError(errno.EIO, 'Erreur d’entrée/sortie')", "OSError: [Errno 5]"),
])
def test_an_unexpected_error_is_logged_once_with_its_traceback_and_exit_1(tmp_path, error, said):
    """Exit 1, Python's own code for an uncaught exception, is what systemd restarts."""
    crash = ("import errno, sys\n"
             "from tomatoplan import __main__\n"
             "from tomatoplan.web import serving\n"
             "async def serve(app, config):\n"
             f"    raise {error}\n"
             "serving.serve = serve\n"
             "sys.exit(__main__.main(['serve']))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
    env.update(TOMATOPLAN_PORT=str(_free_port()), TOMATOPLAN_HOST="127.0.0.1", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", crash], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == EXIT_UNEXPECTED == 1, result.stderr
    log_text = (tmp_path / "logs" / "server.log").read_text("utf-8")
    for written in (result.stderr, log_text):
        assert written.count("Traceback") == 1, written
        assert written.count(" ERROR ") == 1 and "arrêt sur une erreur inattendue" in written
        assert said in written
        assert "impossible d'écouter" not in written


@pytest.mark.parametrize(("error", "code", "said"), [
    # As asyncio's create_server raises them: no file name.
    (OSError(errno.EADDRINUSE, "error while attempting to bind on address"), EXIT_LISTEN,
     "port déjà utilisé"),
    (OSError(errno.EACCES, "error while attempting to bind on address"), EXIT_LISTEN,
     "port interdit à ce compte"),
    # An address that may come up later (IPv6 duplicate detection, DHCP): systemd tries again.
    (OSError(errno.EADDRNOTAVAIL, "error while attempting to bind on address"), EXIT_UNEXPECTED,
     "adresse absente de cette machine, ou pas encore configurée"),
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), EXIT_UNEXPECTED,
     "nom introuvable, Name or service not known"),
])
def test_why_the_port_cannot_be_listened_on(error, code, said):
    failure = listen_failure(error)
    assert failure is not None and failure[1] == code and failure[0].startswith(said)


@pytest.mark.parametrize("error", [
    PermissionError(errno.EACCES, "Permission denied", "/srv/t/data/tomatoplan.db"),
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EMFILE, "Too many open files"),
    RuntimeError("un bogue"),
])
def test_any_other_error_is_not_a_listening_failure(error):
    assert listen_failure(error) is None
