"""`user list|add|set-role|disable|enable`: the users from the command line, for a sysadmin who
must recover a lost administrator. The same rules as the API (the last active administrator
cannot be demoted or disabled), logged in the activity log as "<account> (ligne de commande)".

A running server notices the change within seconds (it watches for commits by other
processes) and refuses the sessions a disabled or demoted user had open.
"""

from __future__ import annotations

import argparse
from typing import Callable

from ..base.config import Config
from ..base.db import Database
from ..base.errors import ApiError, NotFound
from ..base.permissions import ROLE_LABELS, ROLES
from ..rules import users
from .backups import actor
from .common import configured, on_database, refused

RUNNING_SERVER = ("Ses sessions ouvertes sont fermées ; un serveur en marche le voit en "
                  "quelques secondes.")


async def _named(db: Database, raw: str) -> dict:
    name = users.username_field(raw)
    found = await users.find_user(db, name)
    if found is None:
        raise NotFound(f"Utilisateur {name} inconnu (python3 tomatoplan.pyz user list).",
                       code="user_not_found")
    return found


def list_users(config: Config, everyone: bool) -> int:
    found, _ = on_database(config, lambda db: users.list_users(
        db, include_inactive=everyone, limit=10_000, offset=0))
    for user in found:
        state = "" if user["active"] else "  (désactivé)"
        last = (user["last_login_at"] or "jamais")[:16].replace("T", " ")
        print(f"{user['username']:<30} {user['role']:<17} dernière connexion : {last:<16}  "
              f"{user['display_name']}{state}")
    print(f"{len(found)} utilisateur(s).")
    return 0


def add_user(config: Config, name: str, role: str, display_name: str) -> int:
    made = on_database(config, lambda db: users.create_user(
        db, actor(), {"username": name, "role": role, "display_name": display_name}))
    print(f"Utilisateur {made['username']} créé ({ROLE_LABELS[made['role']]}) : il peut se "
          "connecter avec son identifiant Windows.")
    return 0


def change_user(config: Config, name: str, changes: dict, said: str) -> int:
    async def change(db: Database) -> dict:
        user = await _named(db, name)
        return await users.update_user(db, actor(), user["id"], changes)

    changed = on_database(config, change)
    print(said.format(name=changed["username"], role=ROLE_LABELS[changed["role"]]))
    if changes.get("active") is False or ("role" in changes and changes["role"] != "admin"):
        print(RUNNING_SERVER.format(name=changed["username"]))
    return 0


def _guarded(run: Callable[[Config, argparse.Namespace], int]) -> Callable[[Config, argparse.Namespace], int]:
    def command(config: Config, args: argparse.Namespace) -> int:
        try:
            return run(config, args)
        except ApiError as exc:
            return refused(exc)
    return command


def register(commands: argparse._SubParsersAction) -> None:
    user = commands.add_parser(
        "user", help="gérer les utilisateurs (récupérer un administrateur perdu)", add_help=False,
        description="Les utilisateurs, avec les règles de l'API (le dernier administrateur actif "
                    "reste administrateur). Ex. : user add JEAN.DUPONT --role admin")
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True,
                                  parser_class=type(user))
    listing = actions.add_parser("list", help="lister les utilisateurs", add_help=False)
    listing.add_argument("--tous", action="store_true", help="avec les comptes désactivés")
    listing.set_defaults(run=configured(_guarded(lambda config, args: list_users(config, args.tous))))
    add = actions.add_parser("add", help="créer un utilisateur", add_help=False)
    add.add_argument("name", metavar="NOM", help="identifiant Windows (NOM, DOMAINE\\NOM, NOM@domaine)")
    add.add_argument("--role", required=True, choices=ROLES, help="rôle")
    add.add_argument("--nom-affiche", default="", dest="display_name", help="nom affiché")
    add.set_defaults(run=configured(_guarded(
        lambda config, args: add_user(config, args.name, args.role, args.display_name))))
    set_role = actions.add_parser("set-role", help="changer le rôle d'un utilisateur", add_help=False)
    set_role.add_argument("name", metavar="NOM")
    set_role.add_argument("role", metavar="ROLE", choices=ROLES, help=", ".join(ROLES))
    set_role.set_defaults(run=configured(_guarded(lambda config, args: change_user(
        config, args.name, {"role": args.role}, "{name} a maintenant le rôle {role}."))))
    for verb, active, helped, said in (
            ("disable", False, "désactiver un utilisateur",
             "{name} est désactivé : il ne peut plus se connecter."),
            ("enable", True, "réactiver un utilisateur", "{name} est réactivé.")):
        action = actions.add_parser(verb, help=helped, add_help=False)
        action.add_argument("name", metavar="NOM")
        action.set_defaults(run=configured(_guarded(
            lambda config, args, active=active, said=said: change_user(
                config, args.name, {"active": active}, said))))
    for parser in actions.choices.values():
        parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
