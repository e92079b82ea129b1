"""The import of PTT_v0.6's JSON files (`import-json`): all or nothing, in one transaction.

The one home of `sql/migration.sql`. Each record is held to what the API holds a POST to: the
API's own body schemas (given by the caller: they belong to the web layer) after the French
forms of `ptt_fields`, then the owners' checks (references, hours, unique codes, the skills
catalogue, the assignment of a mission) and their writes, each with its activity line.

A record keeps the id it had in the files (`source_id`): a second import finds it again and
changes only the fields its file gives that differ (or nothing); a mission names its chauffeur
and voyage by those ids (a voyage also by its code). Every record is checked, each in its own
savepoint; then the transaction is committed only when applying and none was rejected: a dry
run does all the same work and rolls it back, activity lines included.
"""

from __future__ import annotations

import collections
import dataclasses
import sqlite3
from typing import Any, Optional

from ..base import sqlfiles
from ..base.db import Database, WriteSession
from ..base.errors import ApiError, StaleReferences, invalid
from ..base.schema import Schema
from . import chauffeurs, competences, missions, voyages
from . import import_values as values
from .activity import Actor
from .ptt_fields import SINGULAR, Record, collect, plain, server_id, skill_code, source_text

Q = sqlfiles.load("migration")
VERBS = {  # outcome -> (when applied, in a dry run)
    "created": ("créé", "à créer"), "updated": ("modifié", "à modifier"),
    "unchanged": ("inchangé", "inchangé"), "rejected": ("rejeté", "rejeté"),
}


@dataclasses.dataclass(frozen=True)
class Schemas:
    """The API's body schemas, so that an imported record is held to exactly what a POST is."""

    chauffeur: Schema
    competence: Schema
    voyage: Schema
    mission: Schema


