"""The server under wrk, against three references on the same data, in one sitting.

    python3 tests/benchmarks/bench_wrk.py [--pyz dist/tomatoplan.pyz] [--seconds 10]
        [--rounds 3] [--size 1000000] [--no-references] [--out bench-wrk.json]

Builds the zipapp (unless --pyz), starts it on loopback in a fresh folder, seeds it through the
API (wrk_seed: 300 chauffeurs, 40 voyages, 20,000 missions over 100 days, 200 on the busy day),
then copies its database for the references (tests/benchmarks/reference, installed in their
own venv from their pinned requirements.txt): the bare aiohttp + aiosqlite app (dicts and
json.dumps; SQLite-built JSON, the ceiling of this stack; a "hello" without database) and the
seed's design (FastAPI + SQLAlchemy + Pydantic under uvicorn). Each scenario runs
`wrk -t2 -c32` on every app that has it, interleaved, `--rounds` times: the medians and the
ratios are printed. Then: a fixed rate of 100 requests per second (open_loop) for the p99 of the
reads; 64 and 128 connections; resident memory at rest and its peak under load (with
1,000-mission pages at 64 connections); the start time on every Python found; and with
`--size`, the busy day and its availability on a database grown through SQL to that size,
interleaved with the 20,000-mission one. Every answer must be 2xx: any other is reported.
Loopback only; every run bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import open_loop
import wrk_seed
import wrk_tools
from bench_hostile import ROOT, Server
from wrk_references import References, start_times

BUSY = wrk_seed.BUSY_DAY
BIG_PAGE = "/missions?date_debut=2024-01-01&date_fin=2024-04-09&limit=1000"  # the largest page


def scenarios(chauffeur_id: int) -> list[tuple[str, dict]]:
    """(name, {app: (path, wrk script or None)}); "bare" and "ceiling" are the bare app."""
    same = {"zipapp": None, "fastapi": None}
    by_date = f"/missions/by-date/{BUSY}"
    return [
        ("health", {"zipapp": ("/health", None), "fastapi": ("/health", None), "bare": ("/hello", None)}),
        ("by-date", {"zipapp": (by_date, None), "fastapi": (by_date, None), "bare": (by_date, None),
                     "ceiling": (f"/json{by_date}", None)}),
        ("filter", {app: (f"/missions?chauffeur_id={chauffeur_id}", None) for app in same}),
        ("create", {app: ("/missions", "post.lua") for app in same}),
        ("update", {app: ("/", "put.lua") for app in same}),
        ("availability", {app: (f"/chauffeurs/disponibles/{BUSY}", None) for app in same}),
        ("dashboard", {app: ("/stats/dashboard", None) for app in same}),
        ("mix", {app: ("/", "mix.lua") for app in same}),
    ]


def mix_file(folder: str, chauffeur_id: int) -> str:
    path = os.path.join(folder, "mix.txt")
    with open(path, "w") as handle:
        handle.write(f"50 GET /missions/by-date/{BUSY}\n20 GET /missions?chauffeur_id={chauffeur_id}\n"
                     f"10 GET /chauffeurs/disponibles/{BUSY}\n5 GET /stats/dashboard\n"
                     f"5 GET /health\n10 POST /missions\n")
    return path


class Bench:
    def __init__(self, args: argparse.Namespace, work: str):
        self.args = args
        self.work = work
        self.results: dict = {"runs": {}, "fixed_rate": {}, "connections": {}, "memory": {}}

    def target(self, app: str) -> tuple[str, dict]:
        if app == "zipapp":
            return f"http://127.0.0.1:{self.zipapp.port}", {"Authorization": f"Bearer {self.token}"}
        port = self.references.ports["bare" if app == "ceiling" else app]
        return f"http://127.0.0.1:{port}", {}

    def run(self, app: str, path: str, script: str | None, connections: int, seconds: float) -> dict:
        base, headers = self.target(app)
        env = {"BENCH_MIX": self.mix, "BENCH_THREADS": "2"}
        if script == "put.lua":
            env["BENCH_VERSIONS"] = os.path.join(self.work, f"versions-{app}.txt")
            port = int(base.rsplit(":", 1)[1])
            wrk_seed.versions_file(port, self.token if app == "zipapp" else "", env["BENCH_VERSIONS"])
        return wrk_tools.wrk(base + path, seconds=seconds, connections=connections,
                             headers=headers, script=script, env=env)

    def rounds(self, table: list[tuple[str, dict]]) -> None:
        for round_number in range(self.args.rounds):
            for name, apps in table:
                for app, (path, script) in apps.items():
                    if app != "zipapp" and self.references is None:
                        continue
                    found = self.run(app, path, script, 32, self.args.seconds)
                    self.results["runs"].setdefault(name, {}).setdefault(app, []).append(found)
                    print(f"round {round_number + 1} {name:<13} {app:<8} {found['rps']:>8.0f} req/s"
                          f"  p99 {found['p99']:.1f} ms  non-2xx {found['non_2xx']}"
                          f"  socket errors {found['socket_errors']}", flush=True)

    def fixed_rate(self, table: list[tuple[str, dict]]) -> None:
        for name, apps in table:
            if name in ("create", "update", "mix"):
                continue
            for app in ("zipapp", "fastapi"):
                if app not in apps or (app != "zipapp" and self.references is None):
                    continue
                base, headers = self.target(app)
                found = open_loop.fixed_rate(int(base.rsplit(":", 1)[1]), apps[app][0], rate=100,
                                             seconds=self.args.seconds, headers=headers)
                self.results["fixed_rate"].setdefault(name, {})[app] = found
                print(f"100 req/s {name:<13} {app:<8} p50 {found['p50'] or 0:.1f} ms  p99 "
                      f"{found['p99'] or 0:.1f} ms  slowest {found['slowest']:.0f} ms  non-2xx "
                      f"{found['non_2xx']} {found['errors']}", flush=True)

    def many_connections(self) -> None:
        for connections in (64, 128):
            for name, path, script in (("by-date", f"/missions/by-date/{BUSY}", None),
                                       ("mix", "/", "mix.lua")):
                found = self.run("zipapp", path, script, connections, self.args.seconds)
                self.results["connections"][f"{name} c{connections}"] = found
                print(f"{connections} connections {name:<8} {found['rps']:>8.0f} req/s  p99 "
                      f"{found['p99']:.1f} ms  non-2xx {found['non_2xx']}  socket errors "
                      f"{found['socket_errors']}", flush=True)

    def big_pages(self) -> None:
        found = self.run("zipapp", BIG_PAGE, None, 64, self.args.seconds)
        self.results["connections"]["1,000-mission pages c64"] = found
        print(f"64 connections, pages of 1,000 missions: {found['rps']:.1f} req/s p99 {found['p99']:.0f} ms "
              f"non-2xx {found['non_2xx']}", flush=True)

    def main(self) -> None:
        os.makedirs(os.path.join(self.work, "zipapp"))
        server = Server(self.args.pyz, os.path.join(self.work, "zipapp"))
        print("seeding through the API...", flush=True)
        started = time.monotonic()
        wrk_seed.seed_through_api(server.port, server.admin)
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        server.stop()
        data = os.path.join(self.work, "zipapp", "data", "tomatoplan.db")
        self.references = None if self.args.no_references else References(self.work, data)
        if self.args.size:
            shutil.copytree(os.path.join(self.work, "zipapp"), os.path.join(self.work, "big"))
        self.zipapp = Server(self.args.pyz, os.path.join(self.work, "zipapp"))
        self.token = self.zipapp.user("BENCH.PLANNER", "planner_advanced")
        chauffeur_id = wrk_seed.Api(self.zipapp.port, self.token).call("GET", "/chauffeurs?limit=1")[0]["id"]
        self.mix = mix_file(self.work, chauffeur_id)
        time.sleep(2)
        self.results["memory"]["at rest"] = wrk_tools.memory(self.zipapp.process.pid)["rss_mib"]
        wrk_tools.reset_peak(self.zipapp.process.pid)
        try:
            table = [(name, apps) for name, apps in scenarios(chauffeur_id)
                     if not self.args.only or name in self.args.only]
            self.rounds(table)
            self.fixed_rate(table)
            if self.args.only:
                return
            self.many_connections()
            self.results["memory"]["peak, scenarios"] = wrk_tools.memory(self.zipapp.process.pid)["peak_mib"]
            self.big_pages()
            self.results["memory"]["peak, 1,000-mission pages"] = wrk_tools.memory(
                self.zipapp.process.pid)["peak_mib"]
            if self.args.size:
                self.size(chauffeur_id)
        finally:
            self.zipapp.stop()
            if self.references is not None:
                self.references.stop()
        if not self.args.only:
            self.results["start"] = start_times(self.args.pyz, self.work)

    def size(self, chauffeur_id: int) -> None:
        folder = os.path.join(self.work, "big")
        added = wrk_seed.grow_through_sql(os.path.join(folder, "data", "tomatoplan.db"), self.args.size)
        print(f"grown through SQL by {added} missions", flush=True)
        big = Server(self.args.pyz, folder)
        token = big.user("BENCH.BIG", "planner_advanced")
        small = (self.zipapp.port, self.token)
        try:
            for _ in range(self.args.rounds):
                for label, (port, key) in (("20,000", small), (f"{self.args.size:,}", (big.port, token))):
                    for name, path in (("by-date", f"/missions/by-date/{BUSY}"),
                                       ("availability", f"/chauffeurs/disponibles/{BUSY}")):
                        found = wrk_tools.wrk(f"http://127.0.0.1:{port}{path}", connections=32,
                                              seconds=self.args.seconds,
                                              headers={"Authorization": f"Bearer {key}"})
                        sizes = self.results.setdefault("size", {}).setdefault(name, {})
                        sizes.setdefault(label, []).append(found)
                        print(f"{label:>10} missions {name:<13} {found['rps']:>8.0f} req/s", flush=True)
        finally:
            big.stop()


def median(runs: list, key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(results: dict) -> str:
    runs = results["runs"]
    lines = ["| scénario | zipapp req/s (p99 ms) | FastAPI + SQLAlchemy | aiohttp nu "
             "| zipapp / FastAPI | zipapp / nu |", "|---|---|---|---|---|---|"]
    for name, apps in runs.items():
        zipapp = median(apps["zipapp"], "rps")
        cells = [f"{zipapp:,.0f} ({median(apps['zipapp'], 'p99'):.0f})"]
        fastapi = median(apps["fastapi"], "rps") if "fastapi" in apps else None
        bare_name = "ceiling" if "ceiling" in apps else "bare"
        bare = median(apps[bare_name], "rps") if bare_name in apps else None
        cells.append(f"{fastapi:,.0f} ({median(apps['fastapi'], 'p99'):.0f})" if fastapi else "")
        label = " (JSON par SQLite)" if bare_name == "ceiling" else ""
        cells.append(f"{bare:,.0f}{label}" if bare else "")
        cells.append(f"{zipapp / fastapi:.2f}" if fastapi else "")
        cells.append(f"{zipapp / bare:.2f}" if bare else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "by-date" in runs and "bare" in runs["by-date"]:
        dicts = median(runs["by-date"]["bare"], "rps")
        lines.append(f"\naiohttp nu, by-date en dicts + json.dumps : {dicts:,.0f} req/s")
    lines.append("\n100 req/s fixes (p99 ms) : " + ", ".join(
        f"{name} {apps['zipapp']['p99'] or 0:.1f}" for name, apps in results["fixed_rate"].items()))
    lines.append("Connexions : " + ", ".join(
        f"{name} {found['rps']:,.0f} req/s, {found['non_2xx'] + found['socket_errors']} erreurs"
        for name, found in results["connections"].items()))
    lines.append("Mémoire (Mio) : " + ", ".join(f"{name} {value:.0f}"
                                                for name, value in results["memory"].items()))
    for name, sizes in results.get("size", {}).items():
        small, big = (median(runs_, "rps") for runs_ in sizes.values())
        lines.append(f"{name} : {small:,.0f} req/s à 20 000 missions, {big:,.0f} à {list(sizes)[1]} "
                     f"(x{small / big:.2f})")
    lines.append("Démarrage jusqu'au premier /health (s) : " + ", ".join(
        f"{version} {seconds:.2f}" for version, seconds in results.get("start", {}).items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyz", help="an archive already built (default: build dist/tomatoplan.pyz)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=0, help="also measure on this many missions")
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO",
                        help="only these scenarios, and none of the later parts (connections, "
                             "memory, --size, start time)")
    parser.add_argument("--out", default="bench-wrk.json")
    args = parser.parse_args()
    wrk_tools.require_tools()
    if args.pyz:
        args.pyz = os.path.abspath(args.pyz)
    else:
        subprocess.run([sys.executable, os.path.join(ROOT, "build_zipapp.py")], check=True)
        args.pyz = os.path.join(ROOT, "dist", "tomatoplan.pyz")
    work = tempfile.mkdtemp(prefix="tomatoplan-wrk-")
    bench = Bench(args, work)
    try:
        bench.main()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with open(args.out, "w") as handle:  # what was measured, even when a later part failed
            json.dump(bench.results, handle, indent=1)
    bench.results["machine"] = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                                "python": platform.python_version(), "platform": platform.platform()}
    with open(args.out, "w") as handle:
        json.dump(bench.results, handle, indent=1)
    print(report(bench.results))


if __name__ == "__main__":
    main()
