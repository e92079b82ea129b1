"""What hostile clients cost the others, measured against the built zipapp on loopback.

    python3 tests/benchmarks/bench_hostile.py [--pyz dist/tomatoplan.pyz] [--only NAME ...]

Each scenario starts its own server (`python3 -I tomatoplan.pyz`, in a temporary folder) and
compares what a well-behaved client gets while the hostile ones are there with what it gets
in the same run without them (the ratio is what to compare between runs on a shared machine):

- half-open: 1,100 sockets that send a request line, `Content-Length: 100` and one byte, then
  nothing (plus 200 with half a header and 200 with nothing sent): /health and a logged-in
  GET /missions latency while they are held, how many the server closed, the log lines.
- bad-tokens: 10,000 GET /missions with `Authorization: Bearer x.y.z` (8 clients): the
  activity-log rows they wrote, and a planner's POST /missions median during the flood.
- full-disk: the database on a 4 MiB tmpfs (root only), missions written until the disk is
  full: the answers, /health, and the log lines per burst.
- sigterm: 50 /events readers that never read, 2,000 writes, then SIGTERM: time to exit.

Loopback only, every loop bounded; the client raises its own open-file limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One zipapp server in its own folder; `settings` are TOMATOPLAN_* variables."""

    def __init__(self, pyz: str, workdir: str, **settings: str):
        self.port = free_port()
        self.workdir = workdir
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
        env.update(TOMATOPLAN_PORT=str(self.port), TOMATOPLAN_HOST="127.0.0.1",
                   TOMATOPLAN_AUTO_BACKUP_ENABLED="false",
                   **{f"TOMATOPLAN_{key}": value for key, value in settings.items()})
        self.output = open(os.path.join(workdir, "server.out"), "wb")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-I", pyz], cwd=workdir, env=env,
                                        stdin=subprocess.DEVNULL, stdout=self.output,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                with open(os.path.join(workdir, "server.out"), "rb") as handle:
                    raise SystemExit(f"the server did not start: {handle.read()[-2000:]!r}")
            time.sleep(0.05)
        self.admin = self.login("ADMIN")

    def call(self, method: str, path: str, body=None, token: str = "", timeout: float = 30,
             headers: dict | None = None) -> tuple[int, object]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = {"Content-Type": "application/json", **(headers or {})}
            if token:
                sent["Authorization"] = f"Bearer {token}"
            connection.request(method, path, None if body is None else json.dumps(body), sent)
            answer = connection.getresponse()
            data = answer.read()
            try:
                return answer.status, json.loads(data) if data else None
            except ValueError:
                return answer.status, data
        finally:
            connection.close()

    def login(self, username: str) -> str:
        status, body = self.call("POST", "/auth/login", {"username": username, "hostname": "BENCH"})
        assert status == 200, body
        return body["access_token"]

    def user(self, username: str, role: str) -> str:
        status, body = self.call("POST", "/admin/users", {"username": username, "role": role},
                                 token=self.admin)
        assert status == 201, body
        return self.login(username)

    def log_text(self) -> str:
        """logs/server.log (what stderr also shows)."""
        path = os.path.join(self.workdir, "logs", "server.log")
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def log_kinds(self) -> dict:
        """Lines of server.log by logger, the access log apart."""
        kinds: dict = {}
        for line in self.log_text().splitlines():
            parts = line.split(" ", 4)
            if len(parts) > 3:
                kinds[parts[3].rstrip(":")] = kinds.get(parts[3].rstrip(":"), 0) + 1
        return kinds

    def stop(self) -> float:
        """SIGTERM; the seconds until the process is gone."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()
        return time.monotonic() - started


@contextmanager
def server(pyz: str, **settings: str):
    workdir = tempfile.mkdtemp(prefix="tomatoplan-hostile-")
    running = Server(pyz, workdir, **settings)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def latencies(run, count: int) -> dict:
    """Milliseconds of `count` calls of run() -> status (timeouts and errors counted apart)."""
    times, failures = [], 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            status = run()
        except OSError:
            status = None
        elapsed = (time.perf_counter() - started) * 1000
        if status is not None and status < 500:
            times.append(elapsed)
        else:
            failures += 1
    times.sort()
    return {"median_ms": round(statistics.median(times), 2) if times else None,
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2) if times else None,
            "max_ms": round(times[-1], 2) if times else None, "failures": failures}


def raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def half_open(pyz: str) -> dict:
    raise_open_files(4096)
    with server(pyz) as running:
        planner = running.user("BENCH.PLANNER", "planner")

        def health():
            return running.call("GET", "/health", timeout=10)[0]

        def missions():
            return running.call("GET", "/missions?limit=10", token=planner, timeout=10)[0]

        before = {"health": latencies(health, 200), "missions": latencies(missions, 200)}
        sockets = []
        kinds = [(1100, b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"),
                 (200, b"GET /health HTTP/1.1\r\nHos"), (200, b"")]
        for count, first_bytes in kinds:
            for _ in range(count):
                sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
                if first_bytes:
                    sock.sendall(first_bytes)
                sockets.append(sock)
        time.sleep(2)  # the server's sweep runs every second
        during = {"health": latencies(health, 200), "missions": latencies(missions, 200)}
        closed = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                closed += sock.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
            sock.close()
        time.sleep(1)
        return {"held_sockets": len(sockets), "closed_by_server_after_2s": closed,
                "before": before, "while_held": during,
                "ratio_health_median": round(during["health"]["median_ms"]
                                             / before["health"]["median_ms"], 2),
                "log_lines_by_logger": running.log_kinds(),
                "log_bytes": len(running.log_text().encode())}


def activity_rows(workdir: str) -> int:
    connection = sqlite3.connect(f"file:{os.path.join(workdir, 'data', 'tomatoplan.db')}?mode=ro",
                                 uri=True)
    try:
        return connection.execute("SELECT count(*) FROM activity_log").fetchone()[0]
    finally:
        connection.close()


def bad_tokens(pyz: str) -> dict:
    with server(pyz) as running:
        planner = running.user("BENCH.PLANNER", "planner")
        day = iter(range(10**6))

        def create():
            return running.call("POST", "/missions", {"date_mission": "2024-01-15",
                                                      "destination": f"Lyon {next(day)}"},
                                token=planner)[0]

        alone = latencies(create, 100)
        rows_before = activity_rows(running.workdir)
        statuses: dict = {}
        lock = threading.Lock()

        def flood(count: int, path: str = "/missions", headers=None) -> None:
            if headers is None:
                headers = {"Authorization": "Bearer x.y.z"}
            connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
            for _ in range(count):
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                with lock:
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if answer.will_close:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
            connection.close()

        # The same flood of valid anonymous requests (GET /health): what any 8 busy clients
        # cost a planner on this machine, the baseline for the bad tokens' cost.
        threads = [threading.Thread(target=flood, args=(1250, "/health", {})) for _ in range(8)]
        for thread in threads:
            thread.start()
        during_health = latencies(create, 100)
        for thread in threads:
            thread.join()
        statuses.clear()
        rows_before = activity_rows(running.workdir)
        started = time.monotonic()
        threads = [threading.Thread(target=flood, args=(1250,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        during = latencies(create, 100)
        for thread in threads:
            thread.join()
        flood_seconds = time.monotonic() - started
        time.sleep(2.5)  # the tally is written once a second
        rows_after = activity_rows(running.workdir)
        return {"bad_token_requests": sum(statuses.values()), "statuses": statuses,
                "flood_seconds": round(flood_seconds, 1),
                "activity_rows_written": rows_after - rows_before - 100,  # minus the creates
                "post_missions_alone": alone, "post_missions_during_health_flood": during_health,
                "post_missions_during_flood": during,
                "ratio_median_to_alone": round(during["median_ms"] / alone["median_ms"], 2),
                "ratio_median_to_health_flood": round(during["median_ms"]
                                                      / during_health["median_ms"], 2)}


def full_disk(pyz: str) -> dict:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return {"skipped": "needs root to mount a 4 MiB tmpfs"}
    mountpoint = tempfile.mkdtemp(prefix="tomatoplan-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountpoint], check=True)
    try:
        with server(pyz, DATABASE_PATH=os.path.join(mountpoint, "tomatoplan.db"),
                    BACKUP_DIR=os.path.join(tempfile.gettempdir(), "tomatoplan-hostile-backups"),
                    SQLITE_SYNCHRONOUS="NORMAL") as running:
            planner = running.user("BENCH.PLANNER", "planner")
            statuses: dict = {}
            first_refusal = None
            remarques = "x" * 1900
            for index in range(20000):
                status, body = running.call("POST", "/missions", {
                    "date_mission": "2024-01-15", "destination": f"Lyon {index}",
                    "remarques": remarques}, token=planner)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400 and first_refusal is None:
                    first_refusal = body
                if statuses.get(507, 0) >= 200:
                    break
            health_status, health = running.call("GET", "/health")
            read_status, _ = running.call("GET", "/missions?limit=5", token=planner)
            log = running.log_text()
            return {"answers": statuses, "first_refusal": first_refusal,
                    "health": {"status": health_status, "body": health},
                    "read_while_full": read_status,
                    "log_lines_about_the_disk": [line for line in log.splitlines()
                                                 if "disk" in line.lower()][:5],
                    "log_lines_by_logger": running.log_kinds(),
                    "tracebacks_in_log": log.count("Traceback")}
    finally:
        subprocess.run(["umount", mountpoint], check=False)
        os.rmdir(mountpoint)


def sigterm(pyz: str) -> dict:
    raise_open_files(4096)
    with server(pyz) as running:
        planner = running.user("BENCH.PLANNER", "planner")
        readers = []
        tokens = [running.login("ADMIN") for _ in range(10)]  # 5 streams a session (8 allowed)
        for index in range(50):
            token = tokens[index % 10]
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", running.port))
            sock.sendall(f"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                         .encode())
            readers.append(sock)  # never read
        for index in range(2000):
            running.call("POST", "/missions", {"date_mission": "2024-01-15",
                                               "destination": f"Lyon {index}", "remarques": "x" * 1500},
                         token=planner)
        open_before = sum(_still_open(sock) for sock in readers)
        seconds = running.stop()
        for sock in readers:
            sock.close()
        return {"stalled_readers": len(readers), "still_open_at_sigterm": open_before,
                "writes": 2000, "sigterm_to_exit_s": round(seconds, 2),
                "exit_code": running.process.returncode}


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


SCENARIOS = {"half-open": half_open, "bad-tokens": bad_tokens, "full-disk": full_disk,
             "sigterm": sigterm}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyz", default=os.path.join(ROOT, "dist", "tomatoplan.pyz"))
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    if not os.path.exists(args.pyz):
        subprocess.run([sys.executable, os.path.join(ROOT, "build_zipapp.py")], check=True)
    for name in args.only or SCENARIOS:
        result = SCENARIOS[name](args.pyz)
        print(json.dumps({name: result}, ensure_ascii=False, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
