"""Chauffeurs, their skills and absences, and the skills catalogue: the data layer (no HTTP)."""

from __future__ import annotations

from typing import Any, Optional

from . import clock, sqlfiles
from .activity import Actor
from .db import Database, WriteSession
from .errors import Conflict, NotFound, ValidationFailed
from .planning import api_values, log_change, meta, raise_if, unknown_id
from .versions import changed, check_version, stale

Q = sqlfiles.load("chauffeurs")

CHAUFFEUR_FIELDS = ("nom", "prenom", "matricule", "telephone", "email", "actif", "notes")
ABSENCE_FIELDS = ("chauffeur_id", "date_debut", "date_fin", "motif", "commentaire")
COMPETENCE_FIELDS = ("chauffeur_id", "code", "date_expiration")
SKILL_FIELDS = ("code", "libelle")
ALL_DATES = {"date_debut": "0001-01-01", "date_fin": "9999-12-31"}


# --- how the API shows them ----------------------------------------------------------------

def competence_out(row: dict) -> dict:
    return {"id": row["id"], "chauffeur_id": row["chauffeur_id"], "code": row["skill_code"],
            "date_expiration": row["date_expiration"], **meta(row)}


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


def absence_out(row: dict) -> dict:
    return {"id": row["id"], "chauffeur_id": row["chauffeur_id"], "date_debut": row["date_debut"],
            "date_fin": row["date_fin"], "motif": row["motif"], "commentaire": row["commentaire"],
            **meta(row)}


def skill_out(row: dict) -> dict:
    return {"id": row["id"], "code": row["code"], "libelle": row["libelle"], **meta(row)}


def full_name(chauffeur: dict) -> str:
    return f"{chauffeur['nom']} {chauffeur['prenom']}"


# --- chauffeurs ----------------------------------------------------------------------------

async def _chauffeur(session, chauffeur_id: int) -> dict:
    row = await session.fetch_one(Q.chauffeur_by_id, {"id": chauffeur_id})
    if row is None:
        raise NotFound(f"Chauffeur {chauffeur_id} introuvable.", code="chauffeur_not_found")
    competences = await session.fetch_all(Q.competences_of_chauffeur, {"chauffeur_id": chauffeur_id})
    return chauffeur_out(row, competences)


async def get_chauffeur(db: Database, chauffeur_id: int) -> dict:
    async with db.read() as session:
        return await _chauffeur(session, chauffeur_id)


async def list_chauffeurs(db: Database, *, actif: Optional[bool], limit: int, offset: int
                          ) -> tuple[list, int]:
    """One page of chauffeurs by name, and how many there are in all."""
    params = {"actif": actif, "limit": limit, "offset": offset}
    async with db.read() as session:
        rows = await session.fetch_all(Q.chauffeurs_page, params)
        held = await session.fetch_all(Q.competences_of_page, params)
        total = await session.fetch_value(Q.chauffeurs_count, params)
    by_chauffeur: dict[int, list] = {}
    for competence in held:
        by_chauffeur.setdefault(competence["chauffeur_id"], []).append(competence)
    return [chauffeur_out(row, by_chauffeur.get(row["id"], [])) for row in rows], total


async def _matricule_guard(tx: WriteSession, matricule: Optional[str], chauffeur_id: Optional[int]
                           ) -> None:
    if matricule is None:
        return
    holder = await tx.fetch_one(Q.chauffeur_by_matricule, {"matricule": matricule})
    if holder is not None and holder["id"] != chauffeur_id:
        raise Conflict(f"Le matricule {matricule} est déjà celui de {full_name(holder)} "
                       f"(chauffeur {holder['id']}).", code="matricule_taken",
                       chauffeur_id=holder["id"])


async def create_chauffeur(db: Database, actor: Actor, fields: dict) -> dict:
    values = {"matricule": None, "telephone": None, "email": None, "actif": True, "notes": None,
              **api_values(fields)}
    async with db.write() as tx:
        await _matricule_guard(tx, values["matricule"], None)
        chauffeur_id, _ = await tx.execute(Q.insert_chauffeur, {
            **{key: values[key] for key in CHAUFFEUR_FIELDS}, "now": clock.now_iso(),
            "by": actor.username})
        created = await _chauffeur(tx, chauffeur_id)
        await log_change(tx, actor, "create", "chauffeur", chauffeur_id,
                         f"Création du chauffeur {full_name(created)}", None, created,
                         CHAUFFEUR_FIELDS)
        return created


