"""The server as `serve` runs it: what it says about itself, what it logs for malformed
requests, and the file descriptors it counts on."""

from __future__ import annotations

import json
import logging

from tests.helpers.live import served
from tomatoplan.web import serving


async def test_answers_name_the_product_only(config):
    async with served(config) as live:
        for request in (b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                        b"GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                        b"GET /health HTTP/1.1\r\nHost: t\r\nBad\x01Header: x\r\n\r\n"):
            head = (await live.request(request)).partition(b"\r\n\r\n")[0].decode()
            assert "Server: TomatoPlan" in head.split("\r\n"), head
            assert "aiohttp" not in head and "Python" not in head


async def test_malformed_requests_are_one_line_per_kind_and_minute_without_traceback(config,
                                                                                     caplog):
    caplog.set_level(logging.DEBUG)
    async with served(config) as live:
        for _ in range(50):
            answer = await live.request(b"GET /health HTTP/1.1\r\nHost: t\r\nBad\x01: x\r\n\r\n")
            assert answer.split(b" ", 2)[1] == b"400"
        long_line = b"GET /health?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"
        head, _, body = (await live.request(long_line)).partition(b"\r\n\r\n")
        lines = [record for record in caplog.records if record.name == "aiohttp.server"]
    # What never reaches the application is answered like everything else: problem+json.
    assert head.split(b" ", 2)[1] == b"400"
    assert b"Content-Type: application/problem+json; charset=utf-8" in head.split(b"\r\n")
    problem = json.loads(body)
    assert problem["code"] == "malformed_request" and "8190" in problem["detail"]
    lines = [record for record in lines if "Invalid header" in record.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING and lines[0].exc_info is None
    message = lines[0].getMessage()
    assert message.startswith("malformed request from 127.0.0.1 answered 400: Invalid header")
    assert "\n" not in message


def test_the_open_files_limit_is_raised_and_the_connection_limit_fits_in_it(monkeypatch, caplog):
    import resource

    limits = {"now": (1024, 4096)}
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits["now"])
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: limits.update(now=value))
    assert serving.descriptor_budget(1000) == 1000
    assert limits["now"] == (4096, 4096)

    limits["now"] = (1024, 1024)  # cannot be raised: the limit is lowered, and said
    with caplog.at_level(logging.WARNING):
        assert serving.descriptor_budget(1000) == 1024 - serving.RESERVED_FDS
    assert "TOMATOPLAN_MAX_CONNECTIONS=1000 lowered to 960" in caplog.text
    assert "LimitNOFILE" in caplog.text


async def test_the_access_log_leaves_out_the_health_checks_that_succeed(config, caplog):
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with served(config) as live:
        for path in (b"/health", b"/health", b"/health?x=1", b"/missions", b"/nowhere"):
            await live.request(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert len(lines) == 2, lines
    assert '"GET /missions HTTP/1.1" 401' in lines[0] and '"GET /nowhere HTTP/1.1" 404' in lines[1]
