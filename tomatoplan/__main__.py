"""Command line: `python3 tomatoplan.pyz [serve]`, `backup`, `backups`, `restore NAME`,
`--help`, `--version`."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from . import __version__

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tomatoplan.pyz",
        description="TomatoPlan Server : API REST du planning transport PTT.",
        epilog="Configuration : variables TOMATOPLAN_* de l'environnement ou du fichier .env "
               "du dossier courant (l'environnement l'emporte).",
    )
    parser.add_argument("--version", action="version", version=f"TomatoPlan Server {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE")
    commands.add_parser("serve", help="démarrer le serveur (commande par défaut)",
                        description="Démarre le serveur HTTP avec la configuration TOMATOPLAN_*.")
    backup = commands.add_parser(
        "backup", help="faire une sauvegarde de la base maintenant",
        description="Sauvegarde à chaud de la base dans TOMATOPLAN_BACKUP_DIR (et sa copie dans "
                    "TOMATOPLAN_BACKUP_COPY_DIR si réglé), comme POST /admin/backups.")
    backup.add_argument("--description", default="", help="texte gardé avec la sauvegarde")
    commands.add_parser("backups", help="lister les sauvegardes",
                        description="Les sauvegardes de TOMATOPLAN_BACKUP_DIR, la plus récente d'abord.")
    restore = commands.add_parser(
        "restore", help="restaurer une sauvegarde (serveur arrêté)",
        description="Remplace le planning par celui de la sauvegarde NOM, après une sauvegarde de "
                    "l'état actuel ; garde les utilisateurs, les sessions et le journal d'activité. "
                    "Arrêtez d'abord le service : les clients connectés ne seraient pas prévenus.")
    restore.add_argument("name", metavar="NOM", help="ex. backup_20240115_120000.db")
    return parser


def _fail(message: str, status: int) -> int:
    print(f"tomatoplan: {message}", file=sys.stderr)
    return status


def _configured() -> tuple:
    """(config, None), or (None, exit status) after saying why it cannot be used."""
    from .base.config import ConfigError, load_config, prepare_folders

    try:
        config = load_config()
        prepare_folders(config)
    except ConfigError as exc:
        return None, _fail(f"configuration invalide : {exc}", EXIT_CONFIG)
    return config, None


def run_command(command: str, args: argparse.Namespace) -> int:
    """The backup commands: the server's configuration, logs in server.log and on stderr."""
    from . import commands
    from .base.db import DatabaseError
    from .base.logs import setup_logging

    config, failed = _configured()
    if config is None:
        return failed
    setup_logging("WARNING", config.log_dir)
    try:
        if command == "backup":
            return commands.backup(config, args.description)
        if command == "backups":
            return commands.list_backups(config)
        return commands.restore_backup(config, args.name)
    except DatabaseError as exc:
        return _fail(str(exc), EXIT_RUNTIME)


def serve() -> int:
    from aiohttp import web

    from .app import create_app
    from .base.config import ConfigError
    from .base.db import DatabaseError
    from .base.logs import ACCESS_FORMAT, setup_logging

    config, failed = _configured()
    if config is None:
        return failed
    setup_logging(config.log_level, config.log_dir)
    log = logging.getLogger("tomatoplan")
    log.info("TomatoPlan Server %s starting on %s:%d (Python %s)", __version__, config.host,
             config.port, sys.version.split()[0])
    try:
        web.run_app(
            create_app(config),
            host=config.host,
            port=config.port,
            access_log_format=ACCESS_FORMAT,
            print=None,
            shutdown_timeout=30,
        )
    except ConfigError as exc:
        log.error("configuration invalide : %s", exc)
        return EXIT_CONFIG
    except DatabaseError as exc:
        log.error("%s", exc)
        return EXIT_RUNTIME
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", config.host, config.port, exc.strerror or exc)
        return EXIT_RUNTIME
    log.info("TomatoPlan Server stopped")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in (None, "serve"):
        return serve()
    return run_command(args.command, args)


if __name__ == "__main__":
    sys.exit(main())
