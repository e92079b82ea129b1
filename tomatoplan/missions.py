"""Missions: the data layer (no HTTP).

Every write runs in one transaction with its activity line; an update is one
`UPDATE ... WHERE id = :id AND version = :version`. Assigning a chauffeur goes through the
checks of `assignment`; `force` passes them and the log keeps the reasons overridden.
`finance` says whether the caller may see `prix` and `cout`: the log always keeps them.
"""

from __future__ import annotations

import datetime
from typing import Optional

from . import clock, sqlfiles
from .activity import Actor
from .assignment import assignment_problems
from .db import Database, WriteSession
from .errors import Conflict, NotFound
from .permissions import FINANCE_FIELDS
from .planning import (
    amount_text,
    api_values,
    cents,
    jour_bit,
    log_change,
    meta,
    raise_if,
    time_errors,
    unknown_id,
    without_finance,
)
from .versions import changed, check_version, stale
from .voyages import find_voyage

Q = sqlfiles.load("missions")
QV = sqlfiles.load("voyages")

STATUTS = ("planifie", "en_cours", "termine", "annule")
MISSION_FIELDS = ("date_mission", "destination", "origine", "voyage_id", "chauffeur_id", "vehicule",
                  "heure_debut", "heure_fin", "statut", "remarques", "prix", "cout")
MISSION_DEFAULTS = {"origine": None, "voyage_id": None, "chauffeur_id": None, "vehicule": None,
                    "heure_debut": None, "heure_fin": None, "statut": "planifie",
                    "remarques": None, "prix": None, "cout": None}
# Changing one of these re-runs the assignment checks; editing a remark does not.
ASSIGNMENT_FIELDS = ("chauffeur_id", "date_mission", "heure_debut", "heure_fin", "voyage_id")
ALL_DATES = {"date_debut": "0001-01-01", "date_fin": "9999-12-31"}


def mission_out(row: dict, finance: bool = True) -> dict:
    """A mission as the API shows it; `prix` and `cout` only when `finance`."""
    mission = {"id": row["id"]}
    mission.update((key, row[key]) for key in MISSION_FIELDS if key not in FINANCE_FIELDS)
    if finance:
        mission["prix"] = amount_text(row["prix_cents"])
        mission["cout"] = amount_text(row["cout_cents"])
    mission.update(meta(row))
    return mission


def _view(mission: dict, finance: bool) -> dict:
    return mission if finance else without_finance(mission)


def _summary(verb: str, mission: dict) -> str:
    driver = f", chauffeur {mission['chauffeur_id']}" if mission["chauffeur_id"] else ""
    return (f"{verb} de la mission {mission['id']} du {mission['date_mission']} "
            f"vers {mission['destination']}{driver}")


async def _mission(session, mission_id: int) -> dict:
    row = await session.fetch_one(Q.mission_by_id, {"id": mission_id})
    if row is None:
        raise NotFound(f"Mission {mission_id} introuvable.", code="mission_not_found")
    return mission_out(row)


async def get_mission(db: Database, mission_id: int, *, finance: bool) -> dict:
    async with db.read() as session:
        return _view(await _mission(session, mission_id), finance)


async def missions_for_day(db: Database, day: datetime.date, *, limit: int, offset: int,
                           finance: bool) -> tuple[list, int]:
    """The missions of one day by start time, and how many there are."""
    params = {"date_mission": day.isoformat(), "limit": limit, "offset": offset}
    async with db.read() as session:
        rows = await session.fetch_all(Q.missions_by_date, params)
        total = await session.fetch_value(Q.missions_by_date_count, params)
    return [mission_out(row, finance) for row in rows], total


def list_query(chauffeur_id: Optional[int], voyage_id: Optional[int]) -> tuple[str, str]:
    """(page query, count query) whose index fits the filters: chauffeur, voyage, else dates."""
    if chauffeur_id is not None:
        return Q.missions_of_chauffeur, Q.missions_of_chauffeur_count
    if voyage_id is not None:
        return Q.missions_of_voyage, Q.missions_of_voyage_count
    return Q.missions_in_range, Q.missions_in_range_count


