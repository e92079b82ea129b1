"""A clock the test moves: for the scheduler and what it runs (the nightly backup)."""

from __future__ import annotations

import asyncio
import datetime

from tomatoplan.scheduler import Clock


async def settle() -> None:
    """Let every ready task run until it waits again."""
    for _ in range(20):
        await asyncio.sleep(0)


class FakeClock(Clock):
    """Time stands still until the test advances it; sleepers wake at their time, in order."""

    def __init__(self, start: datetime.datetime):
        self.wall = start
        self.mono = 1000.0
        self.sleepers: list[tuple[float, asyncio.Future]] = []

    def now(self) -> datetime.datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.mono + seconds, future))
        await future

    def _move_to(self, mono: float) -> None:
        self.wall += datetime.timedelta(seconds=mono - self.mono)
        self.mono = mono

    async def advance(self, seconds: float) -> None:
        end = self.mono + seconds
        await settle()
        while True:
            due = [wake for wake, _ in self.sleepers if wake <= end]
            if not due:
                break
            self._move_to(max(self.mono, min(due)))
            for entry in [e for e in self.sleepers if e[0] <= self.mono]:
                self.sleepers.remove(entry)
                entry[1].set_result(None)
            await settle()
        self._move_to(end)
        await settle()
