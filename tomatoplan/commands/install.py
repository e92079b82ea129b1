"""`install` and `uninstall`: the service under systemd from the one file, as root.

`sudo python3 tomatoplan.pyz install --port 8000 --admin JEAN.DUPONT` creates the system
user, the installation folder (the archive copied there, data/, logs/, backups/, a .env with a
generated signing key, 0600, for the service's user), writes the unit (`unit.py`), reloads
systemd, enables and starts the service. Run again, it changes only what differs: the archive
(an update, then the service restarts), the unit when the folders named in .env changed. An
existing .env is never rewritten, nor is anything in data/. `uninstall` removes the service
and keeps the folder and the user.

The folders named in .env are created when missing (0700, the service's); an existing one keeps
its rights and owner unless it is the installer's own data/, logs/ or backups/. A folder the
service must not be given (`unit.unsafe_folder`) is refused before anything is done.

`--root DIR` writes the same tree inside DIR and runs nothing (tests, packages); `--dry-run`
says everything it would do and does nothing.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import secrets
from typing import Optional

from .. import __version__
from ..base import resources
from ..base.envfile import ConfigError, parse_int, read_env_file
from ..rules.users import InvalidUsername, normalise_username
from .common import EXIT_CONFIG, failed
from .install_steps import InstallError, Owner, Steps, read_bytes
from .unit import (
    ARCHIVE_NAME,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_PREFIX,
    DEFAULT_PYTHON,
    DEFAULT_USER,
    HIDDEN_FROM_SERVICE,
    INSTALLED_FOLDERS,
    OWNED_FOLDERS,
    SERVICE,
    UNIT_PATH,
    Installation,
    UnsafeFolder,
    is_system_folder,
    render,
    server_url,
    writable_folders,
)

ROOT_OWNER = (0, 0)
SAFE_PATH = re.compile(r"/[A-Za-z0-9._/-]*")
SYSTEM_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def _options(args: argparse.Namespace) -> tuple[str, str, str, int, str]:
    """(prefix, user, python, port, admin), checked; ConfigError in French otherwise."""
    prefix = os.path.normpath(args.prefix) if args.prefix else ""
    if not SAFE_PATH.fullmatch(prefix) or prefix == "/":
        raise ConfigError(f"--prefix {args.prefix!r} : attendu un chemin absolu (lettres, chiffres, "
                          "'.', '_', '-'), autre que /")
    if any(prefix == hidden or prefix.startswith(hidden + "/") for hidden in HIDDEN_FROM_SERVICE):
        raise ConfigError(f"--prefix {prefix} : le service ne voit pas ce dossier (ProtectHome=, "
                          "PrivateTmp=) ; prenez par exemple /opt/tomatoplan ou /srv/tomatoplan")
    if is_system_folder(prefix):
        raise ConfigError(f"--prefix {prefix} : un dossier du système ; prenez par exemple "
                          "/opt/tomatoplan ou /srv/tomatoplan")
    if not SYSTEM_USER.fullmatch(args.user) or args.user == "root":
        raise ConfigError(f"--user {args.user!r} : attendu un nom de compte système (minuscules, "
                          "chiffres, '_', '-'), autre que root")
    if not SAFE_PATH.fullmatch(args.python):
        raise ConfigError(f"--python {args.python!r} : attendu un chemin absolu")
    port = args.port or str(DEFAULT_PORT)
    if not port.isdigit() or not 1024 <= int(port) <= 65535:
        raise ConfigError(f"--port {port} : attendu un port de 1024 à 65535 (le service tourne sans "
                          "privilège : pour le port 80, placez un proxy devant)")
    try:
        admin = normalise_username(args.admin or "ADMIN")
    except InvalidUsername as exc:
        raise ConfigError(f"--admin {args.admin!r} : {exc}") from None
    return prefix, args.user, args.python, int(port), admin


def _new_env(prefix: str, port: int, admin: str) -> tuple[dict, str]:
    """The settings of a new .env, and its text."""
    settings = {"TOMATOPLAN_HOST": DEFAULT_HOST, "TOMATOPLAN_PORT": str(port),
                "TOMATOPLAN_DEFAULT_ADMIN_USERNAME": admin,
                **{f"TOMATOPLAN_{name}": value for name, value in INSTALLED_FOLDERS.items()}}
    lines = [
        "# TomatoPlan Server : configuration du service (README.md, section « Configuration »).",
        "# Écrit une fois par « tomatoplan.pyz install », qui ne le réécrit jamais. Après un",
        "# changement : sudo systemctl restart tomatoplan. Après un changement de dossier (base,",
        "# logs, sauvegardes, copie), relancez aussi",
        f"# « sudo python3 {prefix}/{ARCHIVE_NAME} install » : l'unité lui en donne l'accès.",
        *(f"{name}={value}" for name, value in settings.items()),
        "# Clé de signature des jetons : la changer déconnecte tout le monde.",
        f"TOMATOPLAN_SECRET_KEY={secrets.token_hex(32)}",
    ]
    return settings, "\n".join(lines) + "\n"


def _env_settings(steps: Steps, prefix: str, port: int, admin: str) -> tuple[dict, str]:
    """The existing .env's settings, and ""; or a new one's, and its text."""
    path = steps.host_path(f"{prefix}/.env")
    return (read_env_file(path), "") if os.path.exists(path) else _new_env(prefix, port, admin)


def _env_file(steps: Steps, prefix: str, owner: Owner, settings: dict, text: str, port: int,
              admin: str, args: argparse.Namespace) -> None:
    """The .env: written when new (`text`), else kept as it is (its rights set)."""
    path = f"{prefix}/.env"
    if text:
        steps.file(path, text.encode(), 0o600, owner, detail="clé de signature générée")
        return
    steps.file(path, b"", 0o600, owner, keep=True)
    ignored = []
    if args.port and settings.get("TOMATOPLAN_PORT", str(DEFAULT_PORT)) != str(port):
        ignored.append("--port")
    if args.admin and settings.get("TOMATOPLAN_DEFAULT_ADMIN_USERNAME", "ADMIN") != admin:
        ignored.append("--admin")
    if ignored:
        steps.note(f".env existant, gardé tel quel : {' et '.join(ignored)} n'y "
                   f"{'sont pas écrits' if len(ignored) > 1 else 'est pas écrit'} (modifiez-le à la main)")


def _service_user(steps: Steps, user: str, prefix: str) -> Owner:
    """The service's account, created when missing; its (uid, gid), None if not yet there."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        shell = next((path for path in ("/usr/sbin/nologin", "/sbin/nologin")
                      if os.path.exists(path)), "/bin/false")
        steps.run(["useradd", "--system", "--user-group", "--home-dir", prefix, "--no-create-home",
                   "--shell", shell, "--comment", "TomatoPlan Server", user],
                  f"utilisateur système {user} (useradd --system)")
        if steps.dry_run:
            return None
        entry = pwd.getpwnam(user)
    else:
        steps.say("unchanged", f"utilisateur système {user}")
    return entry.pw_uid, entry.pw_gid


