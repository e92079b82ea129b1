"""Users: Windows account names, roles, and the rule that one admin always remains.

The one home of `sql/users.sql`. Users are deactivated, never deleted: the activity log keeps
their name.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ..base import sqlfiles
from ..base.db import Database, OneTrip, Session, WriteSession
from ..base.errors import Conflict, NotFound, ValidationFailed, invalid
from . import sessions
from .activity import SYSTEM, Actor
from .records import Records, merged

Q = sqlfiles.load("users")

USERNAME_PATTERN = re.compile(r"[A-Z0-9_][A-Z0-9._\-]{0,63}")
# What a client may send for a Windows account: NAME, DOMAIN\NAME or NAME@domain (ASCII).
WINDOWS_ACCOUNT = (r"(?:[A-Za-z0-9][A-Za-z0-9._-]*\\)?[A-Za-z0-9_][A-Za-z0-9._-]{0,63}"
                   r"(?:@[A-Za-z0-9][A-Za-z0-9.-]*)?")
_WINDOWS_ACCOUNT = re.compile(WINDOWS_ACCOUNT)
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
    if not _WINDOWS_ACCOUNT.fullmatch(raw.strip()):
        raise InvalidUsername("Identifiant invalide : attendu NOM, DOMAINE\\NOM ou NOM@domaine.")
    return name


def username_field(raw: str) -> str:
    """`normalise_username` for a name a client sent: 422 on the `username` field if invalid."""
    try:
        return normalise_username(raw)
    except InvalidUsername as exc:
        raise ValidationFailed([invalid("username", "format", str(exc))]) from None


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


def public_user(user: dict) -> dict[str, Any]:
    """What the login answer tells the client about its user."""
    return {key: user[key] for key in ("id", "username", "display_name", "role")}


async def _user(session, user_id: int) -> dict:
    row = await session.fetch_one(Q.user_by_id, {"id": user_id})
    if row is None:
        raise NotFound(f"Utilisateur {user_id} introuvable.", code="user_not_found")
    return user_out(row)


USERS = Records("user", USER_FIELDS, load=_user,
                row_params=lambda user: {key: user[key] for key in USER_FIELDS},
                insert_sql=Q.insert_user, update_sql=Q.update_user)


async def get_user(db: Database, user_id: int) -> dict:
    return await _user(OneTrip(db), user_id)


async def user_named(session, username: str) -> Optional[dict]:
    """The user with this normalised name, or None; in the caller's snapshot or transaction."""
    row = await session.fetch_one(Q.user_by_username, {"username": username})
    return user_out(row) if row else None


async def find_user(db: Database, username: str) -> Optional[dict]:
    return await user_named(OneTrip(db), username)


async def list_users(db: Database, *, include_inactive: bool, limit: int, offset: int
                     ) -> tuple[list[dict], int]:
    params = {"include_inactive": include_inactive, "limit": limit, "offset": offset}
    async def page(session: Session) -> tuple[list[dict], int]:
        return (await session.fetch_all(Q.users_page, params),
                await session.fetch_value(Q.users_count, params))

    rows, total = await db.snapshot(page)
    return [user_out(row) for row in rows], total


async def insert_user(tx: WriteSession, actor: Actor, fields: dict) -> dict:
    """Create a user in the caller's transaction and log it; 409 when the name is taken."""
    existing = await user_named(tx, fields["username"])
    if existing is not None:
        raise Conflict(f"L'utilisateur {fields['username']} existe déjà (id {existing['id']}).",
                       code="username_taken", existing_id=existing["id"])
    return await USERS.create(
        tx, actor, {"display_name": "", "email": "", "active": True, **fields},
        summary=lambda user: f"Création de l'utilisateur {user['username']} ({user['role']})")


async def create_user(db: Database, actor: Actor, fields: dict) -> dict:
    """Create a user; the username as Windows gives it (`CORP\\jean.dupont`) is normalised."""
    fields = {**fields, "username": username_field(fields["username"])}
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
        current = await USERS.current(tx, user_id, expected=expected_version)
        after = merged(current, changes)
        if after is None:
            return current
        await _last_admin_guard(tx, current, after)
        if after["role"] != current["role"] or not after["active"]:
            reason = "désactivation" if not after["active"] else "changement de rôle"
            await sessions.revoke_all_of(tx, user_id, reason)
        # Users are never erased: a deactivation is what the log calls their deletion.
        deactivated = current["active"] and not after["active"]
        verb = "Désactivation" if deactivated else "Modification"
        return await USERS.save(tx, actor, current, after, action="delete" if deactivated else "update",
                                summary=lambda user: f"{verb} de l'utilisateur {user['username']}")


async def touch_last_login(tx: WriteSession, user_id: int, now: str) -> None:
    """Remember when a user last logged in, in the login's transaction."""
    await tx.execute(Q.touch_last_login, {"id": user_id, "now": now})


async def ensure_default_admin(db: Database, username: str) -> Optional[dict]:
    """Create the configured admin on first start; leave an existing account as it is."""
    if not username:
        return None
    name = normalise_username(username)
    async with db.write() as tx:
        if await user_named(tx, name) is not None:
            return None
        return await insert_user(tx, SYSTEM, {"username": name, "role": "admin",
                                              "display_name": "Administrateur"})
