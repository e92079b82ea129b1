"""The sessions as the running server knows them, so that checking a token costs no database
round trip and no request ever waits for the writer.

`SessionCache` keeps the live session rows recently checked. Every change to a session or a
user (login, logout, revocation, deactivation, role change) writes an activity line in its
transaction; the database hands committed lines to its listeners, and any such line empties
the cache: a revocation takes effect on the very next request. A row read while such a
change commits is not kept (generation check); an entry also ends at the session's expiry. A
commit by another process (a command line) empties it too, within OUTSIDE_CHECK_SECONDS.

`SessionTouches` remembers which sessions were used and writes their "last seen" time for
all of them in one transaction every `FLUSH_SECONDS`, in the background.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import AsyncIterator, Awaitable, Callable, Optional

from aiohttp import web

from ..base import clock
from ..base.logs import Bursts
from ..rules import sessions
from .state import DB, SETTINGS, cancelled, run_every

log = logging.getLogger(__name__)

MAX_CACHED = 10_000
FLUSH_SECONDS = 30.0
OUTSIDE_CHECK_SECONDS = 2.0


class SessionCache:
    def __init__(self, max_entries: int = MAX_CACHED):
        self.max_entries = max_entries
        self.generation = 0
        self._rows: collections.OrderedDict = collections.OrderedDict()

    async def row_for(self, db, jti: str) -> Optional[dict]:
        """The live session of a token with its user, as `sessions.for_token` reads it."""
        row = self._rows.get(jti)
        now = clock.now_iso()
        if row is not None:
            if row["expires_at"] > now:
                self._rows.move_to_end(jti)
                return row
            del self._rows[jti]
        generation = self.generation
        row = await sessions.for_token(db, jti)
        if row is not None and generation == self.generation:
            self._rows[jti] = row
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)
        return row

    def committed(self, lines: list) -> None:
        """Commit listener: forget everything when a session or a user changed."""
        if any(line["entity"] in ("session", "user") for line in lines):
            self.forget()

    def forget(self) -> None:
        self.generation += 1
        self._rows.clear()


class OutsideCommits:
    """Another process wrote to the database (`user disable` or `config reset` on the command
    line, a restore while the server runs): what the cache holds may be stale, so it is
    forgotten, and `reload` (the settings) runs. Looked at every OUTSIDE_CHECK_SECONDS."""

    def __init__(self, cache: SessionCache, reload: Optional[Callable[[], Awaitable[None]]] = None):
        self.cache = cache
        self.reload = reload
        self.seen: Optional[int] = None

    async def check(self, db) -> None:
        try:
            now = await db.outside_commits()
        except Exception:  # closing, or the disk: the next look will tell
            return
        if self.seen is not None and now != self.seen:
            self.cache.forget()
            if self.reload is not None:
                await self.reload()
        self.seen = now


class SessionTouches:
    """The sessions used since the last flush; a failed flush keeps them for the next one."""

    def __init__(self) -> None:
        self.used: set[int] = set()
        self._failures = Bursts(60.0)

    def touch(self, session_id: int) -> None:
        self.used.add(session_id)

    async def flush(self, db) -> int:
        if not self.used:
            return 0
        used, self.used = self.used, set()
        try:
            await sessions.touch_all(db, sorted(used), clock.now_iso())
        except BaseException as exc:
            self.used |= used
            if not isinstance(exc, Exception):
                raise
            held = self._failures.check()
            if held is not None:
                log.error("could not record the use of %d sessions: %s (%d more failures in "
                          "the last minute)", len(used), exc, held)
        return len(used)


SESSION_CACHE = web.AppKey("session_cache", SessionCache)
SESSION_TOUCHES = web.AppKey("session_touches", SessionTouches)


async def live_sessions_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cache the sessions and flush their use while the server runs; a last flush at stop
    (skipped if the writer is busy for long: "last seen" is only informative)."""
    db = app[DB]
    cache = app[SESSION_CACHE] = SessionCache()
    touches = app[SESSION_TOUCHES] = SessionTouches()
    db.commit_listeners.append(cache.committed)
    outside = OutsideCommits(cache, reload=lambda: app[SETTINGS].load(db))
    await outside.check(db)

    task = run_every(FLUSH_SECONDS, lambda: touches.flush(db))
    watch = run_every(OUTSIDE_CHECK_SECONDS, lambda: outside.check(db))
    try:
        yield
    finally:
        await cancelled(watch)
        await cancelled(task)
        db.commit_listeners.remove(cache.committed)
        try:
            await asyncio.wait_for(touches.flush(db), 2.0)
        except asyncio.TimeoutError:
            log.warning("last use of %d sessions not recorded at stop", len(touches.used))
