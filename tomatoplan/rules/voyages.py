"""Voyages, the regular lines missions are generated from, and the weekdays they run on.

The one home of `sql/voyages.sql`. A voyage that missions name is deactivated, not erased.
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session, WriteSession
from ..base.errors import Conflict, NotFound, invalid, raise_if_invalid, raise_if_stale
from ..base.formats import WEEKDAYS
from .activity import Actor
from .hours import hours_errors
from .records import Records, api_values, meta
from .skills import skill_with_code

Q = sqlfiles.load("voyages")

# ISO weekday order (lundi is 1, dimanche 7): the days as the API reads and stores them.
JOURS = WEEKDAYS
VOYAGE_FIELDS = ("code", "nom", "origine", "destination", "heure_debut", "heure_fin", "jours",
                 "competences_requises", "actif", "notes")
VOYAGE_DEFAULTS = {"nom": None, "origine": None, "destination": None, "heure_debut": None,
                   "heure_fin": None, "jours": [], "competences_requises": [], "actif": True,
                   "notes": None}


def jours_to_bits(jours: list) -> int:
    """["lundi", "mercredi"] -> 0b101 (bit 0 is lundi)."""
    bits = 0
    for jour in jours:
        bits |= 1 << JOURS.index(jour)
    return bits


def bits_to_jours(bits: int) -> list:
    return [jour for index, jour in enumerate(JOURS) if bits & (1 << index)]


def jour_bit(day: datetime.date) -> int:
    """The bit of `jours` for the weekday of `day`."""
    return 1 << (day.isoweekday() - 1)


def voyage_out(row: dict) -> dict:
    skills = row["competences_requises"]
    return {
        "id": row["id"], "code": row["code"], "nom": row["nom"], "origine": row["origine"],
        "destination": row["destination"], "heure_debut": row["heure_debut"],
        "heure_fin": row["heure_fin"], "jours": bits_to_jours(row["jours"]),
        "competences_requises": sorted(skills.split(",")) if skills else [],
        "actif": bool(row["actif"]), "notes": row["notes"], **meta(row),
    }


def _row_params(voyage: dict) -> dict:
    params = {key: voyage[key] for key in VOYAGE_FIELDS if key != "competences_requises"}
    params["jours"] = jours_to_bits(voyage["jours"])
    params["source_id"] = voyage.get("source_id")
    return params


async def find_voyage(session, voyage_id: int) -> Optional[dict]:
    """The voyage, or None (callers decide between 404 and 422)."""
    row = await session.fetch_one(Q.voyage_by_id, {"id": voyage_id})
    return voyage_out(row) if row is not None else None


async def _voyage(session, voyage_id: int) -> dict:
    voyage = await find_voyage(session, voyage_id)
    if voyage is None:
        raise NotFound(f"Voyage {voyage_id} introuvable.", code="voyage_not_found")
    return voyage


VOYAGES = Records("voyage", VOYAGE_FIELDS, load=_voyage, row_params=_row_params,
                  insert_sql=Q.insert_voyage, update_sql=Q.update_voyage, delete_sql=Q.delete_voyage)


async def running_on(session, day: datetime.date) -> list[tuple[dict, Optional[int]]]:
    """The active voyages that run on `day`'s weekday, each with the id of one of its missions
    that day (None when it has none yet)."""
    rows = await session.fetch_all(Q.voyages_running_on, {"date_mission": day.isoformat(),
                                                          "jour_bit": jour_bit(day)})
    return [(voyage_out(row), row["mission_id"]) for row in rows]


async def get_voyage(db: Database, voyage_id: int) -> dict:
    return await db.snapshot(lambda session: _voyage(session, voyage_id))


async def list_voyages(db: Database, *, actif: Optional[bool], limit: int, offset: int
                       ) -> tuple[list, int]:
    params = {"actif": actif, "limit": limit, "offset": offset}
    async def page(session: Session) -> tuple[list[dict], int]:
        return (await session.fetch_all(Q.voyages_page, params),
                await session.fetch_value(Q.voyages_count, params))

    rows, total = await db.snapshot(page)
    return [voyage_out(row) for row in rows], total


async def _check(tx: WriteSession, voyage: dict, voyage_id: Optional[int]) -> None:
    """409 for skills missing from the catalogue, hours inconsistent with what is stored, or
    a code already used (the body's own hours were checked: 422)."""
    stale = hours_errors(voyage)
    unknown = [code for code in voyage["competences_requises"]
               if await skill_with_code(tx, code) is None]
    if unknown:
        stale.append(invalid("competences_requises", "not_found",
                             f"Compétence(s) absente(s) du catalogue : {', '.join(unknown)}."))
    raise_if_stale(stale)
    holder = await tx.fetch_one(Q.voyage_by_code, {"code": voyage["code"]})
    if holder is not None and holder["id"] != voyage_id:
        raise Conflict(f"Le code {voyage['code']} est déjà celui du voyage {holder['id']}.",
                       code="voyage_code_taken", voyage_id=holder["id"])


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


async def create_in(tx: WriteSession, actor: Actor, fields: dict, *,
                    source_id: Optional[str] = None) -> dict:
    """Create a voyage in the caller's transaction (the API, the import of PTT's files, which
    gives the id it had there)."""
    values = _sorted_lists({**VOYAGE_DEFAULTS, **api_values(fields), "source_id": source_id})
    raise_if_invalid(hours_errors(values))
    await _check(tx, values, None)
    return await VOYAGES.create(
        tx, actor, values, summary=lambda voyage: f"Création du voyage {voyage['code']}",
        then=lambda voyage_id: _write_skills(tx, voyage_id, values["competences_requises"]))


async def create_voyage(db: Database, actor: Actor, fields: dict) -> dict:
    raise_if_invalid(hours_errors(fields))  # before the writer lock
    async with db.write() as tx:
        return await create_in(tx, actor, fields)


async def update_in(tx: WriteSession, actor: Actor, voyage_id: int, changes: dict,
                    expected: Optional[int]) -> dict:
    """Change a voyage in the caller's transaction."""
    raise_if_invalid(hours_errors(changes, partial=True))

    async def check_and_write_skills(current: dict, after: dict) -> None:
        await _check(tx, after, voyage_id)
        if after["competences_requises"] != current["competences_requises"]:
            await _write_skills(tx, voyage_id, after["competences_requises"])

    return await VOYAGES.update(
        tx, actor, (voyage_id,), _sorted_lists(api_values(changes)), expected,
        before_save=check_and_write_skills,
        summary=lambda voyage: f"Modification du voyage {voyage['code']}")


async def update_voyage(db: Database, actor: Actor, voyage_id: int, changes: dict,
                        expected: Optional[int]) -> dict:
    raise_if_invalid(hours_errors(changes, partial=True))  # before the writer lock
    async with db.write() as tx:
        return await update_in(tx, actor, voyage_id, changes, expected)


async def delete_voyage(db: Database, actor: Actor, voyage_id: int, expected: Optional[int]
                        ) -> Optional[dict]:
    """Erase a voyage no mission names; deactivate (and return) one that missions name."""
    async with db.write() as tx:
        current = await VOYAGES.current(tx, voyage_id, expected=expected)
        if await tx.fetch_value(Q.voyage_has_missions, {"voyage_id": voyage_id}):
            if not current["actif"]:
                return current
            return await VOYAGES.save(
                tx, actor, current, {**current, "actif": False},
                summary=lambda voyage: f"Désactivation du voyage {voyage['code']} (des missions le "
                                       "nomment : il est gardé, inactif)")
        await VOYAGES.erase(tx, actor, current, summary=f"Suppression du voyage {current['code']}")
        return None
