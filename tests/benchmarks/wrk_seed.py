"""The benchmark's data: seeded through the API (as PTT would write it), or, for the big
database, through SQL directly.

Through the API: 3 skills, 300 chauffeurs (each holding one or two skills; 12 absent on the
busy day), 40 voyages, and 20,000 missions over 100 days from 2024-01-01, 200 a day, each
chauffeur at most one a day so that no check refuses them; the busy day is 2024-01-15.
"""

from __future__ import annotations

import datetime
import http.client
import json
import sqlite3
import threading

FIRST_DAY = datetime.date(2024, 1, 1)
DAYS = 100
PER_DAY = 200
BUSY_DAY = "2024-01-15"
CHAUFFEURS = 300
VOYAGES = 40
SKILLS = ("PERMIS_C", "PERMIS_CE", "ADR")
# The update scenario rewrites the missions of these ten days (2,000 missions).
UPDATE_DAYS = [(datetime.date(2024, 3, 1) + datetime.timedelta(days=n)).isoformat() for n in range(10)]


class Api:
    """One keep-alive connection to a server, JSON in and out."""

    def __init__(self, port: int, token: str = ""):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def call(self, method: str, path: str, body=None, expect: int = 200):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.connection.request(method, path, None if body is None else json.dumps(body), headers)
        answer = self.connection.getresponse()
        data = answer.read()
        if answer.status != expect:
            raise SystemExit(f"{method} {path}: {answer.status} {data[:500]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


def mission_body(day_index: int, index: int, chauffeurs: list, voyages: list) -> dict:
    day = FIRST_DAY + datetime.timedelta(days=day_index)
    start = 4 * 60 + (index % 64) * 15  # 04:00 to 19:45, one hour each: never past midnight
    body = {"date_mission": day.isoformat(), "destination": f"Client {index % 97}",
            "origine": "Dépôt",
            # 200 different chauffeurs a day, the next day's 200 starting where these stopped:
            # about 67 missions each over the 100 days, one a day at most.
            "chauffeur_id": chauffeurs[(index + day_index * PER_DAY) % len(chauffeurs)],
            "heure_debut": f"{start // 60:02d}:{start % 60:02d}",
            "heure_fin": f"{start // 60 + 1:02d}:{start % 60:02d}",
            "vehicule": f"AB-{index:03d}-CD", "prix": f"{100 + index % 50}.50", "cout": "80.00"}
    if index % 5 == 0:
        body["voyage_id"] = voyages[index % len(voyages)]
    return body


def seed_through_api(port: int, token: str, workers: int = 4) -> None:
    """The data above, written through the API by `workers` clients at once."""
    api = Api(port, token)
    catalogue = {skill["code"] for skill in api.call("GET", "/competences")}
    for code in set(SKILLS) - catalogue:
        api.call("POST", "/competences", {"code": code, "libelle": code}, expect=201)
    chauffeurs = []
    for n in range(CHAUFFEURS):
        chauffeur = api.call("POST", "/chauffeurs", {"nom": f"NOM{n:03d}", "prenom": "Prénom",
                                                     "matricule": f"M-{n:04d}"}, expect=201)
        chauffeurs.append(chauffeur["id"])
        for code in SKILLS[: 1 + n % 2]:
            api.call("POST", f"/chauffeurs/{chauffeur['id']}/competences",
                     {"code": code, "date_expiration": "2030-01-01" if n % 7 else "2024-01-01"},
                     expect=201)
        if n % 25 == 0:
            api.call("POST", f"/chauffeurs/{chauffeur['id']}/absences",
                     {"date_debut": "2024-01-14", "date_fin": "2024-01-16", "motif": "conge"},
                     expect=201)
    voyages = [api.call("POST", "/voyages", {
        "code": f"V{n:02d}", "nom": f"Ligne {n}", "origine": "Dépôt", "destination": f"Ville {n}",
        "heure_debut": "06:00", "heure_fin": "07:00", "jours": ["lundi", "mardi", "mercredi"],
        "competences_requises": [SKILLS[n % 2]]}, expect=201)["id"] for n in range(VOYAGES)]
    api.close()
    failures: list = []

    def write(first_day: int) -> None:
        client = Api(port, token)
        try:
            for day_index in range(first_day, DAYS, workers):
                for index in range(PER_DAY):
                    # force: a voyage's skills and a chauffeur's expired ones are the
                    # planner's call here; the data is what matters, not the checks.
                    client.call("POST", "/missions?force=true",
                                mission_body(day_index, index, chauffeurs, voyages), expect=201)
        except BaseException as exc:
            failures.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def grow_through_sql(path: str, missions: int) -> int:
    """Add missions until the database holds `missions`, 200 a day on the days before the
    benchmark's 100 (from 2024-01-01 backwards), in one transaction; the number added. The
    server must be stopped."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        have = conn.execute("SELECT count(*) FROM missions").fetchone()[0]
        wanted = max(0, missions - have)
        chauffeurs = [row[0] for row in conn.execute("SELECT id FROM chauffeurs ORDER BY id")]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :wanted)
            INSERT INTO missions (date_mission, destination, origine, chauffeur_id, vehicule,
                                  heure_debut, heure_fin, prix_cents, cout_cents,
                                  created_at, created_by, updated_at, updated_by)
            SELECT date(:first, printf('-%d days', 1 + i / :per_day)), 'Client ' || (i % 97),
                   'Dépôt', :first_chauffeur + i % :chauffeurs,
                   'AB-' || printf('%03d', i % 200) || '-CD',
                   printf('%02d:%02d', 4 + (i % 64) / 4, (i % 4) * 15),
                   printf('%02d:%02d', 5 + (i % 64) / 4, (i % 4) * 15),
                   10050 + i % 50 * 100, 8000,
                   '2024-01-01T00:00:00Z', 'SEED', '2024-01-01T00:00:00Z', 'SEED'
              FROM n""", {"wanted": wanted, "first": FIRST_DAY.isoformat(), "per_day": PER_DAY,
                          "first_chauffeur": chauffeurs[0], "chauffeurs": len(chauffeurs)})
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return wanted
    finally:
        conn.close()


def versions_file(port: int, token: str, path: str, prefix: str = "") -> int:
    """Write "id version" lines of the update days' missions as the server shows them now."""
    api = Api(port, token)
    lines = []
    try:
        for day in UPDATE_DAYS:
            answer = api.call("GET", f"{prefix}/missions/by-date/{day}")
            items = answer["items"] if isinstance(answer, dict) else answer
            lines.extend(f"{item['id']} {item['version']}" for item in items)
    finally:
        api.close()
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return len(lines)
