"""The application factory, used by `__main__`, the zipapp and every test.

Read top to bottom, `create_app` shows everything the server runs: the middlewares every
request goes through, the state it holds, what is opened at start and closed at stop (in
order), the background jobs, and the routes.
"""

from __future__ import annotations

import logging
from typing import AsyncIterator, Callable

from aiohttp import web

from .base.config import Config, ConfigError
from .base.logs import Bursts
from .rules import activity, hours, sessions, users
from .rules.backups import AUTO_BACKUP_JOB
from .rules.denials import Denials
from .rules.login_limit import LoginLimiter
from .rules.settings import RuntimeSettings
from .scheduler import Scheduler
from .web import pages as admin_pages
from .web.auth import auth_middleware, network_middleware
from .web.conditional import list_etag_middleware
from .web.connections import connection_middleware
from .web.event_bus import EVENT_BUS, EventBus, close_streams, event_bus_ctx
from .web.health import health_ctx
from .web.live_sessions import live_sessions_ctx
from .web.middlewares import LEFT_EARLY, error_middleware, security_headers_middleware
from .web.routes import (
    absences,
    backups,
    chauffeurs,
    competences,
    events,
    exports,
    jours,
    missions,
    pages,
    skills,
    stats,
    system,
    vehicle_unavailability,
    vehicules,
    voyages,
)
from .web.routes import auth as auth_routes
from .web.routes import logs as log_routes
from .web.routes import (
    sessions as session_routes,
)
from .web.routes import settings as settings_routes
from .web.routes import (
    users as user_routes,
)
from .web.state import (
    BACKUPS,
    CONFIG,
    DB,
    DENIALS,
    LOGIN_LIMITER,
    SCHEDULER,
    SETTINGS,
    STARTED,
    backups_ctx,
    database_ctx,
    denials_ctx,
    scheduler_ctx,
    server_log_ctx,
    settings_ctx,
    signing_key_ctx,
    started_now,
)

log = logging.getLogger(__name__)

# Registration order: the order of the OpenAPI document's sections (tags).
ROUTE_MODULES = (system, pages, auth_routes, user_routes, session_routes, log_routes, backups,
                 settings_routes, missions, jours, exports, voyages, chauffeurs, absences, competences,
                 skills, vehicules, vehicle_unavailability, events, stats)
SESSION_PURGE_SECONDS = 15 * 60
ACTIVITY_RETENTION_SECONDS = 6 * 3600


def create_app(config: Config) -> web.Application:
    """Build the aiohttp application for this configuration (database opened on startup)."""
    app = web.Application(
        client_max_size=config.max_body_size,
        middlewares=[connection_middleware, security_headers_middleware, error_middleware,
                     network_middleware, auth_middleware, list_etag_middleware],
    )
    app[CONFIG] = config
    hours.set_default(config.duree_mission_defaut)
    app[SETTINGS] = RuntimeSettings(config)
    app[STARTED] = started_now()
    app[LOGIN_LIMITER] = LoginLimiter(config.login_max_failures, config.login_window_seconds)
    app[DENIALS] = Denials()
    app[LEFT_EARLY] = Bursts()
    app[EVENT_BUS] = EventBus(write_timeout=config.event_stream_timeout)
    app[SCHEDULER] = background_jobs(app)
    app[SETTINGS].on_change(follow_settings(app))

    # Opened in this order at start, closed in the reverse order at stop.
    app.cleanup_ctx.extend([server_log_ctx, database_ctx, denials_ctx, signing_key_ctx, default_admin_ctx,
                            backups_ctx, settings_ctx, health_ctx, live_sessions_ctx, event_bus_ctx,
                            scheduler_ctx])
    app.on_shutdown.append(close_streams)
    for module in ROUTE_MODULES:
        app.add_routes(module.routes)
    admin_pages.setup(app)
    return app


def background_jobs(app: web.Application) -> Scheduler:
    """What runs in the background, and how often."""
    config = app[CONFIG]
    scheduler = Scheduler()
    scheduler.every(SESSION_PURGE_SECONDS, "purge des sessions expirées",
                    lambda: sessions.purge_expired(app[DB]))
    if config.auto_backup_enabled:
        scheduler.daily(config.auto_backup_hour, 0, AUTO_BACKUP_JOB,
                        lambda: app[BACKUPS].run_nightly())
    if config.activity_retention_days > 0:
        scheduler.every(ACTIVITY_RETENTION_SECONDS, "rétention du journal d'activité",
                        lambda: activity.purge_older_than(app[DB], config.activity_retention_days))
    return scheduler


def follow_settings(app: web.Application) -> Callable[[Config], None]:
    """What follows a setting changed at run time (SETTINGS): the automatic backup's hour,
    the backups' retention, the log level. The allowed networks and the token lifetime are
    read from SETTINGS.config at each request."""
    applied = {"log_level": app[CONFIG].log_level}

    def apply(config: Config) -> None:
        if config.log_level != applied["log_level"]:
            logging.getLogger().setLevel(config.log_level)
            applied["log_level"] = config.log_level
        if BACKUPS in app:
            app[BACKUPS].config = config
        if config.auto_backup_enabled:
            app[SCHEDULER].reschedule(AUTO_BACKUP_JOB, config.auto_backup_hour, 0)

    return apply


async def default_admin_ctx(app: web.Application) -> AsyncIterator[None]:
    """Create TOMATOPLAN_DEFAULT_ADMIN_USERNAME on first start, so someone can log in."""
    try:
        created = await users.ensure_default_admin(app[DB], app[CONFIG].default_admin_username)
    except users.InvalidUsername as exc:
        raise ConfigError(f"TOMATOPLAN_DEFAULT_ADMIN_USERNAME: {exc}") from None
    if created:
        log.info("created the default admin %s", created["username"])
    yield
