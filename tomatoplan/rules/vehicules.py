"""Vehicles (trucks, trailers, vans): a number plate, a type, the skill their driver must hold.

The one home of `sql/vehicules.sql`. The plate comes normalised from the API (`fields.Plate`)
and is unique. Their unavailabilities are a sub-resource (`vehicle_unavailability`); the checks
on giving one to a mission are `vehicle_checks`'. A vehicle that missions name is deactivated,
not erased, so the planning keeps its history.
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session, WriteSession
from ..base.errors import Conflict, NotFound, StaleReferences, invalid
from .activity import Actor
from .assignment import around
from .records import Records, api_values, meta
from .skills import skill_with_code

Q = sqlfiles.load("vehicules")

VEHICULE_TYPES = ("porteur", "tracteur", "semi", "remorque", "utilitaire", "vl", "autre")
VEHICULE_FIELDS = ("immatriculation", "type", "competence_requise", "actif", "notes")
VEHICULE_DEFAULTS = {"competence_requise": None, "actif": True, "notes": None}


def vehicule_out(row: dict) -> dict:
    return {"id": row["id"], "immatriculation": row["immatriculation"], "type": row["type"],
            "competence_requise": row["competence_requise"], "actif": bool(row["actif"]),
            "notes": row["notes"], **meta(row)}


async def find_vehicule(session, vehicule_id: int) -> Optional[dict]:
    """The vehicle, or None (callers decide between 404 and 409)."""
    row = await session.fetch_one(Q.vehicule_by_id, {"id": vehicule_id})
    return vehicule_out(row) if row is not None else None


async def load_vehicule(session, vehicule_id: int) -> dict:
    """The vehicle; 404 when it does not exist."""
    vehicule = await find_vehicule(session, vehicule_id)
    if vehicule is None:
        raise NotFound(f"Véhicule {vehicule_id} introuvable.", code="vehicule_not_found")
    return vehicule


VEHICULES = Records("vehicule", VEHICULE_FIELDS, load=load_vehicule,
                    row_params=lambda vehicule: {key: vehicule[key] for key in VEHICULE_FIELDS},
                    insert_sql=Q.insert_vehicule, update_sql=Q.update_vehicule,
                    delete_sql=Q.delete_vehicule)


async def get_vehicule(db: Database, vehicule_id: int) -> dict:
    return await db.snapshot(lambda session: load_vehicule(session, vehicule_id))


async def list_vehicules(db: Database, *, actif: Optional[bool], type_: Optional[str], limit: int,
                         offset: int) -> tuple[list, int]:
    """One page of vehicles by number plate, and how many there are in all."""
    params = {"actif": actif, "type": type_, "limit": limit, "offset": offset}

    async def page(session: Session) -> tuple[list[dict], int]:
        return (await session.fetch_all(Q.vehicules_page, params),
                await session.fetch_value(Q.vehicules_count, params))

    rows, total = await db.snapshot(page)
    return [vehicule_out(row) for row in rows], total


async def every_vehicule(session) -> list[dict]:
    """Every vehicle, by number plate."""
    return [vehicule_out(row) for row in await session.fetch_all(Q.vehicules_all)]


async def missions_around(session, vehicule_id: int, day: datetime.date,
                          mission_id: Optional[int]) -> list[dict]:
    """The vehicle's live missions from the day before `day` to the day after, except
    `mission_id`: what giving it a trip on `day` may overlap."""
    return await session.fetch_all(Q.vehicule_missions_around, {
        "vehicule_id": vehicule_id, "mission_id": mission_id, **around(day)})


async def missions_with_vehicles_around(session, day: datetime.date) -> list[dict]:
    """Every live mission naming a vehicle, from the day before `day` to the day after."""
    return await session.fetch_all(Q.missions_with_vehicles_around, around(day))


async def _guard(tx: WriteSession, vehicule: dict, vehicule_id: Optional[int]) -> None:
    """409 when another vehicle has the plate, or when the required skill is not in the
    catalogue."""
    holder = await tx.fetch_one(Q.vehicule_by_immatriculation,
                                {"immatriculation": vehicule["immatriculation"]})
    if holder is not None and holder["id"] != vehicule_id:
        raise Conflict(f"L'immatriculation {holder['immatriculation']} est déjà celle du véhicule "
                       f"{holder['id']}.", code="immatriculation_taken", vehicule_id=holder["id"])
    code = vehicule["competence_requise"]
    if code is not None and await skill_with_code(tx, code) is None:
        raise StaleReferences([invalid("competence_requise", "not_found",
                                       f"Compétence {code} absente du catalogue (GET /competences).")])


async def create_vehicule(db: Database, actor: Actor, fields: dict) -> dict:
    values = {**VEHICULE_DEFAULTS, **api_values(fields)}

    async def work(tx: WriteSession) -> dict:
        await _guard(tx, values, None)
        return await VEHICULES.create(
            tx, actor, values, summary=lambda made: f"Création du véhicule {made['immatriculation']}")

    return await db.transaction(work)


async def update_vehicule(db: Database, actor: Actor, vehicule_id: int, changes: dict,
                          expected: Optional[int]) -> dict:
    return await db.transaction(lambda tx: VEHICULES.update(
        tx, actor, (vehicule_id,), api_values(changes), expected,
        before_save=lambda current, after: _guard(tx, after, vehicule_id),
        summary=lambda vehicule: f"Modification du véhicule {vehicule['immatriculation']}"))


async def delete_vehicule(db: Database, actor: Actor, vehicule_id: int, expected: Optional[int]
                          ) -> Optional[dict]:
    """Erase a vehicle no mission names (with its unavailabilities); deactivate (and return)
    one that missions name."""

    async def work(tx: WriteSession) -> Optional[dict]:
        current = await VEHICULES.current(tx, vehicule_id, expected=expected)
        plate = current["immatriculation"]
        if await tx.fetch_value(Q.vehicule_has_missions, {"vehicule_id": vehicule_id}):
            if not current["actif"]:
                return current
            return await VEHICULES.save(
                tx, actor, current, {**current, "actif": False},
                summary=lambda vehicule: f"Désactivation du véhicule {plate} (des missions le "
                                         "nomment : il est gardé, inactif)")
        held = await tx.fetch_value(Q.vehicule_unavailability_count, {"vehicule_id": vehicule_id})
        await VEHICULES.erase(tx, actor, current,
                              summary=f"Suppression du véhicule {plate} (avec {held} indisponibilité(s))")
        return None

    return await db.transaction(work)
