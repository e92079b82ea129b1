"""Missions: one trip on one day, maybe from a voyage, maybe given to a chauffeur.

The one home of `sql/missions.sql`. Giving a mission to a chauffeur goes through the checks of
`assignment`; `force` passes them and the log keeps the reasons overridden. `finance` says
whether the caller may see `prix` and `cout`: the log always keeps them.
"""

from __future__ import annotations

import datetime
import functools
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, OneTrip, WriteSession
from ..base.errors import Conflict, NotFound, invalid, raise_if_invalid, raise_if_stale
from ..base.fields import Choice, Date, id_field
from ..base.formats import EARLIEST_DATE, LATEST_DATE
from ..base.money import amount_text, cents
from ..base.permissions import FINANCE_FIELDS, visible_record
from . import chauffeurs, jours, voyages
from .activity import Actor
from .assignment import around, assignment_problems
from .hours import hours_errors, shifted_end
from .records import Records, Shown, api_values, as_stored, merged, meta
from .vehicle_checks import vehicle_problems, vehicle_reference

Q = sqlfiles.load("missions")

STATUTS = ("planifie", "en_cours", "termine", "annule")
# The filters of the mission lists (GET /missions, GET /missions.csv), as `list_missions` reads them.
LIST_FILTERS = {
    "date": Date("Missions de ce jour"),
    "date_debut": Date("À partir de ce jour (inclus)"),
    "date_fin": Date("Jusqu'à ce jour (inclus)"),
    "chauffeur_id": id_field("Missions de ce chauffeur"),
    "voyage_id": id_field("Missions de ce voyage"),
    "statut": Choice(STATUTS, "Missions de ce statut"),
}
MISSION_FIELDS = ("date_mission", "destination", "origine", "voyage_id", "chauffeur_id", "vehicule",
                  "vehicule_id", "heure_debut", "heure_fin", "statut", "remarques", "prix", "cout")
MISSION_DEFAULTS = {"origine": None, "voyage_id": None, "chauffeur_id": None, "vehicule": None,
                    "vehicule_id": None, "heure_debut": None, "heure_fin": None, "statut": "planifie",
                    "remarques": None, "prix": None, "cout": None}
# Changing one of these re-runs the assignment checks; editing a remark does not.
ASSIGNMENT_FIELDS = ("chauffeur_id", "date_mission", "heure_debut", "heure_fin", "voyage_id", "vehicule_id")


def mission_out(row: dict, finance: bool = True) -> dict:
    """A mission as the API shows it; `prix` and `cout` only when `finance`."""
    mission = {"id": row["id"]}
    mission.update((key, row[key]) for key in MISSION_FIELDS if key not in FINANCE_FIELDS)
    if finance:
        mission["prix"] = amount_text(row["prix_cents"])
        mission["cout"] = amount_text(row["cout_cents"])
    mission.update(meta(row))
    return mission


def _row_params(mission: dict) -> dict:
    params = {key: mission[key] for key in MISSION_FIELDS if key not in FINANCE_FIELDS}
    params["prix_cents"] = cents(mission["prix"])
    params["cout_cents"] = cents(mission["cout"])
    params["source_id"], params["copie_de"] = mission.get("source_id"), mission.get("copie_de")
    return params


async def _mission(session, mission_id: int) -> dict:
    row = await session.fetch_one(Q.mission_by_id, {"id": mission_id})
    if row is None:
        raise NotFound(f"Mission {mission_id} introuvable.", code="mission_not_found")
    return mission_out(row)


MISSIONS = Records("mission", MISSION_FIELDS, load=_mission, row_params=_row_params,
                   insert_sql=Q.insert_mission, update_sql=Q.update_mission, delete_sql=Q.delete_mission)


def _view(finance: bool, mission: dict) -> dict:
    return mission if finance else visible_record(mission, False)