async def list_missions(db: Database, *, date_debut: Optional[datetime.date],
                        date_fin: Optional[datetime.date], chauffeur_id: Optional[int],
                        voyage_id: Optional[int], statut: Optional[str], limit: int, offset: int,
                        finance: bool) -> tuple[list, int]:
    """Missions matching every filter given, by day and time, and how many match."""
    params = {
        "date_debut": date_debut.isoformat() if date_debut else ALL_DATES["date_debut"],
        "date_fin": date_fin.isoformat() if date_fin else ALL_DATES["date_fin"],
        "chauffeur_id": chauffeur_id, "voyage_id": voyage_id, "statut": statut,
        "limit": limit, "offset": offset,
    }
    page, count = list_query(chauffeur_id, voyage_id)
    async with db.read() as session:
        rows = await session.fetch_all(page, params)
        total = await session.fetch_value(count, params)
    return [mission_out(row, finance) for row in rows], total


async def _references(tx: WriteSession, mission: dict, before: Optional[dict]
                      ) -> tuple[Optional[dict], list]:
    """The mission's voyage, and 422 entries for a voyage or chauffeur that does not exist."""
    errors = []
    voyage = None
    if mission["voyage_id"] is not None:
        voyage = await find_voyage(tx, mission["voyage_id"])
        if voyage is None:
            errors.append(unknown_id("voyage_id", f"Voyage {mission['voyage_id']} introuvable."))
    chauffeur_id = mission["chauffeur_id"]
    if (chauffeur_id is not None and (before is None or before["chauffeur_id"] != chauffeur_id)
            and not await tx.fetch_value(Q.chauffeur_exists, {"id": chauffeur_id})):
        errors.append(unknown_id("chauffeur_id", f"Chauffeur {chauffeur_id} introuvable."))
    return voyage, errors


async def _assignment(tx: WriteSession, mission: dict, mission_id: Optional[int],
                      voyage: Optional[dict], force: bool) -> list:
    """The problems of the mission's assignment: 409 listing them unless `force`."""
    if mission["chauffeur_id"] is None or mission["statut"] == "annule":
        return []
    problems = await assignment_problems(tx, mission, mission_id=mission_id, voyage=voyage)
    if problems and not force:
        raise Conflict(
            "Affectation refusée : " + " ".join(problem["detail"] for problem in problems)
            + " Passer outre : ?force=true (permission de modifier les voyages).",
            code="assignment_conflict", problems=problems,
        )
    return problems


def _row_params(mission: dict) -> dict:
    params = {key: mission[key] for key in MISSION_FIELDS if key not in FINANCE_FIELDS}
    params["prix_cents"] = cents(mission["prix"])
    params["cout_cents"] = cents(mission["cout"])
    return params


def _forced(problems: list) -> dict:
    return {"forced": problems} if problems else {}


def _forced_note(problems: list) -> str:
    if not problems:
        return ""
    return " — affectation forcée malgré : " + " ; ".join(p["detail"] for p in problems)


async def _insert(tx: WriteSession, actor: Actor, mission: dict, problems: list, verb: str) -> dict:
    mission_id, _ = await tx.execute(Q.insert_mission, {
        **_row_params(mission), "now": clock.now_iso(), "by": actor.username})
    created = await _mission(tx, mission_id)
    await log_change(tx, actor, "create", "mission", mission_id,
                     _summary(verb, created) + _forced_note(problems), None, created,
                     MISSION_FIELDS, **_forced(problems))
    return created


