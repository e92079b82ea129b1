"""What the running application holds, under typed keys: the configuration, the open
database, the start time, the signing key, the login limiter, the backups, the scheduler and
the server log's last lines; and the contexts that open and close them.

Keys of objects made in lower layers live here, beside the context that makes them; keys of
the web layer's own objects live beside their class (`EVENT_BUS` in `event_bus`).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import time
from typing import Any, AsyncIterator, Awaitable, Callable

from aiohttp import web

from ..base.config import Config
from ..base.db import Database
from ..base.logs import LOG_FILE, Bursts, LogRing, RingHandler
from ..rules import tokens
from ..rules.backups import Backups
from ..rules.denials import Denials
from ..rules.login_limit import LoginLimiter
from ..rules.settings import RuntimeSettings
from ..scheduler import Scheduler

log = logging.getLogger(__name__)

# The configuration read at start. What an administrator may change at run time (the
# automatic backup's hour and retention, the log level, the allowed networks, the token
# lifetime) is read from SETTINGS.config, the configuration in force.
CONFIG = web.AppKey("config", Config)
SETTINGS = web.AppKey("settings", RuntimeSettings)
DB = web.AppKey("db", Database)
# time.monotonic() and the UTC datetime at start, for the uptime.
STARTED = web.AppKey("started", tuple)
SCHEDULER = web.AppKey("scheduler", Scheduler)
# Bytes signing the JWTs: TOMATOPLAN_SECRET_KEY, else the key file (see signing_key_ctx).
SIGNING_KEY = web.AppKey("signing_key", bytes)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
# Refusals waiting to be written to the activity log (see denials_ctx).
DENIALS = web.AppKey("denials", Denials)
DENIALS_FLUSH_SECONDS = 1.0
BACKUPS = web.AppKey("backups", Backups)
# The server log's last lines, for /admin/server-log (see server_log_ctx).
SERVER_LOG = web.AppKey("server_log", LogRing)


def started_now() -> tuple[float, datetime.datetime]:
    return time.monotonic(), datetime.datetime.now(datetime.timezone.utc)


async def server_log_ctx(app: web.Application) -> AsyncIterator[None]:
    """Keep the last log lines in memory while the server runs, from the end of server.log
    on (what was said before a restart stays in view)."""
    ring = LogRing()
    if app[CONFIG].log_dir:
        ring.seed(os.path.join(app[CONFIG].log_dir, LOG_FILE))
    handler = RingHandler(ring)
    app[SERVER_LOG] = ring
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open (check, migrate) the database at start; checkpoint and close it at stop."""
    config = app[CONFIG]
    db = Database(config.database_path, synchronous=config.sqlite_synchronous)
    await db.open()
    app[DB] = db
    log.info("database %s ready (schema %d, journal %s, synchronous %s)",
             config.database_path, db.schema_version, db.journal_mode, config.sqlite_synchronous)
    try:
        yield
    finally:
        await db.close()
        log.info("database closed")


async def signing_key_ctx(app: web.Application) -> AsyncIterator[None]:
    """Read (or create on first start) the key signing the tokens, once the database is open."""
    app[SIGNING_KEY] = tokens.load_or_create_key(app[CONFIG])
    yield


async def backups_ctx(app: web.Application) -> AsyncIterator[None]:
    """The backups of the open database; the temporary files a crash left are removed."""
    backups = Backups(app[DB], app[CONFIG])
    removed = await backups.tidy()
    if removed:
        log.warning("removed %d temporary file(s) an interrupted backup left in %s", removed,
                    backups.folder)
    app[BACKUPS] = backups
    yield


async def settings_ctx(app: web.Application) -> AsyncIterator[None]:
    """Apply the settings an administrator changed (stored in the database) before the
    background jobs start."""
    await app[SETTINGS].load(app[DB])
    yield


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the background jobs while the server serves; stop them before the database closes."""
    scheduler = app[SCHEDULER]
    scheduler.start()
    try:
        yield
    finally:
        await scheduler.stop()


def run_every(seconds: float, job: Callable[[], Awaitable[Any]]) -> asyncio.Future:
    """Run `job()` every `seconds` in the background until the task is cancelled; the job
    deals with its own errors."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            await job()

    return asyncio.ensure_future(loop())


async def cancelled(task: asyncio.Future) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def denials_ctx(app: web.Application) -> AsyncIterator[None]:
    """Write the tallied refusals every second, and what is left at stop, before the
    database closes. A failing write is retried at the next flush (said once per minute)."""
    denials = app[DENIALS]
    bursts = Bursts(60.0)

    async def flush() -> None:
        try:
            await denials.flush(app[DB])
        except Exception as exc:  # the disk, the database: keep counting, retry
            if bursts.check() is not None:
                log.error("could not write %d refusal tallies to the activity log: %s",
                          denials.pending(), exc)

    task = run_every(DENIALS_FLUSH_SECONDS, flush)
    try:
        yield
    finally:
        await cancelled(task)
        try:
            await denials.flush(app[DB], everything=True)
        except Exception as exc:
            log.error("refusals not written to the activity log at stop: %s", exc)
