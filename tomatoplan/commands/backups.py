"""The backup commands: `backup`, `backups`, `restore NAME`.

They open the database named by the configuration (`.env` of the working folder, then the
environment), as the server does, and call the same rules. Meant for when the server is
stopped; a backup is safe while it runs too (SQLite's own locking), but live clients are only
told of a restore made through the API.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
from typing import Awaitable, Callable, TypeVar

from ..base.config import Config
from ..base.errors import ApiError
from ..rules import restore
from ..rules.activity import Actor
from ..rules.backups import Backups
from .common import configured, on_database, refused

Result = TypeVar("Result")


def actor() -> Actor:
    """Who runs the command, as the activity log names them: under `sudo -u tomatoplan`, the
    administrator who typed it (SUDO_USER), not the service account."""
    who = os.environ.get("SUDO_USER") or getpass.getuser()
    return Actor(username=f"{who} (ligne de commande)", hostname=socket.gethostname())


def _with_backups(config: Config, operation: Callable[[Backups], Awaitable[Result]]) -> Result:
    return on_database(config, lambda db: operation(Backups(db, config)))


def _size(octets: int) -> str:
    return f"{octets / 1048576:.1f} Mio" if octets >= 1048576 else f"{octets / 1024:.0f} Kio"


def backup(config: Config, description: str) -> int:
    """`backup`: make a backup now, as an admin's POST /admin/backups does."""
    try:
        made = _with_backups(config, lambda backups: backups.create(actor(), description))
    except ApiError as exc:
        return refused(exc)
    print(f"Sauvegarde faite : {made['name']} ({_size(made['size'])}, {made['counts']['missions']} "
          f"missions) dans {config.backup_dir}")
    return 0


def list_backups(config: Config) -> int:
    """`backups`: the backups of the folder, newest first."""
    found = _with_backups(config, lambda backups: backups.list())
    if not found:
        print(f"Aucune sauvegarde dans {config.backup_dir}")
        return 0
    for entry in found:
        missions = (entry["counts"] or {}).get("missions", "?")
        print(f"{entry['name']}  {entry['created_at'][:19].replace('T', ' ')} UTC  "
              f"{entry['trigger'] or '?':<18}  {_size(entry['size']):>10}  {missions:>7} missions  "
              f"{entry['description']}")
    return 0


def restore_backup(config: Config, name: str) -> int:
    """`restore NAME`: put that backup's planning back, after a backup of the current state."""
    try:
        report = _with_backups(config, lambda backups: restore.restore(backups, actor(), name))
    except ApiError as exc:
        return refused(exc)
    print(f"Restauration de {report['name']} faite en {report['seconds']} s ; l'état remplacé est "
          f"gardé dans {report['before']}.")
    return 0



def register(commands: argparse._SubParsersAction) -> None:
    backup_parser = commands.add_parser(
        "backup", help="faire une sauvegarde de la base maintenant", add_help=False,
        description="Sauvegarde à chaud de la base dans TOMATOPLAN_BACKUP_DIR (et sa copie dans "
                    "TOMATOPLAN_BACKUP_COPY_DIR si réglé), comme POST /admin/backups.")
    backup_parser.add_argument("--description", default="", help="texte gardé avec la sauvegarde")
    backup_parser.set_defaults(run=configured(lambda config, args: backup(config, args.description)))
    commands.add_parser(
        "backups", help="lister les sauvegardes", add_help=False,
        description="Les sauvegardes de TOMATOPLAN_BACKUP_DIR, la plus récente d'abord.",
    ).set_defaults(run=configured(lambda config, args: list_backups(config)))
    restore_parser = commands.add_parser(
        "restore", help="restaurer une sauvegarde (serveur arrêté)", add_help=False,
        description="Remplace le planning par celui de la sauvegarde NOM, après une sauvegarde de "
                    "l'état actuel ; garde les utilisateurs, les sessions et le journal d'activité. "
                    "Arrêtez d'abord le service : les clients connectés ne seraient pas prévenus.")
    restore_parser.add_argument("name", metavar="NOM", help="ex. backup_20240115_120000.db")
    restore_parser.set_defaults(run=configured(lambda config, args: restore_backup(config, args.name)))
