"""Validated days: a day a planner_advanced or an admin has closed, and what that forbids.

The one home of `sql/jours.sql`. While a day is validated, creating, changing or deleting one
of its missions is refused (409 `jour_valide`, saying who validated it and when) to an actor
without `jours.validate`; one who holds it may, and the activity line of the change says the
day was validated. A mission moved from one day to another touches both days; a change of its
amounts alone touches none (the finance role prices the missions of a day once it is done).
Validating and reopening a day write their own activity line (entity `jour`, the day as the
number YYYYMMDD for its id), which the live feed publishes on the `missions` topic.
"""

from __future__ import annotations

import datetime
from typing import Iterable, Optional

from ..base import clock, sqlfiles
from ..base.db import Database, WriteSession
from ..base.errors import Conflict
from ..base.permissions import FINANCE_FIELDS, Permission, roles_with
from . import activity
from .activity import Actor

Q = sqlfiles.load("jours")
ENTITY = "jour"


def jour_out(day: str, validation: Optional[dict]) -> dict:
    """A day as the API shows it: whether it is validated, by whom and when."""
    return {"date": day, "valide": validation is not None,
            "valide_par": validation["valide_par"] if validation else None,
            "valide_le": validation["valide_le"] if validation else None}


def entity_id(day: str) -> int:
    """The id of a day in the activity log: 2024-01-15 is 20240115."""
    return int(day.replace("-", ""))


async def validation_of(session, day: str) -> Optional[dict]:
    """Who validated `day` and when, None when it is open (in the caller's session)."""
    return await session.fetch_one(Q.validation_of_day, {"date": day})


async def get_jour(db: Database, day: datetime.date) -> dict:
    rows = await db.query(Q.validation_of_day, {"date": day.isoformat()})
    return jour_out(day.isoformat(), rows[0] if rows else None)


async def validate_day(db: Database, actor: Actor, day: datetime.date) -> tuple[dict, bool]:
    """Validate `day`: (the day, True when validated just now). A day already validated stays
    as it was, validated by the first one."""
    date = day.isoformat()

    async def work(tx: WriteSession) -> tuple[dict, bool]:
        _, count = await tx.execute(Q.insert_validation, {"date": date, "by": actor.username,
                                                          "now": clock.now_iso()})
        jour = jour_out(date, await validation_of(tx, date))
        if count:
            await activity.record(tx, actor, "validate", entity=ENTITY, entity_id=entity_id(date),
                                  summary=f"Validation du jour {date}", record=jour,
                                  changes={"before": {"valide": False}, "after": jour})
        return jour, bool(count)

    return await db.transaction(work)


async def reopen_day(db: Database, actor: Actor, day: datetime.date) -> tuple[dict, bool]:
    """Reopen `day`: (the day, True when it was validated until now)."""
    date = day.isoformat()

    async def work(tx: WriteSession) -> tuple[dict, bool]:
        before = await validation_of(tx, date)
        jour = jour_out(date, None)
        if before is not None:
            await tx.execute(Q.delete_validation, {"date": date})
            await activity.record(tx, actor, "reopen", entity=ENTITY, entity_id=entity_id(date),
                                  summary=f"Réouverture du jour {date} (validé par "
                                          f"{before['valide_par']} le {before['valide_le']})",
                                  changes={"before": jour_out(date, before), "after": jour},
                                  record=jour)
        return jour, before is not None

    return await db.transaction(work)


# --- what a validated day forbids ----------------------------------------------------------

def may_change_validated(actor: Actor) -> bool:
    return Permission.VALIDATE_DAYS in actor.permissions


def refusal(validated: list) -> Conflict:
    """409 `jour_valide`: the days, who validated them and when, and who may still change them."""
    told = " ; ".join(f"le {v['date']} a été validé par {v['valide_par']} le {v['valide_le']}"
                      for v in validated)
    roles = ", ".join(roles_with(Permission.VALIDATE_DAYS))
    return Conflict(f"Jour validé : {told}. Seuls les rôles {roles} peuvent modifier ses missions, "
                    "ou le rouvrir.", code="jour_valide", jours=[jour_out(v["date"], v) for v in validated])


async def guard(session, actor: Actor, days: Iterable[str]) -> dict:
    """Nothing when none of `days` is validated. Otherwise 409 `jour_valide` for an actor who
    may not change a validated day; for one who may, what the activity line of the change
    keeps of it: {"jours_valides": [{date, valide_par, valide_le}]} (see `note`)."""
    validated = [found for day in sorted(set(days))
                 if (found := await validation_of(session, day)) is not None]
    if not validated:
        return {}
    if not may_change_validated(actor):
        raise refusal(validated)
    return {"jours_valides": validated}


def note(validated: dict) -> str:
    """What a change's summary adds when it was made on a validated day (see `guard`)."""
    return "".join(f" — jour {v['date']} validé par {v['valide_par']} le {v['valide_le']}"
                   for v in validated.get("jours_valides", ()))


def days_touched(before: dict, after: dict) -> list:
    """The days a change of a mission touches: the day it leaves and the day it goes to; none
    when only its amounts change."""
    if all(before.get(key) == after[key] for key in after if key not in FINANCE_FIELDS):
        return []
    return [before["date_mission"], after["date_mission"]]


async def for_generation(session, actor: Actor, day: str) -> tuple[dict, Optional[str]]:
    """(what each creation's line keeps, None) when `actor` may create missions on `day`;
    ({}, why not) when it is validated and he may not: generation skips it."""
    try:
        return await guard(session, actor, [day]), None
    except Conflict as refused:
        return {}, refused.detail