async def create_mission(db: Database, actor: Actor, fields: dict, *, force: bool = False,
                         finance: bool = True) -> dict:
    """Create a mission; what the body leaves out (destination, origin, hours) comes from its
    voyage."""
    given = api_values(fields)
    mission = {**MISSION_DEFAULTS, **given}
    async with db.write() as tx:
        voyage, errors = await _references(tx, mission, None)
        if voyage is not None:
            for key in ("destination", "origine"):
                if key not in given:
                    mission[key] = voyage[key]
            if "heure_debut" not in given and "heure_fin" not in given:
                mission["heure_debut"], mission["heure_fin"] = voyage["heure_debut"], voyage["heure_fin"]
        if mission.get("destination") is None:
            errors.append({"field": "destination", "code": "required",
                           "detail": "Champ obligatoire (sauf si le voyage donne une destination)."})
        raise_if(errors + time_errors(mission))
        problems = await _assignment(tx, mission, None, voyage, force)
        created = await _insert(tx, actor, mission, problems, "Création")
    return _view(created, finance)


async def update_mission(db: Database, actor: Actor, mission_id: int, changes: dict,
                         expected: Optional[int], *, force: bool = False, finance: bool = True
                         ) -> dict:
    """Apply the fields given; a change of chauffeur, day, hours or voyage is checked again."""
    async with db.write() as tx:
        current = await _mission(tx, mission_id)
        check_version("mission", _view(current, finance), expected)
        wanted = api_values(changes)
        if not changed(current, wanted):
            return _view(current, finance)
        after = {**current, **wanted}
        voyage, errors = await _references(tx, after, current)
        raise_if(errors + time_errors(after))
        revived = current["statut"] == "annule" and after["statut"] != "annule"
        problems = []
        if revived or any(after[key] != current[key] for key in ASSIGNMENT_FIELDS):
            problems = await _assignment(tx, after, mission_id, voyage, force)
        _, count = await tx.execute(Q.update_mission, {
            **_row_params(after), "id": mission_id, "version": current["version"],
            "now": clock.now_iso(), "by": actor.username})
        if count != 1:
            raise stale("mission", _view(current, finance))
        updated = await _mission(tx, mission_id)
        await log_change(tx, actor, "update", "mission", mission_id,
                         _summary("Modification", updated) + _forced_note(problems), current,
                         updated, MISSION_FIELDS, **_forced(problems))
    return _view(updated, finance)


async def delete_mission(db: Database, actor: Actor, mission_id: int, expected: Optional[int], *,
                         finance: bool = True) -> None:
    async with db.write() as tx:
        current = await _mission(tx, mission_id)
        check_version("mission", _view(current, finance), expected)
        _, count = await tx.execute(Q.delete_mission, {"id": mission_id, "version": current["version"]})
        if count != 1:
            raise stale("mission", _view(current, finance))
        await log_change(tx, actor, "delete", "mission", mission_id,
                         _summary("Suppression", current), current, None, MISSION_FIELDS)


async def generate_missions(db: Database, actor: Actor, day: datetime.date, *, finance: bool = True
                            ) -> dict:
    """Create the day's missions of the active voyages that run that weekday.

    Idempotent: a voyage that already has a mission that day (even cancelled) gets no other.
    A voyage without a destination cannot make a mission and is listed in `ignores`.
    """
    created, existing, skipped = [], [], []
    async with db.write() as tx:
        voyages = await tx.fetch_all(QV.voyages_running_on, {"date_mission": day.isoformat(),
                                                             "jour_bit": jour_bit(day)})
        for voyage in voyages:
            if voyage["mission_id"] is not None:
                existing.append({"voyage_id": voyage["id"], "code": voyage["code"],
                                 "mission_id": voyage["mission_id"]})
                continue
            if not voyage["destination"]:
                skipped.append({"voyage_id": voyage["id"], "code": voyage["code"],
                                "raison": "Voyage sans destination : complétez-le."})
                continue
            mission = {**MISSION_DEFAULTS, "date_mission": day.isoformat(),
                       "voyage_id": voyage["id"], "destination": voyage["destination"],
                       "origine": voyage["origine"], "heure_debut": voyage["heure_debut"],
                       "heure_fin": voyage["heure_fin"]}
            made = await _insert(tx, actor, mission, [], f"Génération (voyage {voyage['code']})")
            created.append(_view(made, finance))
    return {"date": day.isoformat(), "creees": created, "existantes": existing, "ignorees": skipped}
