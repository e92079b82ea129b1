"""Logging: a rotating `server.log` in the log folder, and stderr (journald under systemd).

What clients can trigger at will (refused connections, malformed requests, a full disk) is
logged once per burst with a count (`Bursts`), never once per request: no client can rotate
the log away.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import os
import sys
import time
from typing import Callable, Hashable, Optional

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_FORMAT = '%a "%r" %s %b %Tfs "%{User-Agent}i"'
_HANDLER_MARK = "_tomatoplan_handler"


def setup_logging(level: str, log_dir: Optional[str], stderr: bool = True) -> None:
    """Send every logger to server.log (10 MiB x 5) and stderr at `level`; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        handlers.append(_QuietRotatingFileHandler(
            os.path.join(log_dir, "server.log"), maxBytes=10 * 1024 * 1024, backupCount=5,
            encoding="utf-8", errors="backslashreplace"))
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)


class _QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A file that cannot be written (a full disk) is said once per minute on stderr, not
    with a traceback per line."""

    _bursts: Optional[Bursts] = None

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """Rotate once the file has reached maxBytes (it ends at most one line over). The
        standard check formats every line a second time and stats the file twice: a fifth of
        the cost of a /health answer, whose access line goes through here."""
        if self.stream is None:
            self.stream = self._open()
        return self.maxBytes > 0 and self.stream.tell() >= self.maxBytes

    def handleError(self, record: logging.LogRecord) -> None:
        if self._bursts is None:
            self._bursts = Bursts(60.0)
        held = self._bursts.check("write")
        if held is not None and logging.raiseExceptions:
            print(f"tomatoplan: écriture impossible dans {self.baseFilename} "
                  f"({held} lignes perdues depuis le dernier message)", file=sys.stderr)


class Bursts:
    """Which occurrences of a repeated event are worth a log line: the first, then at most one
    per `window` seconds per key, carrying how many were held back in between.

    `check(key)` returns None to stay silent, else the count held back since the last line.
    At most `max_keys` keys are remembered; the oldest are forgotten first.
    """

    def __init__(self, window: float = 60.0, max_keys: int = 1000,
                 clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._keys: collections.OrderedDict = collections.OrderedDict()

    def check(self, key: Hashable = None) -> Optional[int]:
        now = self.clock()
        state = self._keys.get(key)
        if state is None:
            if len(self._keys) >= self.max_keys:
                self._keys.popitem(last=False)
            self._keys[key] = [now, 0]
            return 0
        if now - state[0] < self.window:
            state[1] += 1
            return None
        held, state[0], state[1] = state[1], now, 0
        self._keys.move_to_end(key)
        return held
