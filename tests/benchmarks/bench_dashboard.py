"""Dashboard answer time on a database of a million missions, against /health in the same run.

    python3 tests/benchmarks/bench_dashboard.py [--missions 1000000] [--requests 50]
                                                [--pyz dist/tomatoplan.pyz]

Builds the database (about 1,000 missions a day over ~3 years, 300 chauffeurs with skills and
absences, 100 voyages), starts the real server on loopback (from the checkout, or the zipapp
with --pyz), and times GET /stats/dashboard against GET /health, which does one trivial query:
the ratio is what to compare between runs on a shared, noisy machine. Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tomatoplan.base import sqlfiles  # noqa: E402

STAMP = "2024-01-01T00:00:00.000Z"
SKILLS = ("PERMIS_C", "PERMIS_CE", "ADR", "FIMO", "FCO", "CARTE_CONDUCTEUR", "VISITE_MEDICALE")


def build_database(path: str, missions: int, seed: int = 7) -> datetime.date:
    """Create the schema and fill it; returns a day in the middle of the data."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for version, _, text in sqlfiles.migrations():
        for statement in sqlfiles.split_statements(text):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    stamp = (STAMP, "BENCH", STAMP, "BENCH")
    conn.executemany(
        "INSERT INTO chauffeurs (nom, prenom, actif, created_at, created_by, updated_at, updated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(f"NOM{i:03d}", "P", 1 if i % 10 else 0, *stamp) for i in range(1, 301)])
    conn.executemany(
        "INSERT INTO voyages (code, jours, actif, created_at, created_by, updated_at, updated_by) "
        "VALUES (?, 127, 1, ?, ?, ?, ?)", [(f"L{i:03d}", *stamp) for i in range(1, 101)])
    days = max(1, missions // 1000)
    first = datetime.date(2023, 1, 2)
    middle = first + datetime.timedelta(days=days // 2)
    statuts = ("planifie", "en_cours", "termine", "annule")
    rows = []
    for index in range(missions):
        day = first + datetime.timedelta(days=index % days)
        chauffeur = rng.randint(1, 300) if rng.random() < 0.9 else None
        rows.append((day.isoformat(), "Lyon", rng.choice(statuts), chauffeur,
                     rng.randint(1, 100), f"{rng.randint(4, 20):02d}:00", *stamp))
        if len(rows) == 50_000:
            _insert_missions(conn, rows)
            rows = []
    _insert_missions(conn, rows)
    conn.executemany(
        "INSERT INTO chauffeur_competences (chauffeur_id, skill_code, date_expiration, created_at, "
        "created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(c, skill, (first + datetime.timedelta(days=rng.randint(0, days + 60))).isoformat(), *stamp)
         for c in range(1, 301) for skill in SKILLS])
    absences = []
    for chauffeur in range(1, 301):
        for _ in range(days // 60 + 1):
            start = first + datetime.timedelta(days=rng.randint(0, days))
            absences.append((chauffeur, start.isoformat(),
                             (start + datetime.timedelta(days=rng.randint(0, 10))).isoformat(), *stamp))
    conn.executemany(
        "INSERT INTO absences (chauffeur_id, date_debut, date_fin, motif, created_at, created_by, "
        "updated_at, updated_by) VALUES (?, ?, ?, 'conge', ?, ?, ?, ?)", absences)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return middle


def _insert_missions(conn, rows):
    conn.executemany(
        "INSERT INTO missions (date_mission, destination, statut, chauffeur_id, voyage_id, heure_debut, "
        "created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port, path, token=None, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback http)
        return json.loads(response.read())


def timed(port, path, token, count) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call(port, path, token)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pyz", help="run this zipapp instead of the checkout")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        os.makedirs(os.path.join(workdir, "data"))
        started = time.perf_counter()
        day = build_database(os.path.join(workdir, "data", "tomatoplan.db"), args.missions)
        size = os.path.getsize(os.path.join(workdir, "data", "tomatoplan.db"))
        print(f"database: {args.missions} missions, {size / 2**20:.0f} MiB, built in "
              f"{time.perf_counter() - started:.1f} s; dashboard day {day}")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
        env.update(TOMATOPLAN_PORT=str(port), TOMATOPLAN_HOST="127.0.0.1",
                   TOMATOPLAN_LOG_LEVEL="WARNING", PYTHONPATH=ROOT)
        command = ([sys.executable, "-I", os.path.abspath(args.pyz)] if args.pyz
                   else [sys.executable, "-m", "tomatoplan"])
        server = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    call(port, "/health")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            token = call(port, "/auth/login", body={"username": "ADMIN"})["access_token"]
            path = f"/stats/dashboard?date={day}"
            print("one answer:", json.dumps(call(port, path, token)["missions"]["aujourd_hui"]))
            timed(port, path, token, 3)  # warm the page cache
            health = timed(port, "/health", None, args.requests)
            dashboard = timed(port, path, token, args.requests)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    med_h, med_d = statistics.median(health), statistics.median(dashboard)
    p95_d = sorted(dashboard)[int(len(dashboard) * 0.95) - 1]
    print(f"GET /health           median {med_h:6.2f} ms")
    print(f"GET /stats/dashboard  median {med_d:6.2f} ms  p95 {p95_d:6.2f} ms  "
          f"ratio to /health {med_d / med_h:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