def _summary(verb: str, mission: dict, problems: list = (), validated: Optional[dict] = None) -> str:
    driver = f", chauffeur {mission['chauffeur_id']}" if mission["chauffeur_id"] else ""
    forced = (" — affectation forcée malgré : " + " ; ".join(p["detail"] for p in problems)
              if problems else "")
    return (f"{verb} de la mission {mission['id']} du {mission['date_mission']} "
            f"vers {mission['destination']}{driver}{forced}{jours.note(validated or {})}")


def _forced(problems: list) -> dict:
    """What the activity line keeps of the checks a forced assignment passed."""
    return {"forced": problems} if problems else {}


async def get_mission(db: Database, mission_id: int, *, finance: bool) -> dict:
    return _view(finance, await _mission(OneTrip(db), mission_id))


async def missions_for_day(db: Database, day: datetime.date, *, limit: int, offset: int,
                           finance: bool) -> tuple[str, int, Optional[dict]]:
    """The missions of one day by start time as a JSON array (`mission_out` of each, built
    by SQLite), how many there are, and who validated the day and when (None: not validated)."""
    params = {"date_mission": day.isoformat(), "limit": limit, "offset": offset,
              "finance": finance}
    found = (await db.query(Q.missions_by_date, params))[0]
    validated = {"valide_par": found["valide_par"], "valide_le": found["valide_le"]}
    return found["page"], found["total_count"], validated if found["valide_le"] else None


async def _page(db: Database, page_sql: str, params: dict) -> tuple[str, int]:
    """A page as JSON text and the number of missions matching, from one statement (the
    number comes even with a page past the end)."""
    found = (await db.query(page_sql, params))[0]
    return found["page"], found["total_count"]


def list_query(chauffeur_id: Optional[int], voyage_id: Optional[int]) -> str:
    """The page query whose index fits the filters: chauffeur, voyage, else dates."""
    if chauffeur_id is not None:
        return Q.missions_of_chauffeur
    if voyage_id is not None:
        return Q.missions_of_voyage
    return Q.missions_in_range


async def list_missions(db: Database, *, date_debut: Optional[datetime.date],
                        date_fin: Optional[datetime.date], chauffeur_id: Optional[int],
                        voyage_id: Optional[int], statut: Optional[str], limit: int, offset: int,
                        finance: bool) -> tuple[str, int]:
    """Missions matching every filter given, by day and time, as a JSON array (see
    `missions_for_day`), and how many match."""
    params = {
        "date_debut": date_debut.isoformat() if date_debut else EARLIEST_DATE,
        "date_fin": date_fin.isoformat() if date_fin else LATEST_DATE,
        "chauffeur_id": chauffeur_id, "voyage_id": voyage_id, "statut": statut,
        "limit": limit, "offset": offset, "finance": finance,
    }
    return await _page(db, list_query(chauffeur_id, voyage_id), params)


async def _references(tx: WriteSession, mission: dict, before: Optional[dict]
                      ) -> tuple[Optional[dict], list]:
    """The mission's voyage, and the entries (a 409's) for a voyage or chauffeur that does
    not exist."""
    errors = []
    voyage = None
    if mission["voyage_id"] is not None:
        voyage = await voyages.find_voyage(tx, mission["voyage_id"])
        if voyage is None:
            errors.append(invalid("voyage_id", "not_found", f"Voyage {mission['voyage_id']} introuvable."))
    chauffeur_id = mission["chauffeur_id"]
    if (chauffeur_id is not None and (before is None or before["chauffeur_id"] != chauffeur_id)
            and not await chauffeurs.exists(tx, chauffeur_id)):
        errors.append(invalid("chauffeur_id", "not_found", f"Chauffeur {chauffeur_id} introuvable."))
    return voyage, errors


