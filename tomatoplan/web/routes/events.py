"""`GET /events`: the live change feed, a Server-Sent Events stream of committed changes.

Every activity-log line becomes one event whose `id` is the line's id (fanned out by
`event_bus`). A client that reconnects with `Last-Event-ID` first receives what it missed,
replayed from the activity log, then the live events: nothing is lost across a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import AsyncIterator, Optional

from aiohttp import web

from ...base.errors import Forbidden, ValidationFailed, invalid
from ...base.fields import MAX_ID, CommaList, Integer
from ...base.permissions import Permission
from ...base.schema import Query
from ...rules import activity, sessions
from ..auth import current_auth
from ..endpoint import endpoint
from ..event_bus import CLOSE, EVENT_BUS, TOPICS, event_payload, format_event, may_see
from ..state import DB

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
REPLAY_PAGE = 500


EVENTS_QUERY = Query({
    "topics": CommaList(TOPICS, "Sujets voulus, séparés par des virgules (tous par défaut)"),
    "last_event_id": Integer("Reprendre après cet événement (comme l'en-tête Last-Event-ID)",
                             minimum=0, maximum=MAX_ID),
})


# One message of the stream (OpenAPI 3.2's itemSchema, read as `schema` by 3.0/3.1 tools).
EVENT_SCHEMA = {
    "type": "object", "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["change", "resync"]},
        "id": {"type": "string", "pattern": "^[0-9]{1,19}$",
               "description": "Identifiant dans le journal d'activité (absent pour `resync`)"},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "description": "`change` : {id, at, topic, action, entity, entity_id, username, "
                                "summary, record} ; `resync` : {reason}"},
        "retry": {"type": "integer"},
    },
}


def _last_event_id(request: web.Request, query: dict) -> Optional[int]:
    header = request.headers.get("Last-Event-ID")
    if header is not None:
        if not re.fullmatch(r"[0-9]{1,18}", header.strip()):
            raise ValidationFailed([invalid("Last-Event-ID", "format",
                                            "Identifiant d'événement numérique attendu.")])
        return int(header.strip())
    return query.get("last_event_id")


async def _replay(db, last_id: int) -> AsyncIterator[dict]:
    while True:
        lines = await activity.lines_after(db, last_id, REPLAY_PAGE)
        for line in lines:
            yield line
        if len(lines) < REPLAY_PAGE:
            return
        last_id = lines[-1]["id"]


@routes.get("/events", name="events")
@endpoint(Permission.READ_PLANNING, "Flux des modifications en direct (Server-Sent Events)",
          tag="Événements", query=EVENTS_QUERY,
          description="Un événement `change` par modification validée (`id` = identifiant dans le "
                      "journal d'activité, `data` = l'enregistrement modifié tel que le rôle peut le "
                      "voir). Reconnexion avec `Last-Event-ID` : les événements manqués sont rejoués "
                      "dans l'ordre. Un événement `resync` demande de tout recharger (après une "
                      "restauration). Commentaire `: ping` toutes les 15 s. Huit flux au plus par "
                      "session (429). Un sujet que le rôle ne peut pas lire est refusé (403 "
                      "`topic_forbidden`, avec `sujets_permis`) ; sans `topics`, tous ceux qu'il peut "
                      "lire.",
          errors=(403, 429),
          responses={200: ("Flux text/event-stream", EVENT_SCHEMA, "text/event-stream")})
async def events(request: web.Request) -> web.StreamResponse:
    query = EVENTS_QUERY.validate(request.query)
    auth = current_auth(request)
    readable = sorted(topic for topic in TOPICS if may_see(auth, topic))
    refused = sorted(set(query.get("topics") or ()) - set(readable))
    if refused:
        raise Forbidden(f"Sujets réservés à un autre rôle : {', '.join(refused)}. Votre rôle "
                        f"({auth.role}) peut suivre : {', '.join(readable)}.",
                        code="topic_forbidden", sujets_permis=readable)
    topics = query.get("topics") or frozenset(readable)
    last_id = _last_event_id(request, query)
    app = request.app
    bus, db = app[EVENT_BUS], app[DB]

    # Subscribe before replaying so that nothing committed meanwhile falls between the two.
    subscriber = bus.subscribe(auth, topics, request.transport)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })

    async def send(data: bytes) -> None:
        """Hand bytes to the reader; TimeoutError when it has not taken them in time."""
        subscriber.writing = True
        try:
            await asyncio.wait_for(response.write(data), bus.write_timeout)
        finally:
            subscriber.writing = False

    try:
        await response.prepare(request)
        await send(b"retry: 3000\n\n")
        # Without Last-Event-ID the client wants what happens from now on: exactly what the
        # queue receives after the subscription above.
        sent = last_id or 0
        if last_id is not None:
            oldest = await activity.oldest_id(db)
            if oldest is not None and last_id + 1 < oldest:
                await send(format_event(None, "resync", {"reason": "history_purged"}))
            async for line in _replay(db, last_id):
                if subscriber.wants(line):
                    await send(format_event(line["id"], "change", event_payload(line, auth)))
                sent = line["id"]
        # Expiry makes no event: look at the session at least once per heartbeat, busy or not.
        next_check = time.monotonic() + bus.heartbeat_seconds
        while True:
            if time.monotonic() >= next_check:
                if not await sessions.alive(db, auth.session_id):
                    break
                next_check = time.monotonic() + bus.heartbeat_seconds
            if subscriber.overflowed and subscriber.queue.empty():
                break  # what it had buffered is sent; it resumes from the last id it got
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), bus.heartbeat_seconds)
            except asyncio.TimeoutError:
                if not await sessions.alive(db, auth.session_id):
                    break
                await send(b": ping\n\n")
                continue
            if item is CLOSE:
                break
            if item == "resync":
                await send(format_event(None, "resync", {"reason": "restore"}))
                continue
            line = item
            if line["entity"] in ("session", "user") and not await sessions.alive(db, auth.session_id):
                break
            if line["id"] <= sent or not subscriber.wants(line):
                continue
            await send(format_event(line["id"], "change", event_payload(line, auth)))
            sent = line["id"]
        if subscriber.overflowed:
            log.info("event stream of %s dropped: reader too slow", auth.username)
    except asyncio.TimeoutError:
        # Nothing taken for write_timeout seconds: a reader that stopped reading.
        log.info("event stream of %s cut: nothing read for %g s", auth.username,
                 bus.write_timeout)
        subscriber.cut()
    except ConnectionError:
        pass  # gone, or cut (its session ended, the server stops); it resumes from its last id
    finally:
        bus.unsubscribe(subscriber)
    return response
