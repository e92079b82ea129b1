"""The activity log (SAURON): who did what, from where, with the before/after of each change.

The one home of `sql/activity.sql`: writing lines, and every way of reading them back (a
record's history, recent activity, activity per user, the live feed's replay), and the
retention purge. A line is written with `record(...)` inside the same transaction as the
change it describes, so the log never claims a change that was rolled back, nor misses one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import logging
from typing import Any, Mapping, Optional

from ..base import clock, sqlfiles
from ..base.db import Database, OneTrip, Session, WriteSession
from ..base.errors import NotFound
from ..base.permissions import visible_record

log = logging.getLogger(__name__)
Q = sqlfiles.load("activity")
PURGE_BATCH = 5000


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts and from where; `user_id` is None for a failed login of an unknown name.
    `permissions`: what the actor's role holds, for the rules that depend on it (changing a
    validated day, copying amounts); none for the command line and the system."""

    username: str
    hostname: str = ""
    address: str = ""
    user_id: Optional[int] = None
    permissions: frozenset = frozenset()


SYSTEM = Actor(username="SYSTEM", hostname="", address="")


# --- writing -------------------------------------------------------------------------------

def diff(before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]],
         fields: Optional[list] = None) -> dict:
    """{"before": {...}, "after": {...}} limited to the fields that changed."""
    before = before or {}
    after = after or {}
    keys = fields or sorted(set(before) | set(after))
    changed = [key for key in keys if before.get(key) != after.get(key)]
    return {
        "before": {key: before.get(key) for key in changed if key in before},
        "after": {key: after.get(key) for key in changed if key in after},
    }


async def record(tx: WriteSession, actor: Actor, action: str, *, entity: str = "",
                 entity_id: Optional[int] = None, summary: str = "",
                 changes: Optional[dict] = None, record: Optional[dict] = None) -> int:
    """Append one line in the caller's transaction; returns its id.

    `record` is the changed record as the API shows it (None after a delete): the live
    change feed publishes it once the transaction commits.
    """
    line = {
        "at": clock.now_iso(),
        "user_id": actor.user_id,
        "username": actor.username,
        "hostname": actor.hostname,
        "address": actor.address,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "summary": summary,
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
        "record": json.dumps(record, ensure_ascii=False, default=str) if record is not None else None,
    }
    row_id, _ = await tx.execute(Q.insert_activity, line)
    tx.notes.append({"id": row_id, **line})
    return row_id


async def log_change(tx: WriteSession, actor: Actor, action: str, entity: str, entity_id: int,
                     summary: str, before: Optional[dict], after: Optional[dict], fields: tuple,
                     **extra: Any) -> None:
    """One activity line for one change: the before/after of `fields` that changed."""
    changes = diff(
        {key: before[key] for key in fields} if before is not None else None,
        {key: after[key] for key in fields} if after is not None else None,
    )
    changes.update(extra)
    await record(tx, actor, action, entity=entity, entity_id=entity_id, summary=summary,
                 changes=changes, record=after)


# --- reading -------------------------------------------------------------------------------

def line_out(line: dict, can_read_finance: bool) -> dict:
    """One line for the API; finance fields of the diff only for finance readers."""
    changes = json.loads(line["changes"]) if line.get("changes") else None
    if changes:
        for side in ("before", "after"):
            if isinstance(changes.get(side), dict):
                changes[side] = visible_record(changes[side], can_read_finance)
    return {
        "id": line["id"],
        "at": line["at"],
        "username": line["username"],
        "hostname": line["hostname"],
        "address": line["address"],
        "action": line["action"],
        "entity": line["entity"],
        "entity_id": line["entity_id"],
        "summary": line["summary"],
        "changes": changes,
    }


async def history(db: Database, entity: str, entity_id: int, *, finance: bool) -> list:
    """The trail of one record, oldest first; amounts hidden unless `finance`."""
    rows = await db.query(Q.activity_for_entity, {"entity": entity, "entity_id": entity_id})
    if not rows:
        raise NotFound(f"Aucun historique pour {entity} {entity_id}.", code="history_not_found")
    return [line_out(row, finance) for row in rows]


async def recent(db: Database, filters: dict, *, can_read_finance: bool, limit: int, offset: int
                 ) -> tuple[list[dict], int]:
    """Lines matching the filters (username, action, entity, entity_id; depuis and jusqu_a,
    ISO instants, the end excluded), newest first, and how many match."""
    params = {"username": None, "action": None, "entity": None, "entity_id": None, "depuis": None,
              "jusqu_a": None, **filters, "limit": limit, "offset": offset}
    async def page(session: Session) -> tuple[list[dict], int]:
        return (await session.fetch_all(Q.activity_page, params),
                await session.fetch_value(Q.activity_count, params))

    lines, total = await db.snapshot(page)
    return [line_out(line, can_read_finance) for line in lines], total


async def by_user(db: Database, depuis: str, jusqu_a: str) -> list[dict]:
    """Per user: total and counts by action over [depuis, jusqu_a), busiest first."""
    rows = await db.query(Q.activity_by_user, {"depuis": depuis, "jusqu_a": jusqu_a})
    per_user: dict[str, dict] = {}
    for row in rows:
        entry = per_user.setdefault(row["username"], {"username": row["username"], "total": 0,
                                                      "actions": {}})
        entry["actions"][row["action"]] = row["total"]
        entry["total"] += row["total"]
    return sorted(per_user.values(), key=lambda entry: (-entry["total"], entry["username"]))


async def lines_after(db: Database, after: int, limit: int) -> list[dict]:
    """Up to `limit` lines after the id `after`, oldest first, with their record (replay)."""
    return await db.query(Q.activity_after, {"after": after, "limit": limit})


async def oldest_id(db: Database) -> Optional[int]:
    """The id of the oldest line still kept (older ones were purged), None when empty."""
    return await OneTrip(db).fetch_value(Q.activity_oldest_id)


async def last_backup(session: Session, trigger: Optional[str] = None) -> Optional[dict]:
    """The newest backup line, made or failed (of one trigger when given), in the caller's
    snapshot; its `changes` (name, trigger, error...) decoded."""
    line = await session.fetch_one(Q.last_backup, {"trigger": trigger})
    if line is not None:
        line["changes"] = json.loads(line["changes"]) if line["changes"] else {}
    return line


async def record_alone(db: Database, actor: Actor, action: str, *, entity: str, summary: str,
                       entity_id: Optional[int] = None, changes: Optional[dict] = None,
                       payload: Optional[dict] = None) -> int:
    """One line in its own transaction (what happened outside any other write); its id.
    `payload` is what the live feed publishes with it (`record` of `record`)."""
    async with db.write() as tx:
        return await record(tx, actor, action, entity=entity, entity_id=entity_id, summary=summary,
                            changes=changes, record=payload)


# --- retention -----------------------------------------------------------------------------

async def purge_older_than(db: Database, retention_days: int) -> int:
    """Delete lines older than the retention, in batches so writers are never held long."""
    if retention_days <= 0:
        return 0
    cutoff = clock.iso(clock.now() - datetime.timedelta(days=retention_days))
    purged = 0
    while True:
        async with db.write() as tx:
            _, count = await tx.execute(Q.purge_activity_before, {"cutoff": cutoff, "batch": PURGE_BATCH})
        purged += count
        if count < PURGE_BATCH:
            break
        await asyncio.sleep(0)
    if purged:
        log.info("activity retention: purged %d lines older than %d days", purged, retention_days)
    return purged
