"""`config list` and `config reset NAME... | --tous`: the settings an administrator changed at
run time (stored in the database, over .env), seen and undone from the command line: the way
back when a change made from the admin pages keeps everybody out. A running server applies a
reset within seconds (it watches for commits by other processes).
"""

from __future__ import annotations

import argparse

from ..base.config import Config
from ..base.errors import ValidationFailed
from ..rules.settings import EDITABLE, RuntimeSettings, shown
from .backups import actor
from .common import configured, failed, on_database, refused

# The command runs on the server itself, which the allowed networks always let in.
HERE = "127.0.0.1"


def _settings(config: Config) -> RuntimeSettings:
    settings = RuntimeSettings(config)
    on_database(config, settings.load)
    return settings


def list_settings(config: Config) -> int:
    settings = _settings(config)
    for name in EDITABLE:
        value = shown(getattr(settings.config, name)) or "(vide)"
        changed = settings.changed.get(name)
        origin = (f"administration, par {changed['updated_by']} le {changed['updated_at'][:16]} "
                  f"(fichier : {shown(getattr(config, name)) or '(vide)'})") if changed else \
            config.sources.get(name.upper(), "défaut")
        print(f"TOMATOPLAN_{name.upper():<22} {value:<20} {origin}")
    return 0


def _name(raw: str) -> str:
    name = raw.strip().lower().removeprefix("tomatoplan_")
    if name not in EDITABLE:
        raise KeyError(raw)
    return name


def reset_settings(config: Config, names: list, everything: bool) -> int:
    try:
        chosen = list(EDITABLE) if everything else [_name(raw) for raw in names]
    except KeyError as exc:
        return failed(f"réglage inconnu : {exc.args[0]} (modifiables : "
                      f"{', '.join('TOMATOPLAN_' + name.upper() for name in EDITABLE)})")
    if not chosen:
        return failed("donnez les réglages à rétablir, ou --tous")
    settings = _settings(config)
    undone = [name for name in chosen if name in settings.changed]
    if not undone:
        print("Rien à rétablir : ces réglages ont déjà la valeur du fichier .env.")
        return 0
    try:
        on_database(config, lambda db: settings.change(db, actor(), dict.fromkeys(undone), HERE))
    except ValidationFailed as exc:
        return refused(exc)
    for name in undone:
        print(f"TOMATOPLAN_{name.upper()} rétabli : {shown(getattr(settings.config, name)) or '(vide)'}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    config = commands.add_parser(
        "config", help="voir ou rétablir les réglages changés depuis l'administration",
        add_help=False,
        description="Les réglages modifiables sans redémarrage (page Configuration) sont gardés "
                    "dans la base et l'emportent sur le .env : `config list` les montre avec leur "
                    "origine, `config reset NOM` (ou --tous) revient à la valeur du fichier ; un "
                    "serveur en marche l'applique en quelques secondes.")
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(config))
    actions.add_parser("list", help="les réglages en vigueur et leur origine", add_help=False) \
        .set_defaults(run=configured(lambda cfg, args: list_settings(cfg)))
    reset = actions.add_parser("reset", help="revenir à la valeur du .env", add_help=False)
    reset.add_argument("names", metavar="NOM", nargs="*",
                       help="ex. TOKEN_TTL_HOURS, ALLOWED_NETWORKS")
    reset.add_argument("--tous", action="store_true", help="tous les réglages modifiables")
    reset.set_defaults(run=configured(lambda cfg, args: reset_settings(cfg, args.names, args.tous)))
    for parser in actions.choices.values():
        parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
