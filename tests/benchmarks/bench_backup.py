"""Backup and restore of a database of a million missions, and what they do to the reads meanwhile.

    python3 tests/benchmarks/bench_backup.py [--missions 1000000] [--runs 3] [--readers 4]
                                             [--pyz dist/tomatoplan.pyz] [--keep-log FILE]

Builds the database with bench_dashboard's builder (about 1,000 missions a day), starts the real
server on loopback (from the checkout, or the zipapp with --pyz; nightly backup off) and measures:

1. POST /admin/backups: wall time, median of --runs backups with nothing else running, and the
   size of the backup file;
2. POST /admin/backups/restore/{name} of that backup: wall time, median of --runs, and the
   answer's own "seconds"; a restore first backs up the current state: that share is estimated
   by the median of 1 (and read from the server log when the server logs it);
3. GET /missions/by-date/{day} (a day of the data, every day holds the same number of missions)
   by --readers threads in a closed loop: p50 and p99 while a backup runs, against the same
   readers with nothing running, windows interleaved in the same run (baseline, backup,
   baseline, ...), and the ratio p99(backup)/p99(baseline);
4. the same readers while a restore runs: non-200 answers, wrong mission counts, p50 and p99.

Each window also counts the reads slower than --stall-ms: a few reads stalled for tens of
seconds hide below a p99 of thousands. The readers and the backups share one session, ADMIN's.

Ratios between figures of the same run are what to compare between runs on a shared, noisy
machine. Loopback only; every loop is bounded (requests per window, seconds per window, a
timeout per request); the server is stopped (SIGTERM) and the temporary folder removed even
on failure. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_dashboard import build_database, free_port  # noqa: E402

ADMIN = "ADMIN"
LOG_LEVELS = re.compile(r" (WARNING|ERROR|CRITICAL) ")


class BenchError(RuntimeError):
    """The server did something the benchmark cannot go on from (a 500, a failed restore...)."""


class Server:
    """The server under test, on loopback, in a working folder of its own."""

    def __init__(self, workdir: str, database: str, pyz: Optional[str], request_timeout: float):
        self.workdir = workdir
        self.port = free_port()
        self.request_timeout = request_timeout
        self.token = ""
        self.log_path = os.path.join(workdir, "logs", "server.log")
        self.stderr_path = os.path.join(workdir, "server.stderr")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
        env.update(TOMATOPLAN_PORT=str(self.port), TOMATOPLAN_HOST="127.0.0.1",
                   TOMATOPLAN_DATABASE_PATH=database, TOMATOPLAN_AUTO_BACKUP_ENABLED="false",
                   TOMATOPLAN_LOG_LEVEL="INFO", PYTHONPATH=ROOT)
        command = ([sys.executable, "-I", os.path.abspath(pyz)] if pyz
                   else [sys.executable, "-m", "tomatoplan"])
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                            stdout=stderr, stderr=stderr)

    def call(self, method: str, path: str, body: Any = None, timeout: Optional[float] = None,
             ) -> tuple[int, dict, bytes]:
        """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(  # noqa: S310 (loopback http)
                    request, timeout=timeout or self.request_timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def expect(self, status: int, method: str, path: str, timeout: Optional[float] = None) -> Any:
        got, _, body = self.call(method, path, timeout=timeout)
        if got != status:
            raise BenchError(f"{method} {path} answered {got} (expected {status}): "
                             f"{body[:500].decode('utf-8', 'replace')}")
        return json.loads(body) if body else None

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.call("GET", "/health", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise BenchError(f"the server exited at start (status {self.process.returncode})")
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not answer /health in {seconds:.0f} s")
            time.sleep(0.2)

    def login(self) -> None:
        status, _, body = self.call("POST", "/auth/login", {"username": ADMIN}, timeout=30)
        if status != 200:
            raise BenchError(f"login answered {status}: {body[:300]!r}")
        self.token = json.loads(body)["access_token"]

    def stop(self) -> Optional[int]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                print("the server did not stop in 120 s after SIGTERM: killed", file=sys.stderr)
                self.process.kill()
                self.process.wait(timeout=30)
        return self.process.returncode

    def log_text(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""


class Readers:
    """--readers threads reading one day's missions in a closed loop, one window at a time."""

    def __init__(self, server: Server, day: str, expected_total: str, readers: int, pause: float,
                 max_requests: int, read_timeout: float):
        self.server = server
        self.path = f"/missions/by-date/{day}"
        self.expected_total = expected_total
        self.readers = readers
        self.pause = pause
        self.max_requests = max_requests
        self.read_timeout = read_timeout

    def read_once(self) -> tuple[float, int, bool]:
        """(milliseconds, status (0: no answer), whether the mission count is the expected one)."""
        started = time.perf_counter()
        try:
            status, headers, _ = self.server.call("GET", self.path, timeout=self.read_timeout)
        except OSError:
            status, headers = 0, {}
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, status, status != 200 or headers.get("X-Total-Count") == self.expected_total

    def window(self, kind: str, seconds: float, action: Optional[Callable[[], Any]] = None,
               action_timeout: float = 0.0) -> tuple[dict, Any]:
        """Read for `seconds`, or for as long as `action` runs; (the window, what action gave)."""
        stop = threading.Event()
        lock = threading.Lock()
        left = [self.max_requests]
        exhausted: list[float] = []  # when the request budget ran out, if it did
        samples: list[tuple[float, int, bool]] = []
        deadline = time.monotonic() + (seconds if action is None else action_timeout)

        def read_loop() -> None:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        if not exhausted:
                            exhausted.append(time.perf_counter())
                        return
                    left[0] -= 1
                samples.append(self.read_once())
                if self.pause:
                    stop.wait(self.pause)

        threads = [threading.Thread(target=read_loop, daemon=True) for _ in range(self.readers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        result = None
        try:
            if action is None:
                stop.wait(seconds)
            else:
                result = action()
        finally:
            stop.set()
            for thread in threads:
                thread.join(self.read_timeout + 5)
        ended = time.perf_counter()
        window = {"kind": kind, "seconds": ended - started, "samples": samples,
                  "uncovered": ended - exhausted[0] if exhausted else 0.0}
        return window, result


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def make_backup(server: Server, label: str, timeout: float) -> tuple[float, dict]:
    """(seconds, answer) of one POST /admin/backups."""
    query = urllib.parse.urlencode({"description": f"bench_backup {label}"})
    return timed(lambda: server.expect(201, "POST", f"/admin/backups?{query}", timeout=timeout))


def restore(server: Server, name: str, timeout: float) -> tuple[float, dict]:
    """(seconds, answer) of one POST /admin/backups/restore/{name}."""
    return timed(lambda: server.expect(200, "POST", f"/admin/backups/restore/{name}", timeout=timeout))


def delete_backup(server: Server, name: str) -> None:
    """Keep the disk bounded: the backups a measure made are not needed afterwards."""
    server.expect(204, "DELETE", f"/admin/backups/{name}", timeout=60)


def server_seconds(log: str, name: str, trigger: str) -> Optional[float]:
    """What the server log says the backup `name` took ("backup NAME (TRIGGER) made in N s")."""
    found = re.search(rf"backup {re.escape(name)} \({re.escape(trigger)}\) made in ([0-9.]+) s", log)
    return float(found.group(1)) if found else None


def runs_text(values: list[float], unit: str = "s") -> str:
    return ", ".join(f"{value:.2f}" for value in values) + f" {unit}"


def summary(windows: list[dict], stall_ms: float) -> dict:
    samples = [sample for window in windows for sample in window["samples"]]
    ok = [ms for ms, status, _ in samples if status == 200]
    seconds = sum(window["seconds"] for window in windows)
    covered = seconds - sum(window["uncovered"] for window in windows)
    return {
        "windows": len(windows), "reads": len(samples), "ok": len(ok),
        "non_200": sum(1 for _, status, _ in samples if status != 200),
        "no_answer": sum(1 for _, status, _ in samples if status == 0),
        "wrong_count": sum(1 for _, _, right in samples if not right),
        "capped": sum(1 for window in windows if window["uncovered"] > 0),
        "uncovered": sum(window["uncovered"] for window in windows),
        "seconds": seconds, "per_second": len(samples) / covered if covered > 0 else 0.0,
        "p50": percentile(ok, 0.50) if ok else float("nan"),
        "p99": percentile(ok, 0.99) if ok else float("nan"),
        "max": max(ok) if ok else float("nan"),
        "stalled": sum(1 for ms, _, _ in samples if ms > stall_ms), "stall_ms": stall_ms,
    }


def reads_line(label: str, found: dict) -> str:
    line = (f"  {label:<22} {found['reads']:5d} reads in {found['windows']} window(s), "
            f"{found['seconds']:6.1f} s, {found['per_second']:5.1f}/s  p50 {found['p50']:7.1f} ms  "
            f"p99 {found['p99']:7.1f} ms  max {found['max']:7.1f} ms  non-200 {found['non_200']}")
    if found["no_answer"]:
        line += f" (no answer {found['no_answer']})"
    if found["stalled"]:
        line += f"  STALLED (> {found['stall_ms']:.0f} ms) {found['stalled']}"
    if found["wrong_count"]:
        line += f"  wrong mission count {found['wrong_count']}"
    if found["capped"]:
        line += (f"  [{found['capped']} window(s) cut by --max-requests: the last "
                 f"{found['uncovered']:.1f} s without readers]")
    return line


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"


def measure(server: Server, args: argparse.Namespace, day: str, db_size: int) -> None:
    status, headers, body = server.call("GET", f"/missions/by-date/{day}", timeout=args.read_timeout)
    if status != 200:
        raise BenchError(f"GET /missions/by-date/{day} answered {status}: {body[:300]!r}")
    expected = headers.get("X-Total-Count", "")
    print(f"read: GET /missions/by-date/{day}: {expected} missions, {len(body) / 1024:.0f} KiB of JSON")
    readers = Readers(server, day, expected, args.readers, args.pause, args.max_requests,
                      args.read_timeout)
    for _ in range(3):  # warm the page cache and the server
        readers.read_once()

    # 1. Backups with nothing else running.
    quiet = []
    for run in range(args.runs):
        seconds, made = make_backup(server, f"quiet {run + 1}", args.timeout)
        quiet.append((seconds, made))
    backup_times = [seconds for seconds, _ in quiet]
    source = quiet[-1][1]
    backup_median = statistics.median(backup_times)
    log = server.log_text()
    on_server = [server_seconds(log, made["name"], "manuel") for _, made in quiet]
    print(f"backup (nothing else running)  median {backup_median:6.2f} s  runs {runs_text(backup_times)}"
          f"  file {source['size'] / 2**20:.1f} MiB ({source['size']} bytes; database "
          f"{db_size / 2**20:.1f} MiB)")
    if all(value is not None for value in on_server):
        print(f"  server log says            median {statistics.median(on_server):6.2f} s  "
              f"runs {runs_text(on_server)} (rounded to 0.1 s)")
    for _, made in quiet[:-1]:
        delete_backup(server, made["name"])

    # 3. Reads: baseline, backup, baseline, backup, ..., baseline.
    length = min(max(backup_median, args.min_window), args.max_window)
    baselines, during = [], []
    loaded_backups = []
    window, _ = readers.window("baseline", length)
    baselines.append(window)
    for run in range(args.runs):
        window, (seconds, made) = readers.window(
            "backup", 0, lambda run=run: make_backup(server, f"under reads {run + 1}", args.timeout),
            action_timeout=args.timeout)
        during.append(window)
        loaded_backups.append(seconds)
        delete_backup(server, made["name"])
        window, _ = readers.window("baseline", length)
        baselines.append(window)
    base, busy = summary(baselines, args.stall_ms), summary(during, args.stall_ms)
    mode = "closed loop" if not args.pause else f"{args.pause * 1000:.0f} ms pause between reads"
    print(f"reads while a backup runs: {args.readers} reader threads ({mode}), baseline windows of "
          f"{length:.1f} s interleaved")
    print(reads_line("baseline", base))
    print(reads_line("during backup", busy))
    print(f"  ratio p99(during backup)/p99(baseline) {ratio(busy['p99'], base['p99'])}  "
          f"p50 ratio {ratio(busy['p50'], base['p50'])}  throughput ratio "
          f"{ratio(busy['per_second'], base['per_second'])}")
    print(f"  backup while reads run      median {statistics.median(loaded_backups):6.2f} s  runs "
          f"{runs_text(loaded_backups)}  ratio to nothing running "
          f"{ratio(statistics.median(loaded_backups), backup_median)}")

    # 2. Restores of the first backup, nothing else running.
    walls, copies, befores = [], [], []
    for _ in range(args.runs):
        wall, report = restore(server, source["name"], args.timeout)
        walls.append(wall)
        copies.append(float(report["seconds"]))
        befores.append(server_seconds(server.log_text(), report["before"], "avant_restauration"))
        delete_backup(server, report["before"])
    wall_median = statistics.median(walls)
    print(f"restore (nothing else running) median {wall_median:6.2f} s  runs {runs_text(walls)}  "
          f"(backup {source['name']}, {report['counts']['missions']} missions)")
    print(f"  answer 'seconds' (the server's own count, up to just before COMMIT) "
          f"median {statistics.median(copies):.1f} s  runs {runs_text(copies)}")
    if all(value is not None for value in befores):
        before_median = statistics.median(befores)
        print(f"  pre-restore backup, server log  median {before_median:.1f} s  runs {runs_text(befores)}"
              f"  = {before_median / wall_median:.0%} of the restore")
    print(f"  pre-restore backup, estimate (median quiet backup of this run) {backup_median:.2f} s = "
          f"{backup_median / wall_median:.0%} of the restore; the rest (checking and preparing the "
          f"backup file, replacing the planning, COMMIT, HTTP) {wall_median - backup_median:.2f} s")

    # 4. Reads while a restore runs, between two baseline windows.
    restore_base, restoring, restore_walls = [], [], []
    window, _ = readers.window("baseline", length)
    restore_base.append(window)
    for _ in range(args.restore_read_runs):
        window, (wall, report) = readers.window(
            "restore", 0, lambda: restore(server, source["name"], args.timeout),
            action_timeout=args.timeout)
        restoring.append(window)
        restore_walls.append(wall)
        delete_backup(server, report["before"])
        window, _ = readers.window("baseline", length)
        restore_base.append(window)
    base, busy = summary(restore_base, args.stall_ms), summary(restoring, args.stall_ms)
    print(f"reads while a restore runs: {args.readers} reader threads ({mode})")
    print(reads_line("baseline", base))
    print(reads_line("during restore", busy))
    print(f"  ratio p99(during restore)/p99(baseline) {ratio(busy['p99'], base['p99'])}  "
          f"p50 ratio {ratio(busy['p50'], base['p50'])}  reads kept succeeding: "
          f"{'yes' if busy['non_200'] == 0 and busy['ok'] else 'NO'}, without stalling: "
          f"{'yes' if busy['stalled'] == 0 else 'NO'}")
    print(f"  restore while reads run     median {statistics.median(restore_walls):6.2f} s  runs "
          f"{runs_text(restore_walls)}  ratio to nothing running "
          f"{ratio(statistics.median(restore_walls), wall_median)}")


def report_log(server: Server, keep: Optional[str], limit: int = 30) -> None:
    """Warnings and errors of the server log (the first `limit`), and the copy asked for."""
    text = server.log_text()
    problems = [line for line in text.splitlines() if LOG_LEVELS.search(line) or "Traceback" in line]
    print(f"server log: {len(text.splitlines())} lines, {len(problems)} WARNING/ERROR/CRITICAL")
    for line in problems[:limit]:
        print(f"  {line}")
    if keep and os.path.exists(server.log_path):
        shutil.copyfile(server.log_path, keep)
        print(f"server log kept in {keep}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--missions", type=int, default=1_000_000, help="missions in the database")
    parser.add_argument("--runs", type=int, default=3,
                        help="backups, backup windows and restores measured (medians of these)")
    parser.add_argument("--readers", type=int, default=4, help="concurrent reader threads")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each reader waits between two reads (0: closed loop)")
    parser.add_argument("--max-requests", type=int, default=20000, help="reads at most per window")
    parser.add_argument("--min-window", type=float, default=2.0, help="baseline window, at least (s)")
    parser.add_argument("--max-window", type=float, default=60.0,
                        help="baseline window, at most (s; otherwise as long as a quiet backup)")
    parser.add_argument("--restore-read-runs", type=int, default=1,
                        help="restores measured with the readers running")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="timeout of one backup or restore request (s)")
    parser.add_argument("--read-timeout", type=float, default=60.0, help="timeout of one read (s)")
    parser.add_argument("--stall-ms", type=float, default=1000.0,
                        help="a read slower than this is counted as stalled (p99 can hide a few)")
    parser.add_argument("--pyz", help="run this zipapp instead of the checkout")
    parser.add_argument("--keep-log", metavar="FILE", help="copy the server log there before cleanup")
    args = parser.parse_args()
    # SIGTERM too ends in the cleanup below (the server stopped, the folder removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if min(args.missions, args.runs, args.readers, args.max_requests, args.restore_read_runs) < 1:
        parser.error("--missions, --runs, --readers, --max-requests and --restore-read-runs must be >= 1")

    with tempfile.TemporaryDirectory(prefix="bench_backup-") as workdir:
        database = os.path.join(workdir, "data", "tomatoplan.db")
        os.makedirs(os.path.dirname(database))
        started = time.perf_counter()
        day = build_database(database, args.missions).isoformat()
        db_size = os.path.getsize(database)
        print(f"database: {args.missions} missions, {db_size / 2**20:.0f} MiB, built in "
              f"{time.perf_counter() - started:.1f} s")
        server = Server(workdir, database, args.pyz, args.timeout)
        print(f"server: {'zipapp ' + args.pyz if args.pyz else 'checkout'}, Python "
              f"{platform.python_version()}, {os.cpu_count()} CPU(s), loopback port {server.port}")
        failed = True
        try:
            server.wait_ready(300)
            server.login()
            measure(server, args, day, db_size)
            failed = False
        except BenchError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
        finally:
            code = server.stop()
            if code not in (0, None):
                print(f"server exit status {code}", file=sys.stderr)
            if failed:
                with open(server.stderr_path, encoding="utf-8", errors="replace") as handle:
                    tail = handle.read().splitlines()[-40:]
                print("server stderr, last lines:", *tail, sep="\n  ", file=sys.stderr)
            report_log(server, args.keep_log)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
