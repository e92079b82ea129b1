"""Reading configuration text: the `.env` file and the values of TOMATOPLAN_* variables.

Every parser raises ConfigError naming the variable and what was expected, in French: the
sysadmin reads it on the one line the server prints before stopping.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from typing import Optional, Sequence

PREFIX = "TOMATOPLAN_"


class ConfigError(ValueError):
    """A configuration value cannot be used; the message names the variable."""


def read_env_file(path: str) -> dict[str, str]:
    """Parse a `.env` file: KEY=value lines, `#` comments, optional quotes, `export ` allowed."""
    values: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: lecture impossible ({exc})") from None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"{path}, ligne {number}: attendu NOM=valeur")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on", "oui"):
        return True
    if lowered in ("0", "false", "no", "off", "non", ""):
        return False
    raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu true ou false")


def parse_int(name: str, raw: str, low: int, high: Optional[int] = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu un nombre entier") from None
    if value < low or (high is not None and value > high):
        bounds = f"entre {low} et {high}" if high is not None else f"au moins {low}"
        raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu un entier {bounds}")
    return value


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu un nombre") from None
    if not low < value <= high:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu un nombre entre {low} et {high}")
    return value


def parse_networks(raw: str) -> tuple:
    networks = []
    for item in raw.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{PREFIX}ALLOWED_NETWORKS: {item!r} n'est pas un réseau CIDR (ex. 192.168.1.0/24)"
            ) from None
    return tuple(networks)


# A host name as a browser sends it in Host (letters, digits, "-", dots).
HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def parse_hosts(name: str, raw: str) -> tuple:
    hosts = []
    for item in raw.replace(";", ",").split(","):
        host = item.strip().lower().rstrip(".")
        if not host:
            continue
        if not HOST_NAME.fullmatch(host):
            raise ConfigError(f"{PREFIX}{name}: {item.strip()!r} n'est pas un nom d'hôte "
                              "(ex. planning.transport.local)")
        hosts.append(host)
    return tuple(hosts)


def parse_choice(name: str, raw: str, choices: Sequence[str]) -> str:
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: attendu l'un de {', '.join(choices)}")
    return value


def secret_exposed(path: str = ".env") -> Optional[str]:
    """The permissions of `path` when it holds TOMATOPLAN_SECRET_KEY and others may read it
    (the key lets anyone sign tokens: be anyone); None otherwise."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    try:
        holds_key = f"{PREFIX}SECRET_KEY" in read_env_file(path)
    except ConfigError:
        return None
    return stat.filemode(mode) if holds_key else None
