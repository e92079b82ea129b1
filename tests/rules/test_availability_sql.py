"""The availability statement (sql/availability.sql) gives what assignment.find_problems finds,
chauffeur by chauffeur, on random plannings full of edge cases: trips after midnight, ends
equal to starts, missions without hours, cancelled ones, absences around the day, skills
missing, expired or without end, names with quotes and accents."""

from __future__ import annotations

import datetime
import json
import random
import sqlite3

import pytest

from tomatoplan.base.db import Database
from tomatoplan.rules import availability, voyages
from tomatoplan.rules.assignment import around, find_problems
from tomatoplan.rules.chauffeurs import by_chauffeur, chauffeur_out
from tomatoplan.rules.hours import span

DAY = datetime.date(2024, 3, 10)
DAY_FIELDS = ("id", "date_mission", "heure_debut", "heure_fin", "destination", "voyage_id", "statut")
META = ("1", "2024-01-01T00:00:00.000Z", "TEST", "2024-01-01T00:00:00.000Z", "TEST")
SKILLS = ("ADR", "FRIGO", "PERMIS_CE")
NAMES = ("DUPONT", "L'HÔTE", 'GUILLEMET "X"', "Éloïse", "ZOÉ", "back\\slash")


def hhmm(rng: random.Random) -> str:
    return f"{rng.randrange(24):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def some_hours(rng: random.Random) -> tuple:
    shape = rng.random()
    if shape < 0.1:
        return None, None  # no time: never overlaps
    start = hhmm(rng)
    if shape < 0.25:
        return start, None  # only its start minute
    if shape < 0.3:
        return start, start  # 24 hours
    return start, hhmm(rng)  # before the start: ends after midnight


def plan(conn, rng: random.Random) -> list[int]:
    """A random planning around DAY; the voyages' ids."""
    for code in SKILLS:
        conn.execute("INSERT OR IGNORE INTO skills (code, version, created_at, created_by, updated_at, "
                     "updated_by) VALUES (?, ?, ?, ?, ?, ?)", (code, *META))
    for n in range(rng.randrange(1, 25)):
        chauffeur = conn.execute(
            "INSERT INTO chauffeurs (nom, prenom, matricule, actif, notes, version, created_at, "
            "created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rng.choice(NAMES), rng.choice(("Jean", "Zoé", "A")), f"M{n}" if rng.random() < 0.5 else None,
             int(rng.random() < 0.85), rng.choice((None, "note")), *META)).lastrowid
        for code in rng.sample(SKILLS, rng.randrange(len(SKILLS) + 1)):
            expiry = rng.choice((None, "2024-03-09", "2024-03-10", "2024-03-11", "2030-01-01"))
            conn.execute("INSERT INTO chauffeur_competences (chauffeur_id, skill_code, date_expiration, "
                         "version, created_at, created_by, updated_at, updated_by) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (chauffeur, code, expiry, *META))
        for _ in range(rng.choice((0, 0, 1, 2))):
            start = DAY + datetime.timedelta(days=rng.randrange(-3, 2))
            end = start + datetime.timedelta(days=rng.randrange(0, 3))
            conn.execute("INSERT INTO absences (chauffeur_id, date_debut, date_fin, motif, version, "
                         "created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (chauffeur, start.isoformat(), end.isoformat(),
                          rng.choice(("conge", "maladie", "autre")), *META))
    ids = [row[0] for row in conn.execute("SELECT id FROM chauffeurs")]
    for n in range(rng.randrange(0, 60)):
        debut, fin = some_hours(rng)
        conn.execute("INSERT INTO missions (date_mission, destination, chauffeur_id, heure_debut, "
                     "heure_fin, statut, created_at, created_by, updated_at, updated_by) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ((DAY + datetime.timedelta(days=rng.randrange(-2, 3))).isoformat(),
                      f"Ville {n} l'été", rng.choice(ids) if rng.random() < 0.9 else None, debut, fin,
                      rng.choice(("planifie", "planifie", "en_cours", "annule")), *META[1:]))
    voyage_ids = []
    for n in range(3):
        debut, fin = some_hours(rng)
        voyage = conn.execute("INSERT INTO voyages (code, heure_debut, heure_fin, version, created_at, "
                              "created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (f"V'{n}", debut, fin, *META)).lastrowid
        for code in rng.sample(SKILLS, rng.randrange(len(SKILLS) + 1)):
            conn.execute("INSERT INTO voyage_competences (voyage_id, skill_code) VALUES (?, ?)",
                         (voyage, code))
        voyage_ids.append(voyage)
    return voyage_ids


async def by_the_rules(db: Database, voyage_id, tous: bool) -> list[dict]:
    """The availability computed chauffeur by chauffeur with assignment.find_problems, from
    plain reads of the tables (what the server did before the statement)."""
    day = DAY.isoformat()
    before, after = around(DAY)["date_avant"], around(DAY)["date_apres"]

    async def load(session):
        held = by_chauffeur(await session.fetch_all(
            "SELECT id, chauffeur_id, skill_code, date_expiration FROM chauffeur_competences "
            "ORDER BY chauffeur_id, skill_code"))
        everyone = [chauffeur_out(row, held.get(row["id"], [])) for row in await session.fetch_all(
            "SELECT * FROM chauffeurs ORDER BY nom, prenom, id")]
        away = by_chauffeur(await session.fetch_all(
            "SELECT * FROM absences WHERE date_debut <= ? AND date_fin >= ? ORDER BY date_debut, id",
            (day, day)))
        busy = by_chauffeur(await session.fetch_all(
            "SELECT * FROM missions WHERE date_mission BETWEEN ? AND ? AND chauffeur_id IS NOT NULL "
            "AND statut <> 'annule' ORDER BY date_mission, heure_debut, id", (before, after)))
        voyage = await voyages.find_voyage(session, voyage_id) if voyage_id else None
        return voyage, everyone, away, busy

    voyage, everyone, away, busy = await db.snapshot(load)
    slot = span(day, voyage["heure_debut"], voyage["heure_fin"], DAY) if voyage else None
    found = []
    for chauffeur in everyone:
        problems = find_problems(chauffeur, DAY, absences=away.get(chauffeur["id"], []), voyage=voyage,
                                 slot=slot, others=busy.get(chauffeur["id"], []))
        if problems and not tous:
            continue
        that_day = [{key: mission[key] for key in DAY_FIELDS} for mission in busy.get(chauffeur["id"], [])
                    if mission["date_mission"] == day]
        found.append({**chauffeur, "disponible": not problems, "raisons": problems, "missions": that_day})
    return found


@pytest.mark.parametrize("seed", range(40))
async def test_the_statement_finds_what_the_rules_find(tmp_path, seed):
    rng = random.Random(seed)
    db = Database(str(tmp_path / "a.db"))
    await db.open()
    try:
        conn = sqlite3.connect(db.path)
        with conn:
            voyage_ids = plan(conn, rng)
        conn.close()
        for voyage_id in (None, *voyage_ids):
            for tous in (False, True):
                page, total = await availability.available_drivers(db, DAY, voyage_id=voyage_id, tous=tous)
                expected = await by_the_rules(db, voyage_id, tous)
                assert json.loads(page) == expected, (voyage_id, tous)
                assert total == len(expected)
    finally:
        await db.close()
