"""The README's examples, run in document order against the built zipapp.

What this guarantees: a newcomer who copies README.md's code blocks top to bottom, on a server
that has just started on an empty database (only the default admin `ADMIN`), succeeds.

- ```bash blocks run one by one with `bash -euo pipefail`, in a folder holding
  `dist/tomatoplan.pyz`; `curl` fails on any HTTP error (--fail-with-body).
- ```python blocks run one by one in ONE namespace (later blocks use `headers`, `token`,
  `new_mission`... of earlier ones), in a separate Python process that has `requests`.
- bash and python blocks share the server, in the README's order: each sees what the blocks
  above it left (users, ids, versions).
- ```env blocks name only variables of the README's configuration table, and the server
  starts with that `.env`.
- ```json blocks parse (they are answers: nothing to run); plain blocks are diagrams.
- `http://server:8000` in a block means the test server (127.0.0.1 and a free port).

A block is skipped only when the line just above its opening fence is
`<!-- readme-test: skip: <reason> -->` (invisible once rendered), and only for what no test can
run: the server itself (it runs until stopped), the test command (this test) and the systemd
installation (root and systemd). Each block is one test, named after its line:
`readme-L123-python`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers import ROOT
from tests.helpers.zipapp import (
    free_port,
    python_or_skip,
    start_server,
    stop_server,
    wait_for_health,
)

pytestmark = pytest.mark.zipapp

README = ROOT / "README.md"
SERVER_IN_EXAMPLES = "http://server:8000"
BLOCK_TIMEOUT = 60  # seconds, for each bash or python block
# Defined before each bash block: any HTTP error status fails the block.
BASH_PREAMBLE = 'curl() { command curl --silent --show-error --fail-with-body --max-time 20 "$@"; }'
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")

# What no test can run, and how to recognise it: every other block must run.
CANNOT_RUN = {
    "starts the server, which runs until stopped":
        re.compile(r"(^|&& )python3 dist/tomatoplan\.pyz( serve)?\s*(#.*)?$", re.M),
    "runs the test suite, this test included": re.compile(r"-m pytest\b"),
    "installs the systemd service (root, systemd)": re.compile(r"^sudo systemctl ", re.M),
    "runs the load benchmark (about 20 minutes, apt-get as root)":
        re.compile(r"^python3 tests/benchmarks/bench_wrk\.py\b", re.M),
}

FENCE = re.compile(r"^(`{3,})\s*([^`\s]*)\s*$")
MARKER = re.compile(r"^<!--\s*readme-test:(.*?)-->\s*$")
SKIP = re.compile(r"^\s*skip:(.*)$")


# ------------------------------------------------------------------------------ the blocks


@dataclasses.dataclass(frozen=True)
class Block:
    line: int  # README line of the opening fence
    lang: str  # the info string: bash, python, env, json, or "" (plain)
    text: str
    skip_reason: Optional[str] = None
    marker_problem: Optional[str] = None

    @property
    def id(self) -> str:
        return f"readme-L{self.line}-{self.lang or 'plain'}"

    def code_for(self, port: int, first_line: str = "") -> str:
        """The block with the test server's address, padded so its line numbers are README's.

        `first_line` (a preamble) takes the first line; the code starts on README line
        `self.line + 1`, so tracebacks and bash errors name README lines.
        """
        code = self.text.replace(SERVER_IN_EXAMPLES, f"http://127.0.0.1:{port}")
        return first_line + "\n" * self.line + code


def extract_blocks(text: str) -> tuple[list[Block], list[str]]:
    """The fenced code blocks in document order, and what is wrong with the markup, if anything."""
    lines = text.splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    marker: Optional[tuple[int, str]] = None  # (line, text after "readme-test:")
    index = 0
    while index < len(lines):
        number = index + 1
        found_marker = MARKER.match(lines[index])
        fence = FENCE.match(lines[index])
        if marker is not None and not fence:
            problems.append(f"line {marker[0]}: a readme-test marker must be just above a fence")
            marker = None
        if found_marker:
            marker = (number, found_marker.group(1))
            index += 1
            continue
        if not fence:
            index += 1
            continue
        ticks, lang = fence.group(1), fence.group(2)
        closing = re.compile(rf"^`{{{len(ticks)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            problems.append(f"line {number}: code block never closed")
        skip_reason = marker_problem = None
        if marker is not None:
            skip = SKIP.match(marker[1])
            if skip is None:
                marker_problem = (f"line {marker[0]}: unknown marker, expected "
                                  "<!-- readme-test: skip: <reason> -->")
            elif not skip.group(1).strip():
                marker_problem = f"line {marker[0]}: a skip marker must give its reason"
            else:
                skip_reason = skip.group(1).strip()
            if marker_problem:
                problems.append(marker_problem)
            marker = None
        blocks.append(Block(number, lang, "\n".join(lines[index + 1:end]) + "\n",
                            skip_reason, marker_problem))
        index = end + 1
    if marker is not None:
        problems.append(f"line {marker[0]}: a readme-test marker must be just above a fence")
    return blocks, problems


def configuration_variables(text: str) -> set[str]:
    """NAME of each `TOMATOPLAN_NAME` row of the README's configuration table."""
    return set(re.findall(r"^\| `TOMATOPLAN_([A-Z0-9_]+)` \|", text, re.M))


