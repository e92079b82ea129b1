"""The application factory used by `__main__`, the zipapp and every test."""

from __future__ import annotations

import logging
from typing import AsyncIterator

from aiohttp import web

from . import admin_users, auth, chauffeurs_api, events, keys, missions_api, stats_api, system, voyages_api
from .config import Config
from .db import Database
from .errors import error_middleware

log = logging.getLogger(__name__)


@web.middleware
async def security_headers_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    db = Database(config.database_path, synchronous=config.sqlite_synchronous)
    await db.open()
    app[keys.DB] = db
    log.info("database %s ready (schema %d, journal %s, synchronous %s)",
             config.database_path, db.schema_version, db.journal_mode, config.sqlite_synchronous)
    try:
        yield
    finally:
        await db.close()
        log.info("database closed")


def create_app(config: Config) -> web.Application:
    """Build the aiohttp application for this configuration (database opened on startup)."""
    app = web.Application(
        client_max_size=config.max_body_size,
        middlewares=[security_headers_middleware, error_middleware, auth.auth_middleware],
    )
    app[keys.CONFIG] = config
    app[keys.STARTED] = system.started_now()
    app.cleanup_ctx.append(database_ctx)
    app.add_routes(system.routes)
    auth.setup(app)
    admin_users.setup(app)
    missions_api.setup(app)
    voyages_api.setup(app)
    chauffeurs_api.setup(app)
    events.setup(app)
    stats_api.setup(app)
    return app
