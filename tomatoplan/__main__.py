"""Command line: `python3 tomatoplan.pyz [serve]`, `help` (or `--help`), `--version`, and the
commands of `tomatoplan.commands` (backup, backups, restore NAME...). Exit codes: 0, 1
(runtime), 2 (configuration)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from typing import Optional, Sequence

from . import __version__

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


class _FrenchHelp(argparse.RawDescriptionHelpFormatter):
    """argparse's own words (usage, options) in French, like the rest of the help."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "usage : " if prefix is None else prefix)


# argparse's error messages, as Python 3.9 to 3.13 word them, in French.
_ERRORS = [
    (re.compile(r"argument COMMANDE: invalid choice: (\S*) \(choose from (.*)\)"),
     r"commande inconnue : \1 (possibles : \2)"),
    (re.compile(r"the following arguments are required: (.*)"), r"argument manquant : \1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"arguments inconnus : \1"),
    (re.compile(r"argument (\S+): expected one argument"), r"l'option \1 attend une valeur"),
]


class _FrenchParser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        unquoted = message.replace("'", "")
        for pattern, french in _ERRORS:
            if pattern.fullmatch(unquoted):
                message = pattern.sub(french, unquoted)
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, f"{self.prog} : erreur : {message}\n")


def _settings_help() -> str:
    from .base.config import SETTINGS

    width = max(len(setting.name) for setting in SETTINGS) + len("TOMATOPLAN_")
    lines = ["configuration (environnement, ou fichier .env du dossier courant ; "
             "l'environnement l'emporte) :"]
    for setting in SETTINGS:
        default = f" [{setting.default}]" if setting.default else ""
        lines.append(f"  {'TOMATOPLAN_' + setting.name:<{width}}  {setting.help}{default}")
    lines += ["", "codes de sortie : 0 arrêt normal ; 1 erreur d'exécution (base inutilisable, "
              "port déjà pris...) ; 2 configuration invalide."]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="tomatoplan.pyz", formatter_class=_FrenchHelp, add_help=False,
        description="TomatoPlan Server : API REST du planning transport PTT.",
        epilog=_settings_help(),
    )
    parser._positionals.title = "commandes"
    parser._optionals.title = "options"
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    parser.add_argument("--version", action="version", version=f"TomatoPlan Server {__version__}",
                        help="afficher la version et quitter")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE",
                                     parser_class=_FrenchParser)
    commands.add_parser("serve", help="démarrer le serveur (commande par défaut)",
                        description="Démarre le serveur HTTP avec la configuration TOMATOPLAN_*.",
                        add_help=False)
    commands.add_parser("help", help="afficher cette aide", add_help=False)
    from .commands import COMMAND_MODULES

    for module in COMMAND_MODULES:
        module.register(commands)
    for command in commands.choices.values():
        command.formatter_class = _FrenchHelp
        command._positionals.title = "arguments"
        command._optionals.title = "options"
        command.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    return parser


def serve() -> int:
    import asyncio
    import errno

    from .app import create_app
    from .base.config import ConfigError
    from .base.db import DatabaseError
    from .base.envfile import secret_exposed
    from .base.logs import setup_logging
    from .commands.common import checked_config
    from .web.serving import serve as serve_app

    config, status = checked_config()
    if config is None:
        return status
    setup_logging(config.log_level, config.log_dir)
    log = logging.getLogger("tomatoplan")
    log.info("TomatoPlan Server %s starting on %s:%d (Python %s)", __version__, config.host,
             config.port, sys.version.split()[0])
    exposed = secret_exposed(".env")
    if exposed:
        log.warning(".env contient TOMATOPLAN_SECRET_KEY et d'autres comptes peuvent le lire "
                    "(droits %s) : faites chmod 600 .env", exposed)
    try:
        asyncio.run(serve_app(create_app(config), config))
    except ConfigError as exc:
        log.error("configuration invalide : %s", exc)
        return EXIT_CONFIG
    except DatabaseError as exc:
        log.error("%s", exc)
        return EXIT_RUNTIME
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            log.error("impossible d'écouter sur %s:%d : port déjà utilisé (un autre TomatoPlan "
                      "tourne-t-il ? voir TOMATOPLAN_PORT)", config.host, config.port)
        else:
            log.error("impossible d'écouter sur %s:%d : %s", config.host, config.port,
                      exc.strerror or exc)
        return EXIT_RUNTIME
    log.info("TomatoPlan Server stopped")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    # The database holds the users, the amounts and the activity log: what the server writes
    # (database, backups, logs) is for its own account only, whatever umask it was given.
    os.umask(0o077)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "help":
        parser.print_help()
        return 0
    if args.command in (None, "serve"):
        return serve()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
