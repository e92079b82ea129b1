"""The server's own routes and the one error shape every client sees."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from aiohttp import web

from tests.helpers.waiting import eventually
from tomatoplan import __version__
from tomatoplan.app import create_app
from tomatoplan.base.permissions import PUBLIC
from tomatoplan.web.endpoint import endpoint
from tomatoplan.web.http import read_json
from tomatoplan.web.state import DB

PROBLEM = "application/problem+json"


def assert_problem(response, body, status, code):
    assert response.status == status
    assert response.content_type == PROBLEM
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"]


async def test_health_reports_version_schema_and_database(client):
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["schema_version"] >= 1
    assert body["database"] == {"status": "ok", "journal_mode": "wal"}
    assert body["uptime_seconds"] >= 0
    assert response.headers["Cache-Control"] == "no-store"


async def test_health_answers_503_when_the_database_is_gone(client):

    await client.app[DB].close()
    response = await client.get("/health")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "error"
    assert body["database"]["status"] == "error"


async def test_unknown_route_is_a_json_404(client):
    response = await client.get("/no/such/thing")
    assert_problem(response, await response.json(), 404, "not_found")


async def test_wrong_method_is_a_json_405_with_allow(client):
    response = await client.delete("/health")
    assert_problem(response, await response.json(), 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def _app_with_echo(config):
    """The real app plus a public route that reads a JSON body, for the body-level errors."""

    @endpoint(PUBLIC, "echo", tag="test")
    async def echo(request):
        return web.json_response(await read_json(request))

    app = create_app(config)
    app.router.add_post("/test/echo", echo)
    return app


async def test_malformed_json_is_400_with_a_clear_detail(make_client):
    client = await make_client(app_factory=_app_with_echo)
    for raw in (b"{not json", b'{"a": NaN}', b"\xff\xfe", b"[" * 100000):
        response = await client.post("/test/echo", data=raw,
                                     headers={"Content-Type": "application/json"})
        body = await response.json()
        assert_problem(response, body, 400, "malformed_json")
        assert "JSON" in body["detail"]


async def test_empty_body_is_400(make_client):
    client = await make_client(app_factory=_app_with_echo)
    response = await client.post("/test/echo", data=b"")
    assert_problem(response, await response.json(), 400, "body_missing")


async def test_body_over_the_limit_is_413(make_client):
    client = await make_client(app_factory=_app_with_echo, max_body_size=2048)
    response = await client.post("/test/echo", data=b'{"a": "' + b"x" * 4096 + b'"}',
                                 headers={"Content-Type": "application/json"})
    assert_problem(response, await response.json(), 413, "payload_too_large")
    small = await client.post("/test/echo", json={"a": "x"})
    assert small.status == 200


def _app_with_bug(config):
    @endpoint(PUBLIC, "boom", tag="test")
    async def boom(request):
        raise RuntimeError("secret internal detail 42")

    app = create_app(config)
    app.router.add_get("/test/boom", boom)
    return app


async def test_unexpected_error_is_a_generic_500_and_the_traceback_is_logged(make_client, caplog):
    client = await make_client(app_factory=_app_with_bug)
    with caplog.at_level(logging.ERROR, logger="tomatoplan.web.middlewares"):
        response = await client.get("/test/boom")
    body = await response.json()
    assert_problem(response, body, 500, "internal_error")
    assert "secret internal detail" not in await response.text()
    logged = [r for r in caplog.records if r.name == "tomatoplan.web.middlewares"]
    assert logged and logged[0].exc_info is not None
    assert "secret internal detail 42" in str(logged[0].exc_info[1])


async def test_docs_page_and_swagger_assets_are_served_locally(client):
    page = await client.get("/docs")
    assert page.status == 200
    html = await page.text()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    for asset in assets:
        response = await client.get(asset)
        assert response.status == 200, asset
        assert len(await response.read()) > 100
    bundle = await (await client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")).text()
    major = int(re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle).group(1))
    assert major >= 5, "Swagger UI renders OpenAPI 3.1 from version 5 on"
    vendored = await client.get("/static/vendor/swagger-ui/swagger-ui.css")
    assert vendored.headers["Cache-Control"] == "public, max-age=86400"


async def test_static_files_refuse_path_traversal(client):
    for path in ("/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml",
                 "/static/..%2fpyproject.toml", "/static/docs-init.js/../../README.md"):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.content_type == PROBLEM


async def test_static_file_has_type_etag_and_revalidates(client):
    response = await client.get("/static/docs-init.js")
    assert response.status == 200
    assert "javascript" in response.content_type
    etag = response.headers["ETag"]
    again = await client.get("/static/docs-init.js", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_security_headers_on_every_answer(client):
    response = await client.get("/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/missions", "/admin/backups/upload"])
async def test_a_client_leaving_mid_body_is_one_quiet_line_not_a_traceback(client, admin, caplog,
                                                                            path):
    caplog.set_level(logging.INFO)
    _reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin.token}\r\n"
                 f"Content-Length: 100000\r\n\r\n".encode() + b"x" * 1000)
    await writer.drain()
    writer.close()
    left = await eventually(lambda: [r for r in caplog.records if "left during" in r.getMessage()])
    assert left[0].levelno == logging.INFO and left[0].exc_info is None
    assert f"POST {path}" in left[0].getMessage()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_clients_leaving_in_a_loop_are_one_line_a_minute(client, admin, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(20):
        _reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
        writer.write(f"POST /missions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin.token}\r\n"
                     "Content-Length: 100\r\n\r\n{".encode())
        await writer.drain()
        writer.close()
    await eventually(lambda: len([r for r in caplog.records if r.name == "aiohttp.access"
                                  and '" 499 ' in r.getMessage()]) == 20)
    assert len([r for r in caplog.records if "left during" in r.getMessage()]) == 1


async def test_a_body_read_after_the_client_left_is_the_same_quiet_line(make_client, caplog):
    """Under load a handler can start reading after its connection was closed (the client
    left, or it was closed to make room): aiohttp then raises RuntimeError, not a
    ConnectionError. Still a 499 and one INFO line, never an error with a traceback."""
    gone = asyncio.Event()
    read = asyncio.Event()

    @endpoint(PUBLIC, "late reader", tag="test")
    async def late_reader(request):
        await gone.wait()
        await eventually(lambda: request.transport is None or request.transport.is_closing())
        try:
            return web.json_response(await read_json(request))
        finally:
            read.set()

    def app_with_a_late_reader(config):
        app = create_app(config)
        app.router.add_post("/test/late-reader", late_reader)
        return app

    client = await make_client(app_with_a_late_reader)
    caplog.set_level(logging.INFO)
    _reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(b"POST /test/late-reader HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    writer.close()
    gone.set()
    await asyncio.wait_for(read.wait(), 10)
    left = await eventually(lambda: [r for r in caplog.records if "left during" in r.getMessage()])
    assert "POST /test/late-reader" in left[0].getMessage()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
