"""Running the command line as a sysadmin does: `python -m tomatoplan COMMAND ...` in a folder
(its .env, its data), without the TOMATOPLAN_* variables of the test run."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT


def run(folder, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TOMATOPLAN_")}
    environment.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "tomatoplan", *args], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)
