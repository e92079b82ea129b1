"""The systemd unit of the service, as `install` writes it.

`tomatoplan.service` at the repository's root is this template rendered for the defaults
(/opt/tomatoplan, user tomatoplan, port 8000): the reference for a manual installation, kept
equal to it by tests/commands/test_unit.py. Standard library only, no rules: the installer
needs neither the database nor the server's configuration.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Mapping

SERVICE = "tomatoplan"
UNIT_PATH = f"/etc/systemd/system/{SERVICE}.service"
DEFAULT_PREFIX = "/opt/tomatoplan"
DEFAULT_USER = "tomatoplan"
DEFAULT_PYTHON = "/usr/bin/python3"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8000
ARCHIVE_NAME = "tomatoplan.pyz"

# The folders the server writes, as the installer's .env names them (relative to the prefix).
INSTALLED_FOLDERS = {"DATABASE_PATH": "./data/tomatoplan.db", "LOG_DIR": "./logs",
                     "BACKUP_DIR": "./backups"}
# The installer's own folders in the prefix: the only existing ones whose rights it sets.
OWNED_FOLDERS = ("data", "logs", "backups")

# Folders of the system itself: never the service's to write, nor to hand to it whole (a folder
# under them, /var/lib/tomatoplan or /srv/tomatoplan, is fine). /tmp and /var/tmp: below.
SYSTEM_FOLDERS = frozenset((
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr",
    "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
    "/usr/libx32", "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin",
    "/usr/local/share", "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/backups",
    "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
    "/var/run", "/var/spool", "/var/www",
))
# Not disks: nothing is kept there.
PSEUDO_FOLDERS = ("/dev", "/proc", "/sys")
# Hidden from the service by its unit (ProtectHome=, PrivateTmp=).
HIDDEN_FROM_SERVICE = ("/home", "/root", "/run/user", "/tmp", "/var/tmp")  # noqa: S108

TEMPLATE = """\
# TomatoPlan Server under systemd, as `python3 tomatoplan.pyz install` writes it (README.md,
# "Installation sur le serveur (systemd)"). ReadWritePaths follows the folders named in .env:
# after changing one there, run the installer again. Local additions go in a drop-in
# (systemctl edit tomatoplan), which the installer never touches.
[Unit]
Description=TomatoPlan Server (API REST du planning transport)
Documentation={documentation}
After=network-online.target
Wants=network-online.target
# A crash (a signal, or exit 1: an unexpected error) is restarted, five times in ten
# minutes at most.
StartLimitIntervalSec=10min
StartLimitBurst=5

[Service]
# READY=1 once the database is open and the port listens, STOPPING=1 at SIGTERM.
Type=notify
NotifyAccess=main
User={user}
Group={user}
WorkingDirectory={prefix}
# -I: ignore site-packages and PYTHON* variables; everything needed is in the archive.
ExecStart={python} -I {prefix}/{archive} serve
# Opening a large database (quick_check, migrations) comes before READY=1.
TimeoutStartSec=10min
# SIGTERM: stop accepting, let requests in flight finish (10 s at most), end the event
# streams, checkpoint the database; well within TimeoutStopSec.
KillSignal=SIGTERM
TimeoutStopSec=45
Restart=on-failure
RestartSec=5
# Exit 2 is an invalid configuration, 3 a database that cannot be used, 4 a port already taken
# or not permitted (the journal says which): restarting fixes none of them. Exit 1 (an
# unexpected error, or an address not yet up) is restarted like a crash.
RestartPreventExitStatus=2 3 4
UMask=0077
# Each client connection is a file descriptor: room for TOMATOPLAN_MAX_CONNECTIONS (1000 by
# default) and the database, logs and backups (the default soft limit is 1024).
LimitNOFILE=65536

# The sandbox (systemd-analyze security tomatoplan). The server writes only the folders of
# TOMATOPLAN_DATABASE_PATH, LOG_DIR, BACKUP_DIR and BACKUP_COPY_DIR ("-": may be missing, a
# mount); everything else is read-only, its code and .env included.
ReadWritePaths={read_write_paths}
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateMounts=yes
# It reads nothing in /proc but its own process.
ProtectProc=invisible
ProcSubset=pid
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
# AF_UNIX: the notify socket (READY=1, STOPPING=1).
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# Python and the archive's pure-Python dependencies never need writable executable memory
# (no ctypes): tests/commands/test_unit.py runs the server under these rules, 3.9 to 3.13.
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
# Not PrivateUsers=: a kernel without user namespaces would refuse to start the service, for
# 0.1 of systemd-analyze's exposure score.

