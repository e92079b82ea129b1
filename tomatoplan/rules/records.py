"""Versioned records: what stops two planners from overwriting each other's work, written once.

Every mutable record carries `version`; GET sends it as ETag, and a PUT or DELETE naming an
older one in If-Match is refused (412) with the record as it is now. Each kind of record
declares one `Records` (its SQL, its fields, how to load it); its create, update and delete
go through `create`, `update` and `delete` here, each with its activity line in the same
transaction:

    await CHAUFFEURS.update(tx, actor, (chauffeur_id,), changes, if_match,
                            before_save=check_matricule, summary=lambda c: f"Modification de {c['nom']}")

An entity whose update does more (missions: the assignment checks and what a forced one
overrode) composes the same steps itself: `current` (404, 412), `merged`, its checks, `save`.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
from typing import Any, Awaitable, Callable, Mapping, Optional

from ..base import clock
from ..base.errors import PreconditionFailed
from ..base.money import amount_text
from . import activity
from .activity import Actor

META_FIELDS = ("version", "created_at", "created_by", "updated_at", "updated_by")

Shown = Callable[[dict], dict]
Summary = Callable[[dict], str]
# Called with (current, after) once the update is known to change something, before the
# UPDATE: the entity's checks (422, 409) and the writes that go with it.
BeforeSave = Callable[[dict, dict], Awaitable[None]]
# Called with the record about to be erased: why it may not be (409).
BeforeDelete = Callable[[dict], Awaitable[None]]


def as_stored(record: dict) -> dict:
    return record


def meta(row: Mapping[str, Any]) -> dict:
    """The version and who made and last changed a row."""
    return {key: row[key] for key in META_FIELDS}


def api_values(cleaned: Mapping[str, Any]) -> dict:
    """Validated field values as the API shows them: dates as text, amounts as "125.50"."""
    shown = {}
    for key, value in cleaned.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = amount_text(int(value * 100))
        shown[key] = value
    return shown


def merged(current: dict, changes: Mapping[str, Any]) -> Optional[dict]:
    """The record with `changes` applied, or None when they change nothing."""
    if all(current.get(key) == value for key, value in changes.items()):
        return None
    return {**current, **changes}


def stale(current: dict, expected: int) -> PreconditionFailed:
    """412 carrying the record as it is now, so the client can merge and retry. A version
    the record never had is a client's mistake, not a colleague's change: it says so."""
    if expected > current["version"]:
        return PreconditionFailed(
            f"La version {expected} n'a jamais existé (version actuelle {current['version']}) : "
            "renvoyez dans If-Match l'ETag reçu au GET.",
            code="unknown_version", current=current)
    return PreconditionFailed(
        f"Cet enregistrement a été modifié entre-temps (version actuelle {current['version']}) : "
        "rechargez-le avant de le modifier.",
        code="version_mismatch", current=current,
    )


@dataclasses.dataclass(frozen=True)
class Records:
    """The versioned writes of one kind of record.

    `load(session, *key)` returns the record as the API shows it or raises NotFound;
    `key(record)` gives those arguments back from a record (the id, or the parent's id and
    the id for a sub-resource); `row_params(record)` gives the named parameters of
    `insert_sql` and `update_sql` (extra ones are ignored by SQLite).
    """

    entity: str
    fields: tuple
    load: Callable[..., Awaitable[dict]]
    row_params: Callable[[dict], dict]
    insert_sql: str
    update_sql: str
    delete_sql: Optional[str] = None
    key: Callable[[dict], tuple] = lambda record: (record["id"],)

    async def current(self, session, *key: int, expected: Optional[int],
                      shown: Shown = as_stored) -> dict:
        """The record as stored; 412 with it (as `shown` to the caller) when If-Match names
        another version."""
        record = await self.load(session, *key)
        if expected is not None and expected != record["version"]:
            raise stale(shown(record), expected)
        return record

    async def create(self, tx, actor: Actor, values: dict, *, summary: Summary,
                     then: Optional[Callable[[int], Awaitable[None]]] = None, **log_extra: Any) -> dict:
        """INSERT at version 1, `then(new_id)` for what goes with it, log the creation."""
        record_id, _ = await tx.execute(self.insert_sql, {
            **self.row_params(values), "now": clock.now_iso(), "by": actor.username})
        if then is not None:
            await then(record_id)
        created = await self.load(tx, *self.key({**values, "id": record_id}))
        await activity.log_change(tx, actor, "create", self.entity, record_id, summary(created),
                                  None, created, self.fields, **log_extra)
        return created

    async def save(self, tx, actor: Actor, current: dict, after: dict, *, summary: Summary,
                   action: str = "update", shown: Shown = as_stored, **log_extra: Any) -> dict:
        """UPDATE ... WHERE version is still the one read (412 otherwise), re-read, log the
        before/after."""
        _, count = await tx.execute(self.update_sql, {
            **self.row_params(after), "id": current["id"], "version": current["version"],
            "now": clock.now_iso(), "by": actor.username})
        if count != 1:
            raise stale(shown(current))
        updated = await self.load(tx, *self.key(current))
        await activity.log_change(tx, actor, action, self.entity, current["id"], summary(updated),
                                  current, updated, self.fields, **log_extra)
        return updated

    async def update(self, tx, actor: Actor, key: tuple, changes: dict, expected: Optional[int], *,
                     summary: Summary, before_save: Optional[BeforeSave] = None,
                     shown: Shown = as_stored) -> dict:
        """The whole update: the current record (404, 412), nothing to do when `changes`
        change nothing, `before_save`, then `save`."""
        current = await self.current(tx, *key, expected=expected, shown=shown)
        after = merged(current, changes)
        if after is None:
            return current
        if before_save is not None:
            await before_save(current, after)
        return await self.save(tx, actor, current, after, summary=summary, shown=shown)

    async def delete(self, tx, actor: Actor, key: tuple, expected: Optional[int], *, summary: Summary,
                     before: Optional[BeforeDelete] = None, shown: Shown = as_stored) -> None:
        """The whole delete: the current record (404, 412), `before` (409), then `erase`."""
        current = await self.current(tx, *key, expected=expected, shown=shown)
        if before is not None:
            await before(current)
        await self.erase(tx, actor, current, summary=summary(current), shown=shown)

    async def erase(self, tx, actor: Actor, current: dict, *, summary: str,
                    shown: Shown = as_stored) -> None:
        """DELETE ... WHERE version is still the one read (412 otherwise), log it."""
        if self.delete_sql is None:
            raise TypeError(f"{self.entity} records are never deleted")
        _, count = await tx.execute(self.delete_sql, {"id": current["id"], "version": current["version"]})
        if count != 1:
            raise stale(shown(current))
        await activity.log_change(tx, actor, "delete", self.entity, current["id"], summary, current,
                                  None, self.fields)