@dataclasses.dataclass
class Report:
    """What the import did (or would do): one French line per record, and the counts."""

    apply: bool
    entries: list = dataclasses.field(default_factory=list)  # (outcome, where, detail)
    counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    rejected_ids: set = dataclasses.field(default_factory=set)  # (kind, source_id)
    applied: bool = False

    def add(self, outcome: str, where: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.entries.append((outcome, where, detail))

    @property
    def lines(self) -> list[str]:
        """One line per record (and warning): done once committed, else what would be done."""
        return [f"avertissement : {detail}" if outcome == "warning" else
                f"{where} : {VERBS[outcome][0 if self.applied else 1]}{detail}"
                for outcome, where, detail in self.entries]

    def summary(self) -> str:
        c, done = self.counts, self.applied
        told = (f"{c['created']} {'créé(s)' if done else 'à créer'}, {c['updated']} "
                f"{'modifié(s)' if done else 'à modifier'}, {c['unchanged']} inchangé(s), "
                f"{c['rejected']} rejeté(s), {c['warning']} avertissement(s)")
        if done:
            return f"Import fait : {told}."
        if self.apply:
            return f"Import refusé (tout ou rien) : {told}. Rien n'a été écrit."
        advice = "corrigez les rejetés, puis" if c["rejected"] else "pour importer :"
        return f"Simulation : {told}. Rien n'a été écrit ; {advice} --apply."


class _Undo(Exception):
    """Ends the import's transaction with a ROLLBACK: a dry run, or a record rejected."""


@dataclasses.dataclass
class _Run:
    actor: Actor
    schemas: Schemas
    force: bool
    report: Report
    uid: str = ""  # the database's identity (see ptt_fields.SERVER_KEY)


async def import_files(db: Database, actor: Actor, files: list[tuple[str, Any]], schemas: Schemas,
                       *, apply: bool, force: bool = False) -> Report:
    """Import the records of parsed JSON files ((name, content), see `ptt_fields.collect`);
    commit only when `apply` and none is rejected. `force`: a mission's assignment passes its
    checks, as `?force=true` does."""
    collected = collect(files)
    report = Report(apply)
    run = _Run(actor, schemas, force, report)
    for warning in collected.warnings:
        report.add("warning", "", warning)
    for where, why in collected.rejected_files:
        report.add("rejected", where, f" : {why}")

    async def work(tx: WriteSession) -> None:
        run.uid = await tx.fetch_value(Q.database_uid)
        for record in collected.records:
            await _import_one(tx, run, record)
        if not apply or report.counts["rejected"]:
            raise _Undo

    try:
        await db.transaction(work)
        report.applied = True
    except _Undo:
        pass
    return report


async def _import_one(tx: WriteSession, run: _Run, record: Record) -> None:
    report = run.report
    where = f"{record.where} (id {record.source_id})" if record.source_id else record.where
    if record.problems:
        report.rejected_ids.add((record.kind, record.source_id))
        report.add("rejected", where, " : " + " ; ".join(record.problems))
        return
    await tx.execute(Q.savepoint_record)
    try:
        outcome, shown, changed = await IMPORTS[record.kind](tx, run, record)
    except (ApiError, sqlite3.IntegrityError) as exc:
        await tx.execute(Q.rollback_record)
        report.rejected_ids.add((record.kind, record.source_id))
        report.add("rejected", where, " : " + values.reason(exc, record))
    else:
        fields = f" ({', '.join(changed)})" if changed else ""
        report.add(outcome, where, f"{fields} — {shown}")
    await tx.execute(Q.release_record)


async def _by_source(tx: WriteSession, run: _Run, sql: str, source_id: str) -> Optional[int]:
    return await tx.fetch_value(sql, {"source_id": source_id,
                                      "server_id": server_id(source_id, run.uid)})


async def _chauffeur(tx: WriteSession, run: _Run, record: Record) -> tuple[str, str, list]:
    given, actor = dict(record.fields), run.actor
    skills = values.held_skills(given.pop("competences"), run.schemas.competence) \
        if "competences" in given else None
    cleaned, keys = values.validated(run.schemas.chauffeur, given)
    found = await _by_source(tx, run, Q.chauffeur_by_source, record.source_id)
    if found is None:
        made = await chauffeurs.create_in(tx, actor, cleaned, source_id=record.source_id)
        changed = await _sync_skills(tx, actor, made, skills or {})
        return "created", _chauffeur_shown(made, changed), []
    current = await chauffeurs.CHAUFFEURS.load(tx, found)
    changes = values.changes(current, cleaned, keys)
    if changes:
        current = await chauffeurs.update_in(tx, actor, found, changes, None)
    changed = sorted(changes)
    if skills is not None and await _sync_skills(tx, actor, current, skills):
        changed.append("competences")
    return ("updated" if changed else "unchanged"), _chauffeur_shown(current, []), changed


def _chauffeur_shown(chauffeur: dict, skills: list) -> str:
    held = f", compétences {', '.join(skills)}" if skills else ""
    return f"chauffeur {chauffeur['id']} {chauffeurs.full_name(chauffeur)}{held}"


async def _sync_skills(tx: WriteSession, actor: Actor, chauffeur: dict, wanted: dict) -> list:
    """Make the chauffeur hold exactly `wanted` ({code: expiry}), through `competences`; the
    codes that changed. A code missing from the catalogue is the `competences` field's fault."""
    try:
        return await _write_skills(tx, actor, chauffeur, wanted)
    except StaleReferences as exc:
        raise StaleReferences([{**error, "field": "competences"} for error in exc.errors]) from None


async def _write_skills(tx: WriteSession, actor: Actor, chauffeur: dict, wanted: dict) -> list:
    held = {competence["code"]: competence for competence in chauffeur["competences"]}
    changed = []
    for code, competence in held.items():
        if code not in wanted:
            await competences.remove_in(tx, actor, chauffeur, competence["id"], None)
        elif wanted[code] != competence["date_expiration"]:
            await competences.update_in(tx, actor, chauffeur, competence["id"],
                                        {"date_expiration": wanted[code]}, None)
        else:
            continue
        changed.append(code)
    for code, until in wanted.items():
        if code not in held:
            await competences.add_in(tx, actor, chauffeur, {"code": code, "date_expiration": until})
            changed.append(code)
    return sorted(changed)


async def _voyage(tx: WriteSession, run: _Run, record: Record) -> tuple[str, str, list]:
    given, actor = dict(record.fields), run.actor
    required = given.get("competences_requises")
    if isinstance(required, str):
        required = [code for code in required.replace(";", ",").split(",") if code.strip()]
    if isinstance(required, list):
        given["competences_requises"] = [skill_code(code) for code in required]
    cleaned, keys = values.validated(run.schemas.voyage, given)
    found = await _by_source(tx, run, Q.voyage_by_source, record.source_id)
    if found is None:
        made = await voyages.create_in(tx, actor, cleaned, source_id=record.source_id)
        return "created", f"voyage {made['id']} {made['code']}", []
    current = await voyages.VOYAGES.load(tx, found)
    changes = values.changes(current, cleaned, keys)
    if changes:
        current = await voyages.update_in(tx, actor, found, changes, None)
    return ("updated" if changes else "unchanged"), f"voyage {found} {current['code']}", sorted(changes)


async def _mission(tx: WriteSession, run: _Run, record: Record) -> tuple[str, str, list]:
    given, actor, force, errors = dict(record.fields), run.actor, run.force, []
    for field, kind in (("chauffeur_id", "chauffeurs"), ("voyage_id", "voyages")):
        if given.get(field) is None:
            continue
        named = given.pop(field)
        found = await _reference(tx, run, kind, named, plain(record.names[field]))
        if found is not None:
            given[field] = found
        elif (kind, source_text(named)) in run.report.rejected_ids:
            errors.append(invalid(field, "not_found", f"Le {SINGULAR[kind]} {named!r} est rejeté."))
        else:
            errors.append(invalid(field, "not_found", f"{SINGULAR[kind].capitalize()} {named!r} "
                                                      "introuvable : ni dans ces fichiers, ni déjà "
                                                      "importé."))
    cleaned, keys = values.validated(run.schemas.mission, given, errors)
    found = await _by_source(tx, run, Q.mission_by_source, record.source_id)
    if found is None:
        made = await missions.create_in(tx, actor, cleaned, force=force, source_id=record.source_id)
        return "created", _mission_shown(made), []
    current = await missions.MISSIONS.load(tx, found)
    changes = values.changes(current, cleaned, keys)
    if changes:
        current = await missions.update_in(tx, actor, found, changes, None, force=force)
    return ("updated" if changes else "unchanged"), _mission_shown(current), sorted(changes)


def _mission_shown(mission: dict) -> str:
    return f"mission {mission['id']} du {mission['date_mission']} vers {mission['destination']}"


async def _reference(tx: WriteSession, run: _Run, kind: str, named: Any, name: str
                     ) -> Optional[int]:
    """The id on this server of the chauffeur or voyage a mission names: by the id it had in
    the files, or (a voyage named `voyage` or `code_voyage`) by its code."""
    source = source_text(named)
    sql = Q.chauffeur_by_source if kind == "chauffeurs" else Q.voyage_by_source
    found = None
    if source is not None and name != "code_voyage":
        found = await _by_source(tx, run, sql, source)
    if found is None and kind == "voyages" and name in ("voyage", "code_voyage") and source:
        found = await tx.fetch_value(Q.voyage_by_code, {"code": source})
    return found


IMPORTS = {"chauffeurs": _chauffeur, "voyages": _voyage, "missions": _mission}
