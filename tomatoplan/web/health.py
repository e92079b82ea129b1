"""What /health says about the database and the backups, from memory.

Supervision polls /health, sometimes many times a second; each answer used to cost a read
transaction for the ping and another for the last backup. `HealthState` checks at most once a
second however often it is asked (concurrent askers share one check), and at once after a
backup was made, failed or was restored (a commit listener), so the answer is never more than
a second behind and a backup's outcome shows on the next call. The free space is measured with
the same check; whether writes are refused for a full disk stays live (a flag).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import time
from typing import AsyncIterator, Callable, Optional

from aiohttp import web

from ..base.db import Database
from ..rules import backup_health, storage
from ..rules.backups import Backups
from .state import BACKUPS, DB, STARTED

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Checked:
    database_ok: bool
    sauvegardes: Optional[dict]  # None when the database did not answer
    free_bytes: Optional[int] = None


class HealthState:
    def __init__(self, db: Database, backups: Backups, started: datetime.datetime,
                 max_age: float = MAX_AGE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.db, self.backups, self.started = db, backups, started
        self.max_age, self.clock = max_age, clock
        self.checks = 0  # how many times the database was asked (for tests and curiosity)
        self._generation = 0  # bumped by a backup's commit: a check begun before is not kept
        self._last: Optional[Checked] = None
        self._at = 0.0
        self._running: Optional[asyncio.Future] = None

    async def current(self) -> Checked:
        if self._last is not None and self.clock() - self._at < self.max_age:
            return self._last
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._check())
        return await asyncio.shield(self._running)

    async def _check(self) -> Checked:
        self.checks += 1
        generation = self._generation
        try:
            await self.db.ping()
            sauvegardes = await backup_health.health(self.backups, self.started)
        except Exception as exc:
            log.error("health check: database unusable: %s", exc)
            checked = Checked(database_ok=False, sauvegardes=None)
        else:
            checked = Checked(database_ok=True, sauvegardes=sauvegardes,
                              free_bytes=await asyncio.to_thread(storage.free_bytes, self.db.path))
        if generation == self._generation:
            self._last, self._at = checked, self.clock()
        return checked

    def close(self) -> None:
        if self._running is not None and not self._running.done():
            self._running.cancel()

    def committed(self, lines: list) -> None:
        """Commit listener: a backup made, failed, imported, deleted or restored shows at once."""
        if any(line.get("entity") == "backup" for line in lines):
            self._generation += 1
            self._last = None


HEALTH = web.AppKey("health", HealthState)


async def health_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[DB]
    state = app[HEALTH] = HealthState(db, app[BACKUPS], app[STARTED][1])
    db.commit_listeners.append(state.committed)
    try:
        yield
    finally:
        db.commit_listeners.remove(state.committed)
        state.close()