[Install]
WantedBy=multi-user.target
"""


@dataclasses.dataclass(frozen=True)
class Installation:
    """What the unit depends on: where, as whom, with which Python, and what the server writes."""

    prefix: str = DEFAULT_PREFIX
    user: str = DEFAULT_USER
    python: str = DEFAULT_PYTHON
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    writable: tuple = tuple(f"{DEFAULT_PREFIX}/{name}" for name in OWNED_FOLDERS)
    optional_writable: tuple = ()

    @property
    def archive(self) -> str:
        return f"{self.prefix}/{ARCHIVE_NAME}"

    @property
    def env_file(self) -> str:
        return f"{self.prefix}/.env"


def server_url(host: str, port: int) -> str:
    """The server's address, seen from the server itself."""
    if host in ("", "0.0.0.0", "::", "*"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def unit_path_value(path: str) -> str:
    """A path as a unit file's space-separated lists take it: quoted when it must be, and '%'
    doubled (systemd's specifiers)."""
    path = path.replace("%", "%%")
    if re.fullmatch(r"[A-Za-z0-9._/+:@=,%-]+", path):
        return path
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(installation: Installation) -> str:
    """The unit file's text; UnsafeFolder when a folder to write is one the service must not
    be given (`unsafe_folder`)."""
    for path in (*installation.writable, *installation.optional_writable):
        reason = unsafe_folder(installation.prefix, path)
        if reason:
            raise UnsafeFolder(f"ReadWritePaths={path} : {reason}")
    paths = [unit_path_value(path) for path in installation.writable]
    paths += ["-" + unit_path_value(path) for path in installation.optional_writable]
    return TEMPLATE.format(
        documentation=server_url(installation.host, installation.port) + "/docs", user=installation.user,
        prefix=installation.prefix, python=installation.python, archive=ARCHIVE_NAME,
        read_write_paths=" ".join(paths))


class UnsafeFolder(ValueError):
    """A folder the server would write that it must not be given; the message says which
    setting names it and why, in French."""


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def absolute_folder(prefix: str, path: str) -> str:
    """`path` as the service sees it from its working folder, the prefix: absolute, normalised
    (one leading '/', which normpath leaves doubled)."""
    return "/" + os.path.normpath(os.path.join(prefix, path)).lstrip("/")


def is_system_folder(path: str) -> bool:
    return absolute_folder("/", path) in SYSTEM_FOLDERS


def unsafe_folder(prefix: str, folder: str) -> str:
    """Why the service must not be given `folder` to write, in French; "" when it may."""
    folder = absolute_folder("/", folder)
    advice = (f"prenez un sous-dossier de {prefix} (data, logs, backups) ou un dossier à lui "
              f"seul, comme /var/lib/{SERVICE}")
    if folder == prefix:
        return (f"{folder} est le dossier de l'installation (le service ne doit pas pouvoir "
                f"modifier son archive ni son .env) ; {advice}")
    if is_system_folder(folder):
        return f"{folder} est un dossier du système ; {advice}"
    if _inside(prefix, folder):
        return f"{folder} contient le dossier de l'installation ; {advice}"
    if any(_inside(folder, pseudo) for pseudo in PSEUDO_FOLDERS):
        return f"{folder} n'est pas sur un disque ; {advice}"
    if any(_inside(folder, hidden) for hidden in HIDDEN_FROM_SERVICE):
        return f"le service ne voit pas {folder} (ProtectHome=, PrivateTmp=) ; {advice}"
    return ""


def writable_folders(prefix: str, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The folders the server writes, from the .env's TOMATOPLAN_* values (relative paths from
    the prefix, the service's working folder): (created by the installer, may be missing).

    A folder inside another one listed is left out: the outer one already grants it. A folder
    the service must not be given (`unsafe_folder`) is UnsafeFolder, naming its setting.
    """
    def value(name: str, default: str) -> str:
        return settings.get(f"TOMATOPLAN_{name}", default).strip()

    def absolute(name: str, given: str, folder: str) -> str:
        folder = absolute_folder(prefix, folder)
        reason = unsafe_folder(prefix, folder)
        if reason:
            raise UnsafeFolder(f"TOMATOPLAN_{name}={given} : {reason}")
        return folder

    database = value("DATABASE_PATH", INSTALLED_FOLDERS["DATABASE_PATH"]) or \
        INSTALLED_FOLDERS["DATABASE_PATH"]
    data = absolute("DATABASE_PATH", database, os.path.dirname(database) or ".")
    wanted = [data]
    log_dir = value("LOG_DIR", INSTALLED_FOLDERS["LOG_DIR"])
    if log_dir:
        wanted.append(absolute("LOG_DIR", log_dir, log_dir))
    backup_dir = value("BACKUP_DIR", "")
    wanted.append(absolute("BACKUP_DIR", backup_dir, backup_dir) if backup_dir
                  else os.path.join(data, "backups"))
    copy_dir = value("BACKUP_COPY_DIR", "")
    optional = [absolute("BACKUP_COPY_DIR", copy_dir, copy_dir)] if copy_dir else []

    kept: list[str] = []
    for path in wanted:
        if not any(_inside(path, other) for other in kept):
            kept = [other for other in kept if not _inside(other, path)] + [path]
    optional = [path for path in optional if not any(_inside(path, other) for other in kept)]
    return kept, optional
