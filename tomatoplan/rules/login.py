"""Login by Windows username: who may try, who gets a token, and what is logged.

There is no password: the username a PTT client sends is trusted. What narrows who can try
is the network allow-list and the limit on failed logins; each success opens a session
(see `sessions`) and each refusal leaves a line in the activity log.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import time
from typing import Any

from ..base import clock
from ..base.config import Config
from ..base.db import Database
from ..base.errors import Forbidden, TooManyRequests, Unauthorized
from ..base.permissions import permissions_of
from . import activity, sessions, tokens, users
from .activity import Actor

ANONYMOUS = "(anonyme)"


def printable(text: str, limit: int) -> str:
    """A header as it may be stored and shown: printable characters only (bytes that were not
    UTF-8 and control characters become "?"), at most `limit` of them."""
    return "".join(char if char.isprintable() and not "\ud800" <= char <= "\udfff" else "?"
                   for char in text[:limit])


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


def allowed_address(config: Config, address: str) -> bool:
    """True when TOMATOPLAN_ALLOWED_NETWORKS is empty or holds the address."""
    if not config.allowed_networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in config.allowed_networks)


async def refuse_if_blocked(db: Database, limiter: LoginLimiter, address: str) -> None:
    """429 with Retry-After while the address has too many recent failures."""
    wait = limiter.retry_after(address)
    if not wait:
        return
    if limiter.first_refusal(address):
        await activity.record_refusal(db, Actor(ANONYMOUS, "", address),
                                      f"Connexions bloquées {wait} s depuis {address} : trop d'échecs")
    raise TooManyRequests(f"Trop d'échecs de connexion depuis {address} : réessayez dans {wait} s.",
                          headers={"Retry-After": str(wait)})


async def log_in(db: Database, config: Config, key: bytes, limiter: LoginLimiter, *, username: str,
                 hostname: str, address: str, user_agent: str) -> dict[str, Any]:
    """Open a session for `username` (as typed) and answer its token and user.

    422 for a name Windows would not give, 403 from outside the allowed networks, 401 for an
    unknown (unless auto-registered) or inactive user; every refusal is logged.
    """
    username = users.username_field(username)
    if not allowed_address(config, address):
        await activity.record_refusal(db, Actor(username, hostname, address),
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

    token, jti, expires = tokens.issue_token(key, username, config.token_ttl_hours)
    now = clock.now_iso()  # one instant for the session and the user's last login
    async with db.write() as tx:
        if user is None:
            # Two first logins of one new name at once: the second finds the first's account.
            user = await users.user_named(tx, username) or await users.insert_user(
                tx, Actor(username, hostname, address),
                {"username": username, "role": config.auto_register_role})
        session_id = await sessions.open_session(
            tx, user_id=user["id"], jti=jti, hostname=hostname, address=address,
            user_agent=printable(user_agent, 200), now=now, expires_at=clock.iso(expires))
        await users.touch_last_login(tx, user["id"], now)
        await activity.record(tx, Actor(username, hostname, address, user["id"]), "login",
                              entity="session", entity_id=session_id,
                              summary=f"Connexion de {username} depuis {hostname or address}")
    limiter.succeeded(address)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_at": clock.iso(expires),
        "user": {**users.public_user(user),
                 "permissions": sorted(p.value for p in permissions_of(user["role"]))},
    }
