"""Who may drive what: the checks on giving a mission to a chauffeur.

One set of rules serves both: `POST/PUT /missions` refuse (409) what they find, and
`GET /chauffeurs/disponibles/{date}` (see `availability`) shows the same findings as reasons.
A cancelled (`annule`) mission never counts; times follow `hours` (a trip that ends after
midnight is compared with the next day's missions too).
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

from .absences import covering
from .chauffeurs import full_name, load_chauffeur
from .hours import hours_text, overlaps, span

ONE_DAY = datetime.timedelta(days=1)


def around(day: datetime.date) -> dict:
    """The day before and the day after: the missions a trip of `day` may overlap."""
    return {"date_avant": (day - ONE_DAY).isoformat(), "date_apres": (day + ONE_DAY).isoformat()}


def find_problems(chauffeur: dict, day: datetime.date, *, absences: list, voyage: Optional[dict],
                  slot: Optional[tuple[int, int]], others: list) -> list[dict]:
    """Every reason `chauffeur` may not take a trip on `day` ({code, detail, ...} each).

    `chauffeur` comes with the skills it holds, `absences` cover the day, `voyage` gives the
    required skills, `slot` the trip's minutes (see `hours.span`) and `others` the chauffeur's
    live missions from the day before to the day after.
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
        expiry = {held["code"]: held["date_expiration"] for held in chauffeur["competences"]}
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
    for other in same_slot(slot, others, day):
        problems.append({
            "code": "chevauchement", "mission_id": other["id"],
            "detail": f"{name} a déjà la mission {other['id']} le {other['date_mission']} "
                      f"({hours_text(other)}, {other['destination']}) sur le même créneau.",
        })
    return problems


def same_slot(slot: Optional[tuple[int, int]], others: list, day: datetime.date) -> list[dict]:
    """The missions of `others` that overlap `slot` (minutes of `day`, see `hours.span`): the
    chauffeur's and the vehicle's checks count a slot the same way."""
    if slot is None:
        return []
    return [other for other in others
            if (taken := span(other["date_mission"], other["heure_debut"], other["heure_fin"], day))
            is not None and overlaps(slot, taken)]


async def assignment_problems(session, mission: dict, *, voyage: Optional[dict], others: list
                              ) -> list[dict]:
    """What stands against giving `mission` (its values after the change) to its chauffeur;
    `others` are the chauffeur's other live missions around its day."""
    day = datetime.date.fromisoformat(mission["date_mission"])
    chauffeur = await load_chauffeur(session, mission["chauffeur_id"])
    slot = span(mission["date_mission"], mission["heure_debut"], mission["heure_fin"], day)
    return find_problems(chauffeur, day, absences=await covering(session, chauffeur["id"], day),
                         voyage=voyage, slot=slot, others=others)
