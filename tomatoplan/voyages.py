"""Voyages, the regular lines missions are generated from: the data layer (no HTTP)."""

from __future__ import annotations

from typing import Optional

from . import clock, sqlfiles
from .activity import Actor
from .db import Database, WriteSession
from .errors import Conflict, NotFound
from .planning import (
    api_values,
    bits_to_jours,
    jours_to_bits,
    log_change,
    meta,
    raise_if,
    time_errors,
)
from .versions import changed, check_version, stale

Q = sqlfiles.load("voyages")

VOYAGE_FIELDS = ("code", "nom", "origine", "destination", "heure_debut", "heure_fin", "jours",
                 "competences_requises", "actif", "notes")
VOYAGE_DEFAULTS = {"nom": None, "origine": None, "destination": None, "heure_debut": None,
                   "heure_fin": None, "jours": [], "competences_requises": [], "actif": True,
                   "notes": None}


def voyage_out(row: dict) -> dict:
    skills = row["competences_requises"]
    return {
        "id": row["id"], "code": row["code"], "nom": row["nom"], "origine": row["origine"],
        "destination": row["destination"], "heure_debut": row["heure_debut"],
        "heure_fin": row["heure_fin"], "jours": bits_to_jours(row["jours"]),
        "competences_requises": sorted(skills.split(",")) if skills else [],
        "actif": bool(row["actif"]), "notes": row["notes"], **meta(row),
    }


async def find_voyage(session, voyage_id: int) -> Optional[dict]:
    """The voyage, or None (callers decide between 404 and 422)."""
    row = await session.fetch_one(Q.voyage_by_id, {"id": voyage_id})
    return voyage_out(row) if row is not None else None


async def _voyage(session, voyage_id: int) -> dict:
    voyage = await find_voyage(session, voyage_id)
    if voyage is None:
        raise NotFound(f"Voyage {voyage_id} introuvable.", code="voyage_not_found")
    return voyage


async def get_voyage(db: Database, voyage_id: int) -> dict:
    async with db.read() as session:
        return await _voyage(session, voyage_id)


async def list_voyages(db: Database, *, actif: Optional[bool], limit: int, offset: int
                       ) -> tuple[list, int]:
    params = {"actif": actif, "limit": limit, "offset": offset}
    async with db.read() as session:
        rows = await session.fetch_all(Q.voyages_page, params)
        total = await session.fetch_value(Q.voyages_count, params)
    return [voyage_out(row) for row in rows], total


async def _check(tx: WriteSession, voyage: dict, voyage_id: Optional[int]) -> None:
    """422 for bad times or skills missing from the catalogue; 409 for a code already used."""
    errors = time_errors(voyage)
    unknown = [code for code in voyage["competences_requises"]
               if not await tx.fetch_value(Q.known_skill, {"code": code})]
    if unknown:
        errors.append({"field": "competences_requises", "code": "not_found",
                       "detail": f"Compétence(s) absente(s) du catalogue : {', '.join(unknown)}."})
    raise_if(errors)
    holder = await tx.fetch_one(Q.voyage_by_code, {"code": voyage["code"]})
    if holder is not None and holder["id"] != voyage_id:
        raise Conflict(f"Le code {voyage['code']} est déjà celui du voyage {holder['id']}.",
                       code="voyage_code_taken", voyage_id=holder["id"])


def _row_params(voyage: dict) -> dict:
    params = {key: voyage[key] for key in VOYAGE_FIELDS if key != "competences_requises"}
    params["jours"] = jours_to_bits(voyage["jours"])
    return params


async def _write_skills(tx: WriteSession, voyage_id: int, codes: list) -> None:
    await tx.execute(Q.clear_required_skills, {"voyage_id": voyage_id})
    for code in codes:
        await tx.execute(Q.add_required_skill, {"voyage_id": voyage_id, "skill_code": code})


def _sorted_lists(values: dict) -> dict:
    """Days in week order and skills by code, whatever order the client sent."""
    if "jours" in values:
        values["jours"] = bits_to_jours(jours_to_bits(values["jours"]))
    if "competences_requises" in values:
        values["competences_requises"] = sorted(values["competences_requises"])
    return values


async def create_voyage(db: Database, actor: Actor, fields: dict) -> dict:
    values = _sorted_lists({**VOYAGE_DEFAULTS, **api_values(fields)})
    async with db.write() as tx:
        await _check(tx, values, None)
        voyage_id, _ = await tx.execute(Q.insert_voyage, {
            **_row_params(values), "now": clock.now_iso(), "by": actor.username})
        await _write_skills(tx, voyage_id, values["competences_requises"])
        created = await _voyage(tx, voyage_id)
        await log_change(tx, actor, "create", "voyage", voyage_id,
                         f"Création du voyage {created['code']}", None, created, VOYAGE_FIELDS)
        return created


async def update_voyage(db: Database, actor: Actor, voyage_id: int, changes: dict,
                        expected: Optional[int]) -> dict:
    async with db.write() as tx:
        current = await _voyage(tx, voyage_id)
        check_version("voyage", current, expected)
        wanted = _sorted_lists(api_values(changes))
        if not changed(current, wanted):
            return current
        after = {**current, **wanted}
        await _check(tx, after, voyage_id)
        _, count = await tx.execute(Q.update_voyage, {
            **_row_params(after), "id": voyage_id, "version": current["version"],
            "now": clock.now_iso(), "by": actor.username})
        if count != 1:
            raise stale("voyage", current)
        if after["competences_requises"] != current["competences_requises"]:
            await _write_skills(tx, voyage_id, after["competences_requises"])
        updated = await _voyage(tx, voyage_id)
        await log_change(tx, actor, "update", "voyage", voyage_id,
                         f"Modification du voyage {updated['code']}", current, updated,
                         VOYAGE_FIELDS)
        return updated


async def delete_voyage(db: Database, actor: Actor, voyage_id: int, expected: Optional[int]
                        ) -> Optional[dict]:
    """Erase a voyage no mission names; deactivate (and return) one that missions name."""
    async with db.write() as tx:
        current = await _voyage(tx, voyage_id)
        check_version("voyage", current, expected)
        if await tx.fetch_value(Q.voyage_has_missions, {"voyage_id": voyage_id}):
            if not current["actif"]:
                return current
            after = {**current, "actif": False}
            _, count = await tx.execute(Q.update_voyage, {
                **_row_params(after), "id": voyage_id, "version": current["version"],
                "now": clock.now_iso(), "by": actor.username})
            if count != 1:
                raise stale("voyage", current)
            updated = await _voyage(tx, voyage_id)
            await log_change(tx, actor, "update", "voyage", voyage_id,
                             f"Désactivation du voyage {updated['code']} (des missions le nomment : "
                             "il est gardé, inactif)", current, updated, VOYAGE_FIELDS)
            return updated
        _, count = await tx.execute(Q.delete_voyage, {"id": voyage_id, "version": current["version"]})
        if count != 1:
            raise stale("voyage", current)
        await log_change(tx, actor, "delete", "voyage", voyage_id,
                         f"Suppression du voyage {current['code']}", current, None, VOYAGE_FIELDS)
        return None
