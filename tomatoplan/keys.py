"""Typed application state: every `app[...]` key lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .auth import LoginLimiter
    from .config import Config
    from .db import Database
    from .events import EventBus

CONFIG: web.AppKey[Config] = web.AppKey("config")
DB: web.AppKey[Database] = web.AppKey("db")
# time.monotonic() and wall-clock datetime at start, for uptime.
STARTED: web.AppKey[Any] = web.AppKey("started")
# Bytes signing the JWTs; loaded or generated at start.
SECRET_KEY: web.AppKey[bytes] = web.AppKey("secret_key")
LOGIN_LIMITER: web.AppKey[LoginLimiter] = web.AppKey("login_limiter")
EVENT_BUS: web.AppKey[EventBus] = web.AppKey("event_bus")

# aiohttp has no typed request keys; this one constant is the only string key we use.
REQUEST_AUTH = "tomatoplan.auth"
