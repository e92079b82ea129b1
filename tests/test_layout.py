"""The layout keeps itself: the import contracts hold and catch a breach, each SQL file has one
owner, modules stay short, tests mirror the package and take helpers from tests/helpers/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = Path(ROOT) / "tomatoplan"
LINT_IMPORTS = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which(
    "lint-imports")
MAX_LINES = 300
# Modules allowed past MAX_LINES, each with the reason (also said at the top of the module).
LONG_MODULES: dict[str, str] = {
    "tomatoplan/client.py": "one file that PTT's developers copy alone: it cannot be split",
}
LOAD_CALL = re.compile(r"""sqlfiles\.load\(\s*["']([a-z_]+)["']\s*\)""")
needs_linter = pytest.mark.skipif(
    sys.version_info < (3, 10),
    reason="import-linter 2.6+ (acyclic_siblings) needs Python 3.10; the main run checks the contracts")


def run_lint_imports(folder: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS, "lint-imports is installed with the test extra (pip install -e '.[test]')"
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=folder, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(folder)}, check=False)


def verdict(report: str, contract: str) -> str:
    """KEPT or BROKEN, as the report's summary (names wrapped at 80 columns) gives it."""
    folded = " ".join(report.split())
    found = re.search(re.escape(contract) + r".*?\b(KEPT|BROKEN)\b", folded)
    assert found, f"no contract {contract!r} in the report"
    return found.group(1)


@needs_linter
def test_the_import_contracts_hold():
    result = run_lint_imports(Path(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each line added to a copy of the package must break the contract named.
BREACHES = [
    ("tomatoplan/rules/missions.py", "import aiohttp.web", "never import aiohttp"),
    ("tomatoplan/base/db.py", "import jinja2", "never import aiohttp"),
    ("tomatoplan/rules/voyages.py", "from tomatoplan.web import http", "Layers"),
    ("tomatoplan/base/config.py", "from tomatoplan.rules import users", "Layers"),
    ("tomatoplan/web/http.py", "from tomatoplan import app", "Layers"),
    ("tomatoplan/__init__.py", "from tomatoplan.base import clock", "imports only the standard library"),
    ("tomatoplan/__init__.py", "import aiohttp", "imports only the standard library"),
    ("tomatoplan/web/routes/voyages.py", "from . import missions", "Route modules do not import each other"),
    ("tomatoplan/rules/skills.py", "from . import voyages", "No import cycle"),
]


@needs_linter
@pytest.mark.parametrize(("module", "line", "contract"), BREACHES,
                         ids=[f"{module.split('/', 1)[1]}:{line}" for module, line, _ in BREACHES])
def test_a_breach_of_the_layout_fails_the_linter(tmp_path, module, line, contract):
    shutil.copytree(PACKAGE, tmp_path / "tomatoplan", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(Path(ROOT) / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / module, "a", encoding="utf-8") as handle:
        handle.write(f"\n{line}  # noqa\n")
    result = run_lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert verdict(result.stdout, contract) == "BROKEN", result.stdout


def test_the_future_client_will_be_held_to_the_standard_library():
    """DESIGN.md: tomatoplan/client.py is copied alone next to PTT; once it exists it must be
    a source of the standard-library contract (import-linter refuses to name it before)."""
    pyproject = (Path(ROOT) / "pyproject.toml").read_text("utf-8")
    contract = pyproject.split('name = "tomatoplan/__init__.py imports only the standard library')[1]
    sources = contract.split("source_modules = ", 1)[1].split("\n", 1)[0]
    if (PACKAGE / "client.py").exists():
        assert '"tomatoplan.client"' in sources
    else:
        assert sources == '["tomatoplan"]'


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def test_each_sql_file_has_exactly_one_owning_module():
    owners: dict[str, list[str]] = {}
    for path in _modules():
        for area in LOAD_CALL.findall(path.read_text("utf-8")):
            owners.setdefault(area, []).append(str(path.relative_to(ROOT)))
    files = sorted(path.stem for path in (Path(ROOT) / "sql").glob("*.sql"))
    assert sorted(owners) == files, "every sql/<area>.sql is loaded, and only those"
    shared = {area: modules for area, modules in owners.items() if len(modules) != 1}
    assert shared == {}, "one owner per SQL file: the others call its functions"


def test_no_module_is_longer_than_one_coherent_thing_needs():
    long = {str(path.relative_to(ROOT)): lines for path in _modules()
            if (lines := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_MODULES), long
    for module in LONG_MODULES:
        assert "longer" in (Path(ROOT) / module).read_text("utf-8").split('"""')[1], module


def test_tests_mirror_the_package_and_take_helpers_from_tests_helpers():
    tests = Path(ROOT) / "tests"
    for folder in sorted(p for p in tests.rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
        relative = folder.relative_to(tests)
        if relative.parts[0] in ("helpers", "benchmarks", "screenshots"):  # screenshots: the README's
            continue
        assert (PACKAGE / relative).is_dir(), f"tests/{relative} mirrors no tomatoplan/{relative}"
    for path in tests.rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"^\s*(from\s+(\.|tests\.)?conftest\s+import|import\s+conftest)", text, re.M), \
            f"{path.relative_to(ROOT)} imports from conftest.py: use tests/helpers/"