async def update_chauffeur(db: Database, actor: Actor, chauffeur_id: int, changes: dict,
                           expected: Optional[int]) -> dict:
    async with db.write() as tx:
        current = await _chauffeur(tx, chauffeur_id)
        check_version("chauffeur", current, expected)
        wanted = api_values(changes)
        if not changed(current, wanted):
            return current
        after = {**current, **wanted}
        await _matricule_guard(tx, after["matricule"], chauffeur_id)
        _, count = await tx.execute(Q.update_chauffeur, {
            **{key: after[key] for key in CHAUFFEUR_FIELDS}, "id": chauffeur_id,
            "version": current["version"], "now": clock.now_iso(), "by": actor.username})
        if count != 1:
            raise stale("chauffeur", current)
        updated = await _chauffeur(tx, chauffeur_id)
        await log_change(tx, actor, "update", "chauffeur", chauffeur_id,
                         f"Modification du chauffeur {full_name(updated)}", current, updated,
                         CHAUFFEUR_FIELDS)
        return updated


async def delete_chauffeur(db: Database, actor: Actor, chauffeur_id: int, expected: Optional[int]
                           ) -> Optional[dict]:
    """Erase a chauffeur no mission names; deactivate (and return) one that missions name."""
    async with db.write() as tx:
        current = await _chauffeur(tx, chauffeur_id)
        check_version("chauffeur", current, expected)
        if await tx.fetch_value(Q.chauffeur_has_missions, {"chauffeur_id": chauffeur_id}):
            if not current["actif"]:
                return current
            _, count = await tx.execute(Q.update_chauffeur, {
                **{key: current[key] for key in CHAUFFEUR_FIELDS}, "actif": False,
                "id": chauffeur_id, "version": current["version"], "now": clock.now_iso(),
                "by": actor.username})
            if count != 1:
                raise stale("chauffeur", current)
            updated = await _chauffeur(tx, chauffeur_id)
            await log_change(tx, actor, "update", "chauffeur", chauffeur_id,
                             f"Désactivation du chauffeur {full_name(updated)} (des missions le "
                             "nomment : il est gardé, inactif)", current, updated, CHAUFFEUR_FIELDS)
            return updated
        held = await tx.fetch_one(Q.chauffeur_activity_count, {"chauffeur_id": chauffeur_id})
        _, count = await tx.execute(Q.delete_chauffeur, {"id": chauffeur_id,
                                                         "version": current["version"]})
        if count != 1:
            raise stale("chauffeur", current)
        await log_change(tx, actor, "delete", "chauffeur", chauffeur_id,
                         f"Suppression du chauffeur {full_name(current)} "
                         f"(avec {held['absences']} absence(s) et {held['competences']} compétence(s))",
                         current, None, CHAUFFEUR_FIELDS)
        return None


# --- absences ------------------------------------------------------------------------------

async def _absence(session, chauffeur_id: int, absence_id: int) -> dict:
    row = await session.fetch_one(Q.absence_by_id, {"id": absence_id, "chauffeur_id": chauffeur_id})
    if row is None:
        raise NotFound(f"Absence {absence_id} du chauffeur {chauffeur_id} introuvable.",
                       code="absence_not_found")
    return absence_out(row)


def _absence_summary(verb: str, chauffeur: dict, absence: dict) -> str:
    return (f"{verb} de l'absence de {full_name(chauffeur)} du {absence['date_debut']} "
            f"au {absence['date_fin']} ({absence['motif']})")


def _absence_dates_errors(absence: dict) -> list:
    if absence["date_fin"] < absence["date_debut"]:
        return [{"field": "date_fin", "code": "before_start",
                 "detail": "La date de fin précède la date de début."}]
    return []


async def get_absence(db: Database, chauffeur_id: int, absence_id: int) -> dict:
    async with db.read() as session:
        return await _absence(session, chauffeur_id, absence_id)


async def list_absences(db: Database, chauffeur_id: int, *, date_debut: Optional[str],
                        date_fin: Optional[str], limit: int, offset: int) -> tuple[list, int]:
    """Absences of a chauffeur touching [date_debut, date_fin] (both optional), latest first."""
    params = {"chauffeur_id": chauffeur_id, "limit": limit, "offset": offset,
              "date_debut": date_debut or ALL_DATES["date_debut"],
              "date_fin": date_fin or ALL_DATES["date_fin"]}
    async with db.read() as session:
        await _chauffeur(session, chauffeur_id)
        rows = await session.fetch_all(Q.absences_of_chauffeur, params)
        total = await session.fetch_value(Q.absences_of_chauffeur_count, params)
    return [absence_out(row) for row in rows], total


async def create_absence(db: Database, actor: Actor, chauffeur_id: int, fields: dict) -> dict:
    values = {"commentaire": None, "motif": "autre", **api_values(fields),
              "chauffeur_id": chauffeur_id}
    raise_if(_absence_dates_errors(values))
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        absence_id, _ = await tx.execute(Q.insert_absence, {
            **{key: values[key] for key in ABSENCE_FIELDS}, "now": clock.now_iso(),
            "by": actor.username})
        created = await _absence(tx, chauffeur_id, absence_id)
        await log_change(tx, actor, "create", "absence", absence_id,
                         _absence_summary("Création", chauffeur, created), None, created,
                         ABSENCE_FIELDS)
        return created


