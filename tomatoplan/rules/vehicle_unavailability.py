"""Unavailabilities of a vehicle (maintenance, contrôle technique, panne...), from date_debut to
date_fin included.

The one home of `sql/vehicle_unavailability.sql`. Like a chauffeur's absence, an
unavailability only blocks new assignments on its days; missions already given stay as they
are (the availability of the vehicles shows them).
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session, WriteSession
from ..base.errors import NotFound, raise_if_invalid, raise_if_stale
from ..base.formats import EARLIEST_DATE, LATEST_DATE
from .absences import dates_errors
from .activity import Actor
from .records import Records, api_values, meta
from .vehicules import load_vehicule

Q = sqlfiles.load("vehicle_unavailability")

MOTIFS = ("maintenance", "controle_technique", "panne", "autre")
UNAVAILABILITY_FIELDS = ("vehicule_id", "date_debut", "date_fin", "motif", "commentaire")


def unavailability_out(row: dict) -> dict:
    return {"id": row["id"], "vehicule_id": row["vehicule_id"], "date_debut": row["date_debut"],
            "date_fin": row["date_fin"], "motif": row["motif"], "commentaire": row["commentaire"],
            **meta(row)}


async def _unavailability(session, vehicule_id: int, unavailability_id: int) -> dict:
    row = await session.fetch_one(Q.unavailability_by_id, {"id": unavailability_id,
                                                           "vehicule_id": vehicule_id})
    if row is None:
        raise NotFound(f"Indisponibilité {unavailability_id} du véhicule {vehicule_id} introuvable.",
                       code="indisponibilite_not_found")
    return unavailability_out(row)


UNAVAILABILITIES = Records(
    "indisponibilite", UNAVAILABILITY_FIELDS, load=_unavailability,
    key=lambda unavailability: (unavailability["vehicule_id"], unavailability["id"]),
    row_params=lambda unavailability: {key: unavailability[key] for key in UNAVAILABILITY_FIELDS},
    insert_sql=Q.insert_unavailability, update_sql=Q.update_unavailability,
    delete_sql=Q.delete_unavailability)


def _summary(verb: str, vehicule: dict, unavailability: dict) -> str:
    return (f"{verb} de l'indisponibilité du véhicule {vehicule['immatriculation']} du "
            f"{unavailability['date_debut']} au {unavailability['date_fin']} ({unavailability['motif']})")


async def _check_stored_dates(current: dict, after: dict) -> None:
    """One date of an update against the stored other one: 409 (the client must reread)."""
    raise_if_stale(dates_errors(after))


async def covering(session, vehicule_id: int, day: datetime.date) -> list:
    """The vehicle's unavailabilities that cover `day`."""
    return await session.fetch_all(Q.unavailabilities_of_vehicule, {
        "vehicule_id": vehicule_id, "date_debut": day.isoformat(), "date_fin": day.isoformat(),
        "limit": -1, "offset": 0})


async def on_day(session, day: datetime.date) -> list:
    """Every vehicle's unavailabilities covering `day`, by vehicle."""
    return await session.fetch_all(Q.unavailabilities_on_day, {"day": day.isoformat()})


async def get_unavailability(db: Database, vehicule_id: int, unavailability_id: int) -> dict:
    return await db.snapshot(lambda session: _unavailability(session, vehicule_id, unavailability_id))


async def list_unavailabilities(db: Database, vehicule_id: int, *, date_debut: Optional[str],
                                date_fin: Optional[str], limit: int, offset: int) -> tuple[list, int]:
    """Unavailabilities of a vehicle touching [date_debut, date_fin] (both optional), latest first."""
    params = {"vehicule_id": vehicule_id, "limit": limit, "offset": offset,
              "date_debut": date_debut or EARLIEST_DATE, "date_fin": date_fin or LATEST_DATE}

    async def page(session: Session) -> tuple[list[dict], int]:
        await load_vehicule(session, vehicule_id)
        return (await session.fetch_all(Q.unavailabilities_of_vehicule, params),
                await session.fetch_value(Q.unavailabilities_of_vehicule_count, params))

    rows, total = await db.snapshot(page)
    return [unavailability_out(row) for row in rows], total


async def create_unavailability(db: Database, actor: Actor, vehicule_id: int, fields: dict) -> dict:
    values = {"commentaire": None, "motif": "autre", **api_values(fields), "vehicule_id": vehicule_id}
    raise_if_invalid(dates_errors(values))

    async def work(tx: WriteSession) -> dict:
        vehicule = await load_vehicule(tx, vehicule_id)
        return await UNAVAILABILITIES.create(
            tx, actor, values, summary=lambda made: _summary("Création", vehicule, made))

    return await db.transaction(work)


async def update_unavailability(db: Database, actor: Actor, vehicule_id: int, unavailability_id: int,
                                changes: dict, expected: Optional[int]) -> dict:
    raise_if_invalid(dates_errors(changes))  # the body itself: 422 before 412

    async def work(tx: WriteSession) -> dict:
        vehicule = await load_vehicule(tx, vehicule_id)
        return await UNAVAILABILITIES.update(
            tx, actor, (vehicule_id, unavailability_id), api_values(changes), expected,
            before_save=_check_stored_dates,
            summary=lambda unavailability: _summary("Modification", vehicule, unavailability))

    return await db.transaction(work)


async def delete_unavailability(db: Database, actor: Actor, vehicule_id: int, unavailability_id: int,
                                expected: Optional[int]) -> None:
    async def work(tx: WriteSession) -> None:
        vehicule = await load_vehicule(tx, vehicule_id)
        await UNAVAILABILITIES.delete(
            tx, actor, (vehicule_id, unavailability_id), expected,
            summary=lambda unavailability: _summary("Suppression", vehicule, unavailability))

    await db.transaction(work)
