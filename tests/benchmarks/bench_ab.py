"""Two builds of the zipapp side by side on the same data: the reads planners and supervision
make most, timed in interleaved rounds so that both see the same machine.

    python3 tests/benchmarks/bench_ab.py --a /tmp/before.pyz --b dist/tomatoplan.pyz
                                         [--rounds 3] [--requests 300] [--clients 8]

Each build gets its own folder and the same data, seeded through the API: 30 chauffeurs and
200 missions on one busy day (each chauffeur a few), plus 2,000 on other days. Scenarios:
/health, the busy day by date, a chauffeur's missions, one mission, the busy day's
availability, each sequential (median latency) and with `--clients` keep-alive clients at once
(requests per second). Prints the medians of the rounds and the ratio b/a. Loopback only,
bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_hostile import Server

BUSY_DAY = "2024-01-15"


def seed(server: Server) -> str:
    planner = server.user("BENCH.PLANNER", "planner_advanced")  # reads as a planner
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def post(path: str, body: dict) -> dict:
        connection.request("POST", path, json.dumps(body), {
            "Authorization": f"Bearer {server.admin}", "Content-Type": "application/json"})
        answer = connection.getresponse()
        data = json.loads(answer.read())
        assert answer.status == 201, data
        return data

    chauffeurs = [post("/chauffeurs", {"nom": f"NOM{i:02d}", "prenom": "P"})["id"] for i in range(30)]
    for index in range(200):
        hour = 4 + index % 18
        post("/missions?force=true", {
            "date_mission": BUSY_DAY, "destination": f"Ville {index}", "chauffeur_id": chauffeurs[index % 30],
            "heure_debut": f"{hour:02d}:00", "heure_fin": f"{hour:02d}:30", "prix": "125.50"})
    for index in range(2000):
        day = 1 + index % 28
        post("/missions?force=true", {"date_mission": f"2024-02-{day:02d}", "destination": f"Autre {index}",
                           "chauffeur_id": chauffeurs[index % 30], "heure_debut": "06:00"})
    connection.close()
    return planner


def sequential(server: Server, path: str, token: str, count: int) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200, (path, answer.status)
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return statistics.median(times)


def concurrent(server: Server, path: str, token: str, count: int, clients: int) -> float:
    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for _ in range(count // clients):
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, (path, answer.status)
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (count // clients) * clients / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    folders = {name: tempfile.mkdtemp(prefix=f"tomatoplan-ab-{name}-") for name in ("a", "b")}
    servers = {name: Server(os.path.abspath(getattr(args, name)), folders[name]) for name in ("a", "b")}
    try:
        tokens = {name: seed(server) for name, server in servers.items()}
        scenarios = {"health": "/health", "by-date (200)": f"/missions/by-date/{BUSY_DAY}",
                     "chauffeur's missions": "/missions?chauffeur_id=7", "one mission": "/missions/100",
                     "availability": f"/chauffeurs/disponibles/{BUSY_DAY}?tous=true"}
        results: dict = {}
        for _ in range(args.rounds):
            for label, path in scenarios.items():
                for name, server in servers.items():
                    results.setdefault((label, name, "ms"), []).append(
                        sequential(server, path, tokens[name], args.requests))
                    results.setdefault((label, name, "rps"), []).append(
                        concurrent(server, path, tokens[name], args.requests * 2, args.clients))
        print(f"{'scenario':24} {'a ms':>7} {'b ms':>7} {'b/a':>5}   "
              f"{'a req/s':>8} {'b req/s':>8} {'b/a':>5}")
        for label in scenarios:
            a_ms, b_ms = (statistics.median(results[(label, n, "ms")]) for n in ("a", "b"))
            a_rps, b_rps = (statistics.median(results[(label, n, "rps")]) for n in ("a", "b"))
            print(f"{label:24} {a_ms:7.2f} {b_ms:7.2f} {b_ms / a_ms:5.2f}   "
                  f"{a_rps:8.0f} {b_rps:8.0f} {b_rps / a_rps:5.2f}")
    finally:
        for name, server in servers.items():
            server.stop()
            shutil.rmtree(folders[name], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
