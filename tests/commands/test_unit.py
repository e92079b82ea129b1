"""The systemd unit: the repository's tomatoplan.service is the installer's, systemd accepts it
(`systemd-analyze verify`), its sandbox scores 2.5 or less (`systemd-analyze security`), and the
installed server runs under that sandbox's system call filter, address families and W^X rule on
every Python from 3.9 to 3.13: ready, serving, backing up, logging, stopping."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, sandbox
from tests.helpers.zipapp import free_port, get_json, python_or_skip
from tomatoplan import __main__ as command_line
from tomatoplan.commands.unit import (
    Installation,
    UnsafeFolder,
    render,
    server_url,
    unit_path_value,
    writable_folders,
)

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)")
MAX_EXPOSURE = 2.5
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

UNITS = {
    "defaults": Installation(),
    "another folder and port, a copy on a NAS": Installation(
        prefix="/srv/planning", user="planning", port=8443,
        writable=("/srv/planning/data", "/var/log/tomatoplan", "/srv/sauvegardes"),
        optional_writable=("/mnt/nas/tomatoplan",)),
    "paths to quote": Installation(writable=("/srv/mes sauvegardes", "/srv/100%"),
                                   optional_writable=("/mnt/partage NAS",)),
}


def test_the_repository_unit_is_the_installers_for_the_defaults():
    assert (ROOT / "tomatoplan.service").read_text("utf-8") == render(Installation())


def test_systemd_restarts_the_server_after_an_unexpected_error_only():
    """The server's codes for what a restart cannot fix are the unit's; 1, Python's code for an
    uncaught exception, is restarted."""
    prevented = re.search(r"^RestartPreventExitStatus=(.*)$", render(Installation()), re.M)
    assert prevented is not None
    assert {int(code) for code in prevented.group(1).split()} == {
        command_line.EXIT_CONFIG, command_line.EXIT_DATABASE, command_line.EXIT_LISTEN} == {2, 3, 4}
    assert command_line.EXIT_UNEXPECTED == 1
    assert "Restart=on-failure\n" in render(Installation())


@pytest.mark.parametrize(("settings", "writable", "optional"), [
    ({}, ["/opt/t/data", "/opt/t/logs"], []),
    ({"TOMATOPLAN_BACKUP_DIR": "./backups"}, ["/opt/t/data", "/opt/t/logs", "/opt/t/backups"], []),
    ({"TOMATOPLAN_DATABASE_PATH": "/srv/base/t.db", "TOMATOPLAN_LOG_DIR": "",
      "TOMATOPLAN_BACKUP_DIR": "../sauvegardes", "TOMATOPLAN_BACKUP_COPY_DIR": "/mnt/nas"},
     ["/srv/base", "/opt/sauvegardes"], ["/mnt/nas"]),
    ({"TOMATOPLAN_DATABASE_PATH": "data/t.db", "TOMATOPLAN_BACKUP_COPY_DIR": "data/copies"},
     ["/opt/t/data", "/opt/t/logs"], []),
    ({"TOMATOPLAN_DATABASE_PATH": "/var/lib/tomatoplan/t.db", "TOMATOPLAN_LOG_DIR": "/var/log/t",
      "TOMATOPLAN_BACKUP_DIR": "/srv/t//sauvegardes/", "TOMATOPLAN_BACKUP_COPY_DIR": "/mnt/nas/t"},
     ["/var/lib/tomatoplan", "/var/log/t", "/srv/t/sauvegardes"], ["/mnt/nas/t"]),
])
def test_the_writable_folders_are_the_configured_ones(settings, writable, optional):
    """The folders of the database, logs and backups (backups/ beside the database when
    unset, so inside data/); one inside another is granted by it already."""
    assert writable_folders("/opt/t", settings) == (writable, optional)


PREFIX = "/srv/apps/tomatoplan"


@pytest.mark.parametrize(("name", "value", "said"), [
    # The installation's own folder: the service could rewrite its code and its .env.
    ("DATABASE_PATH", "tomatoplan.db", f"{PREFIX} est le dossier de l'installation"),
    ("DATABASE_PATH", "./data/../t.db", f"{PREFIX} est le dossier de l'installation"),
    ("LOG_DIR", f"{PREFIX}/", f"{PREFIX} est le dossier de l'installation"),
    # A folder holding it.
    ("BACKUP_DIR", "..", "/srv/apps contient le dossier de l'installation"),
    ("BACKUP_COPY_DIR", "/srv/apps", "/srv/apps contient le dossier de l'installation"),
    # The system's folders, however written.
    ("DATABASE_PATH", "/var/lib/tomatoplan.db", "/var/lib est un dossier du système"),
    ("DATABASE_PATH", "../../t.db", "/srv est un dossier du système"),
    ("LOG_DIR", "/var/log", "/var/log est un dossier du système"),
    ("BACKUP_DIR", "/", "/ est un dossier du système"),
    ("BACKUP_DIR", "//etc", "/etc est un dossier du système"),
    ("BACKUP_DIR", "/usr/local/", "/usr/local est un dossier du système"),
    ("BACKUP_COPY_DIR", "/mnt", "/mnt est un dossier du système"),
    # Not a disk, or hidden from the service by its unit.
    ("LOG_DIR", "/proc/self/logs", "/proc/self/logs n'est pas sur un disque"),
    ("BACKUP_DIR", "/tmp", "le service ne voit pas /tmp (ProtectHome=, PrivateTmp=)"),  # noqa: S108
    ("BACKUP_COPY_DIR", "/home/jean/copies", "le service ne voit pas /home/jean/copies"),
])
def test_a_folder_the_service_must_not_be_given_is_refused_naming_its_setting(name, value, said):
    with pytest.raises(UnsafeFolder) as refused:
        writable_folders(PREFIX, {f"TOMATOPLAN_{name}": value})
    assert str(refused.value).startswith(f"TOMATOPLAN_{name}={value} : {said}"), refused.value
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("installation", [
    Installation(writable=("/var/lib",)),
    Installation(writable=("/opt/tomatoplan/data", "/opt/tomatoplan")),
    Installation(optional_writable=("/mnt",)),
])
def test_the_unit_never_lists_such_a_folder(installation):
    with pytest.raises(UnsafeFolder, match=r"^ReadWritePaths="):
        render(installation)


def test_paths_and_addresses_as_a_unit_file_takes_them():
    assert unit_path_value("/opt/tomatoplan/data") == "/opt/tomatoplan/data"
    assert unit_path_value("/srv/mes sauvegardes") == '"/srv/mes sauvegardes"'
    assert unit_path_value("/srv/100%") == "/srv/100%%"
    assert server_url("0.0.0.0", 8000) == "http://localhost:8000"
    assert server_url("192.168.1.10", 8000) == "http://192.168.1.10:8000"
    assert server_url("::1", 9000) == "http://[::1]:9000"


def _write(tmp_path: Path, installation: Installation) -> Path:
    path = tmp_path / "tomatoplan.service"
    # systemd-analyze checks that ExecStart's program exists: this machine's Python.
    path.write_text(render(dataclasses.replace(installation, python=sys.executable)), "utf-8")
    return path


@needs_systemd_analyze
@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit_without_a_warning(tmp_path, name):
    path = _write(tmp_path, UNITS[name])
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", path.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


@needs_systemd_analyze
@pytest.mark.parametrize("name", UNITS)
def test_the_sandbox_scores_at_most_2_5(tmp_path, name):
    path = _write(tmp_path, UNITS[name])
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", f"--threshold={int(MAX_EXPOSURE * 10)}",
         "--no-pager", path.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    score = re.search(r"Overall exposure level for tomatoplan\.service: (\d+\.\d+)", result.stdout)
    assert score is not None, result.stdout
    assert float(score.group(1)) <= MAX_EXPOSURE, result.stdout
    # What stays exposed is what a network server needs, and nothing more.
    exposed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("✗")}
    assert exposed <= {"PrivateNetwork=", "IPAddressDeny=", "RestrictAddressFamilies=~AF_UNIX",
                       "RestrictAddressFamilies=~AF_(INET|INET6)", "PrivateUsers=",
                       "DeviceAllow=", "RootDirectory=/RootImage="}, result.stdout


# ------------------------------------------------------------------ running under it


def _install(pyz: Path, root: Path) -> Path:
    result = subprocess.run([sys.executable, "-I", str(pyz), "install", "--root", str(root),
                             "--admin", "JEAN.DUPONT"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    prefix = root / "opt" / "tomatoplan"
    # ProtectSystem=strict and ReadWritePaths=, by hand: the code, the .env and the folder
    # holding them read-only (which binds even root once without capabilities).
    for path, mode in ((prefix / "tomatoplan.pyz", 0o444), (prefix / ".env", 0o400), (prefix, 0o555)):
        path.chmod(mode)
    return prefix


@pytest.mark.zipapp
@pytest.mark.skipif(sandbox.unavailable() is not None, reason=str(sandbox.unavailable()))
@pytest.mark.parametrize("version", VERSIONS)
def test_the_installed_server_runs_under_the_units_sandbox(pyz, tmp_path, version):
    python = python_or_skip(version)
    prefix = _install(pyz, tmp_path / "racine")
    unit = (tmp_path / "racine" / "etc/systemd/system/tomatoplan.service").read_text("utf-8")
    notifications = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notifications.bind(str(tmp_path / "notify"))
    notifications.settimeout(30)
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TOMATOPLAN_")}
    environment.update(NOTIFY_SOCKET=str(tmp_path / "notify"), TOMATOPLAN_HOST="127.0.0.1",
                       TOMATOPLAN_PORT=str(port))
    # strict: a system call the filter does not allow kills the server, instead of failing.
    command = sandbox.sandboxed(unit, [python, "-I", str(prefix / "tomatoplan.pyz"), "serve"],
                                python, strict=True)
    output = tmp_path / "server-output.txt"
    with open(output, "wb") as written:
        process = subprocess.Popen(command, cwd=prefix, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=written, stderr=subprocess.STDOUT)
    try:
        assert notifications.recv(4096).startswith(b"READY=1\n")
        assert get_json(port, "/health")[0] == 200
        status, session = get_json(port, "/auth/login", body={"username": "JEAN.DUPONT"})
        assert status == 200, session
        token = session["access_token"]  # type: ignore[index]
        status, made = get_json(port, "/admin/backups?description=bac", token=token, method="POST")
        assert status == 201, made
        name = made["name"]  # type: ignore[index]
        status, restored = get_json(port, f"/admin/backups/restore/{name}", token=token,
                                    method="POST")
        assert status == 200, restored
        process.send_signal(signal.SIGTERM)
        assert notifications.recv(4096).startswith(b"STOPPING=1\n")
        assert process.wait(timeout=30) == 0
    except BaseException:
        print(output.read_text("utf-8", "replace"))
        raise
    finally:
        notifications.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert name in os.listdir(prefix / "backups")
    log = (prefix / "logs" / "server.log").read_text("utf-8")
    assert "database closed" in log and "Traceback" not in log
    assert sorted(os.listdir(prefix)) == [".env", "backups", "data", "logs", "tomatoplan.pyz"]


@pytest.mark.skipif(sandbox.unavailable() is not None, reason=str(sandbox.unavailable()))
def test_the_sandbox_is_real(tmp_path):
    """What the unit forbids is refused in the sandbox: writable executable memory, a netlink
    socket, changing one's user, lowering one's priority."""
    probe = (
        "import json, mmap, os, socket\n"
        "def refused(attempt):\n"
        "    try:\n"
        "        attempt()\n"
        "    except OSError as exc:\n"
        "        return exc.errno\n"
        "print(json.dumps([\n"
        "    refused(lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE"
        " | mmap.PROT_EXEC)),\n"
        "    refused(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM).close()),\n"
        "    refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close()),\n"
        "    refused(lambda: os.setuid(os.getuid())), refused(lambda: os.nice(1))]))\n")
    unit = render(Installation())
    result = subprocess.run(sandbox.sandboxed(unit, [sys.executable, "-I", "-c", probe],
                                              sys.executable),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [errno.EPERM, errno.EAFNOSUPPORT, None, errno.EPERM,
                                         errno.EPERM]
