"""The scheduler: jobs every N seconds or daily at HH:MM local time, on a clock the test moves."""

from __future__ import annotations

import asyncio
import datetime
import logging

import pytest

from tests.helpers.clock import FakeClock, settle
from tomatoplan import scheduler as scheduler_module
from tomatoplan.app import ACTIVITY_RETENTION_SECONDS, SESSION_PURGE_SECONDS
from tomatoplan.scheduler import MAX_SLEEP_SECONDS, Scheduler, next_daily
from tomatoplan.web.state import SCHEDULER

MONDAY_0159 = datetime.datetime(2024, 1, 15, 1, 59)


class Recorder:
    """A job that remembers when it ran (by the fake clock)."""

    def __init__(self, clock: FakeClock, fail: bool = False):
        self.clock = clock
        self.fail = fail
        self.times: list[datetime.datetime] = []

    async def __call__(self) -> None:
        self.times.append(self.clock.now())
        if self.fail:
            raise RuntimeError("disque plein")


@pytest.fixture
async def clock():
    return FakeClock(MONDAY_0159)


@pytest.fixture
async def scheduler(clock):
    scheduler = Scheduler(clock)
    yield scheduler
    await scheduler.stop()


async def test_an_interval_job_runs_at_start_then_every_interval(clock, scheduler):
    job = Recorder(clock)
    scheduler.every(900, "purge", job)
    scheduler.start()
    await clock.advance(0)
    assert len(job.times) == 1 and scheduler.jobs[0].running is False
    await clock.advance(899)
    assert len(job.times) == 1
    await clock.advance(1)
    assert len(job.times) == 2
    await clock.advance(900 * 3)
    assert len(job.times) == 5


async def test_an_interval_job_can_wait_for_its_first_interval(clock, scheduler):
    job = Recorder(clock)
    scheduler.every(60, "later", job, at_start=False)
    scheduler.start()
    await clock.advance(59)
    assert job.times == []
    await clock.advance(1)
    assert len(job.times) == 1


async def test_a_daily_job_runs_at_its_time_of_day_and_not_at_start(clock, scheduler):
    job = Recorder(clock)
    scheduler.daily(2, 0, "sauvegarde", job)
    scheduler.start()
    await clock.advance(59)
    assert job.times == []
    await clock.advance(1)
    assert job.times == [datetime.datetime(2024, 1, 15, 2, 0)]
    await clock.advance(24 * 3600)
    assert job.times[-1] == datetime.datetime(2024, 1, 16, 2, 0)
    assert len(job.times) == 2


async def test_a_daily_job_started_after_its_time_waits_for_the_next_day(scheduler):
    clock = FakeClock(datetime.datetime(2024, 1, 15, 9, 30))
    scheduler.clock = clock
    job = Recorder(clock)
    scheduler.daily(2, 0, "sauvegarde", job)
    scheduler.start()
    await clock.advance(16 * 3600)  # 01:30 the next day
    assert job.times == []
    await clock.advance(30 * 60)
    assert job.times == [datetime.datetime(2024, 1, 16, 2, 0)]


async def test_a_daily_job_notices_a_jump_of_the_wall_clock_within_a_minute(clock, scheduler):
    job = Recorder(clock)
    scheduler.daily(3, 0, "sauvegarde", job)
    scheduler.start()
    await clock.advance(1)
    clock.wall = datetime.datetime(2024, 1, 15, 3, 30)  # NTP, summer time, a resumed VM
    await clock.advance(MAX_SLEEP_SECONDS)
    assert len(job.times) == 1


async def test_a_daily_job_moved_to_another_hour_runs_there_from_the_next_day_on(clock, scheduler):
    job = Recorder(clock)
    scheduler.daily(2, 0, "sauvegarde", job)
    scheduler.start()
    await clock.advance(30)  # 01:59:30: moved to 04:00 just before its old time
    scheduler.reschedule("sauvegarde", 4, 0)
    assert scheduler.next_run("sauvegarde") == datetime.datetime(2024, 1, 15, 4, 0)
    await clock.advance(2 * 3600)  # 03:59:30, past 02:00: it did not run there
    assert job.times == []
    await clock.advance(60)  # 04:00:30
    assert job.times == [datetime.datetime(2024, 1, 15, 4, 0)]
    scheduler.reschedule("sauvegarde", 1, 0)  # already past today: tomorrow at 01:00
    await clock.advance(21 * 3600)
    assert job.times[-1] == datetime.datetime(2024, 1, 16, 1, 0) and len(job.times) == 2


async def test_only_a_daily_job_is_rescheduled_and_to_a_real_time(clock, scheduler):
    scheduler.every(60, "purge", Recorder(clock))
    scheduler.daily(2, 0, "sauvegarde", Recorder(clock))
    with pytest.raises(ValueError):
        scheduler.reschedule("purge", 3, 0)
    with pytest.raises(ValueError):
        scheduler.reschedule("sauvegarde", 24, 0)
    with pytest.raises(KeyError):
        scheduler.reschedule("absent", 3, 0)
    assert scheduler.next_run("purge") is None and scheduler.next_run("absent") is None
    assert scheduler.next_run("sauvegarde") == datetime.datetime(2024, 1, 15, 2, 0)


