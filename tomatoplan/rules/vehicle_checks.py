"""Which vehicle may go on which trip: the checks on giving a mission its vehicle, and the
vehicles free on a day (`GET /vehicules/disponibles/{date}`).

One set of rules serves both, as `assignment` does for the chauffeurs: `POST/PUT /missions`
refuse (409, beside the chauffeur's problems) what `find_vehicle_problems` finds, and the
availability shows the same findings as reasons. The slots are the chauffeurs' (`hours.span`
and `hours.overlaps`); a cancelled mission never counts.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

from ..base.db import Database, Session, WriteSession
from ..base.errors import invalid, raise_if_stale
from . import chauffeurs, vehicle_unavailability, vehicules, voyages
from .assignment import same_slot
from .chauffeurs import full_name, load_chauffeur
from .hours import hours_text, span

# What the availability shows of each mission a vehicle has that day.
DAY_FIELDS = ("id", "date_mission", "heure_debut", "heure_fin", "destination", "voyage_id",
              "chauffeur_id", "statut")


def find_vehicle_problems(vehicule: dict, day: datetime.date, *, unavailabilities: list,
                          chauffeur: Optional[dict], slot: Optional[tuple[int, int]], others: list
                          ) -> list[dict]:
    """Every reason `vehicule` may not go on a trip on `day` ({code, detail, ...} each).

    `unavailabilities` cover the day, `chauffeur` (with the skills it holds; None: no driver)
    must hold the vehicle's required skill, valid that day, `slot` gives the trip's minutes
    (see `hours.span`) and `others` the vehicle's live missions from the day before to the
    day after.
    """
    plate = vehicule["immatriculation"]
    problems: list[dict[str, Any]] = []
    if not vehicule["actif"]:
        problems.append({"code": "vehicule_inactif", "detail": f"Le véhicule {plate} est inactif."})
    for unavailable in unavailabilities:
        problems.append({
            "code": "vehicule_indisponible", "indisponibilite_id": unavailable["id"],
            "detail": f"Le véhicule {plate} est indisponible du {unavailable['date_debut']} au "
                      f"{unavailable['date_fin']} ({unavailable['motif']}).",
        })
    code = vehicule["competence_requise"]
    if chauffeur is not None and code is not None:
        expiry = {held["code"]: held["date_expiration"] for held in chauffeur["competences"]}
        if code not in expiry:
            problems.append({
                "code": "permis_vehicule_manquant", "competence": code, "date_expiration": None,
                "detail": f"{full_name(chauffeur)} n'a pas la compétence {code} que demande le "
                          f"véhicule {plate}.",
            })
        elif expiry[code] is not None and expiry[code] < day.isoformat():
            problems.append({
                "code": "permis_vehicule_manquant", "competence": code, "date_expiration": expiry[code],
                "detail": f"La compétence {code} de {full_name(chauffeur)} a expiré le {expiry[code]} "
                          f"(véhicule {plate} le {day.isoformat()}).",
            })
    for other in same_slot(slot, others, day):
        problems.append({
            "code": "vehicule_chevauchement", "mission_id": other["id"],
            "detail": f"Le véhicule {plate} a déjà la mission {other['id']} le "
                      f"{other['date_mission']} ({hours_text(other)}, {other['destination']}) "
                      "sur le même créneau.",
        })
    return problems


async def vehicle_problems(session, mission: dict, mission_id: Optional[int]) -> list[dict]:
    """What stands against the mission's vehicle (its values after the change): none without
    one. The chauffeur's own problems are `assignment`'s."""
    if mission.get("vehicule_id") is None:
        return []
    day = datetime.date.fromisoformat(mission["date_mission"])
    vehicule = await vehicules.load_vehicule(session, mission["vehicule_id"])
    chauffeur = (await load_chauffeur(session, mission["chauffeur_id"])
                 if mission["chauffeur_id"] is not None else None)
    return find_vehicle_problems(
        vehicule, day, unavailabilities=await vehicle_unavailability.covering(session, vehicule["id"], day),
        chauffeur=chauffeur, slot=span(mission["date_mission"], mission["heure_debut"],
                                       mission["heure_fin"], day),
        others=await vehicules.missions_around(session, vehicule["id"], day, mission_id))


async def vehicle_reference(tx: WriteSession, mission: dict, before: Optional[dict], given: dict
                            ) -> list:
    """The entry (a 409's) for a `vehicule_id` that does not exist. When the vehicle changes
    and the body leaves `vehicule` out, the free text follows it (its plate, or nothing), so
    that the clients reading only `vehicule` see the truck given."""
    vehicule_id = mission.get("vehicule_id")
    if before is not None and before.get("vehicule_id") == vehicule_id:
        return []
    vehicule = await vehicules.find_vehicule(tx, vehicule_id) if vehicule_id is not None else None
    if vehicule_id is not None and vehicule is None:
        return [invalid("vehicule_id", "not_found", f"Véhicule {vehicule_id} introuvable.")]
    if "vehicule" not in given and (vehicule is not None or before is not None):
        mission["vehicule"] = vehicule["immatriculation"] if vehicule is not None else None
    return []


async def available_vehicles(db: Database, day: datetime.date, *, voyage_id: Optional[int] = None,
                             chauffeur_id: Optional[int] = None, tous: bool = False) -> tuple[list, int]:
    """Active vehicles without unavailability on `day`, each with its live missions that day,
    and their number.

    With `voyage_id`, only those free at its hours; with `chauffeur_id`, only those whose
    required skill the chauffeur holds, valid that day. With `tous`, the others too, with
    `disponible: false` and their `raisons`.
    """
    async def load(session: Session) -> tuple:
        voyage = await voyages.find_voyage(session, voyage_id) if voyage_id is not None else None
        known = chauffeur_id is not None and await chauffeurs.exists(session, chauffeur_id)
        stale = []
        if voyage_id is not None and voyage is None:
            stale.append(invalid("voyage_id", "not_found", f"Voyage {voyage_id} introuvable."))
        if chauffeur_id is not None and not known:
            stale.append(invalid("chauffeur_id", "not_found", f"Chauffeur {chauffeur_id} introuvable."))
        raise_if_stale(stale)
        chauffeur = await load_chauffeur(session, chauffeur_id) if known else None
        return (voyage, chauffeur, await vehicules.every_vehicule(session),
                await vehicle_unavailability.on_day(session, day),
                await vehicules.missions_with_vehicles_around(session, day))

    voyage, chauffeur, fleet, unavailable, busy = await db.snapshot(load)
    away, taken = _by_vehicle(unavailable), _by_vehicle(busy)
    slot = span(day.isoformat(), voyage["heure_debut"], voyage["heure_fin"], day) if voyage else None
    found = []
    for vehicule in fleet:
        problems = find_vehicle_problems(vehicule, day, unavailabilities=away.get(vehicule["id"], []),
                                         chauffeur=chauffeur, slot=slot,
                                         others=taken.get(vehicule["id"], []))
        if problems and not tous:
            continue
        that_day = [{key: mission[key] for key in DAY_FIELDS} for mission in taken.get(vehicule["id"], [])
                    if mission["date_mission"] == day.isoformat()]
        found.append({**vehicule, "disponible": not problems, "raisons": problems, "missions": that_day})
    return found, len(found)


def _by_vehicle(rows: list) -> dict[int, list]:
    """Rows (unavailabilities, missions) grouped under their `vehicule_id`, in order."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["vehicule_id"], []).append(row)
    return grouped
