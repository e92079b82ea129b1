"""Login by Windows username, JWT sessions, and the check every request goes through.

There is no password: the username a PTT client sends is trusted. What narrows who can try
is the network allow-list and the rate limit on failed logins; what makes a token stop
working the moment it should is the sessions table, checked on every request.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime
import ipaddress
import logging
import math
import os
import secrets
import stat
import time
import uuid
from typing import AsyncIterator, Optional

import jwt
from aiohttp import web

from . import activity, clock, keys, users
from .activity import Actor
from .api import endpoint, endpoint_of, json_response
from .config import Config, ConfigError
from .errors import Forbidden, TooManyRequests, Unauthorized, ValidationFailed, read_json
from .permissions import AUTHENTICATED, PERMISSION_LABELS, PUBLIC, Permission, permissions_of
from .schema import Boolean, Schema, Text

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

ISSUER = "tomatoplan"
ALGORITHMS = ["HS256"]
REQUIRED_CLAIMS = ["sub", "jti", "iat", "exp", "iss"]
COOKIE_NAME = "tomatoplan_session"
KEY_FILE = "secret.key"
MIN_KEY_BYTES = 32
SESSION_TOUCH_SECONDS = 60
SESSION_PURGE_SECONDS = 900
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --- the signing key -----------------------------------------------------------------------

def load_or_create_key(config: Config) -> bytes:
    """TOMATOPLAN_SECRET_KEY, else `<data>/secret.key` (created 0600 on first start)."""
    if config.secret_key:
        key = config.secret_key.encode("utf-8")
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"TOMATOPLAN_SECRET_KEY: trop courte ({MIN_KEY_BYTES} octets minimum)")
        return key
    path = os.path.join(config.data_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        log.info("generated a new signing key in %s", path)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path}: la clé de signature est lisible par d'autres utilisateurs "
                          f"(droits {stat.filemode(mode)}) ; faites chmod 600 {path}")
    with open(path, "rb") as handle:
        key = handle.read().strip()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{path}: clé de signature trop courte ({MIN_KEY_BYTES} octets minimum)")
    return key


# --- who is calling ------------------------------------------------------------------------

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
        return Actor(self.username, self.hostname, self.address, self.user_id)


def current_auth(request: web.Request) -> Auth:
    """The authenticated caller; only valid in a handler that is not PUBLIC."""
    return request[keys.REQUEST_AUTH]


def client_address(request: web.Request) -> str:
    return request.remote or ""


# --- tokens --------------------------------------------------------------------------------

def issue_token(key: bytes, username: str, ttl_hours: float) -> tuple[str, str, datetime.datetime]:
    """(token, jti, expiry) for a new session."""
    issued = clock.now().replace(microsecond=0)
    expires = issued + datetime.timedelta(hours=ttl_hours)
    jti = uuid.uuid4().hex
    token = jwt.encode({"sub": username, "jti": jti, "iat": issued, "exp": expires, "iss": ISSUER},
                       key, algorithm="HS256")
    return token, jti, expires


def decode_token(key: bytes, token: str) -> dict:
    """Claims of a valid token; Unauthorized with the reason otherwise."""
    try:
        return jwt.decode(token, key, algorithms=ALGORITHMS, issuer=ISSUER,
                          options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Jeton expiré : reconnectez-vous.", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Jeton invalide : reconnectez-vous.", code="invalid_token") from None


def _token_of(request: web.Request) -> tuple[Optional[str], bool]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("En-tête Authorization attendu : « Bearer <jeton> ».",
                               code="invalid_token")
        return value.strip(), False
    cookie = request.cookies.get(COOKIE_NAME)
    return (cookie, True) if cookie else (None, False)


def _same_origin(request: web.Request) -> bool:
    own = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer", "")
    return referer == own or referer.startswith(own + "/")


# --- failed-login rate limit ---------------------------------------------------------------

class LoginLimiter:
    """At most `max_failures` failed logins per client address in a sliding `window`."""

    def __init__(self, max_failures: int = 10, window_seconds: float = 300.0):
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, collections.deque] = {}
        self._announced: dict[str, float] = {}

    def _recent(self, address: str, now: float) -> collections.deque:
        failures = self._failures.get(address)
        if failures is None:
            return collections.deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def retry_after(self, address: str) -> int:
        """Seconds to wait before this address may try again; 0 when it may."""
        now = time.monotonic()
        failures = self._recent(address, now)
        if len(failures) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        self._recent(address, now)
        self._failures.setdefault(address, collections.deque()).append(now)

    def first_refusal(self, address: str) -> bool:
        """True once per block of an address: the refusal worth a line in the activity log
        (a line per refused attempt would let a flood of attempts flood the writer)."""
        block = self._failures.get(address)
        if block is None or self._announced.get(address) == block[0]:
            return False
        self._announced[address] = block[0]
        return True

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
        self._announced.pop(address, None)


# --- middleware ----------------------------------------------------------------------------

async def _deny(request: web.Request, error: Exception, auth: Optional[Auth], username: str = ""
                ) -> None:
    """Write the refused access to the activity log, then raise it."""
    actor = auth.actor if auth else Actor(username or "(anonyme)", "", client_address(request))
    try:
        await activity.record_refusal(request.app[keys.DB], actor,
                                      f"Accès refusé : {request.method} {request.path} ({error.code})")
    except Exception:
        log.exception("could not log a refused access")
    raise error


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
        claims = decode_token(request.app[keys.SECRET_KEY], token)
    except Unauthorized as exc:
        await _deny(request, exc, None)
    db = request.app[keys.DB]
    row = await users.session_for_token(db, str(claims["jti"]))
    if row is None or row["username"] != claims["sub"]:
        await _deny(request, Unauthorized("Session expirée ou révoquée : reconnectez-vous.",
                                          code="session_revoked"), None, str(claims["sub"]))
    auth = Auth(user_id=row["user_id"], username=row["username"],
                display_name=row["display_name"], role=row["role"],
                session_id=row["session_id"], hostname=row["hostname"],
                address=client_address(request), via_cookie=via_cookie)
    request[keys.REQUEST_AUTH] = auth

    if via_cookie and request.method in UNSAFE_METHODS and not _same_origin(request):
        await _deny(request, Forbidden("Origine de la requête refusée.", code="bad_origin"), auth)
    if declared.permission != AUTHENTICATED and not auth.can(declared.permission):
        await _deny(request, Forbidden(
            f"Votre rôle ({auth.role}) ne permet pas : {PERMISSION_LABELS[declared.permission]}.",
            code="forbidden", permission=declared.permission.value), auth)

    last_seen = clock.parse_iso(row["last_seen_at"])
    if (clock.now() - last_seen).total_seconds() > SESSION_TOUCH_SECONDS:
        await users.touch_session(db, auth.session_id)
    return await handler(request)


# --- routes --------------------------------------------------------------------------------

LOGIN_BODY = Schema("Login", {
    "username": Text("Identifiant Windows : JEAN.DUPONT, CORP\\jean.dupont ou jean.dupont@corp.local",
                     required=True, max_length=256, example="JEAN.DUPONT"),
    "hostname": Text("Nom du poste client", max_length=253, default="", example="PC-BUREAU-01"),
    "session_cookie": Boolean("Pose aussi le jeton dans un cookie HttpOnly (pages d'administration)",
                              default=False),
})

USER_PUBLIC_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
    "role": {"type": "string"}, "permissions": {"type": "array", "items": {"type": "string"}}}}
LOGIN_ANSWER = {"type": "object", "properties": {
    "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["bearer"]},
    "expires_at": {"type": "string", "format": "date-time"}, "user": USER_PUBLIC_SCHEMA}}


def _allowed_address(config: Config, address: str) -> bool:
    if not config.allowed_networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in config.allowed_networks)


@routes.post("/auth/login", name="auth_login")
@endpoint(PUBLIC, "Connexion par identifiant Windows", tag="Authentification",
          description="Sans mot de passe : seuls les utilisateurs existants et actifs (ou créés "
                      "automatiquement si TOMATOPLAN_AUTO_REGISTER_ROLE est réglé) obtiennent un jeton.",
          body=LOGIN_BODY, errors=(401, 403, 429),
          responses={200: ("Jeton de session", LOGIN_ANSWER, "application/json")})
async def login(request: web.Request) -> web.Response:
    app = request.app
    config, db, limiter = app[keys.CONFIG], app[keys.DB], app[keys.LOGIN_LIMITER]
    address = client_address(request)
    wait = limiter.retry_after(address)
    if wait:
        if limiter.first_refusal(address):
            await activity.record_refusal(db, Actor("(anonyme)", "", address),
                                          f"Connexions bloquées {wait} s depuis {address} : "
                                          "trop d'échecs")
        raise TooManyRequests(f"Trop d'échecs de connexion depuis {address} : réessayez dans {wait} s.",
                              headers={"Retry-After": str(wait)})
    payload = LOGIN_BODY.validate(await read_json(request))
    hostname = payload["hostname"]
    try:
        username = users.normalise_username(payload["username"])
    except users.InvalidUsername as exc:
        raise ValidationFailed([{"field": "username", "code": "format", "detail": str(exc)}]) from None
    actor = Actor(username, hostname, address)

    if not _allowed_address(config, address):
        await activity.record_refusal(db, actor,
                                      f"Connexion refusée : {address} hors des réseaux autorisés")
        raise Forbidden("Connexion refusée depuis ce réseau.", code="network_not_allowed")

    user = await users.find_user(db, username)
    refusal = None
    if user is None and not config.auto_register_role:
        refusal = "Utilisateur inconnu : demandez à un administrateur de créer votre compte."
    elif user is not None and not user["active"]:
        refusal = "Compte désactivé : contactez un administrateur."
    if refusal:
        limiter.failed(address)
        user_id = user["id"] if user else None
        await activity.record_refusal(db, Actor(username, hostname, address, user_id),
                                      f"Échec de connexion de {username} : {refusal}",
                                      action="login_failed", entity="user", entity_id=user_id)
        raise Unauthorized(refusal, code="login_refused")

    token, jti, expires = issue_token(app[keys.SECRET_KEY], username, config.token_ttl_hours)
    now = clock.now_iso()
    async with db.write() as tx:
        if user is None:
            # Two first logins of one new name at once: the second finds the first's account.
            row = await tx.fetch_one(users.Q.user_by_username, {"username": username})
            user = users.user_out(row) if row else await users.insert_user(
                tx, actor, {"username": username, "role": config.auto_register_role})
        actor = Actor(username, hostname, address, user["id"])
        session_id, _ = await tx.execute(users.QS.insert_session, {
            "jti": jti, "user_id": user["id"], "hostname": hostname, "address": address,
            "user_agent": request.headers.get("User-Agent", "")[:200], "now": now,
            "expires_at": clock.iso(expires)})
        await tx.execute(users.Q.touch_last_login, {"id": user["id"], "now": now})
        await activity.record(tx, actor, "login", entity="session", entity_id=session_id,
                              summary=f"Connexion de {username} depuis {hostname or address}")
    limiter.succeeded(address)
    body = {
        "access_token": token,
        "token_type": "bearer",
        "expires_at": clock.iso(expires),
        "user": {**users.public_user(user),
                 "permissions": sorted(p.value for p in permissions_of(user["role"]))},
    }
    response = json_response(body)
    if payload["session_cookie"]:
        response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="Strict", path="/",
                            max_age=int(config.token_ttl_hours * 3600),
                            secure=request.secure)
    return response


@routes.post("/auth/logout", name="auth_logout")
@endpoint(AUTHENTICATED, "Déconnexion (révoque le jeton immédiatement)", tag="Authentification",
          responses={204: ("Session révoquée", None, None)})
async def logout(request: web.Request) -> web.Response:
    auth = current_auth(request)
    await users.revoke_session(request.app[keys.DB], auth.actor, auth.session_id, "déconnexion")
    response = web.Response(status=204)
    response.del_cookie(COOKIE_NAME, path="/")
    return response


ME_ANSWER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
    "role": {"type": "string"},
    "permissions": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "label": {"type": "string"}}}},
    "session": {"type": "object"}}}


@routes.get("/auth/me", name="auth_me")
@endpoint(AUTHENTICATED, "Utilisateur courant, rôle et permissions", tag="Authentification",
          responses={200: ("Utilisateur courant", ME_ANSWER, "application/json")})
async def me(request: web.Request) -> web.Response:
    auth = current_auth(request)
    user = await users.get_user(request.app[keys.DB], auth.user_id)
    held = [p for p in Permission if auth.can(p)]
    return json_response({
        **user,
        "permissions": [{"name": p.value, "label": PERMISSION_LABELS[p]} for p in held],
        "session": {"id": auth.session_id, "hostname": auth.hostname, "address": auth.address,
                    "via_cookie": auth.via_cookie},
    })


# --- lifetime ------------------------------------------------------------------------------

async def _purge_sessions_forever(app: web.Application) -> None:
    while True:
        try:
            purged = await users.purge_expired_sessions(app[keys.DB])
            if purged:
                log.info("purged %d expired sessions", purged)
        except Exception:
            log.exception("session purge failed")
        await asyncio.sleep(SESSION_PURGE_SECONDS)


async def auth_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the signing key, create the default admin, purge expired sessions in the background."""
    config = app[keys.CONFIG]
    app[keys.SECRET_KEY] = load_or_create_key(config)
    try:
        created = await users.ensure_default_admin(app[keys.DB], config.default_admin_username)
    except users.InvalidUsername as exc:
        raise ConfigError(f"TOMATOPLAN_DEFAULT_ADMIN_USERNAME: {exc}") from None
    if created:
        log.info("created the default admin %s", created["username"])
    task = asyncio.create_task(_purge_sessions_forever(app))
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def setup(app: web.Application) -> None:
    app[keys.LOGIN_LIMITER] = LoginLimiter()
    app.cleanup_ctx.append(auth_ctx)
    app.add_routes(routes)
