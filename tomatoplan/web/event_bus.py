"""The live change feed's fan-out: committed activity lines to the open event streams.

Every activity line is offered, right after its transaction commits (a commit listener of
the database), to each subscribed stream that wants its topic and may see it. Each stream has
a bounded buffer; a reader that falls behind is dropped (it resumes from its last id) so that
slow readers never hold up writers, and one that stops reading is cut after `write_timeout`,
when its session ends, or when the server stops. The stream itself is `routes.events`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import AsyncIterator, Optional

from aiohttp import web

from ..base.errors import TooManyRequests
from ..base.permissions import Permission, visible_record
from .auth import Auth
from .state import DB

# entity of an activity line -> topic of the feed
PLANNING_TOPICS = {
    "mission": "missions",
    "jour": "missions",  # a day validated or reopened
    "voyage": "voyages",
    "chauffeur": "chauffeurs",
    "absence": "chauffeurs",
    "competence": "chauffeurs",
    "skill": "competences",
    "vehicule": "vehicules",
    "indisponibilite": "vehicules",
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
WRITE_TIMEOUT = 30.0
MAX_STREAMS_PER_SESSION = 8
# Put in a queue to end its stream (shutdown).
CLOSE = object()


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
    transport: Optional[asyncio.BaseTransport] = None
    overflowed: bool = False
    # True while its stream hands an event to the connection.
    writing: bool = False

    def wants(self, line: dict) -> bool:
        topic = topic_of(line["entity"])
        return topic in self.topics and may_see(self.auth, topic)

    def concerned_by(self, line: dict) -> bool:
        """The line is about this reader's session or user (a revocation, a deactivation)."""
        return ((line["entity"] == "session" and line["entity_id"] == self.auth.session_id)
                or (line["entity"] == "user" and line["entity_id"] == self.auth.user_id))

    @property
    def stalled(self) -> bool:
        """Waiting for the reader to take what was written: it stopped reading. Its
        connection is cut when its session ends or the server stops."""
        return (self.writing and self.transport is not None
                and self.transport.get_write_buffer_size() > 0)  # type: ignore[attr-defined]

    def cut(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class EventBus:
    """Fans committed activity lines out to the open streams; never blocks a writer."""

    def __init__(self, buffer_events: int = BUFFER_EVENTS, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 write_timeout: float = WRITE_TIMEOUT):
        self.buffer_events = buffer_events
        self.heartbeat_seconds = heartbeat_seconds
        self.write_timeout = write_timeout
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, auth: Auth, topics: frozenset,
                  transport: Optional[asyncio.BaseTransport] = None) -> Subscriber:
        """A new reader; 429 when its session already has MAX_STREAMS_PER_SESSION open."""
        if sum(1 for other in self.subscribers
               if other.auth.session_id == auth.session_id) >= MAX_STREAMS_PER_SESSION:
            raise TooManyRequests(f"Déjà {MAX_STREAMS_PER_SESSION} flux ouverts pour cette "
                                  "session : fermez-en un.", code="too_many_streams",
                                  headers={"Retry-After": "5"})
        subscriber = Subscriber(auth, topics, asyncio.Queue(maxsize=self.buffer_events), transport)
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
                if subscriber.stalled and subscriber.concerned_by(line):
                    subscriber.cut()  # it cannot read the line that ends it: cut now

    def resync(self) -> None:
        """Tell every reader to reload everything (after a restore)."""
        for subscriber in list(self.subscribers):
            self._offer(subscriber, "resync")

    def close_all(self) -> None:
        """End every stream (shutdown): at once for those whose reader stopped reading."""
        for subscriber in list(self.subscribers):
            if subscriber.stalled:
                subscriber.cut()
            while True:
                try:
                    subscriber.queue.put_nowait(CLOSE)
                    break
                except asyncio.QueueFull:
                    subscriber.queue.get_nowait()
        self.subscribers.clear()


EVENT_BUS = web.AppKey("event_bus", EventBus)


async def event_bus_ctx(app: web.Application) -> AsyncIterator[None]:
    """Publish every commit of the database to the bus while the server runs."""
    publish = app[EVENT_BUS].publish
    app[DB].commit_listeners.append(publish)
    try:
        yield
    finally:
        app[DB].commit_listeners.remove(publish)


async def close_streams(app: web.Application) -> None:
    """End every open stream at shutdown, so that the server does not wait for them."""
    app[EVENT_BUS].close_all()