async def _assignment(tx: WriteSession, mission: dict, mission_id: Optional[int],
                      voyage: Optional[dict], force: bool) -> list:
    """The problems of the mission's assignment: 409 listing them unless `force`."""
    if mission["statut"] == "annule":
        return []
    problems = await vehicle_problems(tx, mission, mission_id)  # the chauffeur's come first
    if mission["chauffeur_id"] is not None:
        day = datetime.date.fromisoformat(mission["date_mission"])
        others = await tx.fetch_all(Q.chauffeur_missions_around, {
            "chauffeur_id": mission["chauffeur_id"], "mission_id": mission_id, **around(day)})
        problems = await assignment_problems(tx, mission, voyage=voyage, others=others) + problems
    if problems and not force:
        raise Conflict(
            "Affectation refusée : " + " ".join(problem["detail"] for problem in problems)
            + " Passer outre : ?force=true (permission de modifier les voyages).",
            code="assignment_conflict", problems=problems,
        )
    return problems


async def create_mission(db: Database, actor: Actor, fields: dict, *, force: bool = False,
                         finance: bool = True) -> dict:
    """Create a mission; what the body leaves out (destination, origin, hours) comes from its
    voyage."""
    return _view(finance, await db.transaction(lambda tx: create_in(tx, actor, fields, force=force)))


async def create_in(tx: WriteSession, actor: Actor, fields: dict, *, force: bool = False,
                    source_id: Optional[str] = None, copie_de: Optional[int] = None) -> dict:
    """Create a mission in the caller's transaction (the API, the import of PTT's files, which
    gives the id it had there, the copy of a day, which gives the mission copied)."""
    given = api_values(fields)
    mission = {**MISSION_DEFAULTS, **given, "source_id": source_id, "copie_de": copie_de}
    errors = hours_errors(mission)
    if mission.get("destination") is None and mission.get("voyage_id") is None:
        errors.append(invalid("destination", "required",
                              "Champ obligatoire (sauf si le voyage donne une destination)."))
    raise_if_invalid(errors)
    voyage, stale = await _references(tx, mission, None)
    stale += await vehicle_reference(tx, mission, None, given)
    if voyage is not None:
        for key in ("destination", "origine"):
            if key not in given:
                mission[key] = voyage[key]
        if "heure_debut" not in given and "heure_fin" not in given:
            mission["heure_debut"], mission["heure_fin"] = voyage["heure_debut"], voyage["heure_fin"]
        elif given.get("heure_debut") is not None and "heure_fin" not in given:
            # Another start than the voyage's: the voyage's duration, from that start.
            mission["heure_fin"] = shifted_end(given["heure_debut"], voyage["heure_debut"],
                                               voyage["heure_fin"])
        if not mission.get("destination"):  # a voyage may have none ("" or null)
            stale.append(invalid("destination", "required",
                                 f"Le voyage {voyage['code']} n'a pas de destination : donnez-la."))
    raise_if_stale(stale)
    validated = await jours.guard(tx, actor, [mission["date_mission"]])
    problems = await _assignment(tx, mission, None, voyage, force)
    verb = "Création" if copie_de is None else f"Création (copie de la mission {copie_de})"
    return await MISSIONS.create(tx, actor, mission, **_forced(problems), **validated,
                                 summary=lambda made: _summary(verb, made, problems, validated))


async def update_mission(db: Database, actor: Actor, mission_id: int, changes: dict,
                         expected: Optional[int], *, force: bool = False, finance: bool = True
                         ) -> dict:
    """Apply the fields given; a change of chauffeur, vehicle, day, hours or voyage is checked again."""
    shown = functools.partial(_view, finance)
    raise_if_invalid(hours_errors(changes, partial=True))  # the body itself: 422 before 412
    return shown(await db.transaction(lambda tx: update_in(tx, actor, mission_id, changes, expected,
                                                           force=force, shown=shown)))