def _systemd(steps: Steps, reload: bool, restart: bool, start: bool) -> None:
    if reload:
        steps.run(["systemctl", "daemon-reload"])
    if steps.ask(["systemctl", "is-enabled", "--quiet", SERVICE]):
        steps.say("unchanged", f"service {SERVICE} activé au démarrage")
    else:
        steps.run(["systemctl", "enable", SERVICE])
    if not start:
        steps.note(f"non démarré (--no-start) : sudo systemctl start {SERVICE}")
    elif not steps.ask(["systemctl", "is-active", "--quiet", SERVICE]):
        steps.run(["systemctl", "start", SERVICE])
    elif restart:
        steps.run(["systemctl", "restart", SERVICE], f"systemctl restart {SERVICE} (nouvelle version)")
    else:
        steps.say("unchanged", f"service {SERVICE} en marche")


def _cannot_install(args: argparse.Namespace, python: str) -> Optional[str]:
    """Why a real installation cannot be made here, if it cannot."""
    if resources.archive_path() is None:
        return ("install copie l'archive construite : python3 build_zipapp.py, puis "
                "sudo python3 dist/tomatoplan.pyz install")
    if args.root is not None or args.dry_run:
        return None
    if os.geteuid() != 0:
        return ("install demande les droits root : sudo python3 tomatoplan.pyz install ... "
                "(--dry-run pour voir ce qui serait fait, --root DOSSIER pour une arborescence)")
    if not os.path.isdir("/run/systemd/system"):
        return "systemd ne tourne pas sur cette machine (--root DOSSIER écrit l'arborescence seule)"
    if not os.access(python, os.X_OK):
        return f"{python} introuvable : indiquez le Python du système par --python"
    return None


