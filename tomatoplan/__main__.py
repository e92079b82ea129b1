"""Command line: `python3 tomatoplan.pyz [serve]`, `--help`, `--version`."""

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
    return parser


def _fail(message: str, status: int) -> int:
    print(f"tomatoplan: {message}", file=sys.stderr)
    return status


def serve() -> int:
    from aiohttp import web

    from .app import create_app
    from .base.config import ConfigError, load_config, prepare_folders
    from .base.db import DatabaseError
    from .base.logs import ACCESS_FORMAT, setup_logging

    try:
        config = load_config()
        prepare_folders(config)
    except ConfigError as exc:
        return _fail(f"configuration invalide : {exc}", EXIT_CONFIG)
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
    return _fail(f"commande inconnue : {args.command}", EXIT_CONFIG)


if __name__ == "__main__":
    sys.exit(main())
