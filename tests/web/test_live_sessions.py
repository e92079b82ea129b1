"""The sessions the server keeps in memory follow what another process commits: a user the
command line disables loses its open sessions within seconds, not at the next restart."""

from __future__ import annotations

from tests.helpers.waiting import eventually
from tomatoplan.base.db import Database
from tomatoplan.rules import users
from tomatoplan.rules.activity import Actor
from tomatoplan.rules.settings import RuntimeSettings
from tomatoplan.web.live_sessions import OUTSIDE_CHECK_SECONDS, SESSION_CACHE, OutsideCommits
from tomatoplan.web.state import DB
from tomatoplan.web.state import SETTINGS as RUNTIME


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


async def test_a_setting_reset_by_another_process_applies_within_seconds(client, admin, config):
    response = await admin.request("PATCH", "/admin/config", json={"backup_retention_days": 7})
    assert response.status == 200
    outside = Database(config.database_path, readers=1)  # as `config reset` opens it
    await outside.open()
    try:
        settings = RuntimeSettings(client.app[RUNTIME].base)
        await settings.load(outside)
        await settings.change(outside, Actor("root (ligne de commande)"),
                              {"backup_retention_days": None}, "127.0.0.1")
    finally:
        await outside.close()

    await eventually(lambda: client.app[RUNTIME].config.backup_retention_days == 30,
                     timeout=OUTSIDE_CHECK_SECONDS * 3)
