"""/health answers from memory: the database is asked at most once a second however often
supervision polls, concurrent polls share one check, a backup's outcome shows on the next
call, and a database that stops answering is a 503 within that second."""

from __future__ import annotations

import asyncio

from tomatoplan.web.health import HEALTH
from tomatoplan.web.state import DB


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_polling_asks_the_database_once_a_second(client):
    state = client.app[HEALTH]
    state.clock = clock = FakeClock()
    for _ in range(20):
        assert (await client.get("/health")).status == 200
    assert state.checks == 1
    clock.now += 0.9
    await client.get("/health")
    assert state.checks == 1
    clock.now += 0.2
    await client.get("/health")
    assert state.checks == 2


async def test_concurrent_polls_share_one_check(client):
    state = client.app[HEALTH]
    state.clock = FakeClock()
    answers = await asyncio.gather(*(client.get("/health") for _ in range(10)))
    assert [answer.status for answer in answers] == [200] * 10
    assert state.checks == 1


async def test_a_backup_shows_on_the_next_call(client, admin):
    state = client.app[HEALTH]
    state.clock = FakeClock()  # frozen: only the commit listener can refresh
    assert (await client.get("/health")).status == 200
    await admin.post("/missions", json={"date_mission": "2024-01-15", "destination": "Lyon"})
    await client.get("/health")
    assert state.checks == 1, "a planning change does not touch the backups' state"
    made = await admin.post("/admin/backups", params={"description": "avant"})
    assert made.status == 201
    await client.get("/health")
    assert state.checks == 2, "a backup's activity line empties the cache"


async def test_a_database_that_stops_answering_is_a_503_within_the_second(client):
    state = client.app[HEALTH]
    state.clock = clock = FakeClock()
    assert (await client.get("/health")).status == 200
    await client.app[DB].close()
    clock.now += 1.0
    response = await client.get("/health")
    assert response.status == 503
    assert (await response.json())["database"]["status"] == "error"


async def test_a_check_begun_before_a_backup_is_not_kept_as_fresh(client):
    state = client.app[HEALTH]
    state.clock = FakeClock()
    db = client.app[DB]
    entered, release = asyncio.Event(), asyncio.Event()
    real_ping = db.ping

    async def slow_ping():
        entered.set()
        await release.wait()
        await real_ping()

    db.ping = slow_ping
    first = asyncio.ensure_future(state.current())
    await entered.wait()
    state.committed([{"entity": "backup"}])  # a backup committed while the check ran
    release.set()
    assert (await first).database_ok
    db.ping = real_ping
    await state.current()
    assert state.checks == 2, "the next call checks again"
