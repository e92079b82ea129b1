"""Who is calling: the token of each request checked once, in middleware, against its session.

A route declares a permission (`endpoint`); the middleware answers 401 without a live session
and 403 without the permission, logging each refusal, and puts the caller (`Auth`) on the
request for the handler (`current_auth`). The login routes are in `routes.auth`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import NoReturn, Optional

from aiohttp import web

from ..base.db import Database
from ..base.errors import ApiError, Forbidden, Unauthorized
from ..base.permissions import AUTHENTICATED, PERMISSION_LABELS, PUBLIC, Permission, permissions_of
from ..rules import networks, tokens
from ..rules.activity import Actor
from ..rules.login import ANONYMOUS, printable
from .endpoint import endpoint_of
from .live_sessions import SESSION_CACHE, SESSION_TOUCHES
from .state import DB, DENIALS, SETTINGS, SIGNING_KEY

log = logging.getLogger(__name__)

# aiohttp 3.13 has no typed request keys: this constant is the only string key we use.
REQUEST_AUTH = "tomatoplan.auth"
COOKIE_NAME = "tomatoplan_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A JWT: three base64url parts. Ours are about 250 characters.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
MAX_TOKEN_LENGTH = 2048


@dataclasses.dataclass(frozen=True)
class Auth:
    """The caller of an authenticated request."""

    user_id: int
    username: str
    display_name: str
    role: str
    session_id: int
    hostname: str
    address: str
    via_cookie: bool

    @property
    def permissions(self) -> frozenset:
        return permissions_of(self.role)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.hostname, self.address, self.user_id, self.permissions)


def current_auth(request: web.Request) -> Auth:
    """The authenticated caller; only valid in a handler that is not PUBLIC."""
    return request[REQUEST_AUTH]


def writer(request: web.Request) -> tuple[Database, Actor]:
    """The database and the caller, as a write handler hands them to the rules layer."""
    return request.app[DB], current_auth(request).actor


def client_address(request: web.Request) -> str:
    return request.remote or ""


def can_read_finance(request: web.Request) -> bool:
    return current_auth(request).can(Permission.READ_FINANCE)


def _deny(request: web.Request, error: ApiError, auth: Optional[Auth], username: str = ""
          ) -> NoReturn:
    """Tally the refused access for the activity log (never a write per request), then raise it."""
    actor = auth.actor if auth else Actor(username or ANONYMOUS, "", client_address(request))
    where = printable(request.path_qs, 200)
    request.app[DENIALS].note(actor, error.code,
                              f"Accès refusé : {request.method} {where} ({error.code})")
    raise error


def require(request: web.Request, permission: Permission, what: str, code: str) -> None:
    """403 (tallied like every refusal) when the caller lacks a permission a handler checks
    itself (one that depends on the request, like `?force=true`)."""
    auth = current_auth(request)
    if auth.can(permission):
        return
    _deny(request, Forbidden(f"Votre rôle ({auth.role}) ne permet pas : {what}.", code=code,
                             permission=permission.value), auth)


def _token_of(request: web.Request) -> tuple[Optional[str], bool]:
    """The token of the request and whether it came in the cookie. Whatever is not shaped
    like one of our tokens is refused here, before it reaches the JWT library (which fails on
    bytes that are not ASCII)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("En-tête Authorization attendu : « Bearer <jeton> ».",
                               code="invalid_token")
        token, via_cookie = value.strip(), False
    else:
        token, via_cookie = request.cookies.get(COOKIE_NAME), True
        if not token:
            return None, False
    if len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        raise Unauthorized("Jeton invalide : reconnectez-vous.", code="invalid_token")
    return token, via_cookie


def same_origin(request: web.Request) -> bool:
    """The page that sent the request is one of ours: its Origin (else Referer) names the
    host the request was sent to. The scheme is not compared: behind a TLS proxy the page is
    https while the request reaches the server as http (the proxy must pass Host on)."""
    origin = request.headers.get("Origin")
    if origin is None:
        origin = request.headers.get("Referer", "")
        if not origin:
            return False
    scheme, sep, rest = origin.partition("://")
    return bool(sep) and scheme in ("http", "https") and rest.split("/", 1)[0] == request.host


