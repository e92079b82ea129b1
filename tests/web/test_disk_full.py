"""A full disk: writes answer 507 with a French detail and a stable code, nothing half-done,
one log line per burst, /health and the dashboard say so, and writes resume by themselves."""

from __future__ import annotations

import logging

from tests.helpers.api import problem
from tests.helpers.planning import MONDAY, stored
from tomatoplan.web.state import DB

BIG = {"date_mission": MONDAY, "destination": "Lyon", "remarques": "x" * 2000}


async def fill_the_disk(client, admin) -> None:
    """SQLite's own size limit (max_page_count) refuses growth as a full disk would
    (SQLITE_FULL); the zipapp measurement does it with a real 4 MiB filesystem. Missions are
    added until the free room inside the file is used up too."""
    async with client.app[DB].write() as tx:
        pages = await tx.fetch_value("PRAGMA page_count")
        await tx.fetch_value(f"PRAGMA max_page_count = {int(pages)}")
    for _ in range(200):
        if (await admin.post("/missions", json=BIG)).status == 507:
            return
    raise AssertionError("the database never filled up")


async def free_the_disk(client) -> None:
    async with client.app[DB].write() as tx:
        await tx.fetch_value("PRAGMA max_page_count = 1073741823")


async def test_writes_on_a_full_disk_are_507_and_health_says_so_until_space_returns(
        client, admin, caplog):
    caplog.set_level(logging.ERROR)
    await fill_the_disk(client, admin)
    before = await stored(client)
    for _ in range(5):
        response = await admin.post("/missions", json=BIG)
        body = await problem(response, 507, "disk_full")
        assert body["detail"].startswith("Espace disque insuffisant sur le serveur")
    assert await stored(client) == before
    refused = [r for r in caplog.records if "disk full" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None  # once per burst, no traceback

    health = await (await client.get("/health")).json()
    assert health["status"] == "degraded"
    assert health["disque"]["status"] == "full" and health["disque"]["depuis"].endswith("Z")
    dashboard = await (await admin.get("/stats/dashboard")).json()
    assert dashboard["base"]["disque"]["status"] == "full"
    assert (await admin.get("/missions")).status == 200  # reads go on

    await free_the_disk(client)
    created = await admin.post("/missions", json={"date_mission": MONDAY, "destination": "Lyon",
                                                  "remarques": "ok"})
    assert created.status == 201
    health = await (await client.get("/health")).json()
    assert health["status"] == "ok" and health["disque"]["status"] == "ok"
    assert health["disque"]["libre_octets"] > 0
