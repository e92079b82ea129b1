"""Schemathesis against the built zipapp, once per role: its default checks (no 5xx, answers
as documented, schema-valid requests accepted, invalid ones refused, the event stream's
messages as declared) and its stateful phase, with zero failures.

Bounded: TOMATOPLAN_TEST_FUZZ_SECONDS (60 by default; a few minutes for a thorough run), the
six roles at once. The rules JSON Schema cannot state (a period's end after its start) and the accounts
the run must keep are in tests/helpers/fuzz_hooks.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tests.helpers.zipapp import free_port, get_json, start_server, stop_server, wait_for_health
from tomatoplan.base.permissions import ROLES

pytestmark = pytest.mark.zipapp

FUZZ_SECONDS = int(os.environ.get("TOMATOPLAN_TEST_FUZZ_SECONDS", "60"))
CONFIG = ROOT / "tests" / "helpers" / "schemathesis.toml"
SCHEMATHESIS = shutil.which("schemathesis", path=os.path.dirname(sys.executable))


@pytest.fixture(scope="module")
def fuzzed_server(pyz, tmp_path_factory):
    """One server for every role's run, with one account (and token) per role."""
    if SCHEMATHESIS is None:
        pytest.skip("schemathesis is not installed (it needs Python 3.10+; pip install -e '.[test]')")
    workdir = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    with open(workdir / "server.out", "wb") as output:
        process = start_server(sys.executable, pyz, workdir, port, output)
        try:
            wait_for_health(process, port)
            status, admin = get_json(port, "/auth/login", body={"username": "ADMIN"})
            assert status == 200, admin
            tokens, users, sessions = {}, {admin["user"]["id"]}, set()  # type: ignore[index]
            for role in ROLES:
                status, user = get_json(port, "/admin/users", token=admin["access_token"],
                                        body={"username": f"FUZZ.{role}", "role": role})
                assert status == 201, user
                status, login = get_json(port, "/auth/login", body={"username": f"FUZZ.{role}"})
                assert status == 200, login
                tokens[role] = login["access_token"]  # type: ignore[index]
                users.add(user["id"])  # type: ignore[index]
                status, me = get_json(port, "/auth/me", token=tokens[role])
                sessions.add(me["session"]["id"])  # type: ignore[index]
            yield port, workdir, tokens, users, sessions
        finally:
            code = stop_server(process)
    assert code == 0


def test_schemathesis_finds_nothing_for_any_role(fuzzed_server):
    port, workdir, tokens, users, sessions = fuzzed_server
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.helpers.fuzz_hooks",
           "PYTHONPATH": str(ROOT), "FUZZ_KEPT_USERS": ",".join(map(str, sorted(users))),
           "FUZZ_KEPT_SESSIONS": ",".join(map(str, sorted(sessions)))}
    runs = {}
    for role in ROLES:  # at once: the server serves six clients, the suite waits once
        output = open(workdir / f"{role}.out", "wb")  # noqa: SIM115 (closed below)
        runs[role] = (output, subprocess.Popen(
            [SCHEMATHESIS, "--config-file", str(CONFIG), "run",
             f"http://127.0.0.1:{port}/openapi.json",
             "--header", f"Authorization: Bearer {tokens[role]}",
             "--exclude-path", "/auth/logout",  # would end the run's own session
             "--max-time", str(FUZZ_SECONDS), "--seed", "20240115",
             # One worker per role: hypothesis's threads trip a CPython 3.11.7 bug in ast.parse
             # ("AST constructor recursion depth mismatch"); the six roles run side by side.
             "--workers", "1"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
    failed = {}
    for role, (output, process) in runs.items():
        try:
            code = process.wait(timeout=FUZZ_SECONDS * 3 + 120)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        output.close()
        if code != 0:
            failed[role] = (workdir / f"{role}.out").read_text("utf-8", "replace")[-15000:]
    assert not failed, "\n\n".join(f"===== {role} =====\n{text}" for role, text in failed.items())
