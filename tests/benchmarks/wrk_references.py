"""The reference apps of bench_wrk in their own venv, and the zipapp's start time on every
Python found."""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import time

from bench_hostile import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "reference")
VENV = os.environ.get("TOMATOPLAN_BENCH_VENV", os.path.expanduser("~/.cache/tomatoplan/bench-venv"))


def wait_for(port: int, path: str, process: subprocess.Popen, seconds: float = 60) -> float:
    """Poll until `path` answers 200; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            time.sleep(0.01)
        finally:
            connection.close()
    raise SystemExit(f"{process.args} did not answer {path} within {seconds} s")


def venv_python() -> str:
    """The venv of the references (created and installed from requirements.txt if needed)."""
    python = os.path.join(VENV, "bin", "python")
    marker = os.path.join(VENV, "requirements.txt")
    wanted = os.path.join(REFERENCE, "requirements.txt")
    with open(wanted) as handle:
        requirements = handle.read()
    if os.path.exists(marker):
        with open(marker) as handle:
            if handle.read() == requirements:
                return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", wanted], check=True)
    shutil.copyfile(wanted, marker)
    return python


class References:
    """bare.py (ports["bare"]) and fastapi_app.py (ports["fastapi"]), each on its own copy of
    the zipapp's database."""

    def __init__(self, work: str, database: str):
        python = venv_python()
        self.processes = []
        self.ports = {}
        for name, script, ready in (("bare", "bare.py", "/hello"), ("fastapi", "fastapi_app.py", "/health")):
            copy = os.path.join(work, f"{name}.db")
            shutil.copyfile(database, copy)
            port = free_port()
            process = subprocess.Popen([python, os.path.join(REFERENCE, script), "--db", copy,
                                        "--port", str(port)], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=open(copy + ".log", "wb"))  # noqa: SIM115
            self.processes.append(process)
            wait_for(port, ready, process)
            self.ports[name] = port

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def pythons() -> dict:
    """Python 3.9 to 3.13: pyenv's, else the system's python3.X."""
    found = {}
    for minor in range(9, 14):
        pattern = f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}"
        candidates = sorted(glob.glob(os.path.expanduser(pattern)))
        path = candidates[-1] if candidates else shutil.which(f"python3.{minor}")
        if path:
            found[f"3.{minor}"] = path
    return found


def start_times(pyz: str, work: str, tries: int = 3) -> dict:
    """Median seconds from starting `python -I tomatoplan.pyz` in an empty folder to its first
    200 on /health, for each Python found."""
    medians = {}
    for version, python in pythons().items():
        seconds = []
        for attempt in range(tries):
            folder = os.path.join(work, f"start-{version}-{attempt}")
            os.makedirs(folder)
            port = free_port()
            env = {key: value for key, value in os.environ.items() if not key.startswith("TOMATOPLAN_")}
            env.update(TOMATOPLAN_PORT=str(port), TOMATOPLAN_HOST="127.0.0.1",
                       TOMATOPLAN_AUTO_BACKUP_ENABLED="false")
            started = time.monotonic()
            process = subprocess.Popen([python, "-I", pyz], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(port, "/health", process)
                seconds.append(time.monotonic() - started)
            finally:
                process.terminate()
                process.wait(timeout=30)
        medians[version] = statistics.median(seconds)
        print(f"start on Python {version}: {medians[version]:.2f} s", flush=True)
    return medians
