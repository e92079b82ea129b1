"""`check`: is this installation fit to serve? The configuration, the folders, the database
file (integrity, schema), the backups, the secret key's file, the free space. Read only: it
changes nothing, and can run while the server serves. One line per check; exit 0 when nothing
is wrong, 1 when something is (2 when the configuration itself is invalid).
"""

from __future__ import annotations

import argparse
import datetime
import os

from ..base.config import Config
from ..base.dbfile import inspect_file
from ..base.envfile import secret_exposed
from ..rules import storage
from ..rules.backup_folder import NAME_PATTERN
from ..rules.settings import changed_in_file
from .common import EXIT_FAILED, configured

# Less free space than this where the database lives is worth a warning.
LOW_SPACE = 500 * 1024 * 1024
# The nightly backup is late after this long (as /health says).
BACKUP_LATE = datetime.timedelta(hours=26)
LABELS = {"ok": "OK        ", "attention": "ATTENTION ", "erreur": "ERREUR    "}


def _backups(config: Config) -> list[tuple[str, str]]:
    folder = config.backup_dir
    if not os.path.isdir(folder):
        return []  # said with the folders
    try:
        names = sorted(name for name in os.listdir(folder) if NAME_PATTERN.fullmatch(name))
    except OSError as exc:
        return [("erreur", f"dossier des sauvegardes {folder} illisible : {exc.strerror}")]
    if not names:
        level = "attention" if config.auto_backup_enabled else "ok"
        return [(level, f"aucune sauvegarde dans {folder}")]
    newest = max(os.path.getmtime(os.path.join(folder, name)) for name in names)
    age = datetime.datetime.now() - datetime.datetime.fromtimestamp(newest)
    line = f"{len(names)} sauvegarde(s) dans {folder}, la plus récente il y a {_hours(age)}"
    late = config.auto_backup_enabled and age > BACKUP_LATE
    return [("attention" if late else "ok", line + (" (sauvegarde de nuit en retard ?)" if late else ""))]


def _hours(age: datetime.timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} jours"


def _space(config: Config) -> list[tuple[str, str]]:
    free = storage.free_bytes(config.database_path)
    if free is None:
        return [("attention", "espace libre du disque de la base inconnu")]
    line = f"{free / 1024 ** 3:.1f} Gio libres sur le disque de la base"
    return [("attention" if free < LOW_SPACE else "ok", line)]


def _secret() -> list[tuple[str, str]]:
    exposed = secret_exposed(".env")
    if exposed:
        return [("erreur", f".env contient TOMATOPLAN_SECRET_KEY et d'autres comptes peuvent le "
                           f"lire ({exposed}) : chmod 600 .env")]
    return []


def findings(config: Config) -> list[tuple[str, str]]:
    """Every check's (level, line), in the order they are shown."""
    found = [("ok", "configuration valide")]
    for name, folder in (("DATABASE_PATH", config.data_dir), ("LOG_DIR", config.log_dir),
                         ("BACKUP_DIR", config.backup_dir)):
        if folder and not os.path.isdir(folder):
            found.append(("erreur", f"TOMATOPLAN_{name} : dossier {os.path.abspath(folder)} absent"))
        elif folder and not os.access(folder, os.W_OK | os.X_OK):
            found.append(("erreur", f"TOMATOPLAN_{name} : dossier {os.path.abspath(folder)} non "
                                    "accessible en écriture"))
    if config.backup_copy_dir and not os.access(config.backup_copy_dir, os.W_OK | os.X_OK):
        found.append(("erreur", f"TOMATOPLAN_BACKUP_COPY_DIR {config.backup_copy_dir} absent ou "
                                "non accessible en écriture"))
    return (found + inspect_file(config.database_path) + _changed(config) + _backups(config)
            + _space(config) + _secret())


def _changed(config: Config) -> list[tuple[str, str]]:
    """The settings changed from the admin pages, which win over .env (`config list`)."""
    changed = changed_in_file(config.database_path)
    if not changed:
        return []
    said = ", ".join(f"{row['key'].upper()}={row['value']} ({row['updated_by']}, {row['updated_at'][:10]})"
                     for row in changed)
    return [("ok", f"réglages changés depuis l'administration, prioritaires sur le .env : {said} "
                   "(config list ; config reset NOM pour revenir au .env)")]


def check(config: Config) -> int:
    found = findings(config)
    for level, line in found:
        print(LABELS[level] + line)
    errors = sum(level == "erreur" for level, _ in found)
    warnings = sum(level == "attention" for level, _ in found)
    print(f"{errors} erreur(s), {warnings} avertissement(s).")
    return EXIT_FAILED if errors else 0


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser(
        "check", help="vérifier la configuration, la base et les sauvegardes", add_help=False,
        description="Vérifie la configuration, les dossiers, l'intégrité de la base "
                    "(integrity_check), son schéma, les sauvegardes, les droits du .env et "
                    "l'espace disque, sans rien modifier (le serveur peut tourner). Code de "
                    "sortie 0 si tout va bien, 1 en cas d'erreur, 2 si la configuration est "
                    "invalide.",
    ).set_defaults(run=configured(lambda config, args: check(config), read_only=True))
