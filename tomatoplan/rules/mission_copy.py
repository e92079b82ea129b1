"""Copying a day: the missions of one day made again on another (POST /missions/copy).

The one home of `sql/mission_copy.sql`. Each mission of the day copied that is not cancelled
is created on the target day as `planifie` through `missions.create_in`, the path of POST
/missions (its checks and its activity line, never `force`), remembering the mission it copies
(`copie_de`): copying the same day to the same day again makes no other copy of it and lists
it in `existantes`. The chauffeur and the vehicle are kept only when asked (`chauffeurs`,
`vehicules`), and then only where the assignment checks accept them on the target day: the
chauffeur is dropped first when his own checks fail, then the vehicle (its own checks, or the
licence it needs); `non_repris` says what was dropped and why. The amounts are copied only
for an actor who may write them (`finance.write`). All in one transaction; a validated target
day is refused (409 `jour_valide`) to an actor who may not change it, before anything.
"""

from __future__ import annotations

import datetime

from ..base import sqlfiles
from ..base.db import Database, WriteSession
from ..base.errors import Conflict
from ..base.permissions import FINANCE_FIELDS, Permission, visible_record
from . import jours, missions
from .activity import Actor

Q = sqlfiles.load("mission_copy")
# What a copy keeps only when asked: the chauffeur; the vehicle, as a record and as free text.
CHAUFFEUR_FIELDS = ("chauffeur_id",)
VEHICLE_FIELDS = ("vehicule_id", "vehicule")


def field_of(problem: dict) -> str:
    """The field an assignment problem is about: the vehicle (its own problems and the licence
    it needs) or the chauffeur."""
    return "vehicule_id" if "vehicule" in problem["code"] else "chauffeur_id"


def copied_fields(original: dict, target: str, *, chauffeurs: bool, vehicules: bool,
                  amounts: bool) -> dict:
    """What the copy of `original` on `target` is created with, before any check."""
    fields = {key: original[key] for key in missions.MISSION_FIELDS}
    fields.update(date_mission=target, statut="planifie")
    left_out = ((() if chauffeurs else CHAUFFEUR_FIELDS) + (() if vehicules else VEHICLE_FIELDS)
                + (() if amounts else FINANCE_FIELDS))
    fields.update((key, None) for key in left_out if key in fields)
    return fields


def _dropped(original: dict, field: str, value: int, problems: list) -> dict:
    what = "Chauffeur" if field == "chauffeur_id" else "Véhicule"
    return {"mission_source_id": original["id"], "champ": field, "valeur": value,
            "problems": problems,
            "detail": f"{what} {value} non repris : " + " ".join(p["detail"] for p in problems)}


async def _copy_one(tx: WriteSession, actor: Actor, original: dict, fields: dict
                    ) -> tuple[dict, list]:
    """Create the copy, dropping the chauffeur, then the vehicle, while the checks refuse
    them: (the copy, what was dropped and why)."""
    dropped = []
    while True:
        try:
            return await missions.create_in(tx, actor, fields, copie_de=original["id"]), dropped
        except Conflict as refused:
            problems = refused.extra.get("problems") or []
            about = {field_of(problem) for problem in problems}
            field = "chauffeur_id" if "chauffeur_id" in about else "vehicule_id"
            if refused.code != "assignment_conflict" or fields.get(field) is None:
                raise
            dropped.append(_dropped(original, field, fields[field],
                                    [problem for problem in problems if field_of(problem) == field]))
            fields.update((key, None) for key in (CHAUFFEUR_FIELDS if field == "chauffeur_id"
                                                  else VEHICLE_FIELDS))


async def copy_day(db: Database, actor: Actor, source: datetime.date, target: datetime.date, *,
                   chauffeurs: bool = False, vehicules: bool = False, finance: bool = True) -> dict:
    """Copy the missions of `source` to `target` (see the module); `finance`: whether the
    caller may see the amounts of the copies."""
    days = {"date_source": source.isoformat(), "date_cible": target.isoformat()}
    amounts = Permission.WRITE_FINANCE in actor.permissions

    async def work(tx: WriteSession) -> dict:
        await jours.guard(tx, actor, [days["date_cible"]])  # even with nothing to copy
        created, existing, dropped = [], [], []
        for row in await tx.fetch_all(Q.missions_to_copy, days):
            if row["copie_id"] is not None:
                existing.append({"mission_source_id": row["id"], "mission_id": row["copie_id"]})
                continue
            original = await missions.MISSIONS.load(tx, row["id"])
            fields = copied_fields(original, days["date_cible"], chauffeurs=chauffeurs,
                                   vehicules=vehicules, amounts=amounts)
            made, lost = await _copy_one(tx, actor, original, fields)
            created.append(visible_record(made, finance))
            dropped += [{**entry, "mission_id": made["id"]} for entry in lost]
        return {**days, "creees": created, "existantes": existing, "non_repris": dropped,
                "montants_copies": amounts}

    return await db.transaction(work)