async def update_in(tx: WriteSession, actor: Actor, mission_id: int, changes: dict,
                    expected: Optional[int], *, force: bool = False, shown: Shown = as_stored
                    ) -> dict:
    """Apply `changes` in the caller's transaction (`shown`: the record a 412 carries)."""
    current = await MISSIONS.current(tx, mission_id, expected=expected, shown=shown)
    changes = api_values(changes)
    if changes.get("heure_debut") is not None and "heure_fin" not in changes \
            and current["heure_fin"] is not None:
        # A mission moved to another start keeps its duration (as a calendar moves an event).
        changes["heure_fin"] = shifted_end(changes["heure_debut"], current["heure_debut"],
                                           current["heure_fin"])
    after = merged(current, changes)
    if after is None:
        return current
    voyage, stale = await _references(tx, after, current)
    stale += await vehicle_reference(tx, after, current, changes)
    raise_if_stale(stale + hours_errors(after))  # with what is stored, not in the body
    validated = await jours.guard(tx, actor, jours.days_touched(current, after))
    revived = current["statut"] == "annule" and after["statut"] != "annule"
    problems = []
    if revived or any(after[key] != current[key] for key in ASSIGNMENT_FIELDS):
        problems = await _assignment(tx, after, mission_id, voyage, force)
    return await MISSIONS.save(tx, actor, current, after, shown=shown, **_forced(problems), **validated,
                               summary=lambda mission: _summary("Modification", mission, problems, validated))


async def delete_mission(db: Database, actor: Actor, mission_id: int, expected: Optional[int], *,
                         finance: bool = True) -> None:
    async def delete(tx: WriteSession) -> None:
        current = await MISSIONS.current(tx, mission_id, expected=expected, shown=lambda m: _view(finance, m))
        validated = await jours.guard(tx, actor, [current["date_mission"]])
        await MISSIONS.erase(tx, actor, current, summary=_summary("Suppression", current, (), validated))
    await db.transaction(delete)


async def generate_missions(db: Database, actor: Actor, first: datetime.date,
                            last: Optional[datetime.date] = None, *, finance: bool = True) -> dict:
    """Create the missions of the active voyages that run on each day from `first` to `last`
    (included; `first` alone: that day), in one transaction.

    Idempotent: a voyage that already has a mission that day (even cancelled) gets no other.
    A voyage without a destination, or on a validated day the actor may not change (`jours`),
    makes no mission: it is listed in `ignorees`. For one day the answer has its `date`; for
    several, `date_debut` and `date_fin`, and each entry of `existantes` and `ignorees` its `date`.
    """
    created, existing, skipped = [], [], []
    days = [first + datetime.timedelta(days=n) for n in range(((last or first) - first).days + 1)]
    async with db.write() as tx:
        for day in days:
            stamp = {} if last is None else {"date": day.isoformat()}
            validated, closed = await jours.for_generation(tx, actor, day.isoformat())
            for voyage, mission_id in await voyages.running_on(tx, day):
                if mission_id is not None:
                    existing.append({**stamp, "voyage_id": voyage["id"], "code": voyage["code"],
                                     "mission_id": mission_id})
                    continue
                if closed or not voyage["destination"]:
                    skipped.append({**stamp, "voyage_id": voyage["id"], "code": voyage["code"],
                                    "raison": closed or "Voyage sans destination : complétez-le."})
                    continue
                mission = {**MISSION_DEFAULTS, "date_mission": day.isoformat(),
                           "voyage_id": voyage["id"], "destination": voyage["destination"],
                           "origine": voyage["origine"], "heure_debut": voyage["heure_debut"],
                           "heure_fin": voyage["heure_fin"]}
                made = await MISSIONS.create(tx, actor, mission, **validated, summary=functools.partial(
                    _summary, f"Génération (voyage {voyage['code']})", validated=validated))
                created.append(_view(finance, made))
    period = ({"date": first.isoformat()} if last is None
              else {"date_debut": first.isoformat(), "date_fin": last.isoformat()})
    return {**period, "creees": created, "existantes": existing, "ignorees": skipped}
