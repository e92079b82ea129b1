"""The live change feed: `GET /events`, a Server-Sent Events stream of committed changes.

Every activity-log line becomes one event whose `id` is the line's id, published right after
its transaction commits. A client that reconnects with `Last-Event-ID` first receives what it
missed, replayed from the activity log, then the live events: nothing is lost across a
reconnect. Each stream has a bounded buffer; a reader that falls behind is disconnected
(it resumes from its last id) so that slow readers never hold up writers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from typing import AsyncIterator, Optional

from aiohttp import web

from . import clock, keys, sqlfiles, users
from .api import endpoint
from .auth import Auth, current_auth
from .errors import ValidationFailed
from .permissions import Permission, visible_record
from .schema import Integer, Query, Text

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
Q = sqlfiles.load("activity")

# entity of an activity line -> topic of the feed
PLANNING_TOPICS = {
    "mission": "missions",
    "voyage": "voyages",
    "chauffeur": "chauffeurs",
    "absence": "chauffeurs",
    "competence": "chauffeurs",
    "skill": "competences",
}
ADMIN_TOPICS = {
    "user": "users",
    "session": "sessions",
    "route": "security",
    "backup": "backups",
    "settings": "settings",
}
TOPICS = tuple(sorted(set(PLANNING_TOPICS.values()) | set(ADMIN_TOPICS.values())))
HEARTBEAT_SECONDS = 15.0
BUFFER_EVENTS = 1000
REPLAY_PAGE = 500
_CLOSE = object()


def topic_of(entity: str) -> str:
    return PLANNING_TOPICS.get(entity) or ADMIN_TOPICS.get(entity) or "other"


def may_see(auth: Auth, topic: str) -> bool:
    if topic in PLANNING_TOPICS.values():
        return auth.can(Permission.READ_PLANNING)
    return auth.can(Permission.ADMIN)


def event_payload(line: dict, auth: Auth) -> dict:
    """What a reader is told about one activity line, finance fields as its role allows."""
    record = line.get("record")
    if isinstance(record, str):
        record = json.loads(record)
    if record is not None:
        record = visible_record(record, auth.can(Permission.READ_FINANCE))
    return {
        "id": line["id"],
        "at": line["at"],
        "topic": topic_of(line["entity"]),
        "action": line["action"],
        "entity": line["entity"],
        "entity_id": line["entity_id"],
        "username": line["username"],
        "summary": line["summary"],
        "record": record,
    }


def format_event(event_id: Optional[int], event_type: str, data: dict) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, ensure_ascii=False, default=str)
    return f"{head}event: {event_type}\ndata: {body}\n\n".encode()


@dataclasses.dataclass(eq=False)
class Subscriber:
    auth: Auth
    topics: frozenset
    queue: asyncio.Queue
    overflowed: bool = False

    def wants(self, line: dict) -> bool:
        topic = topic_of(line["entity"])
        return topic in self.topics and may_see(self.auth, topic)


class EventBus:
    """Fans committed activity lines out to the open streams; never blocks a writer."""

    def __init__(self, buffer_events: int = BUFFER_EVENTS, heartbeat_seconds: float = HEARTBEAT_SECONDS):
        self.buffer_events = buffer_events
        self.heartbeat_seconds = heartbeat_seconds
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, auth: Auth, topics: frozenset) -> Subscriber:
        subscriber = Subscriber(auth, topics, asyncio.Queue(maxsize=self.buffer_events))
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def _offer(self, subscriber: Subscriber, item: object) -> None:
        if subscriber.overflowed:
            return
        try:
            subscriber.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too far behind: drop it; its stream ends and the client resumes from its last id.
            subscriber.overflowed = True
            self.unsubscribe(subscriber)

    def publish(self, lines: list) -> None:
        """Commit listener of the database: called with the lines of one committed transaction."""
        for subscriber in list(self.subscribers):
            for line in lines:
                if subscriber.wants(line) or line["entity"] in ("session", "user"):
                    self._offer(subscriber, line)

    def resync(self) -> None:
        """Tell every reader to reload everything (after a restore)."""
        for subscriber in list(self.subscribers):
            self._offer(subscriber, "resync")

    def close_all(self) -> None:
        for subscriber in list(self.subscribers):
            while True:
                try:
                    subscriber.queue.put_nowait(_CLOSE)
                    break
                except asyncio.QueueFull:
                    subscriber.queue.get_nowait()
        self.subscribers.clear()


EVENTS_QUERY = Query({
    "topics": Text(f"Sujets voulus, séparés par des virgules, parmi : {', '.join(TOPICS)} "
                   "(tous par défaut)", max_length=200),
    "last_event_id": Integer("Reprendre après cet événement (comme l'en-tête Last-Event-ID)",
                             minimum=0),
})


def _requested_topics(raw: Optional[str]) -> frozenset:
    if not raw:
        return frozenset(TOPICS)
    wanted = {item.strip() for item in raw.split(",") if item.strip()}
    unknown = sorted(wanted - set(TOPICS))
    if unknown:
        raise ValidationFailed([{"field": "topics", "code": "choice",
                                 "detail": f"Sujets inconnus : {', '.join(unknown)}. "
                                           f"Possibles : {', '.join(TOPICS)}."}])
    return frozenset(wanted)


def _last_event_id(request: web.Request, query: dict) -> Optional[int]:
    header = request.headers.get("Last-Event-ID")
    if header is not None:
        if not re.fullmatch(r"[0-9]{1,18}", header.strip()):
            raise ValidationFailed([{"field": "Last-Event-ID", "code": "format",
                                     "detail": "Identifiant d'événement numérique attendu."}])
        return int(header.strip())
    return query.get("last_event_id")


async def _replay(db, last_id: int) -> AsyncIterator[dict]:
    while True:
        async with db.read() as session:
            lines = await session.fetch_all(Q.activity_after, {"after": last_id, "limit": REPLAY_PAGE})
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
                      "restauration). Commentaire `: ping` toutes les 15 s.",
          responses={200: ("Flux text/event-stream", {"type": "string"}, "text/event-stream")})
async def events(request: web.Request) -> web.StreamResponse:
    query = EVENTS_QUERY.validate(request.query)
    topics = _requested_topics(query.get("topics"))
    last_id = _last_event_id(request, query)
    auth = current_auth(request)
    app = request.app
    bus, db = app[keys.EVENT_BUS], app[keys.DB]

    # Subscribe before replaying so that nothing committed meanwhile falls between the two.
    subscriber = bus.subscribe(auth, topics)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })
    try:
        await response.prepare(request)
        await response.write(b"retry: 3000\n\n")
        # Without Last-Event-ID the client wants what happens from now on: exactly what the
        # queue receives after the subscription above.
        sent = last_id or 0
        if last_id is not None:
            oldest = await _oldest_id(db)
            if oldest is not None and last_id + 1 < oldest:
                await response.write(format_event(None, "resync", {"reason": "history_purged"}))
            async for line in _replay(db, last_id):
                if subscriber.wants(line):
                    await response.write(format_event(line["id"], "change", event_payload(line, auth)))
                sent = line["id"]
        # Expiry makes no event: look at the session at least once per heartbeat, busy or not.
        next_check = time.monotonic() + bus.heartbeat_seconds
        while True:
            if time.monotonic() >= next_check:
                if not await _session_alive(db, auth):
                    break
                next_check = time.monotonic() + bus.heartbeat_seconds
            if subscriber.overflowed and subscriber.queue.empty():
                break  # what it had buffered is sent; it resumes from the last id it got
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), bus.heartbeat_seconds)
            except asyncio.TimeoutError:
                if not await _session_alive(db, auth):
                    break
                await response.write(b": ping\n\n")
                continue
            if item is _CLOSE:
                break
            if item == "resync":
                await response.write(format_event(None, "resync", {"reason": "restore"}))
                continue
            line = item
            if line["entity"] in ("session", "user") and not await _session_alive(db, auth):
                break
            if line["id"] <= sent or not subscriber.wants(line):
                continue
            await response.write(format_event(line["id"], "change", event_payload(line, auth)))
            sent = line["id"]
        if subscriber.overflowed:
            log.info("event stream of %s dropped: reader too slow", auth.username)
    except ConnectionResetError:
        pass  # the client went away; it will resume from its last id
    finally:
        bus.unsubscribe(subscriber)
    return response


async def _session_alive(db, auth: Auth) -> bool:
    async with db.read() as session:
        return await session.fetch_value(users.QS.session_alive, {"id": auth.session_id,
                                                                  "now": clock.now_iso()}) is not None


async def _oldest_id(db) -> Optional[int]:
    async with db.read() as session:
        return await session.fetch_value(Q.activity_oldest_id)


async def _close_streams(app: web.Application) -> None:
    app[keys.EVENT_BUS].close_all()


async def bus_ctx(app: web.Application) -> AsyncIterator[None]:
    bus = app[keys.EVENT_BUS]
    app[keys.DB].commit_listeners.append(bus.publish)
    yield


def setup(app: web.Application) -> None:
    app[keys.EVENT_BUS] = EventBus()
    app.cleanup_ctx.append(bus_ctx)
    app.on_shutdown.append(_close_streams)
    app.add_routes(routes)