def install(args: argparse.Namespace) -> int:
    try:
        prefix, user, python, port, admin = _options(args)
    except ConfigError as exc:
        return failed(str(exc), EXIT_CONFIG)
    refusal = _cannot_install(args, python)
    if refusal:
        return failed(refusal)
    steps = Steps(args.root, args.dry_run)
    try:  # what .env says, checked before anything is done
        settings, env_text = _env_settings(steps, prefix, port, admin)
        host = settings.get("TOMATOPLAN_HOST", DEFAULT_HOST).strip() or DEFAULT_HOST
        served_port = parse_int("PORT", settings.get("TOMATOPLAN_PORT", str(DEFAULT_PORT)), 1, 65535)
        writable, optional = writable_folders(prefix, settings)
    except (ConfigError, UnsafeFolder) as exc:
        return failed(f"{prefix}/.env, {exc}", EXIT_CONFIG)
    real = steps.root is None
    print(f"TomatoPlan Server {__version__} : installation dans {prefix}"
          + (f", arborescence sous {steps.root}" if steps.root else "")
          + (" (simulation : rien n'est écrit ni lancé)" if args.dry_run else ""))
    try:
        owner = _service_user(steps, user, prefix) if real else None
        system = ROOT_OWNER if real else None
        steps.folder(prefix, 0o755, system, fix=False)
        code = steps.file(f"{prefix}/{ARCHIVE_NAME}", read_bytes(resources.archive_path()), 0o644,
                          system, new_state="copied")
        _env_file(steps, prefix, owner, settings, env_text, port, admin, args)
        given = steps.data_folders(writable, [f"{prefix}/{name}" for name in OWNED_FOLDERS],
                                   owner, user)
        for folder in optional:
            if not os.path.isdir(steps.host_path(folder)):
                steps.note(f"{folder} (TOMATOPLAN_BACKUP_COPY_DIR) n'existe pas : à monter, "
                           f"accessible en écriture à {user}")
        unit_text = render(Installation(prefix, user, python, host, served_port, tuple(writable),
                                        tuple(optional)))
        unit = steps.file(UNIT_PATH, unit_text.encode(), 0o644, system, show=True)
        if real:
            _systemd(steps, reload=unit != "unchanged",
                     restart=code != "unchanged" or unit != "unchanged", start=not args.no_start)
    except (InstallError, ConfigError, OSError) as exc:
        return failed(f"installation interrompue : {exc}")
    if not real:
        _target_system_steps(prefix, user, given)
    elif not args.dry_run and not args.no_start:
        print(f"Le serveur répond sur {server_url(host, served_port)} (documentation : "
              f"{server_url(host, served_port)}/docs) ; journal : journalctl -u {SERVICE} -f")
    print("Simulation terminée : rien n'a été écrit ni lancé." if args.dry_run
          else "Installation terminée." if steps.changed else "Rien à changer : déjà installé.")
    return 0


def _target_system_steps(prefix: str, user: str, given: list) -> None:
    owned = " ".join([f"{prefix}/.env", *given])
    print(f"À faire sur le système qui recevra l'arborescence (rien n'est lancé avec --root) :\n"
          f"  useradd --system --user-group --home-dir {prefix} --no-create-home "
          f"--shell /usr/sbin/nologin {user}\n"
          f"  chown {user}:{user} {owned}\n"
          f"  systemctl daemon-reload && systemctl enable --now {SERVICE}")


def uninstall(args: argparse.Namespace) -> int:
    if args.root is None and not args.dry_run and os.geteuid() != 0:
        return failed("uninstall demande les droits root : sudo python3 tomatoplan.pyz uninstall")
    steps = Steps(args.root, args.dry_run)
    print(f"TomatoPlan Server : retrait du service {SERVICE}"
          + (f", arborescence sous {steps.root}" if steps.root else "")
          + (" (simulation : rien n'est écrit ni lancé)" if args.dry_run else ""))
    try:
        present = os.path.exists(steps.host_path(UNIT_PATH))
        if steps.root is None and present:
            steps.run(["systemctl", "disable", "--now", SERVICE])
        steps.remove(UNIT_PATH)
        if steps.root is None and present:
            steps.run(["systemctl", "daemon-reload"])
    except (InstallError, OSError) as exc:
        return failed(f"retrait interrompu : {exc}")
    print(f"Gardés : {args.prefix} (base, sauvegardes, logs, .env) et l'utilisateur {args.user}. "
          f"Pour les supprimer aussi : sudo rm -r {args.prefix} ; sudo userdel {args.user}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--prefix", default=DEFAULT_PREFIX, metavar="DOSSIER",
                        help=f"dossier de l'installation (défaut : {DEFAULT_PREFIX})")
    common.add_argument("--user", default=DEFAULT_USER, metavar="NOM",
                        help=f"compte système du service (défaut : {DEFAULT_USER})")
    common.add_argument("--root", metavar="DOSSIER",
                        help="écrire l'arborescence dans ce dossier, sans rien lancer (tests, "
                             "paquets)")
    common.add_argument("--dry-run", action="store_true",
                        help="dire ce qui serait fait, sans rien écrire ni lancer")
    parser = commands.add_parser(
        "install", parents=[common], add_help=False,
        help="installer le service systemd (root)",
        description="Installe le service (root) : utilisateur système, dossier (archive, data/,\n"
                    "logs/, backups/, .env 0600 avec une clé générée), unité systemd durcie, activée\n"
                    "et démarrée. Relancé, ne change que ce qui diffère (une nouvelle archive : le\n"
                    "service redémarre) ; un .env existant n'est jamais réécrit.")
    parser.add_argument("--port", metavar="PORT", help=f"port d'écoute (défaut : {DEFAULT_PORT})")
    parser.add_argument("--admin", metavar="NOM",
                        help="administrateur créé au premier démarrage (défaut : ADMIN)")
    parser.add_argument("--python", default=DEFAULT_PYTHON, metavar="CHEMIN",
                        help=f"Python qui lance le service (défaut : {DEFAULT_PYTHON})")
    parser.add_argument("--no-start", action="store_true",
                        help="activer le service sans le démarrer ni le redémarrer")
    parser.set_defaults(run=install)
    commands.add_parser(
        "uninstall", parents=[common], add_help=False, help="retirer le service systemd (root)",
        description="Arrête et retire le service ; garde le dossier (base, sauvegardes, logs, "
                    ".env) et l'utilisateur.",
    ).set_defaults(run=uninstall)

