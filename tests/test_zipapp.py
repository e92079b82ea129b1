"""The zipapp: built reproducibly, pure Python, data read from inside it, runs on 3.9 to 3.13.

The archive is built once per session by build_zipapp.py (the `pyz` fixture of conftest.py;
downloads cached in build/cache, so only the first build ever needs PyPI) and run with the
interpreters found on this machine. Standard library only (subprocess, urllib, through
tests/helpers/zipapp.py): the archive is exercised as a sysadmin runs it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import zipfile

import pytest

import tomatoplan
from tests.helpers import ROOT
from tests.helpers.zipapp import (
    build,
    free_port,
    get_json,
    python_or_skip,
    run_python,
    start_server,
    stop_server,
    wait_for_health,
)
from tomatoplan.base.config import SETTINGS

pytestmark = pytest.mark.zipapp

LOCK_FILE = ROOT / "requirements.lock"
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

COMPILED_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".c", ".h", ".pyx", ".pxd", ".pxi",
                     ".pyc", ".pyo")
SWAGGER_FILES = ["LICENSE", "favicon-32x32.png", "swagger-ui-bundle.js", "swagger-ui.css"]
# One importable module of each locked dependency.
DEPENDENCY_MODULES = ["aiohappyeyeballs", "aiohttp", "aiohttp_jinja2", "aiosignal", "aiosqlite",
                      "async_timeout", "attr", "attrs", "frozenlist", "idna", "jinja2", "jwt",
                      "markupsafe", "multidict", "propcache", "typing_extensions", "yarl"]


# ------------------------------------------------------------------------------ helpers


def locked_distributions() -> dict[str, str]:
    """Normalised name -> version of each line of requirements.lock."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", LOCK_FILE.read_text(), re.M)
    return {re.sub(r"[-_.]+", "_", name).lower(): version for name, version in pins}


def project_files() -> list[str]:
    """The checkout's files that must be in the archive, as archive names."""
    names = []
    for folder, only_py in (("tomatoplan", True), ("sql", False), ("templates", False),
                            ("static", False)):
        for path in sorted((ROOT / folder).rglob("*")):
            rel = path.relative_to(ROOT)
            if not path.is_file() or any(p.startswith(".") or p == "__pycache__"
                                         for p in rel.parts):
                continue
            if path.name.endswith(("~", ".pyc", ".pyo")) or (only_py and path.suffix != ".py"):
                continue
            names.append(rel.as_posix())
    return names


# ------------------------------------------------------------------------------ the build


def test_two_builds_are_byte_identical(pyz, tmp_path):
    again = build(tmp_path / "again.pyz")
    assert again.read_bytes() == pyz.read_bytes()


def test_archive_is_pure_python_and_complete(pyz):
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert pyz.stat().st_mode & 0o777 == 0o755
    with zipfile.ZipFile(pyz) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        root_main = archive.read("__main__.py").decode()

    assert names == sorted(names)
    assert len(names) == len(set(names))
    compiled = [n for n in names if n.lower().endswith(COMPILED_SUFFIXES)
                or "__pycache__" in n.split("/")]
    assert compiled == []
    for info in infos:
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        if not os.environ.get("SOURCE_DATE_EPOCH"):
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename

    assert "from tomatoplan.__main__ import main" in root_main
    expected = ["__main__.py", "tomatoplan/__init__.py", "tomatoplan/base/resources.py",
                "markupsafe/_native.py", "aiohttp/web.py", "typing_extensions.py"]
    expected += [f"{m}/__init__.py" for m in DEPENDENCY_MODULES if m != "typing_extensions"]
    expected += [f"static/vendor/swagger-ui/{name}" for name in SWAGGER_FILES]
    assert sorted(set(expected) - set(names)) == []

    # The project as in the checkout, byte for byte.
    with zipfile.ZipFile(pyz) as archive:
        for name in project_files():
            assert archive.read(name) == (ROOT / name).read_bytes(), name

    # Every locked distribution keeps its METADATA and licence, none its RECORD/INSTALLER.
    dist_infos = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
    found = {re.sub(r"[-_.]+", "_", d[: -len(".dist-info")].rsplit("-", 1)[0]).lower():
             d[: -len(".dist-info")].rsplit("-", 1)[1] for d in dist_infos}
    assert found == locked_distributions()
    for dist_info in dist_infos:
        assert f"{dist_info}/METADATA" in names
        assert any(n.startswith(f"{dist_info}/") and "LICEN" in n.upper() for n in names), \
            dist_info
        assert f"{dist_info}/RECORD" not in names
        assert f"{dist_info}/INSTALLER" not in names


