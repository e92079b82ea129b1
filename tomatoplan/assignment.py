"""Who may drive what: the checks on assigning a chauffeur, and the availability of a day.

One set of rules serves both: `POST/PUT /missions` refuse (409) what they find, and
`GET /chauffeurs/disponibles/{date}` shows the same findings as reasons.

Times: a mission occupies [heure_debut, heure_fin) on its day; an end before the start
means it ends the next day, so the missions of the day before and after are checked too.
A mission without heure_debut has no known time and never overlaps; one with a start but no
end occupies only its start minute. A cancelled (`annule`) mission never counts.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

from . import sqlfiles
from .chauffeurs import chauffeur_out, full_name
from .db import Database
from .errors import ValidationFailed
from .planning import unknown_id
from .voyages import find_voyage

QM = sqlfiles.load("missions")
QC = sqlfiles.load("chauffeurs")
QV = sqlfiles.load("voyages")

MINUTES_PER_DAY = 24 * 60
ONE_DAY = datetime.timedelta(days=1)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def span(date_mission: str, heure_debut: Optional[str], heure_fin: Optional[str],
         day: datetime.date) -> Optional[tuple[int, int]]:
    """Minutes from midnight of `day` that a trip occupies; None when it has no start time."""
    if heure_debut is None:
        return None
    offset = (datetime.date.fromisoformat(date_mission) - day).days * MINUTES_PER_DAY
    start = offset + _minutes(heure_debut)
    if heure_fin is None:
        return start, start
    end = offset + _minutes(heure_fin)
    if end <= start:
        end += MINUTES_PER_DAY
    return start, end


def overlaps(one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Half-open intervals overlap; two trips starting the same minute always do."""
    return one[0] == other[0] or (one[0] < other[1] and other[0] < one[1])


def _hours(mission: dict) -> str:
    if mission["heure_debut"] is None:
        return "sans heure"
    if mission["heure_fin"] is None:
        return f"à {mission['heure_debut']}"
    return f"{mission['heure_debut']}-{mission['heure_fin']}"


def find_problems(chauffeur: dict, day: datetime.date, *, absences: list, held: list,
                  voyage: Optional[dict], slot: Optional[tuple[int, int]], others: list
                  ) -> list[dict]:
    """Every reason `chauffeur` may not take a trip on `day` ({code, detail, ...} each).

    `absences` cover the day, `held` are the chauffeur's skills, `voyage` gives the required
    skills, `slot` the trip's minutes (see `span`) and `others` the chauffeur's live missions
    from the day before to the day after.
    """
    name = full_name(chauffeur)
    problems: list[dict[str, Any]] = []
    if not chauffeur["actif"]:
        problems.append({"code": "chauffeur_inactif", "detail": f"{name} est inactif."})
    for absence in absences:
        problems.append({
            "code": "chauffeur_absent", "absence_id": absence["id"],
            "detail": f"{name} est absent du {absence['date_debut']} au {absence['date_fin']} "
                      f"({absence['motif']}).",
        })
    if voyage is not None:
        expiry = {competence["skill_code"]: competence["date_expiration"] for competence in held}
        for code in voyage["competences_requises"]:
            if code not in expiry:
                problems.append({
                    "code": "competence_manquante", "competence": code,
                    "detail": f"{name} n'a pas la compétence {code} que demande le voyage "
                              f"{voyage['code']}.",
                })
            elif expiry[code] is not None and expiry[code] < day.isoformat():
                problems.append({
                    "code": "competence_expiree", "competence": code,
                    "detail": f"La compétence {code} de {name} a expiré le {expiry[code]} "
                              f"(voyage {voyage['code']} le {day.isoformat()}).",
                })
    if slot is not None:
        for other in others:
            taken = span(other["date_mission"], other["heure_debut"], other["heure_fin"], day)
            if taken is not None and overlaps(slot, taken):
                problems.append({
                    "code": "chevauchement", "mission_id": other["id"],
                    "detail": f"{name} a déjà la mission {other['id']} le {other['date_mission']} "
                              f"({_hours(other)}, {other['destination']}) sur le même créneau.",
                })
    return problems


def _around(day: datetime.date) -> dict:
    return {"date_avant": (day - ONE_DAY).isoformat(), "date_apres": (day + ONE_DAY).isoformat()}


async def assignment_problems(session, mission: dict, *, mission_id: Optional[int],
                              voyage: Optional[dict]) -> list[dict]:
    """What stands against giving `mission` (its values after the change) to its chauffeur."""
    day = datetime.date.fromisoformat(mission["date_mission"])
    chauffeur_id = mission["chauffeur_id"]
    chauffeur = await session.fetch_one(QC.chauffeur_by_id, {"id": chauffeur_id})
    held = await session.fetch_all(QC.competences_of_chauffeur, {"chauffeur_id": chauffeur_id})
    absences = await session.fetch_all(QC.absences_of_chauffeur, {
        "chauffeur_id": chauffeur_id, "date_debut": day.isoformat(), "date_fin": day.isoformat(),
        "limit": -1, "offset": 0})
    others = await session.fetch_all(QM.chauffeur_missions_around, {
        "chauffeur_id": chauffeur_id, "mission_id": mission_id, **_around(day)})
    slot = span(mission["date_mission"], mission["heure_debut"], mission["heure_fin"], day)
    return find_problems(chauffeur, day, absences=absences, held=held, voyage=voyage, slot=slot,
                         others=others)


async def available_drivers(db: Database, day: datetime.date, *, voyage_id: Optional[int] = None,
                            tous: bool = False) -> list[dict]:
    """Chauffeurs free on `day`, each with its live missions that day.

    With `voyage_id`, also those holding the voyage's skills (valid that day) and free at its
    hours. With `tous`, the others too, with `disponible: false` and their `raisons`.
    """
    async with db.read() as session:
        voyage = None
        if voyage_id is not None:
            voyage = await find_voyage(session, voyage_id)
            if voyage is None:
                raise ValidationFailed([unknown_id("voyage_id", f"Voyage {voyage_id} introuvable.")])
        chauffeurs = await session.fetch_all(QC.all_chauffeurs)
        competences = await session.fetch_all(QC.all_competences)
        absences = await session.fetch_all(QC.absences_on_date, {"date": day.isoformat()})
        missions = await session.fetch_all(QM.assigned_missions_around, _around(day))

    def by_chauffeur(rows: list) -> dict:
        grouped: dict[int, list] = {}
        for row in rows:
            grouped.setdefault(row["chauffeur_id"], []).append(row)
        return grouped

    held, away, busy = by_chauffeur(competences), by_chauffeur(absences), by_chauffeur(missions)
    slot = (span(day.isoformat(), voyage["heure_debut"], voyage["heure_fin"], day)
            if voyage is not None else None)
    found = []
    for row in chauffeurs:
        chauffeur = chauffeur_out(row, held.get(row["id"], []))
        problems = find_problems(chauffeur, day, absences=away.get(row["id"], []),
                                 held=held.get(row["id"], []), voyage=voyage, slot=slot,
                                 others=busy.get(row["id"], []))
        if problems and not tous:
            continue
        that_day = [{key: mission[key] for key in ("id", "date_mission", "heure_debut", "heure_fin",
                                                    "destination", "voyage_id", "statut")}
                    for mission in busy.get(row["id"], [])
                    if mission["date_mission"] == day.isoformat()]
        found.append({**chauffeur, "disponible": not problems, "raisons": problems,
                      "missions": that_day})
    return found
