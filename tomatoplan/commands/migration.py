"""`import-json CHEMIN [--apply] [--force]` and `export-json [--output FICHIER]`: the migration
from PTT_v0.6's JSON files, and the whole planning as JSON in the same format.

The import is a dry run until `--apply`: it checks every record as the API would (its schemas
and rules), says in one line per record what it does, and writes nothing; with `--apply`,
everything is written in one transaction, or nothing when a record is rejected (exit 1).
Writes are logged as "<account> (ligne de commande)". Meant for when the service is stopped:
the import holds the database's writer for its whole length.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..base.config import Config
from ..rules import migration, planning_export
from ..rules.ptt_fields import Unreadable
from .backups import actor
from .common import configured, failed, on_database


def api_schemas() -> migration.Schemas:
    """The routes' own body schemas: an imported record is held to exactly what the API's POST
    accepts. (Imported here, not at start: the other commands need not load the web layer.)"""
    from ..web.routes.chauffeurs import CHAUFFEUR_BODY
    from ..web.routes.competences import COMPETENCE_BODY
    from ..web.routes.missions import MISSION_CREATE
    from ..web.routes.voyages import VOYAGE_BODY

    return migration.Schemas(chauffeur=CHAUFFEUR_BODY, competence=COMPETENCE_BODY,
                             voyage=VOYAGE_BODY, mission=MISSION_CREATE)


class SourceError(Exception):
    """A path that cannot be read: said in one line, exit 1."""


def read_sources(path: str) -> list[tuple[str, Any]]:
    """(name, parsed JSON) of a .json file, or of each .json file of a folder (by name); a
    file that is not JSON comes as `Unreadable` (the import rejects it, and so writes nothing)."""
    where = Path(path)
    if where.is_dir():
        files = sorted(entry for entry in where.iterdir()
                       if entry.is_file() and entry.suffix.lower() == ".json"
                       and not entry.name.startswith("."))
        if not files:
            raise SourceError(f"aucun fichier .json dans {path}")
    elif where.is_file():
        files = [where]
    else:
        raise SourceError(f"introuvable : {path}")
    return [(entry.name, _parsed(entry)) for entry in files]


def _parsed(path: Path) -> Any:
    """The JSON of a file written by PTT: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name} illisible : {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Unreadable(f"JSON mal formé ({exc})")


def import_json(config: Config, path: str, *, apply: bool, force: bool) -> int:
    """`import-json`: the lines of the report, its summary; 1 when a record is rejected."""
    try:
        files = read_sources(path)
    except SourceError as exc:
        return failed(str(exc))
    report = on_database(config, lambda db: migration.import_files(
        db, actor(), files, api_schemas(), apply=apply, force=force))
    if not apply:
        print("Simulation : rien ne sera écrit (--apply pour importer).")
    for line in report.lines:
        print(line)
    print(report.summary())
    return 1 if report.counts["rejected"] else 0


def export_json(config: Config, output: str) -> int:
    """`export-json`: the planning into `output` (a dated file by default; `-`: stdout)."""
    if output == "-":
        counts = on_database(config, lambda db: planning_export.export_planning(db, sys.stdout))
        told = sys.stderr
    else:
        output = output or datetime.datetime.now().strftime("planning_%Y%m%d_%H%M%S.json")
        temp = f"{output}.partiel"
        try:
            with open(temp, "w", encoding="utf-8", newline="\n") as handle:
                counts = on_database(config, lambda db: planning_export.export_planning(db, handle))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, output)
        except OSError as exc:
            if os.path.exists(temp):
                os.remove(temp)
            return failed(f"impossible d'écrire {output} : {exc.strerror or exc}")
        told = sys.stdout
    print(f"Export fait : {counts['chauffeurs']} chauffeur(s), {counts['voyages']} voyage(s), "
          f"{counts['missions']} mission(s)" + ("" if output == "-" else f" dans {output}"),
          file=told)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    importer = commands.add_parser(
        "import-json", help="importer les fichiers JSON de PTT_v0.6 (simulation sans --apply)",
        add_help=False,
        description="Lit un fichier JSON, ou chaque fichier .json d'un dossier : un objet "
                    "{\"chauffeurs\": [...], \"voyages\": [...], \"missions\": [...]}, ou la liste "
                    "d'un fichier nommé chauffeurs.json, voyages.json, missions.json. Chaque "
                    "enregistrement est contrôlé comme par l'API ; une ligne dit ce qu'il devient. "
                    "Sans --apply, rien n'est écrit. Avec --apply, tout est écrit en une transaction, "
                    "ou rien si un enregistrement est rejeté (code de sortie 1). Un second import des "
                    "mêmes fichiers ne crée rien : chaque enregistrement garde son id d'origine. "
                    "Serveur arrêté de préférence.")
    importer.add_argument("path", metavar="CHEMIN", help="un fichier .json ou un dossier")
    importer.add_argument("--apply", action="store_true",
                          help="importer pour de bon (sinon : simulation, rien n'est écrit)")
    importer.add_argument("--force", action="store_true",
                          help="passer outre les contrôles d'affectation des missions (comme "
                               "?force=true) ; le journal garde les raisons")
    importer.set_defaults(run=configured(lambda config, args: import_json(
        config, args.path, apply=args.apply, force=args.force)))
    exporter = commands.add_parser(
        "export-json", help="exporter tout le planning en JSON (format d'import-json)",
        add_help=False,
        description="Écrit chauffeurs (avec leurs compétences), voyages et missions (montants "
                    "compris) dans le format que lit import-json ; chaque enregistrement sous son id "
                    "d'origine, ou tomatoplan-<id> s'il a été créé sur ce serveur.")
    exporter.add_argument("--output", "-o", metavar="FICHIER", default="",
                          help="fichier à écrire (par défaut planning_AAAAMMJJ_HHMMSS.json dans le "
                               "dossier courant ; - : la sortie standard)")
    exporter.set_defaults(run=configured(lambda config, args: export_json(config, args.output)))
