"""Reads answer `304 Not Modified` when the client already has what they would send.

A PTT screen polls its day every few seconds; most of the time nothing changed. Every list
answer (a 200 with `X-Total-Count`) carries a strong `ETag`, a hash of exactly the bytes
sent, the total and what a header says of the list (the day's validation, `X-Jour-Valide`:
a day validated or reopened changes the tag), so it differs between roles that see different
fields; a record already carries its version ("3"). A GET with a matching `If-None-Match`
gets a 304 with no body: nothing to send, nothing for PTT to parse.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from .http import DAY_HEADER

LIST_TAG_PREFIX = "l-"
# Headers of a list answer that say something of the list besides its total: in its tag, and
# in the 304 (the by-date list's day, validated or not).
LIST_HEADERS = (DAY_HEADER,)


def list_etag(body: bytes, total: str, *headers: str) -> str:
    digest = hashlib.blake2b(body, digest_size=12)
    for part in (total, *headers):
        digest.update(b"\x00" + part.encode())
    return f'"{LIST_TAG_PREFIX}{digest.hexdigest()}"'


def _matches(header: str, tag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ is ignored."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


@web.middleware
async def list_etag_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    if (request.method not in ("GET", "HEAD") or response.status != 200
            or not isinstance(response, web.Response) or not isinstance(response.body, bytes)):
        return response
    tag = response.headers.get("ETag")
    if tag is None and "X-Total-Count" in response.headers:
        tag = response.headers["ETag"] = list_etag(response.body, response.headers["X-Total-Count"], *(
            f"{name}: {response.headers[name]}" for name in LIST_HEADERS if name in response.headers))
    header = request.headers.get("If-None-Match")
    if tag is None or header is None or not _matches(header, tag):
        return response
    kept = {name: response.headers[name] for name in ("ETag", "X-Total-Count", "Cache-Control",
                                                      *LIST_HEADERS) if name in response.headers}
    return web.Response(status=304, headers=kept)