# ------------------------------------------------------------------------------ inside it

RESOURCES_CODE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tomatoplan.base import resources
print(json.dumps({
    "file": resources.__file__,
    "in_archive": resources.in_archive(),
    "archive_path": resources.archive_path(),
    "init_sql": resources.read_text("sql/migrations/0001_init.sql"),
    "migrations": resources.list_files("sql/migrations"),
}))
"""


def test_resources_are_read_from_inside_the_archive(pyz):
    # -S as well as -I: nothing from site-packages, the archive alone.
    result = run_python(sys.executable, "-I", "-S", "-c", RESOURCES_CODE, str(pyz))
    assert result.returncode == 0, result.stderr.decode()
    found = json.loads(result.stdout)
    assert found["file"].startswith(str(pyz))
    assert found["in_archive"] is True
    assert found["archive_path"] == str(pyz)
    assert found["init_sql"] == (ROOT / "sql/migrations/0001_init.sql").read_text("utf-8")
    assert "0001_init.sql" in found["migrations"]


IMPORTS_CODE = """
import importlib, json, sys, zipfile
pyz = sys.argv[1]
sys.path.insert(0, pyz)
outside = []
for name in sys.argv[2:]:
    module = importlib.import_module(name)
    if not module.__file__.startswith(pyz):
        outside.append(module.__file__)
with zipfile.ZipFile(pyz) as archive:
    ours = sorted(n[:-3].replace("/", ".") for n in archive.namelist()
                  if n.startswith("tomatoplan/") and n.endswith(".py"))
for name in ours:
    importlib.import_module(name.replace(".__init__", ""))
import aiohttp.http_parser, markupsafe
print(json.dumps({
    "outside": outside,
    "pure_parser": aiohttp.http_parser.HttpRequestParser
                   is aiohttp.http_parser.HttpRequestParserPy,
    "markupsafe_native": markupsafe._escape_inner.__module__ == "markupsafe._native",
}))
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_every_module_imports_from_the_archive(pyz, version):
    """The dependencies and every tomatoplan module import on that Python, pure builds."""
    python = python_or_skip(version)
    result = run_python(python, "-I", "-S", "-c", IMPORTS_CODE, str(pyz), *DEPENDENCY_MODULES)
    assert result.returncode == 0, result.stderr.decode()
    found = json.loads(result.stdout)
    assert found == {"outside": [], "pure_parser": True, "markupsafe_native": True}


# ------------------------------------------------------------------------------ running it


