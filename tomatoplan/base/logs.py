"""Logging: a rotating `server.log` in the log folder, and stderr (journald under systemd);
the most recent lines also in memory (`LogRing`), for the administration's live view.

What clients can trigger at will (refused connections, malformed requests, a full disk) is
logged once per burst with a count (`Bursts`), never once per request: no client can rotate
the log away.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import logging
import logging.handlers
import os
import re
import sys
import threading
import time
from typing import Callable, Hashable, Optional

from . import clock

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE = "server.log"
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
            os.path.join(log_dir, LOG_FILE), maxBytes=10 * 1024 * 1024, backupCount=5,
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


# --- the recent lines in memory ------------------------------------------------------------

RING_LINES = 1000
RING_LINE_CHARS = 2000
SEED_BYTES = 64 * 1024
# A line of server.log as FORMAT writes it; the lines that do not match continue the one
# before (a traceback).
_LOGGED = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ([A-Z]+) (\S+?): (.*)")


class LogRing:
    """The last `size` log lines, each numbered (1, 2, 3 ... since start) so that a reader
    asks only for what came after the last line it has. Safe from any thread.

    A line is (id, created, levelno, levelname, source, message); longer messages are cut
    at `line_chars`.
    """

    def __init__(self, size: int = RING_LINES, line_chars: int = RING_LINE_CHARS):
        self.line_chars = line_chars
        self._lines: collections.deque = collections.deque(maxlen=size)
        self._last = 0
        self._lock = threading.Lock()

    def add(self, created: float, levelno: int, levelname: str, source: str, message: str) -> int:
        """Keep one line (the oldest goes when full); its id."""
        if len(message) > self.line_chars:
            message = message[:self.line_chars - 1] + "…"
        with self._lock:
            self._last += 1
            self._lines.append((self._last, created, levelno, levelname, source, message))
            return self._last

    def after(self, after: int, limit: int, min_level: int = logging.NOTSET) -> tuple[list[dict], int]:
        """The newest `limit` lines numbered above `after` of at least `min_level`, oldest first,
        and the last id given so far (to ask for what follows). An `after` beyond that id
        (numbering restarts with the server) is taken as 0: the end of the log."""
        with self._lock:
            last = self._last
            if after > last:
                after = 0
            # The ids follow each other: the lines after `after` are the deque's last ones.
            kept = itertools.islice(self._lines, max(0, len(self._lines) - (last - after)), None)
            lines = [line for line in kept if line[2] >= min_level]
        return [_line_out(line) for line in (lines[-limit:] if limit > 0 else [])], last

    def seed(self, path: str, max_bytes: int = SEED_BYTES) -> int:
        """Keep the end of the log file at `path` (its last `max_bytes`), read as FORMAT wrote
        it; the lines read (none when the file cannot be read)."""
        entries: list[list] = []
        for text in _file_tail(path, max_bytes):
            entry = _parse_line(text)
            if entry is not None:
                entries.append(entry)
            elif entries:  # a traceback's line: part of the line before
                entries[-1][4] += "\n" + text
        for entry in entries:
            self.add(*entry)
        return len(entries)


def _parse_line(text: str) -> Optional[list]:
    """[created, levelno, levelname, source, message] of a line FORMAT wrote (its time is
    local), None for any other line."""
    logged = _LOGGED.fullmatch(text)
    if logged is None:
        return None
    day, millis, level, source, message = logged.groups()
    try:
        created = time.mktime(time.strptime(day, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
    except (ValueError, OverflowError):
        return None
    levelno = logging.getLevelName(level)
    return [created, levelno if isinstance(levelno, int) else 0, level, source, message]


def _line_out(line: tuple) -> dict:
    moment = datetime.datetime.fromtimestamp(line[1], clock.UTC)
    return {"id": line[0], "at": clock.iso(moment), "niveau": line[3], "source": line[4],
            "message": line[5]}


def _file_tail(path: str, max_bytes: int) -> list[str]:
    """The whole lines in the last `max_bytes` of a file ([] when it cannot be read)."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            file.seek(start)
            data = file.read(max_bytes)
    except OSError:
        return []
    lines = [line.rstrip("\r") for line in data.decode("utf-8", "replace").split("\n")]
    if start > 0:
        lines = lines[1:]  # cut at its start
    return [line for line in lines if line]


class RingHandler(logging.Handler):
    """Every record the root logger passes on, kept in a `LogRing` (the message and, after
    it, the traceback)."""

    _formatter = logging.Formatter()

    def __init__(self, ring: LogRing):
        super().__init__()
        self.ring = ring

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            self.ring.add(record.created, record.levelno, record.levelname, record.name, message)
        except Exception:
            self.handleError(record)
