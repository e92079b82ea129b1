"""Command line: `python3 tomatoplan.pyz [serve]`, `help` (or `--help`), `--version`, and the
commands of `tomatoplan.commands` (backup, backups, restore NAME...).

The server's exit codes tell systemd what a restart can fix: 1 an unexpected error (Python's own
code for an uncaught exception: restarted), and what it cannot (the unit's
RestartPreventExitStatus=2 3 4): 2 configuration, 3 database, 4 the port. The commands have
theirs (`commands.common`)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import socket
import sys
from typing import Optional, Sequence

from . import __version__

EXIT_UNEXPECTED = 1
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_LISTEN = 4
# Why the listening socket cannot be opened, and the exit code: a port taken or forbidden stays
# so, an address not yet on the machine may come (IPv6 duplicate detection, a slow DHCP).
LISTEN_ERRORS = {
    errno.EADDRINUSE: ("port déjà utilisé (un autre TomatoPlan tourne-t-il ? voir TOMATOPLAN_PORT)",
                       EXIT_LISTEN),
    errno.EACCES: ("port interdit à ce compte (sous 1024, il faut des privilèges : voir "
                   "TOMATOPLAN_PORT)", EXIT_LISTEN),
    errno.EADDRNOTAVAIL: ("adresse absente de cette machine, ou pas encore configurée (voir "
                          "TOMATOPLAN_HOST)", EXIT_UNEXPECTED),
}


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
    lines += ["", "codes de sortie : 0 arrêt normal ; 1 erreur inattendue ou passagère (systemd "
              "relance le service) ; 2 configuration invalide ; 3 base de données inutilisable ; "
              "4 écoute impossible (port déjà pris ou interdit). Après 2, 3 ou 4, systemd ne "
              "relance pas le service."]
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


def listen_failure(exc: BaseException) -> Optional[tuple[str, int]]:
    """(why, exit code) when `exc` says the listening socket could not be opened; None for
    anything else, an OSError on a file included (a file names itself in `filename`)."""
    if isinstance(exc, socket.gaierror):
        return f"nom introuvable, {exc.strerror} (voir TOMATOPLAN_HOST)", EXIT_UNEXPECTED
    if isinstance(exc, OSError) and exc.filename is None:
        return LISTEN_ERRORS.get(exc.errno)  # type: ignore[arg-type]
    return None


def serve() -> int:
    import asyncio

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
        return EXIT_DATABASE
    except Exception as exc:
        failure = listen_failure(exc)
        if failure is None:  # a bug: its traceback in server.log; systemd restarts the service
            log.exception("arrêt sur une erreur inattendue")
            return EXIT_UNEXPECTED
        log.error("impossible d'écouter sur %s:%d : %s", config.host, config.port, failure[0])
        return failure[1]
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
