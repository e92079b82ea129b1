"""Nothing a client sends may cause a 500: every route, fed odd bodies, parameters and ids."""

from __future__ import annotations

import asyncio
import re

from tomatoplan.web.openapi import documented_routes

BODIES = [None, b"", b"null", b"[]", b'"text"', b"42", b"{}", b'{"a": 1}', b"\xff\xfe",
          b'{"date_mission": 10**30}', b'{"id": 99999999999999999999999999}',
          b'{"username": null, "role": [], "date_mission": {"x": 1}, "chauffeur_id": 1e309}',
          b'{"date_mission": "2024-02-30", "heure_debut": "25:99", "chauffeur_id": -1, "prix": "abc"}',
          b'{"date_mission": "2024-01-15", "destination": "' + b"x" * 5000 + b'"}',
          b'{"jours": [8, "lundi", null], "competences_requises": "ADR"}']
QUERIES = [{}, {"limit": "-1"}, {"limit": "99999999999999999999"}, {"offset": "x"},
           {"date": "2024-13-45"}, {"date_debut": "2024-01-31", "date_fin": "2024-01-01"},
           {"chauffeur_id": "abc"}, {"statut": "perdu"}, {"tous": "peut-etre"},
           {"voyage_id": "99999999999999999999999"}, {"\x00": "\x00"}]
PATH_VALUES = ["0", "999999", "99999999999999999999999", "9" * 5000, "2024-02-30", "..", "%00", "abc"]


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


async def test_no_route_answers_500_to_odd_input(client, admin):
    failures = []
    for method, path, _ in documented_routes(client.app):
        if path == "/auth/logout":
            continue  # would end the admin session the rest of the loop uses
        for value in PATH_VALUES:
            for body in BODIES if method in ("POST", "PUT", "PATCH") else [None]:
                response = await admin.request(method, fill(path, value), data=body,
                                               headers={"Content-Type": "application/json"})
                if response.status >= 500:
                    failures.append(f"{method} {fill(path, value)} body={body!r:.60} -> {response.status}")
                response.close()
        for query in QUERIES:
            response = await admin.request(method, fill(path, "999999"), params=query)
            if response.status >= 500:
                failures.append(f"{method} {path} query={query} -> {response.status}")
            response.close()
    assert failures == []
    assert (await admin.get("/auth/me")).status == 200


# Every header a route reads, and what a hostile or broken client may put in it: bytes that
# are not UTF-8, control characters, a huge value.
READ_HEADERS = ["Authorization", "Cookie", "User-Agent", "If-Match", "If-None-Match",
                "Last-Event-ID", "Origin", "Referer", "Content-Type", "Host"]
ODD_VALUES = [b"\xff\xfe", b"Bearer a\xffb.c.d", b"tomatoplan_session=a\x80.b.c", b"\x01\x7f",
              b'W/"\xc3"', b"x" * 6000]


async def raw_status(port: int, request: bytes) -> int:
    """Send bytes as they are (aiohttp's client would refuse them); the status line's code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


async def test_no_route_answers_500_to_odd_bytes_in_any_header(client, admin):
    failures = []
    port = client.server.port
    token = admin.token.encode()
    for method, path, _ in documented_routes(client.app):
        if path == "/auth/logout" or (method == "POST" and path == "/admin/backups"):
            continue  # would end the session the loop uses / fill the disk with backups
        target = fill(path, "999999").encode()
        for header in READ_HEADERS:
            for value in ODD_VALUES:
                lines = [b"%s %s HTTP/1.1" % (method.encode(), target), b"Connection: close",
                         b"Content-Length: 2", b"%s: %s" % (header.encode(), value)]
                if header != "Host":
                    lines.append(b"Host: 127.0.0.1")
                if header not in ("Authorization", "Cookie"):
                    lines.append(b"Authorization: Bearer " + token)
                status = await raw_status(port, b"\r\n".join(lines) + b"\r\n\r\n{}")
                if status >= 500:
                    failures.append(f"{method} {path} {header}: {value[:30]!r} -> {status}")
    assert failures == []
    assert (await admin.get("/auth/me")).status == 200
