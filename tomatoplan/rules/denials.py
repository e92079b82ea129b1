"""Refused accesses and failed logins, counted in memory and written to the activity log in
batches.

A refusal costs its client nothing, so it must cost the server nearly nothing: no write per
refused request. Refusals are tallied per source and cause (the address, the user when the
caller is logged in, the action and the code). The first of a tally is written at the next
flush, as its own line; the repeats within `window` seconds become one line with their
count when the window ends. A flush writes at most `max_lines` lines, in one transaction;
what does not fit waits for the next one. At most `max_tallies` tallies are kept: beyond,
refusals are only counted, in one line per flush. So anonymous traffic grows the activity
log by at most `max_lines` lines per flush, whatever its rate.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from typing import Callable, Optional

from ..base.db import Database
from . import activity
from .activity import Actor

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
MAX_LINES = 100
MAX_TALLIES = 10_000
NAMES_SHOWN = 10


@dataclasses.dataclass
class _Tally:
    actor: Actor
    action: str
    entity: str
    entity_id: Optional[int]
    summary: str
    opened: float
    repeats: int = 0  # refusals after the first one, in this window
    first_written: bool = False
    names: set = dataclasses.field(default_factory=set)


class Denials:
    """The refusals not yet in the activity log."""

    def __init__(self, window: float = WINDOW_SECONDS, max_lines: int = MAX_LINES,
                 max_tallies: int = MAX_TALLIES, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.max_lines = max_lines
        self.max_tallies = max_tallies
        self.clock = clock
        self._tallies: collections.OrderedDict = collections.OrderedDict()
        self.uncounted = 0  # refusals past max_tallies, since the last flush

    def note(self, actor: Actor, cause: str, summary: str, *, action: str = "access_denied",
             entity: str = "route", entity_id: Optional[int] = None) -> None:
        """One refusal: `cause` is its code (`invalid_token`, `login_refused`...)."""
        key = (actor.address, actor.username if actor.user_id is not None else "", action, cause)
        tally = self._tallies.get(key)
        if tally is not None:
            tally.repeats += 1
            if len(tally.names) < NAMES_SHOWN + 1:
                tally.names.add(actor.username)
            return
        if len(self._tallies) >= self.max_tallies:
            self.uncounted += 1
            return
        self._tallies[key] = _Tally(actor, action, entity, entity_id, summary, self.clock(),
                                    names={actor.username})

    def pending(self) -> int:
        return len(self._tallies)

    async def flush(self, db: Database, *, everything: bool = False) -> int:
        """Write what is due (every tally when `everything`, at shutdown); lines written.
        When the write fails, everything stays to be written by the next flush."""
        now = self.clock()
        lines: list[tuple] = []
        firsts: list[_Tally] = []  # whose first line is in `lines`
        ended: list[tuple] = []  # (key, repeats written) of the tallies whose window is over
        for key, tally in self._tallies.items():
            due = everything or now - tally.opened >= self.window
            wanted = (not tally.first_written) + (due and tally.repeats > 0)
            if len(lines) + wanted > self.max_lines:
                break
            if not tally.first_written:
                lines.append((tally.actor, tally.action, tally.entity, tally.entity_id,
                              tally.summary))
                firsts.append(tally)
            if due:
                if tally.repeats:
                    lines.append(self._repeats(tally, now))
                ended.append((key, tally.repeats))
        uncounted = self.uncounted if len(lines) < self.max_lines else 0
        if uncounted:
            lines.append((activity.SYSTEM, "access_denied", "route", None,
                          f"{uncounted} refus de plus, non détaillés (trop de sources à la fois)"))
        if lines:
            async with db.write() as tx:
                for actor, action, entity, entity_id, summary in lines:
                    await activity.record(tx, actor, action, entity=entity, entity_id=entity_id,
                                          summary=summary)
        # Written: now forget it (refusals noted during the write stay, for the next window).
        self.uncounted -= uncounted
        for tally in firsts:
            tally.first_written = True
        for key, repeats in ended:
            tally = self._tallies[key]
            if tally.repeats > repeats:
                tally.repeats -= repeats
                tally.opened = now
            else:
                del self._tallies[key]
        return len(lines)

    def _repeats(self, tally: _Tally, now: float) -> tuple:
        repeats = tally.repeats
        seconds = max(1, round(now - tally.opened))
        summary = f"{tally.summary} — répété {repeats} fois en {seconds} s"
        actor = tally.actor
        if len(tally.names) > 1:
            names = sorted(tally.names)
            shown = ", ".join(names[:NAMES_SHOWN]) + (", …" if len(names) > NAMES_SHOWN else "")
            summary += f" (noms : {shown})"
            actor = dataclasses.replace(actor, username="(plusieurs)", user_id=None)
        return actor, tally.action, tally.entity, tally.entity_id, summary