async def update_absence(db: Database, actor: Actor, chauffeur_id: int, absence_id: int,
                         changes: dict, expected: Optional[int]) -> dict:
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        current = await _absence(tx, chauffeur_id, absence_id)
        check_version("absence", current, expected)
        wanted = api_values(changes)
        if not changed(current, wanted):
            return current
        after = {**current, **wanted}
        raise_if(_absence_dates_errors(after))
        _, count = await tx.execute(Q.update_absence, {
            **{key: after[key] for key in ABSENCE_FIELDS if key != "chauffeur_id"},
            "id": absence_id, "version": current["version"], "now": clock.now_iso(),
            "by": actor.username})
        if count != 1:
            raise stale("absence", current)
        updated = await _absence(tx, chauffeur_id, absence_id)
        await log_change(tx, actor, "update", "absence", absence_id,
                         _absence_summary("Modification", chauffeur, updated), current, updated,
                         ABSENCE_FIELDS)
        return updated


async def delete_absence(db: Database, actor: Actor, chauffeur_id: int, absence_id: int,
                         expected: Optional[int]) -> None:
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        current = await _absence(tx, chauffeur_id, absence_id)
        check_version("absence", current, expected)
        _, count = await tx.execute(Q.delete_absence, {"id": absence_id, "version": current["version"]})
        if count != 1:
            raise stale("absence", current)
        await log_change(tx, actor, "delete", "absence", absence_id,
                         _absence_summary("Suppression", chauffeur, current), current, None,
                         ABSENCE_FIELDS)


# --- a chauffeur's skills ------------------------------------------------------------------

async def _competence(session, chauffeur_id: int, competence_id: int) -> dict:
    row = await session.fetch_one(Q.competence_by_id, {"id": competence_id,
                                                       "chauffeur_id": chauffeur_id})
    if row is None:
        raise NotFound(f"Compétence {competence_id} du chauffeur {chauffeur_id} introuvable.",
                       code="competence_not_found")
    return competence_out(row)


async def _competence_guard(tx: WriteSession, chauffeur: dict, code: str,
                            competence_id: Optional[int]) -> None:
    """422 when the catalogue lacks the code; 409 when the chauffeur already holds it."""
    if await tx.fetch_one(Q.skill_by_code, {"code": code}) is None:
        raise ValidationFailed([unknown_id("code", f"Compétence {code} absente du catalogue "
                                                   "(GET /competences).")])
    holder = await tx.fetch_one(Q.competence_by_code, {"chauffeur_id": chauffeur["id"],
                                                       "skill_code": code})
    if holder is not None and holder["id"] != competence_id:
        raise Conflict(f"{full_name(chauffeur)} a déjà la compétence {code} "
                       f"(compétence {holder['id']}) : modifiez-la plutôt.",
                       code="competence_exists", competence_id=holder["id"])


def _competence_summary(verb: str, chauffeur: dict, competence: dict) -> str:
    until = (f", valable jusqu'au {competence['date_expiration']}"
             if competence["date_expiration"] else "")
    return f"{verb} de la compétence {competence['code']} de {full_name(chauffeur)}{until}"


async def get_competence(db: Database, chauffeur_id: int, competence_id: int) -> dict:
    async with db.read() as session:
        return await _competence(session, chauffeur_id, competence_id)


async def list_competences(db: Database, chauffeur_id: int) -> list:
    async with db.read() as session:
        await _chauffeur(session, chauffeur_id)
        rows = await session.fetch_all(Q.competences_of_chauffeur, {"chauffeur_id": chauffeur_id})
    return [competence_out(row) for row in rows]


async def create_competence(db: Database, actor: Actor, chauffeur_id: int, fields: dict) -> dict:
    values = {"date_expiration": None, **api_values(fields), "chauffeur_id": chauffeur_id}
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        await _competence_guard(tx, chauffeur, values["code"], None)
        competence_id, _ = await tx.execute(Q.insert_competence, {
            "chauffeur_id": chauffeur_id, "skill_code": values["code"],
            "date_expiration": values["date_expiration"], "now": clock.now_iso(),
            "by": actor.username})
        created = await _competence(tx, chauffeur_id, competence_id)
        await log_change(tx, actor, "create", "competence", competence_id,
                         _competence_summary("Ajout", chauffeur, created), None, created,
                         COMPETENCE_FIELDS)
        return created


