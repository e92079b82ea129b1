"""Reading the live feed (`GET /events`) the way a client does."""

from __future__ import annotations

import asyncio
import json


async def next_event(response, timeout: float = 5.0) -> dict:
    """Read one SSE event (comments skipped): {"id", "event", "data"}."""
    event: dict = {}
    while True:
        raw = await asyncio.wait_for(response.content.readline(), timeout)
        if raw == b"":
            raise EOFError("stream closed")
        line = raw.decode("utf-8").rstrip("\n")
        if line == "":
            if "data" in event or "event" in event:
                return event
            event = {}
            continue
        if line.startswith(":") or line.startswith("retry:"):
            continue
        field, _, value = line.partition(": ")
        event[field] = json.loads(value) if field == "data" else value


async def open_stream(api, **kwargs):
    """Open /events as `api`'s user; the 200 answer, its body still streaming."""
    response = await api.get("/events", **kwargs)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return response
