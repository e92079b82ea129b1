"""Background work: jobs that run every so often, or every day at HH:MM local time.

One `Scheduler` per application, started and stopped by the app factory (`cleanup_ctx`), so
that `create_app` shows everything the server runs. A job that fails (an exception, or a
cancellation from inside it) is logged and runs again at its next time; `stop` cancels the
jobs and waits for them, at most STOP_TIMEOUT_SECONDS. The clock is injectable so that
"every day at 02:00" is tested without waiting for the night.

Daily times are wall-clock times, checked at least once a minute: a job due at 02:30 on the
night the clocks go forward runs at 03:00, and once only on the night they go back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import time
from typing import Any, Awaitable, Callable, Optional

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]
# The longest sleep between two looks at the clock: a wall clock can jump (NTP, summer time,
# a suspended virtual machine); a job never waits more than this past its time.
MAX_SLEEP_SECONDS = 60.0
# How long `stop` waits for the jobs to end once cancelled (a job may clean up first).
STOP_TIMEOUT_SECONDS = 10.0


class Clock:
    """The time the scheduler reads, and how it waits; tests give a fake one."""

    def now(self) -> datetime.datetime:
        """The local wall-clock time, naive (as the sysadmin's `date` shows it)."""
        return datetime.datetime.now()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def next_daily(now: datetime.datetime, hour: int, minute: int) -> datetime.datetime:
    """The first HH:MM strictly after `now` (today, else tomorrow)."""
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if today > now:
        return today
    tomorrow = now.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(hour, minute))


@dataclasses.dataclass
class ScheduledJob:
    """One job, when it runs (every `interval` seconds, or daily `at` (hour, minute)), and
    how its runs went."""

    name: str
    run: Job
    interval: Optional[float] = None
    at: Optional[tuple[int, int]] = None
    at_start: bool = False
    moved: bool = False
    running: bool = False
    runs: int = 0
    failures: int = 0
    last_error: Optional[str] = None

    def seconds_left(self, clock: Clock, due: Any) -> float:
        if self.interval is not None:
            return due - clock.monotonic()
        return (due - clock.now()).total_seconds()

    def next_due(self, clock: Clock, first: bool) -> Any:
        if self.interval is not None:
            return clock.monotonic() + (0.0 if first and self.at_start else self.interval)
        hour, minute = self.at  # type: ignore[misc]
        return next_daily(clock.now(), hour, minute)


class Scheduler:
    """Runs its jobs in background tasks between `start()` and `stop()`."""

    def __init__(self, clock: Optional[Clock] = None):
        self.clock = clock or Clock()
        self.jobs: list[ScheduledJob] = []
        self._tasks: list[asyncio.Task] = []

    def every(self, seconds: float, name: str, job: Job, *, at_start: bool = True) -> ScheduledJob:
        """Run `job` every `seconds` (counted from the end of a run), first at start unless
        `at_start` is False."""
        if seconds <= 0:
            raise ValueError(f"{name}: interval must be positive")
        return self._add(ScheduledJob(name, job, interval=seconds, at_start=at_start))

    def daily(self, hour: int, minute: int, name: str, job: Job) -> ScheduledJob:
        """Run `job` every day at hour:minute, local time."""
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError(f"{name}: no such time of day {hour}:{minute}")
        return self._add(ScheduledJob(name, job, at=(hour, minute)))

    def reschedule(self, name: str, hour: int, minute: int) -> None:
        """Move the daily job `name` to hour:minute, from its next run on (the running loop
        sees it at its next look at the clock, within MAX_SLEEP_SECONDS)."""
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError(f"{name}: no such time of day {hour}:{minute}")
        job = self.job(name)
        if job.at is None:
            raise ValueError(f"{name} is not a daily job")
        job.at = (hour, minute)
        job.moved = True

    def job(self, name: str) -> ScheduledJob:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)

    def next_run(self, name: str) -> Optional[datetime.datetime]:
        """When the daily job `name` runs next (local time), or None without such a job."""
        job = next((job for job in self.jobs if job.name == name and job.at is not None), None)
        return None if job is None else next_daily(self.clock.now(), *job.at)

    def _add(self, job: ScheduledJob) -> ScheduledJob:
        if self._tasks:
            raise RuntimeError("add jobs before the scheduler starts")
        if any(existing.name == job.name for existing in self.jobs):
            raise ValueError(f"two jobs named {job.name!r}")
        self.jobs.append(job)
        return job

    def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the scheduler is already running")
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job: {job.name}"))

    async def stop(self) -> None:
        """Cancel every job (one running is interrupted) and wait until all have ended, at most
        STOP_TIMEOUT_SECONDS; a job still running then is logged and left behind."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_SECONDS)
        for task in pending:
            log.error("%s still running %g s after being cancelled: left behind", task.get_name(),
                      STOP_TIMEOUT_SECONDS)

    async def _loop(self, job: ScheduledJob) -> None:
        due = job.next_due(self.clock, first=True)
        while True:
            if job.moved:
                job.moved = False
                due = job.next_due(self.clock, first=False)
            left = job.seconds_left(self.clock, due)
            if left > 0:
                await self.clock.sleep(min(left, MAX_SLEEP_SECONDS))
                continue
            await self._run(job)
            due = job.next_due(self.clock, first=False)

    async def _run(self, job: ScheduledJob) -> None:
        """One run in a task of its own: a cancellation reaching this loop's task means the
        scheduler stops (the run is cancelled too), one ending the run is the job's failure."""
        job.runs += 1
        job.running = True
        running = asyncio.ensure_future(job.run())
        try:
            await asyncio.wait({running})
        except asyncio.CancelledError:
            running.cancel()
            await asyncio.wait({running})
            raise
        finally:
            job.running = False
        if running.cancelled():
            error: Optional[BaseException] = asyncio.CancelledError("cancelled from inside the job")
        else:
            error = running.exception()
        if error is None:
            job.last_error = None
            return
        job.failures += 1
        job.last_error = f"{type(error).__name__}: {error}".rstrip(": ")
        log.error("background job %r failed; it runs again at its next time", job.name,
                  exc_info=error)