def _from_browser(request: web.Request) -> bool:
    """Browsers say so (Origin on writes, Sec-Fetch-* on everything); PTT and curl do not."""
    headers = request.headers
    return "Origin" in headers or "Sec-Fetch-Site" in headers or "Sec-Fetch-Mode" in headers


# The names this machine answers to (TOMATOPLAN_ALLOWED_HOSTS adds aliases).
MACHINE_NAMES = networks.machine_names()


@web.middleware
async def network_middleware(request: web.Request, handler) -> web.StreamResponse:
    """TOMATOPLAN_ALLOWED_NETWORKS for every request, the anonymous ones (/health, /docs,
    login) included: 403 outside, tallied like every refusal. A browser must also call the
    server by a name it knows (TOMATOPLAN_ALLOWED_HOSTS): a web page elsewhere that pointed
    its own name at the server (DNS rebinding) could otherwise log in and act in its place."""
    config = request.app[SETTINGS].config
    if not networks.allowed(config, client_address(request)):
        _deny(request, Forbidden("Accès refusé depuis ce réseau.", code="network_not_allowed"),
              None)
    if _from_browser(request) and not networks.trusted_host(config, request.host, MACHINE_NAMES):
        _deny(request, Forbidden(
            "Nom d'hôte non reconnu : appelez le serveur par son adresse IP ou son nom de "
            "machine, ou ajoutez ce nom à TOMATOPLAN_ALLOWED_HOSTS.", code="host_not_allowed"), None)
    return await handler(request)


@web.middleware
async def auth_middleware(request: web.Request, handler) -> web.StreamResponse:
    match_info = request.match_info
    if match_info.http_exception is not None:
        return await handler(request)
    declared = endpoint_of(match_info.handler)
    if declared is None:
        log.error("route %s %s declares no permission: refused", request.method, request.path)
        raise Forbidden("Route sans permission déclarée.", code="undeclared_route")
    if declared.permission == PUBLIC:
        return await handler(request)

    token, via_cookie = _token_of(request)
    if token is None:
        raise Unauthorized("Authentification requise : connectez-vous (POST /auth/login).",
                           code="not_authenticated", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = tokens.decode_token(request.app[SIGNING_KEY], token)
    except Unauthorized as exc:
        _deny(request, exc, None)
    row = await request.app[SESSION_CACHE].row_for(request.app[DB], str(claims["jti"]))
    if row is None or row["username"] != claims["sub"]:
        _deny(request, Unauthorized("Session expirée ou révoquée : reconnectez-vous.",
                                    code="session_revoked"), None, str(claims["sub"]))
    if not networks.same_place(request.app[SETTINGS].config, row["address"], client_address(request)):
        _deny(request, Unauthorized("Session ouverte depuis un autre poste ou réseau : "
                                    "reconnectez-vous.", code="session_moved"),
              None, row["username"])
    auth = Auth(user_id=row["user_id"], username=row["username"],
                display_name=row["display_name"], role=row["role"],
                session_id=row["session_id"], hostname=row["hostname"],
                address=client_address(request), via_cookie=via_cookie)
    request[REQUEST_AUTH] = auth

    if via_cookie and request.method in UNSAFE_METHODS and not same_origin(request):
        _deny(request, Forbidden("Origine de la requête refusée.", code="bad_origin"), auth)
    if declared.permission != AUTHENTICATED and not auth.can(declared.permission):
        _deny(request, Forbidden(
            f"Votre rôle ({auth.role}) ne permet pas : {PERMISSION_LABELS[declared.permission]}.",
            code="forbidden", permission=declared.permission.value), auth)

    request.app[SESSION_TOUCHES].touch(auth.session_id)
    return await handler(request)
