"""Clients that hold connections without using them: half-open sockets, half a header, a
body that stops coming, idle keep-alive, more connections than allowed. The server keeps
answering /health and logged-in users, closes what overstays, and says so once per burst."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import pytest

from tests.helpers.live import served
from tests.helpers.waiting import eventually
from tomatoplan.web.connections import CONNECTIONS, reading_body

HALF_LOGIN = b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 10.0) -> bytes:
    """What the server sent before closing the connection (EOF within `timeout`)."""
    return await asyncio.wait_for(reader.read(), timeout)


@pytest.fixture
def limited(config):
    """Small limits, so that a test needs a few sockets and seconds, not thousands."""
    return dataclasses.replace(config, max_connections=20, header_timeout=1.0,
                               keepalive_timeout=2.0, body_timeout=1.0)


async def test_half_open_sockets_beyond_the_limit_do_not_stop_health_or_a_planner(limited, caplog):
    caplog.set_level(logging.INFO)
    async with served(limited) as live:
        token = await live.token()
        holders = []
        for _ in range(3 * limited.max_connections):
            reader, writer = await live.connect()
            writer.write(HALF_LOGIN)
            holders.append((reader, writer))
        await asyncio.sleep(0)  # the server accepts them all, evicting the oldest
        assert (await live.get("/health"))[0] == 200
        status, body = await live.get("/missions", token)
        assert status == 200 and json.loads(body) == []
        assert len(live.app[CONNECTIONS]) <= limited.max_connections
        # Every holder is closed: evicted at once, or answered 408 once its header is late.
        for reader, writer in holders:
            answer = await closed_by_server(reader)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")
            writer.close()
        warnings = [r.getMessage() for r in caplog.records if r.name == "tomatoplan.web.connections"]
        assert warnings and len(warnings) <= 2, warnings  # once per burst, not once per socket
        assert "closed to make room (limit of 20 reached)" in warnings[0]


async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(limited):
    async with served(limited) as live:
        reader, writer = await live.connect()
        assert await closed_by_server(reader, 5) == b""
        writer.close()


@pytest.mark.parametrize("partial", [b"GET /health HTTP/1.1\r\nHo", b"G"])
async def test_half_a_header_gets_a_408_then_the_connection_closes(limited, partial):
    async with served(limited) as live:
        reader, writer = await live.connect()
        writer.write(partial)
        answer = await closed_by_server(reader, 5)
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"Server: TomatoPlan" in head
    assert json.loads(body)["code"] == "header_timeout"


async def test_a_body_that_stops_coming_gets_a_408_and_nothing_is_written(limited):
    async with served(limited) as live:
        token = await live.token()
        answer = await live.request(
            f"POST /missions HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"date_mission": "2024-01-15"', timeout=5)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert json.loads(body)["code"] == "body_timeout"
        assert json.loads((await live.get("/missions", token))[1]) == []


async def test_an_upload_that_pauses_too_long_gets_a_408_and_leaves_no_file(limited, tmp_path):
    async with served(limited) as live:
        token = await live.token()
        answer = await live.request(
            f"POST /admin/backups/upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: 1000000\r\n\r\n".encode() + b"x" * 1000, timeout=5)
        assert answer.startswith(b"HTTP/1.1 408 ")
    assert [p.name for p in (tmp_path / "data" / "backups").iterdir()] == []


async def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(limited):
    async with served(limited) as live:
        reader, writer = await live.connect()
        writer.write(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        status_line = await reader.readline()
        assert status_line.startswith(b"HTTP/1.1 200")
        await closed_by_server(reader, 6)  # the rest of the answer, then EOF
        writer.close()


async def test_when_every_connection_is_busy_a_new_one_gets_a_503(limited):
    full = dataclasses.replace(limited, max_connections=8)
    async with served(full) as live:
        token = await live.token()
        streams = []
        for _ in range(full.max_connections):
            reader, writer = await live.connect()
            writer.write(f"GET /events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
                         f"\r\n".encode())
            assert (await reader.readline()).startswith(b"HTTP/1.1 200")
            streams.append(writer)
        await eventually(lambda: len(live.app[CONNECTIONS].running) == full.max_connections)
        answer = await live.request(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in head
        assert json.loads(body)["code"] == "too_many_connections"
        streams.pop().close()
        await eventually(lambda: len(live.app[CONNECTIONS]) < full.max_connections)
        assert (await live.get("/health"))[0] == 200
        for writer in streams:
            writer.close()


class _Transport:
    def __init__(self, closing: bool):
        self.closing = closing

    def is_closing(self) -> bool:
        return self.closing


class _Request:
    def __init__(self, closing: bool):
        self.app: dict = {}
        self.transport = _Transport(closing)


def test_a_read_after_the_connection_closed_is_a_connection_error():
    """aiohttp raises RuntimeError("Connection closed.") for a body read once the connection
    is gone (seen under 1,500 half-open sockets, when a connection closed to make room had a
    handler about to read): it must reach the error middleware as the client leaving (499,
    one quiet line), not as an unhandled error with a traceback."""
    with pytest.raises(ConnectionResetError), reading_body(_Request(closing=True)):
        raise RuntimeError("Connection closed.")
    with pytest.raises(RuntimeError), reading_body(_Request(closing=False)):
        raise RuntimeError("something else")
