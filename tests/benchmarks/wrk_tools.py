"""Driving wrk (Debian's package) and reading what it prints; a process's memory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "wrk")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def require_tools() -> None:
    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)}; install with: "
                         f"sudo apt-get install -y {' '.join(missing)}")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """Requests per second, latency percentiles (ms), errors of one wrk run."""
    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
             "requests": int(re.search(r"(\d+) requests in", output).group(1)),
             "non_2xx": 0, "socket_errors": 0}
    for percent in ("50", "90", "99"):
        match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.M)
        found[f"p{percent}"] = _ms(match.group(1)) if match else None
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        found["non_2xx"] = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        found["socket_errors"] = sum(int(value) for value in match.groups())
    return found


def wrk(url: str, *, seconds: float, connections: int, threads: int = 2, headers: dict | None = None,
        script: str | None = None, env: dict | None = None) -> dict:
    """One closed-loop run: `connections` keep-alive connections asking as fast as answered."""
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", os.path.join(SCRIPTS, script)]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0 or "Requests/sec" not in done.stdout:
        raise SystemExit(f"wrk failed on {url}: {done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout)


def memory(pid: int) -> dict:
    """Resident memory now and its peak since the last `reset_peak` (MiB)."""
    with open(f"/proc/{pid}/status") as handle:
        fields = dict(line.split(":", 1) for line in handle if ":" in line)
    return {"rss_mib": int(fields["VmRSS"].split()[0]) / 1024,
            "peak_mib": int(fields["VmHWM"].split()[0]) / 1024}


def reset_peak(pid: int) -> None:
    """Start VmHWM again from the current resident size (Linux 4.0+)."""
    with open(f"/proc/{pid}/clear_refs", "w") as handle:
        handle.write("5")
