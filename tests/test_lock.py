"""The tests run on what ships: the test environment holds the versions requirements.lock pins
for the archive (installed with `pip install -e '.[test]' -c requirements.lock`)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys

from tests.helpers import ROOT

LOCK = os.path.join(ROOT, "requirements.lock")
# Locked for the archive's oldest Python, needed only before these versions (Requires-Dist
# markers): absent from newer test environments.
NEEDED_BEFORE = {"async-timeout": (3, 11), "typing-extensions": (3, 13)}


def locked() -> dict[str, str]:
    with open(LOCK, encoding="utf-8") as handle:
        text = handle.read()
    lines = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)  # sha256:([0-9a-f]{64})$", text, re.M)
    pins = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(pins), "every pin is `name==version  # sha256:<hex>`"
    return {name: version for name, version, _ in lines}


def test_the_test_environment_runs_the_locked_versions():
    pins = locked()
    assert "aiohttp" in pins and "multidict" in pins
    found = {}
    for name in pins:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            assert sys.version_info >= NEEDED_BEFORE.get(name, (99,)), f"{name} is locked but not installed"
    assert found == {name: version for name, version in pins.items() if name in found}, (
        "reinstall with: .venv/bin/pip install -e '.[test]' -c requirements.lock")