README_TEXT = README.read_text("utf-8")
BLOCKS, MARKUP_PROBLEMS = extract_blocks(README_TEXT)
KINDS = ("bash", "python", "env", "json", "")
RUN_IN_ORDER = [b for b in BLOCKS if b.lang in ("bash", "python")]


def ids(blocks: list[Block]) -> list[str]:
    return [b.id for b in blocks]


def example_env() -> dict[str, str]:
    """Our environment without TOMATOPLAN_* settings, nor proxies (the server is on loopback)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("TOMATOPLAN_") and k.lower() not in PROXY_VARIABLES}


def current_python() -> str:
    """An interpreter of our version outside the test venv, as a sysadmin runs the archive."""
    return python_or_skip("{}.{}".format(*sys.version_info[:2]))


def describe(block: Block, *sections: tuple[str, str]) -> str:
    text = [f"README.md line {block.line} ({block.lang} block):", block.text.rstrip()]
    for title, body in sections:
        if body.strip():
            text += [f"--- {title} ---", body.rstrip()]
    return "\n".join(text)


# ------------------------------------------------------------------------------ running them

# Runs in its own Python process: reads one block per line of stdin (JSON), runs it in the
# namespace of the blocks before it, answers one JSON line: ok, output, traceback. The code is
# compiled under README.md's path, with README's line numbers: tracebacks quote README lines.
DRIVER = r"""
import contextlib, io, json, os, sys, traceback
answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # what an example writes to fd 1 itself must not mix with the answers
namespace = {"__name__": "__main__"}
for request in sys.stdin:
    block = json.loads(request)
    output = io.StringIO()
    answer = {"ok": True, "traceback": ""}
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            exec(compile(block["code"], block["file"], "exec", dont_inherit=True), namespace)
    except BaseException:
        kind, error, trace = sys.exc_info()
        answer = {"ok": False,  # from the block's frame on: this loop is no part of it
                  "traceback": "".join(traceback.format_exception(kind, error, trace.tb_next))}
    answer["output"] = output.getvalue()
    answers.write(json.dumps(answer) + "\n")
    answers.flush()
