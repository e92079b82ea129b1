"""Which addresses may use the server (TOMATOPLAN_ALLOWED_NETWORKS), under which names a
browser may reach it (TOMATOPLAN_ALLOWED_HOSTS), and whether a session is still used from
where it was opened (TOMATOPLAN_SESSION_BINDING)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Optional, Union

from ..base.config import Config

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def _ip(address: str) -> Optional[Address]:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def allowed(config: Config, address: str) -> bool:
    """True when TOMATOPLAN_ALLOWED_NETWORKS is empty or holds the address. The server's own
    machine (loopback) is always allowed: supervision and an admin's SSH tunnel."""
    if not config.allowed_networks:
        return True
    ip = _ip(address)
    if ip is None:
        return False
    return ip.is_loopback or any(ip.version == net.version and ip in net
                                 for net in config.allowed_networks)


def machine_names() -> frozenset:
    """The names this machine answers to without asking DNS: its host name and its first label."""
    name = socket.gethostname().lower().rstrip(".")
    return frozenset({name, name.split(".")[0], "localhost"})


def trusted_host(config: Config, host: str, machine: frozenset) -> bool:
    """Whether a browser may call the server under this Host header: an IP address, the
    machine's own names, localhost, or a name of TOMATOPLAN_ALLOWED_HOSTS. Any other name is a
    page that made its own name point at the server (DNS rebinding) to act as its user."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return True
    name, colon, port = host.rpartition(":")
    if not colon or not port.isdigit():
        name = host
    name = name.rstrip(".")
    if _ip(name) is not None:
        return True
    return name.endswith(".localhost") or name in machine or name in config.allowed_hosts


def _range_of(config: Config, ip: Address):
    for network in config.allowed_networks:
        if ip.version == network.version and ip in network:
            return network
    return ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 64}", strict=False)


def same_place(config: Config, opened_from: str, address: str) -> bool:
    """Whether a session opened from `opened_from` may be used from `address`, as
    TOMATOPLAN_SESSION_BINDING says: anywhere (none), the same address (address), or the
    same network (network: the allowed network holding it, else its /24 or /64)."""
    if config.session_binding == "none" or opened_from == address:
        return True
    if config.session_binding == "address":
        return _ip(opened_from) == _ip(address) is not None
    first, second = _ip(opened_from), _ip(address)
    if first is None or second is None or first.version != second.version:
        return False
    return second in _range_of(config, first)
