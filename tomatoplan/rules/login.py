"""Login by Windows username: who may try, who gets a token, and what is logged.

There is no password: the username a PTT client sends is trusted. What narrows who can try
is the network allow-list (`networks`, checked on every request by the web layer) and the
limit on failed logins (`login_limit`); each success opens a session (see `sessions`) and
each refusal is tallied for the activity log (`denials`).
"""

from __future__ import annotations

from typing import Any

from ..base import clock
from ..base.config import Config
from ..base.db import Database
from ..base.errors import TooManyRequests, Unauthorized
from ..base.permissions import permissions_of
from . import activity, sessions, tokens, users
from .activity import Actor
from .denials import Denials
from .login_limit import LoginLimiter

ANONYMOUS = "(anonyme)"


def printable(text: str, limit: int) -> str:
    """A header as it may be stored and shown: printable characters only (bytes that were not
    UTF-8 and control characters become "?"), at most `limit` of them."""
    return "".join(char if char.isprintable() and not "\ud800" <= char <= "\udfff" else "?"
                   for char in text[:limit])


async def log_in(db: Database, config: Config, key: bytes, limiter: LoginLimiter,
                 denials: Denials, *, username: str, hostname: str, address: str,
                 user_agent: str) -> dict[str, Any]:
    """Open a session for `username` (as typed) and answer its token and user.

    422 for a name Windows would not give, 429 after too many failures (see `login_limit`),
    401 for an unknown (unless auto-registered) or inactive user. Refusals are tallied in
    `denials`, never written one by one.
    """
    username = users.username_field(username)
    wait, blocked = limiter.retry_after(address, username)
    if wait:
        what = f"pour {username}" if blocked == "name" else f"depuis {address}"
        denials.note(Actor(username, hostname, address), "login_blocked",
                     f"Connexions bloquées {wait} s {what} : trop d'échecs")
        raise TooManyRequests(f"Trop d'échecs de connexion {what} : réessayez dans {wait} s.",
                              headers={"Retry-After": str(wait)})

    user = await users.find_user(db, username)
    refusal = None
    if user is None and not config.auto_register_role:
        refusal = "Utilisateur inconnu : demandez à un administrateur de créer votre compte."
    elif user is not None and not user["active"]:
        refusal = "Compte désactivé : contactez un administrateur."
    if refusal:
        limiter.failed(address, username)
        user_id = user["id"] if user else None
        denials.note(Actor(username, hostname, address, user_id), "login_refused",
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
    limiter.succeeded(address, username)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_at": clock.iso(expires),
        "user": {**users.public_user(user),
                 "permissions": sorted(p.value for p in permissions_of(user["role"]))},
    }
