"""A command run under the sandbox tomatoplan.service asks of systemd, as far as a test can
without a running systemd: the same seccomp rules (the unit's SystemCallFilter=,
SystemCallErrorNumber=, RestrictAddressFamilies= and MemoryDenyWriteExecute=, built with
libseccomp as systemd builds them, the groups expanded by `systemd-analyze syscall-filter`),
no new privileges, and as root, no capabilities left (CapabilityBoundingSet=).

Not reproduced: the mount namespace (ProtectSystem=, ReadWritePaths=, PrivateTmp=...); a test
makes the read-only folders read-only itself, which binds a process without capabilities even
as root.
"""

from __future__ import annotations

import ctypes.util
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from typing import Optional

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

# Runs in the sandboxed process itself, then execs the command: the filters stay on it.
WRAPPER = r"""
import ctypes, json, os, sys

spec, argv = json.loads(sys.argv[1]), sys.argv[2:]
libc = ctypes.CDLL(None, use_errno=True)
seccomp = ctypes.CDLL("libseccomp.so.2", use_errno=True)
seccomp.seccomp_init.restype = ctypes.c_void_p
seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]


class Compare(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


seccomp.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(Compare)]
seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
ALLOW, EQ, GT, MASKED_EQ = 0x7FFF0000, 4, 6, 7


def errno_action(number):
    return 0x00050000 | number


def check(result, what):
    if result != 0:
        sys.exit(f"sandbox: {what} failed ({result})")


def rule(ctx, action, name, *compares):
    number = seccomp.seccomp_syscall_resolve_name(name.encode())
    if number < 0:  # not a system call of this architecture
        return
    array = (Compare * len(compares))(*[Compare(*c) for c in compares]) if compares else None
    check(seccomp.seccomp_rule_add_array(ctx, action, number, len(compares), array), name)


if spec["drop_capabilities"]:
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        for capability in range(int(handle.read()) + 1):
            check(libc.prctl(24, capability, 0, 0, 0), "PR_CAPBSET_DROP")  # bounding set

KILL_PROCESS = 0x80000000
allowed = seccomp.seccomp_init(KILL_PROCESS if spec["strict"] else errno_action(spec["errno"]))
for name in spec["allow"]:
    rule(allowed, ALLOW, name)
restricted = seccomp.seccomp_init(ALLOW)
for family in range(64):
    if family not in spec["families"]:
        rule(restricted, errno_action(spec["eafnosupport"]), "socket", (0, EQ, family, 0))
rule(restricted, errno_action(spec["eafnosupport"]), "socket", (0, GT, 63, 0))
if spec["deny_write_execute"]:  # as systemd's seccomp_memory_deny_write_execute()
    write_exec, exec_only, shm_exec = 0x2 | 0x4, 0x4, 0o100000
    rule(restricted, errno_action(1), "mmap", (2, MASKED_EQ, write_exec, write_exec))
    rule(restricted, errno_action(1), "mprotect", (2, MASKED_EQ, exec_only, exec_only))
    rule(restricted, errno_action(1), "pkey_mprotect", (2, MASKED_EQ, exec_only, exec_only))
    rule(restricted, errno_action(1), "shmat", (2, MASKED_EQ, shm_exec, shm_exec))
check(seccomp.seccomp_load(restricted), "seccomp_load")  # sets no_new_privs first
check(seccomp.seccomp_load(allowed), "seccomp_load")
os.execv(argv[0], argv)
"""


def unavailable() -> Optional[str]:
    """Why the sandbox cannot be made on this machine, or None."""
    if not sys.platform.startswith("linux"):
        return "seccomp is Linux's"
    if SYSTEMD_ANALYZE is None:
        return "no systemd-analyze to expand the unit's system call groups"
    if ctypes.util.find_library("seccomp") is None:
        return "no libseccomp (installed with systemd)"
    return None


def service_settings(unit_text: str) -> dict[str, list[str]]:
    """The [Service] section's settings, each with its values in order (keys may repeat)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in unit_text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def syscall_groups() -> dict[str, list[str]]:
    """`@group` -> its entries (system calls and other groups), as this systemd defines them."""
    assert SYSTEMD_ANALYZE is not None
    listing = subprocess.run([SYSTEMD_ANALYZE, "syscall-filter", "--no-pager"], capture_output=True,
                             text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] = []
    for line in listing.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.startswith("    ") and not line.strip().startswith("#") and line.strip():
            current.append(line.strip())
    return groups


def _expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    calls: set[str] = set()
    for name in names:
        calls |= _expand(groups[name], groups) if name.startswith("@") else {name}
    return calls


def allowed_syscalls(unit_text: str) -> list[str]:
    """The system calls the unit's SystemCallFilter= lines allow, in systemd's order: the first
    list allows, each `~` list after it takes away."""
    groups = syscall_groups()
    allowed: set[str] = set()
    for value in service_settings(unit_text).get("SystemCallFilter", []):
        if value.startswith("~"):
            allowed -= _expand(value[1:].split(), groups)
        else:
            allowed |= _expand(value.split(), groups)
    return sorted(allowed)


def sandboxed(unit_text: str, argv: list[str], python: str, strict: bool = False) -> list[str]:
    """`argv` (its first item a path) to run under the unit's sandbox, started by `python`.

    `strict`: a system call outside the filter kills the process (SIGSYS) instead of failing
    with SystemCallErrorNumber=, so that nothing the server needs can go unnoticed.
    """
    settings = service_settings(unit_text)
    allowed = allowed_syscalls(unit_text)
    if os.geteuid() == 0:
        # SQLite gives its -wal and -shm files their database's owner when it runs as root
        # (the service never does), and ignores a refusal.
        allowed.append("fchown")
    families = [int(getattr(socket, name))
                for value in settings["RestrictAddressFamilies"] for name in value.split()]
    error = settings.get("SystemCallErrorNumber", ["EPERM"])[-1]
    spec = {
        "allow": allowed,
        "strict": strict,
        "errno": getattr(errno, error),
        "eafnosupport": errno.EAFNOSUPPORT,
        "families": families,
        "deny_write_execute": settings.get("MemoryDenyWriteExecute") == ["yes"],
        "drop_capabilities": settings.get("CapabilityBoundingSet") == [""] and os.geteuid() == 0,
    }
    return [python, "-I", "-c", WRAPPER, json.dumps(spec), *argv]

