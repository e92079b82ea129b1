"""Sessions: one per token handed out at login, checked on every request, revocable at once.

The one home of `sql/sessions.sql`. A token is only as good as its session row: logging out,
revoking, deactivating the user or changing its role ends the session, and with it the token.
"""

from __future__ import annotations

import logging
from typing import Optional

from ..base import clock, sqlfiles
from ..base.db import Database, OneTrip, Session, WriteSession
from ..base.errors import NotFound
from . import activity
from .activity import Actor

log = logging.getLogger(__name__)
Q = sqlfiles.load("sessions")
LOGOUT = "déconnexion"


def session_out(row: dict) -> dict:
    """A session as the admin API shows it."""
    return {key: row[key] for key in ("id", "user_id", "username", "role", "hostname", "address",
                                      "user_agent", "created_at", "last_seen_at", "expires_at")}


async def open_session(tx: WriteSession, *, user_id: int, jti: str, hostname: str, address: str,
                       user_agent: str, now: str, expires_at: str) -> int:
    """Record the session of a freshly signed token, in the login's transaction; its id."""
    session_id, _ = await tx.execute(Q.insert_session, {
        "jti": jti, "user_id": user_id, "hostname": hostname, "address": address,
        "user_agent": user_agent, "now": now, "expires_at": expires_at})
    return session_id


async def for_token(db: Database, jti: str) -> Optional[dict]:
    """The live session of a token with its user (None when revoked, expired or the user is
    inactive)."""
    return await OneTrip(db).fetch_one(Q.session_for_token, {"jti": jti, "now": clock.now_iso()})


async def alive(db: Database, session_id: int) -> bool:
    """True while the session is neither revoked nor expired and its user active."""
    return await OneTrip(db).fetch_value(Q.session_alive, {"id": session_id,
                                                          "now": clock.now_iso()}) is not None


async def touch_all(db: Database, session_ids: list, now: str) -> None:
    """Remember that these sessions were used (at `now`), in one transaction."""
    async with db.write() as tx:
        for session_id in session_ids:
            await tx.execute(Q.touch_session, {"id": session_id, "now": now})


async def list_active(db: Database, *, limit: int, offset: int) -> tuple[list[dict], int]:
    """Sessions neither revoked nor expired, most recently used first, and their number."""
    params = {"now": clock.now_iso(), "limit": limit, "offset": offset}
    async def page(session: Session) -> tuple[list[dict], int]:
        return (await session.fetch_all(Q.active_sessions, params),
                await session.fetch_value(Q.active_sessions_count, params))

    rows, total = await db.snapshot(page)
    return [session_out(row) for row in rows], total


async def count_active(session: Session, now: str) -> int:
    """How many sessions are live at `now`, in the caller's snapshot."""
    return await session.fetch_value(Q.active_sessions_count, {"now": now})


async def revoke(db: Database, actor: Actor, session_id: int, reason: str) -> dict:
    """End one session (a logout when `reason` is LOGOUT); logged once, even if repeated."""
    async with db.write() as tx:
        row = await tx.fetch_one(Q.session_by_id, {"id": session_id})
        if row is None:
            raise NotFound(f"Session {session_id} introuvable.", code="session_not_found")
        _, count = await tx.execute(Q.revoke_session, {"id": session_id, "now": clock.now_iso(),
                                                       "reason": reason})
        if count:
            action = "logout" if reason == LOGOUT else "delete"
            summary = (f"Déconnexion de {row['username']}" if action == "logout"
                       else f"Révocation de la session {session_id} de {row['username']}")
            await activity.record(tx, actor, action, entity="session", entity_id=session_id,
                                  summary=summary)
        return session_out(row)


async def revoke_all_of(tx: WriteSession, user_id: int, reason: str) -> None:
    """End every live session of a user, in the caller's transaction."""
    await tx.execute(Q.revoke_user_sessions, {"user_id": user_id, "now": clock.now_iso(),
                                              "reason": reason})


async def purge_expired(db: Database) -> int:
    """Forget the sessions whose token has expired; how many."""
    async with db.write() as tx:
        _, count = await tx.execute(Q.purge_expired_sessions, {"now": clock.now_iso()})
    if count:
        log.info("purged %d expired sessions", count)
    return count
