"""The live change feed's fan-out: committed activity lines to the open event streams.

Every activity line is offered, right after its transaction commits (a commit listener of
the database), to each subscribed stream that wants its topic and may see it. Each stream has
a bounded buffer; a reader that falls behind is dropped (it resumes from its last id) so that
slow readers never hold up writers. The stream itself is `routes.events`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import AsyncIterator, Optional

from aiohttp import web

from ..base.permissions import Permission, visible_record
from .auth import Auth
from .state import DB

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