"""


@dataclasses.dataclass
class Outcome:
    ok: bool
    report: str = ""  # what to show when not ok
    ran: bool = True


class Examples:
    """The server the examples talk to, and each bash/python block's outcome, in README order."""

    def __init__(self, pyz: Path, folder: Path):
        self.pyz = pyz
        self.port = free_port()
        self.server_dir = folder / "server"  # a fresh database: only ADMIN exists
        self.work_dir = folder / "work"  # where the bash blocks run: dist/tomatoplan.pyz
        self.server_log = folder / "server-output.txt"
        self.driver_errors = folder / "python-driver-stderr.txt"
        self.server_dir.mkdir()
        (self.work_dir / "dist").mkdir(parents=True)
        (self.work_dir / "dist" / "tomatoplan.pyz").symlink_to(pyz)
        self.outcomes: dict[int, Outcome] = {}
        self.server: Optional[subprocess.Popen] = None
        self.driver: Optional[subprocess.Popen] = None

    # -- the server

    def start(self) -> None:
        python = current_python()
        with open(self.server_log, "wb") as output:
            self.server = start_server(python, self.pyz, self.server_dir, self.port, output)
        try:
            wait_for_health(self.server, self.port)
        except BaseException:
            print(self.server_log.read_text("utf-8", "replace"))
            raise

    def stop(self) -> int:
        assert self.server is not None
        return stop_server(self.server)

    def close(self) -> None:
        if self.driver is not None:
            self._end_driver()
        if self.server is not None:
            stop_server(self.server)

    def server_tail(self, lines: int = 20) -> str:
        return "\n".join(self.server_log.read_text("utf-8", "replace").splitlines()[-lines:])

    # -- the blocks

    def run_through(self, block: Block) -> Outcome:
        """Run every block up to this one that has not run yet, in order; this one's outcome.

        A block whose predecessor failed is not run: the state it expects is not there.
        """
        for earlier in RUN_IN_ORDER:
            if earlier.line > block.line:
                break
            if earlier.line in self.outcomes or earlier.skip_reason or earlier.marker_problem:
                continue
            failed = [line for line, outcome in self.outcomes.items() if not outcome.ok]
            if failed:
                self.outcomes[earlier.line] = Outcome(
                    False, f"not run: the block at line {failed[0]} failed before it", ran=False)
                continue
            runner = self._run_bash if earlier.lang == "bash" else self._run_python
            self.outcomes[earlier.line] = runner(earlier)
        return self.outcomes[block.line]

    def _run_bash(self, block: Block) -> Outcome:
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", block.code_for(self.port, BASH_PREAMBLE)],
            cwd=self.work_dir, env=example_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=BLOCK_TIMEOUT)
            verdict = f"exit code {process.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # curl and python3 in it as well
            stdout, stderr = process.communicate()
            verdict = f"still running after {BLOCK_TIMEOUT} s, killed"
        if process.returncode == 0:
            return Outcome(True)
        return Outcome(False, describe(
            block, ("verdict", verdict),
            ("stdout", stdout.decode("utf-8", "replace")),
            ("stderr", stderr.decode("utf-8", "replace")),
            ("server output, last lines", self.server_tail())))

    def _run_python(self, block: Block) -> Outcome:
        driver = self._driver()
        assert driver.stdin is not None and driver.stdout is not None
        try:
            request = {"code": block.code_for(self.port), "file": str(README)}
            driver.stdin.write(json.dumps(request).encode() + b"\n")
            driver.stdin.flush()
        except BrokenPipeError:
            pass  # it died; the empty answer below says so
        ready, _, _ = select.select([driver.stdout], [], [], BLOCK_TIMEOUT)
        line = driver.stdout.readline() if ready else b""
        if not line:
            verdict = (f"no answer within {BLOCK_TIMEOUT} s" if not ready
                       else f"the Python process ended (code {driver.poll()})")
            self._end_driver()
            return Outcome(False, describe(
                block, ("verdict", verdict),
                ("stderr", self.driver_errors.read_text("utf-8", "replace")),
                ("server output, last lines", self.server_tail())))
        answer = json.loads(line)
        if answer["ok"]:
            return Outcome(True)
        return Outcome(False, describe(
            block, ("traceback", answer["traceback"]), ("output", answer["output"]),
            ("server output, last lines", self.server_tail())))

    def _driver(self) -> subprocess.Popen:
        if self.driver is None:
            with open(self.driver_errors, "wb") as errors:  # the driver keeps its own copy
                self.driver = subprocess.Popen(
                    [sys.executable, "-I", "-c", DRIVER], cwd=self.work_dir, env=example_env(),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                )
        return self.driver

    def _end_driver(self) -> None:
        assert self.driver is not None
        if self.driver.poll() is None:
            self.driver.kill()
        self.driver.wait()
        for stream in (self.driver.stdin, self.driver.stdout):
            if stream is not None:
                stream.close()
        self.driver = None


