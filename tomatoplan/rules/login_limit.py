"""How many failed logins a client may make: what stops guessing names, without letting one
misconfigured PC lock out everyone behind the same address.

There is no password: a name that exists logs in. Guessing is trying *many different* names,
so that is what is counted per address, not attempts: a PTT client retrying one wrong name
in a loop counts once for its address (and is stopped by the per-name count), while ten
different unknown names from one address block that address. A block never stops the names
that already logged in from that address since the server started: colleagues behind the
same Terminal Server, Citrix or NAT, the admin included, keep working. A success never
clears the count of its address, so a valid account cannot reset the guessing budget.

Counted per name too: ten failures of one name (from any address) block that name; as only
unknown or deactivated names fail, this never locks out a working account. IPv6 addresses
are counted per /64 (one machine's many addresses). Everything is in memory and bounded:
the oldest entries are forgotten first.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import time
from typing import Callable

MAX_ENTRIES = 10_000
MAX_TRUSTED_PER_ADDRESS = 1_000


def source_of(address: str) -> str:
    """What one client is: its IPv4 address, or the /64 of its IPv6 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


class LoginLimiter:
    """Failed logins in a sliding window: distinct names per source, and failures per name."""

    def __init__(self, max_failures: int = 10, window_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES):
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self.max_entries = max_entries
        # source -> {name: time of its last failure from there}, oldest first
        self._by_source: collections.OrderedDict = collections.OrderedDict()
        # name -> times of its failures, oldest first
        self._by_name: collections.OrderedDict = collections.OrderedDict()
        # source -> names that logged in from there
        self._trusted: collections.OrderedDict = collections.OrderedDict()

    def retry_after(self, address: str, name: str) -> tuple[int, str]:
        """(seconds before `name` may try again from `address`, what is blocked: "name" or
        "address"); (0, "") when it may try now."""
        now = self.clock()
        source = source_of(address)
        if name not in self._trusted.get(source, ()):
            wait = self._source_wait(source, now)
            if wait:
                return wait, "address"
        wait = self._name_wait(name, now)
        return (wait, "name") if wait else (0, "")

    def failed(self, address: str, name: str) -> None:
        now = self.clock()
        names = self._entry(self._by_source, source_of(address), dict)
        names.pop(name, None)
        names[name] = now
        while len(names) > 2 * self.max_failures:  # only the newest ones can block
            del names[next(iter(names))]
        failures = self._entry(self._by_name, name, collections.deque)
        failures.append(now)
        while len(failures) > self.max_failures:
            failures.popleft()

    def succeeded(self, address: str, name: str) -> None:
        """`name` logged in from `address`: its own failures are forgotten, and a block of
        the address will not stop it. The address's count is left as it is."""
        self._by_name.pop(name, None)
        trusted = self._entry(self._trusted, source_of(address), dict)
        trusted.pop(name, None)
        trusted[name] = True
        if len(trusted) > MAX_TRUSTED_PER_ADDRESS:
            del trusted[next(iter(trusted))]

    def _entry(self, table: collections.OrderedDict, key: str, make: Callable):
        entry = table.get(key)
        if entry is None:
            entry = table[key] = make()
            while len(table) > self.max_entries:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return entry

    def _source_wait(self, source: str, now: float) -> int:
        names = self._by_source.get(source)
        if not names:
            return 0
        recent = sorted(at for at in names.values() if at > now - self.window)
        if len(recent) < self.max_failures:
            return 0
        # Free again when enough of them have left the window.
        return max(1, math.ceil(recent[-self.max_failures] + self.window - now))

    def _name_wait(self, name: str, now: float) -> int:
        failures = self._by_name.get(name)
        if not failures:
            return 0
        recent = [at for at in failures if at > now - self.window]
        if len(recent) < self.max_failures:
            return 0
        return max(1, math.ceil(recent[-self.max_failures] + self.window - now))
