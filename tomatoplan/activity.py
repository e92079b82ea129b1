"""The activity log (SAURON): who did what, from where, with the before/after of each change.

A line is written with `record(...)` inside the same transaction as the change it
describes, so the log never claims a change that was rolled back, nor misses one.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping, Optional

from . import clock, sqlfiles
from .db import Database, WriteSession

Q = sqlfiles.load("activity")


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts and from where; `user_id` is None for a failed login of an unknown name."""

    username: str
    hostname: str = ""
    address: str = ""
    user_id: Optional[int] = None


SYSTEM = Actor(username="SYSTEM", hostname="", address="")


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


async def record_refusal(db: Database, actor: Actor, summary: str, *, action: str = "access_denied",
                         entity: str = "route", entity_id: Optional[int] = None) -> None:
    """A refused access (or failed login) in its own transaction: nothing else is written."""
    async with db.write() as tx:
        await record(tx, actor, action, entity=entity, entity_id=entity_id, summary=summary)
