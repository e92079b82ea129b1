"""Absences of a chauffeur (congé, maladie, formation...), from date_debut to date_fin included.

The one home of `sql/absences.sql`. An absence only blocks new assignments on its days;
missions already given stay as they are (availability shows them).
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session
from ..base.errors import NotFound, invalid, raise_if_invalid, raise_if_stale
from ..base.formats import EARLIEST_DATE, LATEST_DATE
from .activity import Actor
from .chauffeurs import full_name, load_chauffeur
from .records import Records, api_values, meta

Q = sqlfiles.load("absences")

ABSENCE_FIELDS = ("chauffeur_id", "date_debut", "date_fin", "motif", "commentaire")


def absence_out(row: dict) -> dict:
    return {"id": row["id"], "chauffeur_id": row["chauffeur_id"], "date_debut": row["date_debut"],
            "date_fin": row["date_fin"], "motif": row["motif"], "commentaire": row["commentaire"],
            **meta(row)}


async def _absence(session, chauffeur_id: int, absence_id: int) -> dict:
    row = await session.fetch_one(Q.absence_by_id, {"id": absence_id, "chauffeur_id": chauffeur_id})
    if row is None:
        raise NotFound(f"Absence {absence_id} du chauffeur {chauffeur_id} introuvable.",
                       code="absence_not_found")
    return absence_out(row)


ABSENCES = Records("absence", ABSENCE_FIELDS, load=_absence,
                   key=lambda absence: (absence["chauffeur_id"], absence["id"]),
                   row_params=lambda absence: {key: absence[key] for key in ABSENCE_FIELDS},
                   insert_sql=Q.insert_absence, update_sql=Q.update_absence,
                   delete_sql=Q.delete_absence)


def _summary(verb: str, chauffeur: dict, absence: dict) -> str:
    return (f"{verb} de l'absence de {full_name(chauffeur)} du {absence['date_debut']} "
            f"au {absence['date_fin']} ({absence['motif']})")


def dates_errors(absence: dict) -> list:
    """The end before the start, when both are there (a partial body may give one)."""
    if "date_debut" in absence and "date_fin" in absence and absence["date_fin"] < absence["date_debut"]:
        return [invalid("date_fin", "before_start", "La date de fin précède la date de début.")]
    return []


async def _check_stored_dates(current: dict, after: dict) -> None:
    """One date of an update against the stored other one: 409 (the client must reread)."""
    raise_if_stale(dates_errors(after))


async def covering(session, chauffeur_id: int, day: datetime.date) -> list:
    """The chauffeur's absences that cover `day`."""
    return await session.fetch_all(Q.absences_of_chauffeur, {
        "chauffeur_id": chauffeur_id, "date_debut": day.isoformat(), "date_fin": day.isoformat(),
        "limit": -1, "offset": 0})


async def get_absence(db: Database, chauffeur_id: int, absence_id: int) -> dict:
    return await db.snapshot(lambda session: _absence(session, chauffeur_id, absence_id))


async def list_absences(db: Database, chauffeur_id: int, *, date_debut: Optional[str],
                        date_fin: Optional[str], limit: int, offset: int) -> tuple[list, int]:
    """Absences of a chauffeur touching [date_debut, date_fin] (both optional), latest first."""
    params = {"chauffeur_id": chauffeur_id, "limit": limit, "offset": offset,
              "date_debut": date_debut or EARLIEST_DATE, "date_fin": date_fin or LATEST_DATE}
    async def page(session: Session) -> tuple[list[dict], int]:
        await load_chauffeur(session, chauffeur_id)
        return (await session.fetch_all(Q.absences_of_chauffeur, params),
                await session.fetch_value(Q.absences_of_chauffeur_count, params))

    rows, total = await db.snapshot(page)
    return [absence_out(row) for row in rows], total


async def create_absence(db: Database, actor: Actor, chauffeur_id: int, fields: dict) -> dict:
    values = {"commentaire": None, "motif": "autre", **api_values(fields),
              "chauffeur_id": chauffeur_id}
    raise_if_invalid(dates_errors(values))
    async with db.write() as tx:
        chauffeur = await load_chauffeur(tx, chauffeur_id)
        return await ABSENCES.create(
            tx, actor, values, summary=lambda absence: _summary("Création", chauffeur, absence))


async def update_absence(db: Database, actor: Actor, chauffeur_id: int, absence_id: int,
                         changes: dict, expected: Optional[int]) -> dict:
    raise_if_invalid(dates_errors(changes))  # the body itself: 422 before 412
    async with db.write() as tx:
        chauffeur = await load_chauffeur(tx, chauffeur_id)
        return await ABSENCES.update(
            tx, actor, (chauffeur_id, absence_id), api_values(changes), expected,
            before_save=_check_stored_dates,
            summary=lambda absence: _summary("Modification", chauffeur, absence))


async def delete_absence(db: Database, actor: Actor, chauffeur_id: int, absence_id: int,
                         expected: Optional[int]) -> None:
    async with db.write() as tx:
        chauffeur = await load_chauffeur(tx, chauffeur_id)
        await ABSENCES.delete(tx, actor, (chauffeur_id, absence_id), expected,
                              summary=lambda absence: _summary("Suppression", chauffeur, absence))
