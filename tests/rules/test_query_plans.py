"""The queries that grow with the data start from an index: EXPLAIN QUERY PLAN shows no scan of
missions (nor of absences for a day's availability)."""

from __future__ import annotations

import re

import pytest

from tomatoplan.base import sqlfiles
from tomatoplan.rules import missions
from tomatoplan.web.state import DB

PARAMETER = re.compile(r"(?<!:):([a-z_]+)")

GROWING = [
    ("missions", "mission_by_id"),
    ("missions", "missions_by_date"),
    ("missions", "missions_in_range"),
    ("missions", "missions_of_chauffeur"),
    ("missions", "missions_of_voyage"),
    ("missions", "chauffeur_missions_around"),
    ("voyages", "voyages_running_on"),
    ("voyages", "voyage_has_missions"),
    ("chauffeurs", "chauffeur_has_missions"),
    ("availability", "available_on_day"),
    ("absences", "absences_of_chauffeur"),
]


def _params(sql: str) -> dict:
    """A value for every :name (the plan does not depend on them)."""
    values = {}
    for name in PARAMETER.findall(sql):
        if "date" in name:
            values[name] = "2024-01-15"
        elif name == "statut":
            values[name] = "planifie"
        else:
            values[name] = 1
    return values


async def _plan(client, area: str, name: str) -> list:
    sql = getattr(sqlfiles.load(area), name)
    async with client.app[DB].read() as session:
        rows = await session.fetch_all(f"EXPLAIN QUERY PLAN {sql}", _params(sql))
    return [row["detail"] for row in rows]


@pytest.mark.parametrize(("area", "name"), GROWING)
async def test_growing_queries_never_scan_a_growing_table(client, area, name):
    plan = await _plan(client, area, name)
    scans = [step for step in plan if re.match(r"SCAN (missions|absences)\b", step)]
    assert scans == [], f"{area}.{name}: {plan}"
    if "missions" in getattr(sqlfiles.load(area), name):
        assert any(re.match(r"SEARCH missions USING (INTEGER PRIMARY KEY|(COVERING )?INDEX missions_by_)",
                            step) for step in plan), plan


async def test_the_mission_list_takes_the_query_whose_index_fits_the_filters():
    q = sqlfiles.load("missions")
    assert missions.list_query(chauffeur_id=3, voyage_id=None) == q.missions_of_chauffeur
    assert missions.list_query(chauffeur_id=3, voyage_id=4) == q.missions_of_chauffeur
    assert missions.list_query(chauffeur_id=None, voyage_id=4) == q.missions_of_voyage
    assert missions.list_query(chauffeur_id=None, voyage_id=None) == q.missions_in_range


async def test_each_filter_query_uses_the_index_it_is_named_after(client):
    assert "missions_by_chauffeur" in " ".join(await _plan(client, "missions", "missions_of_chauffeur"))
    assert "missions_by_voyage" in " ".join(await _plan(client, "missions", "missions_of_voyage"))
    by_date = " ".join(await _plan(client, "missions", "missions_by_date"))
    assert "missions_by_date" in by_date
    around = " ".join(await _plan(client, "missions", "chauffeur_missions_around"))
    assert "missions_by_chauffeur (chauffeur_id=? AND date_mission>? AND date_mission<?)" in around
