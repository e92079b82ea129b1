"""Telling systemd how the service is doing (sd_notify), with the standard library only.

Under `Type=notify` systemd passes, in NOTIFY_SOCKET, the address of a datagram socket: a path,
or an abstract name written with a leading '@'. The server sends READY=1 once its database is
open and its port listens (`systemctl start` returns then, and units ordered after it start),
and STOPPING=1 when it begins to stop. Started by hand or in tests there is no NOTIFY_SOCKET and
nothing is sent.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Optional, Union

log = logging.getLogger(__name__)

# A full queue at systemd's end would block the event loop: give up after this long.
SEND_TIMEOUT = 5.0


def notify_address(environ: Optional[dict] = None) -> Optional[Union[str, bytes]]:
    """The address systemd gave in NOTIFY_SOCKET, as `socket.sendto` takes it; None without."""
    value = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if value.startswith("@"):
        return b"\0" + value[1:].encode()  # abstract socket: no file behind it
    if value.startswith("/"):
        return value
    if value:
        log.warning("NOTIFY_SOCKET=%s is not a path nor an abstract name: systemd is not told "
                    "of the service's state", value)
    return None


def notify(*fields: str) -> bool:
    """Send `fields` (e.g. "READY=1", "STATUS=...") to systemd; whether it was sent.

    Never raises: a lost notification is logged, and the server goes on serving.
    """
    address = notify_address()
    if address is None:
        return False
    message = "\n".join(fields).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.settimeout(SEND_TIMEOUT)
            sock.sendto(message, address)
    except OSError as exc:
        log.warning("could not tell systemd %s: %s", fields[0] if fields else "", exc)
        return False
    return True