@pytest.fixture(scope="module")
def examples(pyz, tmp_path_factory):
    """The zipapp serving a fresh database, for all the bash and python blocks of the README."""
    run = Examples(pyz, tmp_path_factory.mktemp("readme"))
    try:
        run.start()
        yield run
    finally:
        run.close()


# ------------------------------------------------------------------------------ the tests


def test_markup_is_well_formed():
    """Every fence closes, every marker is a skip with its reason just above a fence."""
    assert MARKUP_PROBLEMS == []
    unknown = [f"{b.id}: no rule for ```{b.lang} blocks" for b in BLOCKS if b.lang not in KINDS]
    assert unknown == []
    # Not an empty list by a parsing accident: the README shows both kinds, and runs them.
    assert {b.lang for b in RUN_IN_ORDER if not b.skip_reason} == {"bash", "python"}


def test_only_what_cannot_run_is_skipped():
    for block in BLOCKS:
        if block.skip_reason:
            reasons = [why for why, pattern in CANNOT_RUN.items() if pattern.search(block.text)]
            assert reasons, (f"{block.id} is skipped ({block.skip_reason}) but is none of: "
                             f"{', '.join(CANNOT_RUN)}")


@pytest.mark.parametrize("block", RUN_IN_ORDER, ids=ids(RUN_IN_ORDER))
def test_example_runs(block, examples):
    """This bash or python block succeeds after the ones above it, as a newcomer runs them."""
    if block.marker_problem:
        pytest.fail(block.marker_problem)
    if block.skip_reason:
        pytest.skip(f"README line {block.line}: {block.skip_reason}")
    outcome = examples.run_through(block)
    if not outcome.ran:
        pytest.skip(f"README line {block.line}: {outcome.report}")
    if not outcome.ok:
        pytest.fail(outcome.report, pytrace=False)


def test_server_stops_cleanly_after_the_examples(examples):
    assert examples.stop() == 0, examples.server_tail()


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "env"],
                         ids=ids([b for b in BLOCKS if b.lang == "env"]))
def test_env_example_starts_the_server(block, pyz, tmp_path):
    """Only variables of the configuration table, and the server starts with that `.env`."""
    known = configuration_variables(README_TEXT)
    assert "PORT" in known  # the table was found
    wrong = []
    for number, line in enumerate(block.text.splitlines(), start=block.line + 1):
        if not line.strip() or line.startswith("#"):
            continue
        setting = re.fullmatch(r"TOMATOPLAN_([A-Z0-9_]+)=(.*)", line)
        if setting is None:
            wrong.append(f"line {number}: {line!r} is not TOMATOPLAN_<NAME>=value")
        elif setting.group(1) not in known:
            wrong.append(f"line {number}: TOMATOPLAN_{setting.group(1)} is not in the table")
    assert wrong == []

    # The environment (TOMATOPLAN_HOST/PORT: loopback, a free port) wins over the .env.
    (tmp_path / ".env").write_text(block.text, "utf-8")
    python = current_python()
    output_path = tmp_path / "server-output.txt"
    port = free_port()
    with open(output_path, "wb") as output:
        process = start_server(python, pyz, tmp_path, port, output)
    try:
        wait_for_health(process, port)
        assert stop_server(process) == 0
    except BaseException:
        print(describe(block, ("server output", output_path.read_text("utf-8", "replace"))))
        raise
    finally:
        stop_server(process)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "json"],
                         ids=ids([b for b in BLOCKS if b.lang == "json"]))
def test_json_example_parses(block):
    try:
        json.loads(block.text)
    except ValueError as exc:
        pytest.fail(describe(block, ("error", str(exc))), pytrace=False)
