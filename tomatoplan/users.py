"""Users and their sessions: the data layer (no HTTP here)."""

from __future__ import annotations

import re
from typing import Any, Optional

from . import activity, clock, sqlfiles
from .activity import Actor
from .db import Database, WriteSession
from .errors import Conflict, NotFound
from .versions import changed, check_version, stale

Q = sqlfiles.load("users")
QS = sqlfiles.load("sessions")

USERNAME_PATTERN = re.compile(r"[A-Z0-9_][A-Z0-9._\-]{0,63}")
USER_FIELDS = ("username", "display_name", "email", "role", "active")


class InvalidUsername(ValueError):
    """The name is empty, too long or has characters Windows account names do not use."""


def normalise_username(raw: str) -> str:
    """The account name as Windows gives it, upper-cased: `CORP\\jean.dupont` -> `JEAN.DUPONT`.

    Accepts `DOMAIN\\user`, `user@domain` (UPN) and stray spaces; the domain is dropped.
    """
    name = raw.strip()
    if "\\" in name:
        name = name.rsplit("\\", 1)[1]
    if "@" in name:
        name = name.split("@", 1)[0]
    name = name.strip().upper()
    if not name:
        raise InvalidUsername("Identifiant vide.")
    if len(name) > 64:
        raise InvalidUsername("Identifiant trop long (64 caractères au plus).")
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidUsername(
            "Identifiant invalide : lettres non accentuées, chiffres, '.', '_' et '-' seulement."
        )
    return name


