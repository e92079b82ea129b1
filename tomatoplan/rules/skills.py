"""The skills catalogue (PERMIS_CE, ADR, FIMO...): the codes chauffeurs hold and voyages require.

The one home of `sql/skills.sql`. A code never changes once created; a skill still held or
required cannot be removed.
"""

from __future__ import annotations

from typing import Optional

from ..base import sqlfiles
from ..base.db import Database
from ..base.errors import Conflict, NotFound
from .activity import Actor
from .records import Records, meta

Q = sqlfiles.load("skills")
SKILL_FIELDS = ("code", "libelle")
# What a code looks like: ADR, PERMIS_CE, FIMO (codes hold no comma: see sql/voyages.sql).
SKILL_CODE_PATTERN = r"[A-Z][A-Z0-9_]*"


def skill_out(row: dict) -> dict:
    return {"id": row["id"], "code": row["code"], "libelle": row["libelle"], **meta(row)}


async def _skill(session, skill_id: int) -> dict:
    row = await session.fetch_one(Q.skill_by_id, {"id": skill_id})
    if row is None:
        raise NotFound(f"Compétence {skill_id} absente du catalogue.", code="skill_not_found")
    return skill_out(row)


SKILLS = Records("skill", SKILL_FIELDS, load=_skill,
                 row_params=lambda skill: {"code": skill["code"], "libelle": skill["libelle"]},
                 insert_sql=Q.insert_skill, update_sql=Q.update_skill, delete_sql=Q.delete_skill)


async def skill_with_code(session, code: str) -> Optional[dict]:
    """The catalogue's skill with this code, or None."""
    row = await session.fetch_one(Q.skill_by_code, {"code": code})
    return skill_out(row) if row else None


async def list_skills(db: Database) -> list:
    return [skill_out(row) for row in await db.query(Q.skills_all)]


async def get_skill(db: Database, skill_id: int) -> dict:
    return await db.snapshot(lambda session: _skill(session, skill_id))


async def create_skill(db: Database, actor: Actor, fields: dict) -> dict:
    values = {"libelle": "", **fields}
    async with db.write() as tx:
        existing = await skill_with_code(tx, values["code"])
        if existing is not None:
            raise Conflict(f"La compétence {values['code']} est déjà au catalogue.",
                           code="skill_exists", skill_id=existing["id"])
        return await SKILLS.create(
            tx, actor, values, summary=lambda skill: f"Ajout de la compétence {skill['code']} au catalogue")


async def update_skill(db: Database, actor: Actor, skill_id: int, changes: dict,
                       expected: Optional[int]) -> dict:
    async with db.write() as tx:
        return await SKILLS.update(
            tx, actor, (skill_id,), changes, expected,
            summary=lambda skill: f"Modification de la compétence {skill['code']} du catalogue")


async def delete_skill(db: Database, actor: Actor, skill_id: int, expected: Optional[int]) -> None:
    """Remove a skill nobody holds and no voyage or vehicle requires; 409 otherwise."""
    async with db.write() as tx:

        async def unused(skill: dict) -> None:
            uses = await tx.fetch_one(Q.skill_uses, {"code": skill["code"]})
            if uses["chauffeurs"] or uses["voyages"] or uses["vehicules"]:
                raise Conflict(f"La compétence {skill['code']} est utilisée ({uses['chauffeurs']} "
                               f"chauffeur(s), {uses['voyages']} voyage(s), {uses['vehicules']} "
                               "véhicule(s)) : retirez-la d'abord.", code="skill_in_use",
                               chauffeurs=uses["chauffeurs"], voyages=uses["voyages"],
                               vehicules=uses["vehicules"])

        await SKILLS.delete(tx, actor, (skill_id,), expected, before=unused,
                            summary=lambda skill: f"Retrait de la compétence {skill['code']} du catalogue")