async def test_a_failing_job_is_logged_and_runs_again_at_its_next_time(clock, scheduler, caplog):
    job = Recorder(clock, fail=True)
    scheduled = scheduler.every(60, "fragile", job)
    with caplog.at_level(logging.ERROR, logger="tomatoplan.scheduler"):
        scheduler.start()
        await clock.advance(60)
    assert len(job.times) == 2
    assert (scheduled.runs, scheduled.failures) == (2, 2)
    assert scheduled.last_error == "RuntimeError: disque plein"
    failures = [r for r in caplog.records if "fragile" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None
    job.fail = False
    await clock.advance(60)
    assert scheduled.last_error is None and scheduled.failures == 2


async def test_stop_interrupts_a_running_job_and_waits_for_it(clock, scheduler):
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler.every(60, "slow", slow)
    scheduler.start()
    await started.wait()
    await scheduler.stop()
    assert cancelled.is_set()
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("job:")] == []


async def test_a_job_cancelled_from_inside_is_a_failure_and_runs_again(clock, scheduler, caplog):
    """A cancellation that ends a run (an inner await cancelled by something else) is the
    job's failure: it does not stop the job for good."""

    async def cancelled_inside() -> None:
        inner = asyncio.ensure_future(asyncio.Event().wait())
        inner.cancel()
        await inner

    scheduled = scheduler.every(60, "fragile", cancelled_inside)
    with caplog.at_level(logging.ERROR, logger="tomatoplan.scheduler"):
        scheduler.start()
        await clock.advance(60)
    assert (scheduled.runs, scheduled.failures) == (2, 2)
    assert scheduled.last_error.startswith("CancelledError")
    assert len([r for r in caplog.records if "fragile" in r.getMessage()]) == 2


def stubborn(release: asyncio.Event):
    """A job that ignores cancellation until `release` is set (at the latest after 5 s, so
    that a scheduler that waits for it forever fails the test instead of hanging it)."""
    asyncio.get_running_loop().call_later(5, release.set)

    async def job() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    return job


async def test_stop_gives_up_on_a_job_that_ignores_its_cancellation(clock, monkeypatch, caplog):
    monkeypatch.setattr(scheduler_module, "STOP_TIMEOUT_SECONDS", 0.05)
    release = asyncio.Event()
    scheduler = Scheduler(clock)
    scheduler.every(60, "obstinée", stubborn(release))
    scheduler.start()
    await settle()
    with caplog.at_level(logging.ERROR, logger="tomatoplan.scheduler"):
        await asyncio.wait_for(scheduler.stop(), 5)
    assert any("job: obstinée" in r.getMessage() and "left behind" in r.getMessage()
               for r in caplog.records)
    release.set()
    await settle()
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("job:")] == []


async def test_stop_can_itself_be_cancelled(clock):
    release = asyncio.Event()
    scheduler = Scheduler(clock)
    scheduler.every(60, "obstinée", stubborn(release))
    scheduler.start()
    await settle()
    stopping = asyncio.ensure_future(scheduler.stop())
    await settle()
    stopping.cancel()
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done and stopping.cancelled(), "stop() swallowed its own cancellation"
    release.set()
    await settle()


async def test_stop_waits_for_every_job_to_end(clock):
    ended = []

    def cleaning(name: str, steps: int):
        async def job() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                for _ in range(steps):  # a job that tidies up before it ends
                    await asyncio.sleep(0)
                ended.append(name)
        return job

    scheduler = Scheduler(clock)
    scheduler.every(60, "vite", cleaning("vite", 0))
    scheduler.every(60, "lente", cleaning("lente", 5))
    scheduler.start()
    await settle()
    await scheduler.stop()
    assert sorted(ended) == ["lente", "vite"]
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("job:")] == []


@pytest.mark.parametrize(("now", "expected"), [
    (datetime.datetime(2024, 1, 15, 1, 59, 59), datetime.datetime(2024, 1, 15, 2, 0)),
    (datetime.datetime(2024, 1, 15, 2, 0), datetime.datetime(2024, 1, 16, 2, 0)),
    (datetime.datetime(2024, 12, 31, 23, 0), datetime.datetime(2025, 1, 1, 2, 0)),
    (datetime.datetime(2024, 2, 28, 2, 0, 0, 1), datetime.datetime(2024, 2, 29, 2, 0)),
])
def test_next_daily_is_the_first_time_of_day_strictly_after_now(now, expected):
    assert next_daily(now, 2, 0) == expected


def test_jobs_are_declared_before_the_start_with_sane_times():
    scheduler = Scheduler()
    scheduler.every(60, "a", Recorder(FakeClock(MONDAY_0159)))
    with pytest.raises(ValueError, match="two jobs"):
        scheduler.every(30, "a", Recorder(FakeClock(MONDAY_0159)))
    with pytest.raises(ValueError, match="time of day"):
        scheduler.daily(24, 0, "b", Recorder(FakeClock(MONDAY_0159)))
    with pytest.raises(ValueError, match="positive"):
        scheduler.every(0, "c", Recorder(FakeClock(MONDAY_0159)))


async def test_the_app_runs_the_session_purge_and_the_retention_only_when_asked(make_client):
    plain = await make_client()
    assert [(job.name, job.interval) for job in plain.app[SCHEDULER].jobs] == [
        ("purge des sessions expirées", SESSION_PURGE_SECONDS)]
    kept = await make_client(activity_retention_days=30)
    assert [(job.name, job.interval) for job in kept.app[SCHEDULER].jobs] == [
        ("purge des sessions expirées", SESSION_PURGE_SECONDS),
        ("rétention du journal d'activité", ACTIVITY_RETENTION_SECONDS)]
    # Both run once at start, against the open database.
    for _ in range(500):
        if all(job.runs == 1 for job in kept.app[SCHEDULER].jobs):
            break
        await asyncio.sleep(0.01)
    assert [(job.runs, job.last_error) for job in kept.app[SCHEDULER].jobs] == [(1, None), (1, None)]
