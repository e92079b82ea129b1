"""Build dist/tomatoplan.pyz and run it as a sysadmin does: helpers of the zipapp and README tests.

Standard library only (subprocess, urllib): the archive is exercised from the outside. The
`pyz` fixture of tests/conftest.py builds it once per session with `build`.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Optional

import pytest

from tests.helpers import ROOT

BUILD_SCRIPT = ROOT / "build_zipapp.py"
BUILD_TIMEOUT = 900
START_TIMEOUT = 30
STOP_TIMEOUT = 15


def build(output: Path) -> Path:
    """Run build_zipapp.py (its default cache, build/cache, is shared by every build)."""
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--output", str(output)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail("build_zipapp.py failed:\n" + result.stdout.decode("utf-8", "replace"))
    return output


def _version_key(path: str) -> tuple:
    name = Path(path).parent.parent.name  # <root>/versions/3.X.Y/bin/python3.X
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.]", name))


@functools.cache
def find_python(version: str) -> Optional[str]:
    """An interpreter of that version: pyenv's, `python3.X` on PATH, or the one running us."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin",
                                               f"python{version}")),
                        key=_version_key, reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    if "{}.{}".format(*sys.version_info[:2]) == version:
        candidates.append(sys.executable)
    for candidate in candidates:
        try:
            result = subprocess.run(
                [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if result.returncode == 0 and result.stdout.decode().strip() == version:
            return candidate
    return None


def python_or_skip(version: str) -> str:
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    return python


def run_python(python: str, *args: str, cwd: Optional[Path] = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([python, *args], cwd=cwd, capture_output=True, timeout=timeout,
                          check=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# No proxy from the environment for requests to our own loopback server.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(port: int, path: str, timeout: float = 5, body: object = None,
             token: str = "", method: Optional[str] = None) -> tuple[int, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw.decode("utf-8")) if raw else None
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode("utf-8", "replace")


def server_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
    env.update(TOMATOPLAN_PORT=str(port), TOMATOPLAN_HOST="127.0.0.1")
    return env


def wait_for_health(process: subprocess.Popen, port: int) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    last_error: object = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with code {process.returncode} while starting")
        try:
            status, body = get_json(port, "/health", timeout=2)
        except (OSError, ValueError) as exc:  # not listening yet
            last_error = exc
        else:
            if status == 200:
                assert isinstance(body, dict)
                return body
            last_error = (status, body)
        time.sleep(0.05)
    pytest.fail(f"no 200 from /health within {START_TIMEOUT} s: {last_error}")


def start_server(python: str, pyz: Path, workdir: Path, port: int,
                 output: IO[bytes]) -> subprocess.Popen:
    """`python -I pyz` (serve) in workdir, on 127.0.0.1:port, its output into `output`."""
    return subprocess.Popen(
        [python, "-I", str(pyz)], cwd=workdir, env=server_env(port),
        stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
    )


def stop_server(process: subprocess.Popen) -> int:
    """SIGTERM, as systemd stops it; its exit code (killed after STOP_TIMEOUT, giving -9)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
