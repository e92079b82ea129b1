"""The sessions the server keeps in memory follow what another process commits: a user the
command line disables loses its open sessions within seconds, not at the next restart."""

from __future__ import annotations

from tests.helpers.waiting import eventually
from tomatoplan.base.db import Database
from tomatoplan.rules import users
from tomatoplan.rules.activity import Actor
from tomatoplan.web.live_sessions import OUTSIDE_CHECK_SECONDS, SESSION_CACHE, OutsideCommits
from tomatoplan.web.state import DB


async def test_a_user_disabled_by_another_process_loses_its_open_session(client, as_role, config):
    planner = await as_role("planner")
    assert (await planner.get("/auth/me")).status == 200  # checked once: now in the cache
    assert client.app[SESSION_CACHE]._rows
    outside = Database(config.database_path, readers=1)  # as `user disable` opens it
    await outside.open()
    try:
        found = await users.find_user(outside, planner.user["username"])
        await users.update_user(outside, Actor("root (ligne de commande)"), found["id"],
                                {"active": False})
    finally:
        await outside.close()

    async def refused() -> bool:
        return (await planner.get("/auth/me")).status == 401

    await eventually(refused, timeout=OUTSIDE_CHECK_SECONDS * 3)


async def test_the_servers_own_writes_do_not_empty_the_cache(client, admin):
    assert (await admin.get("/auth/me")).status == 200
    cache = client.app[SESSION_CACHE]
    watch = OutsideCommits(cache)
    await watch.check(client.app[DB])
    cached = dict(cache._rows)
    response = await admin.post("/chauffeurs", json={"nom": "DUPONT", "prenom": "Jean"})
    assert response.status == 201
    await watch.check(client.app[DB])
    assert cache._rows == cached  # a planning write is no reason to read the sessions again