async def update_competence(db: Database, actor: Actor, chauffeur_id: int, competence_id: int,
                            changes: dict, expected: Optional[int]) -> dict:
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        current = await _competence(tx, chauffeur_id, competence_id)
        check_version("competence", current, expected)
        wanted = api_values(changes)
        if not changed(current, wanted):
            return current
        after = {**current, **wanted}
        if after["code"] != current["code"]:
            await _competence_guard(tx, chauffeur, after["code"], competence_id)
        _, count = await tx.execute(Q.update_competence, {
            "skill_code": after["code"], "date_expiration": after["date_expiration"],
            "id": competence_id, "version": current["version"], "now": clock.now_iso(),
            "by": actor.username})
        if count != 1:
            raise stale("competence", current)
        updated = await _competence(tx, chauffeur_id, competence_id)
        await log_change(tx, actor, "update", "competence", competence_id,
                         _competence_summary("Modification", chauffeur, updated), current, updated,
                         COMPETENCE_FIELDS)
        return updated


async def delete_competence(db: Database, actor: Actor, chauffeur_id: int, competence_id: int,
                            expected: Optional[int]) -> None:
    async with db.write() as tx:
        chauffeur = await _chauffeur(tx, chauffeur_id)
        current = await _competence(tx, chauffeur_id, competence_id)
        check_version("competence", current, expected)
        _, count = await tx.execute(Q.delete_competence, {"id": competence_id,
                                                          "version": current["version"]})
        if count != 1:
            raise stale("competence", current)
        await log_change(tx, actor, "delete", "competence", competence_id,
                         _competence_summary("Retrait", chauffeur, current), current, None,
                         COMPETENCE_FIELDS)


# --- the skills catalogue ------------------------------------------------------------------

async def _skill(session, skill_id: int) -> dict:
    row = await session.fetch_one(Q.skill_by_id, {"id": skill_id})
    if row is None:
        raise NotFound(f"Compétence {skill_id} absente du catalogue.", code="skill_not_found")
    return skill_out(row)


async def list_skills(db: Database) -> list:
    async with db.read() as session:
        return [skill_out(row) for row in await session.fetch_all(Q.skills_all)]


async def get_skill(db: Database, skill_id: int) -> dict:
    async with db.read() as session:
        return await _skill(session, skill_id)


async def create_skill(db: Database, actor: Actor, fields: dict) -> dict:
    values: dict[str, Any] = {"libelle": "", **fields}
    async with db.write() as tx:
        existing = await tx.fetch_one(Q.skill_by_code, {"code": values["code"]})
        if existing is not None:
            raise Conflict(f"La compétence {values['code']} est déjà au catalogue.",
                           code="skill_exists", skill_id=existing["id"])
        skill_id, _ = await tx.execute(Q.insert_skill, {
            "code": values["code"], "libelle": values["libelle"], "now": clock.now_iso(),
            "by": actor.username})
        created = await _skill(tx, skill_id)
        await log_change(tx, actor, "create", "skill", skill_id,
                         f"Ajout de la compétence {created['code']} au catalogue", None, created,
                         SKILL_FIELDS)
        return created


async def update_skill(db: Database, actor: Actor, skill_id: int, changes: dict,
                       expected: Optional[int]) -> dict:
    async with db.write() as tx:
        current = await _skill(tx, skill_id)
        check_version("skill", current, expected)
        if not changed(current, changes):
            return current
        after = {**current, **changes}
        _, count = await tx.execute(Q.update_skill, {
            "libelle": after["libelle"], "id": skill_id, "version": current["version"],
            "now": clock.now_iso(), "by": actor.username})
        if count != 1:
            raise stale("skill", current)
        updated = await _skill(tx, skill_id)
        await log_change(tx, actor, "update", "skill", skill_id,
                         f"Modification de la compétence {updated['code']} du catalogue", current,
                         updated, SKILL_FIELDS)
        return updated


async def delete_skill(db: Database, actor: Actor, skill_id: int, expected: Optional[int]) -> None:
    """Remove a skill nobody holds and no voyage requires; 409 otherwise."""
    async with db.write() as tx:
        current = await _skill(tx, skill_id)
        check_version("skill", current, expected)
        uses = await tx.fetch_one(Q.skill_uses, {"code": current["code"]})
        if uses["chauffeurs"] or uses["voyages"]:
            raise Conflict(f"La compétence {current['code']} est utilisée ({uses['chauffeurs']} "
                           f"chauffeur(s), {uses['voyages']} voyage(s)) : retirez-la d'abord.",
                           code="skill_in_use", chauffeurs=uses["chauffeurs"],
                           voyages=uses["voyages"])
        _, count = await tx.execute(Q.delete_skill, {"id": skill_id, "version": current["version"]})
        if count != 1:
            raise stale("skill", current)
        await log_change(tx, actor, "delete", "skill", skill_id,
                         f"Retrait de la compétence {current['code']} du catalogue", current, None,
                         SKILL_FIELDS)