def test_version_and_help(pyz, tmp_path):
    result = run_python(sys.executable, "-I", str(pyz), "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert tomatoplan.__version__ in result.stdout.decode()
    for command in ("--help", "help"):
        result = run_python(sys.executable, "-I", str(pyz), command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        text = result.stdout.decode()
        assert text.startswith("usage : tomatoplan.pyz")
        # French throughout, and every configuration variable with its default.
        assert "optional arguments" not in text and "show this help" not in text
        for setting in SETTINGS:
            assert re.search(rf"TOMATOPLAN_{setting.name} +\S", text), setting.name
        assert "codes de sortie : 0 arrêt normal ; 1 erreur inattendue" in text
        assert "3 base de données inutilisable ; 4 écoute impossible" in text
    result = run_python(sys.executable, "-I", str(pyz), "aide", cwd=tmp_path)
    assert result.returncode == 2
    assert "erreur : commande inconnue : aide (possibles : serve, help," in result.stderr.decode()
    assert list(tmp_path.iterdir()) == []  # neither command creates data/ or logs/


def seed_examples(port: int, admin_token: str) -> None:
    """The seed README's example calls, unchanged (with urllib instead of requests)."""
    # What an admin sets up first: the planner, chauffeur 1 and voyage 2 the examples name.
    assert get_json(port, "/admin/users", token=admin_token,
                    body={"username": "JEAN.DUPONT", "role": "planner"})[0] == 201
    assert get_json(port, "/chauffeurs", token=admin_token,
                    body={"nom": "MARTIN", "prenom": "Paul"})[0] == 201
    for code in ("LIGNE-1", "LIGNE-2"):
        assert get_json(port, "/voyages", token=admin_token, body={"code": code})[0] == 201

    status, login = get_json(port, "/auth/login", body={
        "username": "JEAN.DUPONT",  # ou DOMAIN\\username
        "hostname": "PC-BUREAU-01",
    })
    assert status == 200, login
    assert isinstance(login, dict)
    token = login["access_token"]
    status, missions = get_json(port, "/missions/by-date/2024-01-15", token=token)
    assert status == 200 and missions == []
    status, new_mission = get_json(port, "/missions", token=token, body={
        "date_mission": "2024-01-15",
        "destination": "Paris",
        "chauffeur_id": 1,
        "voyage_id": 2,
        "heure_debut": "06:00",
        "statut": "planifie",
    })
    assert status == 201, new_mission
    assert isinstance(new_mission, dict)
    assert (new_mission["destination"], new_mission["chauffeur_id"], new_mission["voyage_id"]) == \
        ("Paris", 1, 2)
    status, missions = get_json(port, "/missions/by-date/2024-01-15", token=token)
    assert status == 200 and isinstance(missions, list)
    assert [m["id"] for m in missions] == [new_mission["id"]]
    status, dispo = get_json(port, "/chauffeurs/disponibles/2024-01-15", token=token)
    assert status == 200 and isinstance(dispo, list)
    assert dispo[0]["id"] == 1 and [m["id"] for m in dispo[0]["missions"]] == [new_mission["id"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_server_starts_answers_and_stops(pyz, version, tmp_path, capsys, record_property):
    python = python_or_skip(version)
    workdir = tmp_path / "run"
    workdir.mkdir()
    port = free_port()
    output_path = tmp_path / "server-output.txt"
    with open(output_path, "wb") as output:
        started = time.monotonic()
        process = start_server(python, pyz, workdir, port, output)
        try:
            try:
                health = wait_for_health(process, port)
                startup = time.monotonic() - started
                record_property("startup_seconds", round(startup, 3))
                with capsys.disabled():
                    print(f"\n[zipapp] Python {version}: /health answered after "
                          f"{startup:.2f} s", flush=True)
                assert health["status"] == "ok"

                status, document = get_json(port, "/openapi.json")
                assert status == 200
                assert isinstance(document, dict)
                assert str(document["openapi"]).startswith("3.1")

                # A write and an authenticated read through the archive on this Python.
                status, session = get_json(port, "/auth/login",
                                           body={"username": "CORP\\admin", "hostname": "SMOKE"})
                assert status == 200, session
                assert isinstance(session, dict)
                status, me = get_json(port, "/auth/me", token=session["access_token"])
                assert status == 200 and isinstance(me, dict) and me["username"] == "ADMIN"
                seed_examples(port, session["access_token"])

                assert stop_server(process) == 0
            except BaseException:
                print(output_path.read_text("utf-8", "replace"))  # shown with the failure
                raise
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert (workdir / "data" / "tomatoplan.db").is_file()
    wal = workdir / "data" / "tomatoplan.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "the WAL was not checkpointed at stop"
    log_text = (workdir / "logs" / "server.log").read_text("utf-8")
    assert "database closed" in log_text and "stopped" in log_text


@pytest.mark.parametrize("version", VERSIONS)
def test_the_backup_commands_run_from_the_archive(pyz, version, tmp_path):
    """backup, backups and restore, as a sysadmin runs them with the server stopped."""
    python = python_or_skip(version)
    made = run_python(python, "-I", str(pyz), "backup", "--description", "essai", cwd=tmp_path)
    assert made.returncode == 0, made.stderr.decode()
    name = made.stdout.decode().split("Sauvegarde faite : ", 1)[1].split(" ", 1)[0]
    listed = run_python(python, "-I", str(pyz), "backups", cwd=tmp_path)
    assert listed.returncode == 0 and name in listed.stdout.decode()
    restored = run_python(python, "-I", str(pyz), "restore", name, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr.decode()
    assert f"Restauration de {name} faite" in restored.stdout.decode()
    assert sorted(p.name for p in (tmp_path / "data" / "backups").iterdir()) == \
        sorted([name, restored.stdout.decode().split("gardé dans ", 1)[1].strip().rstrip(".")])