def user_out(row: dict) -> dict:
    """A user as the API shows it."""
    return {
        "id": row["id"],
        "username": row["username"],
        "display_name": row["display_name"],
        "email": row["email"],
        "role": row["role"],
        "active": bool(row["active"]),
        "last_login_at": row["last_login_at"],
        "version": row["version"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
    }


async def get_user(db: Database, user_id: int) -> dict:
    async with db.read() as session:
        row = await session.fetch_one(Q.user_by_id, {"id": user_id})
    if row is None:
        raise NotFound(f"Utilisateur {user_id} introuvable.", code="user_not_found")
    return user_out(row)


async def find_user(db: Database, username: str) -> Optional[dict]:
    async with db.read() as session:
        row = await session.fetch_one(Q.user_by_username, {"username": username})
    return user_out(row) if row else None


async def list_users(db: Database, *, include_inactive: bool, limit: int, offset: int
                     ) -> tuple[list[dict], int]:
    params = {"include_inactive": include_inactive, "limit": limit, "offset": offset}
    async with db.read() as session:
        rows = await session.fetch_all(Q.users_page, params)
        total = await session.fetch_value(Q.users_count, params)
    return [user_out(row) for row in rows], total


async def insert_user(tx: WriteSession, actor: Actor, fields: dict) -> dict:
    """Create a user in the caller's transaction and log it."""
    existing = await tx.fetch_one(Q.user_by_username, {"username": fields["username"]})
    if existing is not None:
        raise Conflict(f"L'utilisateur {fields['username']} existe déjà (id {existing['id']}).",
                       code="username_taken", existing_id=existing["id"])
    values = {"display_name": "", "email": "", "active": True, **fields}
    user_id, _ = await tx.execute(Q.insert_user, {**values, "now": clock.now_iso(),
                                                  "by": actor.username})
    created = user_out(await tx.fetch_one(Q.user_by_id, {"id": user_id}))
    await activity.record(
        tx, actor, "create", entity="user", entity_id=user_id,
        summary=f"Création de l'utilisateur {created['username']} ({created['role']})",
        changes=activity.diff(None, {k: created[k] for k in USER_FIELDS}), record=created,
    )
    return created


async def create_user(db: Database, actor: Actor, fields: dict) -> dict:
    async with db.write() as tx:
        return await insert_user(tx, actor, fields)


async def _last_admin_guard(tx: WriteSession, current: dict, after: dict) -> None:
    was_admin = current["role"] == "admin" and current["active"]
    stays_admin = after["role"] == "admin" and after["active"]
    if was_admin and not stays_admin and await tx.fetch_value(Q.active_admins_count) <= 1:
        raise Conflict(
            f"{current['username']} est le dernier administrateur actif : "
            "nommez d'abord un autre administrateur.",
            code="last_admin",
        )


async def update_user(db: Database, actor: Actor, user_id: int, changes: dict,
                      expected_version: Optional[int] = None) -> dict:
    """Apply `changes`; a role change or deactivation revokes the user's sessions at once."""
    async with db.write() as tx:
        row = await tx.fetch_one(Q.user_by_id, {"id": user_id})
        if row is None:
            raise NotFound(f"Utilisateur {user_id} introuvable.", code="user_not_found")
        current = user_out(row)
        check_version("user", current, expected_version)
        if not changed(current, changes):
            return current
        after = {**current, **changes}
        await _last_admin_guard(tx, current, after)
        _, count = await tx.execute(Q.update_user, {
            "id": user_id, "version": current["version"], "display_name": after["display_name"],
            "email": after["email"], "role": after["role"], "active": after["active"],
            "now": clock.now_iso(), "by": actor.username,
        })
        if count != 1:
            raise stale("user", current)
        updated = user_out(await tx.fetch_one(Q.user_by_id, {"id": user_id}))
        if updated["role"] != current["role"] or not updated["active"]:
            reason = "désactivation" if not updated["active"] else "changement de rôle"
            await tx.execute(QS.revoke_user_sessions, {"user_id": user_id, "now": clock.now_iso(),
                                                       "reason": reason})
        action = "delete" if current["active"] and not updated["active"] else "update"
        verb = "Désactivation" if action == "delete" else "Modification"
        await activity.record(
            tx, actor, action, entity="user", entity_id=user_id,
            summary=f"{verb} de l'utilisateur {updated['username']}",
            changes=activity.diff({k: current[k] for k in USER_FIELDS},
                                  {k: updated[k] for k in USER_FIELDS}),
            record=updated,
        )
        return updated


async def ensure_default_admin(db: Database, username: str) -> Optional[dict]:
    """Create the configured admin on first start; leave an existing account as it is."""
    if not username:
        return None
    name = normalise_username(username)
    async with db.write() as tx:
        if await tx.fetch_one(Q.user_by_username, {"username": name}) is not None:
            return None
        return await insert_user(tx, activity.SYSTEM, {"username": name, "role": "admin",
                                                       "display_name": "Administrateur"})


# --- sessions ------------------------------------------------------------------------------

def session_out(row: dict) -> dict:
    return {key: row[key] for key in ("id", "user_id", "username", "role", "hostname", "address",
                                      "user_agent", "created_at", "last_seen_at", "expires_at")}


async def session_for_token(db: Database, jti: str) -> Optional[dict]:
    async with db.read() as session:
        return await session.fetch_one(QS.session_for_token, {"jti": jti, "now": clock.now_iso()})


async def touch_session(db: Database, session_id: int) -> None:
    async with db.write() as tx:
        await tx.execute(QS.touch_session, {"id": session_id, "now": clock.now_iso()})


async def list_sessions(db: Database, *, limit: int, offset: int) -> tuple[list[dict], int]:
    params = {"now": clock.now_iso(), "limit": limit, "offset": offset}
    async with db.read() as session:
        rows = await session.fetch_all(QS.active_sessions, params)
        total = await session.fetch_value(QS.active_sessions_count, params)
    return [session_out(row) for row in rows], total


async def revoke_session(db: Database, actor: Actor, session_id: int, reason: str) -> dict:
    async with db.write() as tx:
        row = await tx.fetch_one(QS.session_by_id, {"id": session_id})
        if row is None:
            raise NotFound(f"Session {session_id} introuvable.", code="session_not_found")
        _, count = await tx.execute(QS.revoke_session, {"id": session_id, "now": clock.now_iso(),
                                                        "reason": reason})
        if count:
            action = "logout" if reason == "déconnexion" else "delete"
            summary = (f"Déconnexion de {row['username']}" if action == "logout"
                       else f"Révocation de la session {session_id} de {row['username']}")
            await activity.record(tx, actor, action, entity="session", entity_id=session_id,
                                  summary=summary)
        return session_out(row)


async def purge_expired_sessions(db: Database) -> int:
    async with db.write() as tx:
        _, count = await tx.execute(QS.purge_expired_sessions, {"now": clock.now_iso()})
    return count


def public_user(user: dict) -> dict[str, Any]:
    """What the login answer tells the client about its user."""
    return {key: user[key] for key in ("id", "username", "display_name", "role")}
