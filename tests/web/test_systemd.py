"""sd_notify: systemd (Type=notify) hears READY=1 once the database is open and the port
listens, STOPPING=1 when the server begins to stop; nothing without NOTIFY_SOCKET, and a lost
notification never stops the server. Received here on a real AF_UNIX datagram socket, bound to
a path or to an abstract name ('@...') as systemd does."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import uuid

import pytest

from tests.helpers.live import served
from tests.helpers.zipapp import free_port, get_json, server_env
from tomatoplan.web import systemd


@pytest.fixture
def listener(tmp_path, monkeypatch):
    """A datagram socket where systemd would listen, named in NOTIFY_SOCKET."""
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(30)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        yield sock


def test_nothing_is_sent_without_notify_socket(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False


def test_the_fields_go_in_one_datagram(listener):
    assert systemd.notify("READY=1", "STATUS=Arrêt en cours") is True
    assert listener.recv(4096) == "READY=1\nSTATUS=Arrêt en cours".encode()


def test_an_abstract_name_has_no_file(monkeypatch):
    name = f"tomatoplan-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert systemd.notify("STOPPING=1") is True
        assert sock.recv(4096) == b"STOPPING=1"


@pytest.mark.parametrize("address", ["/nonexistent/notify", "vsock:2:1234"])
def test_a_notification_that_cannot_go_is_logged_not_raised(monkeypatch, caplog, address):
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    with caplog.at_level(logging.WARNING, logger="tomatoplan.web.systemd"):
        assert systemd.notify("READY=1") is False
    assert caplog.records and "systemd" in caplog.text


async def test_ready_once_listening_stopping_when_it_stops(config, listener):
    listener.setblocking(False)
    loop = asyncio.get_running_loop()
    async with served(config) as live:
        ready = await asyncio.wait_for(loop.sock_recv(listener, 4096), 10)
        assert ready == f"READY=1\nSTATUS=En service sur le port {live.port}".encode()
        assert (await live.get("/health"))[0] == 200
    stopping = await asyncio.wait_for(loop.sock_recv(listener, 4096), 10)
    assert stopping.startswith(b"STOPPING=1\n")


@pytest.mark.zipapp
def test_the_archive_tells_systemd_on_an_abstract_socket(pyz, tmp_path):
    """As systemd starts it: READY=1 when /health already answers, STOPPING=1 at SIGTERM."""
    name = f"tomatoplan-test-{uuid.uuid4().hex}"
    port = free_port()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(30)
        process = subprocess.Popen([sys.executable, "-I", str(pyz)], cwd=tmp_path,
                                   env={**server_env(port), "NOTIFY_SOCKET": "@" + name},
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            assert sock.recv(4096).startswith(b"READY=1\n")
            assert get_json(port, "/health")[0] == 200  # at once: no retry
            process.send_signal(signal.SIGTERM)
            assert sock.recv(4096).startswith(b"STOPPING=1\n")
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            _, errors = process.communicate()
    assert b"could not tell systemd" not in errors, errors.decode()
    assert os.path.isfile(tmp_path / "data" / "tomatoplan.db")
