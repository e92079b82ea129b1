"""Chauffeurs (drivers), each shown with the skills it holds.

The one home of `sql/chauffeurs.sql`. Their absences and skills are sub-resources with their
own modules (`absences`, `competences`); a chauffeur that missions name is deactivated, not
erased, so the planning keeps its history.
"""

from __future__ import annotations

from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session, WriteSession
from ..base.errors import Conflict, NotFound
from .activity import Actor
from .records import Records, api_values, meta

Q = sqlfiles.load("chauffeurs")

CHAUFFEUR_FIELDS = ("nom", "prenom", "matricule", "telephone", "email", "actif", "notes")
CHAUFFEUR_DEFAULTS = {"matricule": None, "telephone": None, "email": None, "actif": True,
                      "notes": None}


def chauffeur_out(row: dict, competences: list) -> dict:
    """A chauffeur with the skills it holds (each has its own version and sub-resource)."""
    return {
        "id": row["id"], "nom": row["nom"], "prenom": row["prenom"],
        "matricule": row["matricule"], "telephone": row["telephone"], "email": row["email"],
        "actif": bool(row["actif"]), "notes": row["notes"],
        "competences": [{"id": c["id"], "code": c["skill_code"],
                         "date_expiration": c["date_expiration"]} for c in competences],
        **meta(row),
    }


def full_name(chauffeur: dict) -> str:
    return f"{chauffeur['nom']} {chauffeur['prenom']}"


def by_chauffeur(rows: list) -> dict[int, list]:
    """Rows (skills, absences, missions) grouped under their `chauffeur_id`."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["chauffeur_id"], []).append(row)
    return grouped


async def load_chauffeur(session, chauffeur_id: int) -> dict:
    """The chauffeur with its skills; 404 when it does not exist."""
    row = await session.fetch_one(Q.chauffeur_by_id, {"id": chauffeur_id})
    if row is None:
        raise NotFound(f"Chauffeur {chauffeur_id} introuvable.", code="chauffeur_not_found")
    return chauffeur_out(row, await session.fetch_all(Q.held_competences, {"chauffeur_id": chauffeur_id}))


CHAUFFEURS = Records("chauffeur", CHAUFFEUR_FIELDS, load=load_chauffeur,
                     row_params=lambda chauffeur: {**{key: chauffeur[key] for key in CHAUFFEUR_FIELDS},
                                                   "source_id": chauffeur.get("source_id")},
                     insert_sql=Q.insert_chauffeur, update_sql=Q.update_chauffeur,
                     delete_sql=Q.delete_chauffeur)


async def exists(session, chauffeur_id: int) -> bool:
    return bool(await session.fetch_value(Q.chauffeur_exists, {"id": chauffeur_id}))


async def get_chauffeur(db: Database, chauffeur_id: int) -> dict:
    return await db.snapshot(lambda session: load_chauffeur(session, chauffeur_id))


async def list_chauffeurs(db: Database, *, actif: Optional[bool], limit: int, offset: int
                          ) -> tuple[list, int]:
    """One page of chauffeurs by name, and how many there are in all."""
    params = {"actif": actif, "limit": limit, "offset": offset}
    async def page(session: Session) -> tuple[list[dict], dict, int]:
        return (await session.fetch_all(Q.chauffeurs_page, params),
                by_chauffeur(await session.fetch_all(Q.held_competences_of_page, params)),
                await session.fetch_value(Q.chauffeurs_count, params))

    rows, held, total = await db.snapshot(page)
    return [chauffeur_out(row, held.get(row["id"], [])) for row in rows], total


async def _matricule_guard(tx: WriteSession, matricule: Optional[str], chauffeur_id: Optional[int]
                           ) -> None:
    if matricule is None:
        return
    holder = await tx.fetch_one(Q.chauffeur_by_matricule, {"matricule": matricule})
    if holder is not None and holder["id"] != chauffeur_id:
        raise Conflict(f"Le matricule {matricule} est déjà celui de {full_name(holder)} "
                       f"(chauffeur {holder['id']}).", code="matricule_taken",
                       chauffeur_id=holder["id"])


async def create_in(tx: WriteSession, actor: Actor, fields: dict, *,
                    source_id: Optional[str] = None) -> dict:
    """Create a chauffeur in the caller's transaction (the API, the import of PTT's files, which
    gives the id it had there)."""
    values = {**CHAUFFEUR_DEFAULTS, **api_values(fields), "source_id": source_id}
    await _matricule_guard(tx, values["matricule"], None)
    return await CHAUFFEURS.create(
        tx, actor, values, summary=lambda chauffeur: f"Création du chauffeur {full_name(chauffeur)}")


async def create_chauffeur(db: Database, actor: Actor, fields: dict) -> dict:
    async with db.write() as tx:
        return await create_in(tx, actor, fields)


async def update_in(tx: WriteSession, actor: Actor, chauffeur_id: int, changes: dict,
                    expected: Optional[int]) -> dict:
    """Change a chauffeur in the caller's transaction."""
    return await CHAUFFEURS.update(
        tx, actor, (chauffeur_id,), api_values(changes), expected,
        before_save=lambda current, after: _matricule_guard(tx, after["matricule"], chauffeur_id),
        summary=lambda chauffeur: f"Modification du chauffeur {full_name(chauffeur)}")


async def update_chauffeur(db: Database, actor: Actor, chauffeur_id: int, changes: dict,
                           expected: Optional[int]) -> dict:
    async with db.write() as tx:
        return await update_in(tx, actor, chauffeur_id, changes, expected)


async def delete_chauffeur(db: Database, actor: Actor, chauffeur_id: int, expected: Optional[int]
                           ) -> Optional[dict]:
    """Erase a chauffeur no mission names; deactivate (and return) one that missions name."""
    async with db.write() as tx:
        current = await CHAUFFEURS.current(tx, chauffeur_id, expected=expected)
        if await tx.fetch_value(Q.chauffeur_has_missions, {"chauffeur_id": chauffeur_id}):
            if not current["actif"]:
                return current
            return await CHAUFFEURS.save(
                tx, actor, current, {**current, "actif": False},
                summary=lambda chauffeur: f"Désactivation du chauffeur {full_name(chauffeur)} (des "
                                          "missions le nomment : il est gardé, inactif)")
        held = await tx.fetch_one(Q.chauffeur_activity_count, {"chauffeur_id": chauffeur_id})
        await CHAUFFEURS.erase(tx, actor, current, summary=(
            f"Suppression du chauffeur {full_name(current)} "
            f"(avec {held['absences']} absence(s) et {held['competences']} compétence(s))"))
        return None
