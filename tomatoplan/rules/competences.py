"""The skills a chauffeur holds: a code of the catalogue and an optional expiry date.

The one home of `sql/competences.sql`. A chauffeur holds each code once; the code must be in
the catalogue (`skills`). A skill is valid up to its `date_expiration` included.
"""

from __future__ import annotations

from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session, WriteSession
from ..base.errors import Conflict, NotFound, StaleReferences, invalid
from .activity import Actor
from .chauffeurs import full_name, load_chauffeur
from .records import Records, api_values, meta
from .skills import skill_with_code

Q = sqlfiles.load("competences")

COMPETENCE_FIELDS = ("chauffeur_id", "code", "date_expiration")


def competence_out(row: dict) -> dict:
    return {"id": row["id"], "chauffeur_id": row["chauffeur_id"], "code": row["skill_code"],
            "date_expiration": row["date_expiration"], **meta(row)}


async def _competence(session, chauffeur_id: int, competence_id: int) -> dict:
    row = await session.fetch_one(Q.competence_by_id, {"id": competence_id,
                                                       "chauffeur_id": chauffeur_id})
    if row is None:
        raise NotFound(f"Compétence {competence_id} du chauffeur {chauffeur_id} introuvable.",
                       code="competence_not_found")
    return competence_out(row)


COMPETENCES = Records("competence", COMPETENCE_FIELDS, load=_competence,
                      key=lambda competence: (competence["chauffeur_id"], competence["id"]),
                      row_params=lambda competence: {
                          "chauffeur_id": competence["chauffeur_id"], "skill_code": competence["code"],
                          "date_expiration": competence["date_expiration"]},
                      insert_sql=Q.insert_competence, update_sql=Q.update_competence,
                      delete_sql=Q.delete_competence)


async def _guard(tx: WriteSession, chauffeur: dict, code: str, competence_id: Optional[int]) -> None:
    """409 when the catalogue lacks the code, or when the chauffeur already holds it."""
    if await skill_with_code(tx, code) is None:
        raise StaleReferences([invalid("code", "not_found",
                                       f"Compétence {code} absente du catalogue (GET /competences).")])
    holder = await tx.fetch_one(Q.competence_by_code, {"chauffeur_id": chauffeur["id"],
                                                       "skill_code": code})
    if holder is not None and holder["id"] != competence_id:
        raise Conflict(f"{full_name(chauffeur)} a déjà la compétence {code} "
                       f"(compétence {holder['id']}) : modifiez-la plutôt.",
                       code="competence_exists", competence_id=holder["id"])


def _summary(verb: str, chauffeur: dict, competence: dict) -> str:
    until = (f", valable jusqu'au {competence['date_expiration']}"
             if competence["date_expiration"] else "")
    return f"{verb} de la compétence {competence['code']} de {full_name(chauffeur)}{until}"


async def get_competence(db: Database, chauffeur_id: int, competence_id: int) -> dict:
    return await db.snapshot(lambda session: _competence(session, chauffeur_id, competence_id))


async def list_competences(db: Database, chauffeur_id: int) -> list:
    async def rows_of_chauffeur(session: Session) -> list[dict]:
        await load_chauffeur(session, chauffeur_id)
        return await session.fetch_all(Q.competences_of_chauffeur, {"chauffeur_id": chauffeur_id})

    rows = await db.snapshot(rows_of_chauffeur)
    return [competence_out(row) for row in rows]


async def add_in(tx: WriteSession, actor: Actor, chauffeur: dict, fields: dict) -> dict:
    """Give the chauffeur (as loaded) a skill in the caller's transaction (the API, the import)."""
    values = {"date_expiration": None, **api_values(fields), "chauffeur_id": chauffeur["id"]}
    await _guard(tx, chauffeur, values["code"], None)
    return await COMPETENCES.create(
        tx, actor, values, summary=lambda competence: _summary("Ajout", chauffeur, competence))


async def create_competence(db: Database, actor: Actor, chauffeur_id: int, fields: dict) -> dict:
    async with db.write() as tx:
        return await add_in(tx, actor, await load_chauffeur(tx, chauffeur_id), fields)


async def update_in(tx: WriteSession, actor: Actor, chauffeur: dict, competence_id: int,
                    changes: dict, expected: Optional[int]) -> dict:
    """Change one of the chauffeur's skills in the caller's transaction."""
    async def check_code(current: dict, after: dict) -> None:
        if after["code"] != current["code"]:
            await _guard(tx, chauffeur, after["code"], competence_id)

    return await COMPETENCES.update(
        tx, actor, (chauffeur["id"], competence_id), api_values(changes), expected,
        before_save=check_code,
        summary=lambda competence: _summary("Modification", chauffeur, competence))


async def update_competence(db: Database, actor: Actor, chauffeur_id: int, competence_id: int,
                            changes: dict, expected: Optional[int]) -> dict:
    async with db.write() as tx:
        chauffeur = await load_chauffeur(tx, chauffeur_id)
        return await update_in(tx, actor, chauffeur, competence_id, changes, expected)


async def remove_in(tx: WriteSession, actor: Actor, chauffeur: dict, competence_id: int,
                    expected: Optional[int]) -> None:
    """Take a skill away from the chauffeur in the caller's transaction."""
    await COMPETENCES.delete(tx, actor, (chauffeur["id"], competence_id), expected,
                             summary=lambda competence: _summary("Retrait", chauffeur, competence))


async def delete_competence(db: Database, actor: Actor, chauffeur_id: int, competence_id: int,
                            expected: Optional[int]) -> None:
    async with db.write() as tx:
        await remove_in(tx, actor, await load_chauffeur(tx, chauffeur_id), competence_id, expected)
