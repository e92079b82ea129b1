"""`install` and `uninstall`, run from the built archive as a sysadmin runs them, into a
`--root` tree (nothing is run there: no useradd, no systemctl); and the systemd steps of a real
installation, against a stand-in for the system."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tomatoplan.base.envfile import read_env_file
from tomatoplan.commands import install
from tomatoplan.commands.unit import Installation, render

pytestmark = pytest.mark.zipapp

PREFIX = "opt/tomatoplan"
UNIT = "etc/systemd/system/tomatoplan.service"


def run(pyz: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TOMATOPLAN_")}
    return subprocess.run([sys.executable, "-I", str(pyz), *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


def tree(root: Path) -> dict[str, tuple]:
    """Every path under root: its type and mode, and for a file its bytes' hash and mtime."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        entry: tuple = (stat.filemode(info.st_mode), info.st_uid)
        if path.is_file():
            entry += (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns)
        found[str(path.relative_to(root))] = entry
    return found


def items(output: str) -> list[tuple[str, str]]:
    """The report's (state, item) lines, notes and the target system's commands left out."""
    found = []
    for line in output.splitlines():
        if line.startswith("  ") and line[2:3] != " " and \
                not line.startswith(("  useradd", "  chown", "  systemctl")):
            state, what = re.split(r" {2,}", line.strip(), maxsplit=1)
            found.append((state, what))
    return found


def test_install_writes_the_tree_the_unit_and_the_env(pyz, tmp_path):
    root = tmp_path / "racine"
    result = run(pyz, "install", "--root", str(root), "--port", "8123", "--admin",
                 "CORP\\jean.dupont", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert sorted(tree(root)) == sorted([
        "etc", "etc/systemd", "etc/systemd/system", UNIT, "opt", PREFIX, f"{PREFIX}/.env",
        f"{PREFIX}/backups", f"{PREFIX}/data", f"{PREFIX}/logs", f"{PREFIX}/tomatoplan.pyz"])
    modes = {name: stat.S_IMODE((root / name).stat().st_mode) for name in
             (PREFIX, f"{PREFIX}/.env", f"{PREFIX}/data", f"{PREFIX}/logs", f"{PREFIX}/backups",
              f"{PREFIX}/tomatoplan.pyz", UNIT, "etc/systemd/system")}
    assert modes == {PREFIX: 0o755, f"{PREFIX}/.env": 0o600, f"{PREFIX}/data": 0o700,
                     f"{PREFIX}/logs": 0o700, f"{PREFIX}/backups": 0o700,
                     f"{PREFIX}/tomatoplan.pyz": 0o644, UNIT: 0o644, "etc/systemd/system": 0o755}
    assert (root / PREFIX / "tomatoplan.pyz").read_bytes() == pyz.read_bytes()

    settings = read_env_file(str(root / PREFIX / ".env"))
    secret = settings.pop("TOMATOPLAN_SECRET_KEY")
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert settings == {
        "TOMATOPLAN_HOST": "0.0.0.0", "TOMATOPLAN_PORT": "8123",
        "TOMATOPLAN_DEFAULT_ADMIN_USERNAME": "JEAN.DUPONT",
        "TOMATOPLAN_DATABASE_PATH": "./data/tomatoplan.db", "TOMATOPLAN_LOG_DIR": "./logs",
        "TOMATOPLAN_BACKUP_DIR": "./backups"}

    unit = (root / UNIT).read_text("utf-8")
    assert unit == render(Installation(port=8123))
    assert "Documentation=http://localhost:8123/docs\n" in unit
    assert ("ReadWritePaths=/opt/tomatoplan/data /opt/tomatoplan/logs /opt/tomatoplan/backups\n"
            in unit)
    # Nothing is run in a tree: what the target system still needs is said.
    assert "useradd --system --user-group --home-dir /opt/tomatoplan" in result.stdout
    assert "systemctl daemon-reload && systemctl enable --now tomatoplan" in result.stdout
    assert items(result.stdout) == [
        ("créé", "/opt/tomatoplan (0755)"), ("copié", "/opt/tomatoplan/tomatoplan.pyz (0644)"),
        ("créé", "/opt/tomatoplan/.env (0600, clé de signature générée)"),
        ("créé", "/opt/tomatoplan/data (0700)"), ("créé", "/opt/tomatoplan/logs (0700)"),
        ("créé", "/opt/tomatoplan/backups (0700)"),
        ("créé", "/etc/systemd/system/tomatoplan.service (0644)")]


def test_a_second_run_changes_nothing_and_says_so(pyz, tmp_path):
    root = tmp_path / "racine"
    assert run(pyz, "install", "--root", str(root), cwd=tmp_path).returncode == 0
    before = tree(root)
    again = run(pyz, "install", "--root", str(root), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert tree(root) == before  # no byte, no mode, no mtime changed
    said = items(again.stdout)
    assert len(said) == 7 and {state for state, _ in said} == {"inchangé"}, again.stdout
    assert again.stdout.rstrip().endswith("Rien à changer : déjà installé.")


def test_an_existing_env_is_kept_and_the_unit_follows_its_folders(pyz, tmp_path):
    root = tmp_path / "racine"
    assert run(pyz, "install", "--root", str(root), cwd=tmp_path).returncode == 0
    env_file = root / PREFIX / ".env"
    edited = env_file.read_text("utf-8").replace("./backups", "/srv/sauvegardes") + \
        "TOMATOPLAN_BACKUP_COPY_DIR=/mnt/nas/tomatoplan\n"
    env_file.write_text(edited, "utf-8")
    env_file.chmod(0o644)

    again = run(pyz, "install", "--root", str(root), "--port", "9000", "--admin", "AUTRE",
                cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert env_file.read_text("utf-8") == edited  # never rewritten, only its rights
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "--port et --admin n'y sont pas écrits" in again.stdout
    assert (root / "srv" / "sauvegardes").is_dir()
    assert "/mnt/nas/tomatoplan (TOMATOPLAN_BACKUP_COPY_DIR) n'existe pas" in again.stdout
    assert not (root / "mnt").exists()  # a mount: never created
    unit = (root / UNIT).read_text("utf-8")
    assert ("ReadWritePaths=/opt/tomatoplan/data /opt/tomatoplan/logs /srv/sauvegardes "
            "-/mnt/nas/tomatoplan\n") in unit
    assert "Documentation=http://localhost:8000/docs\n" in unit  # the .env's port, not --port
    states = {what: state for state, what in items(again.stdout)}
    assert states["/etc/systemd/system/tomatoplan.service (0644)"] == "mis à jour"
    assert states["/opt/tomatoplan/.env (0600)"] == "droits corrigés"
    assert states["/srv/sauvegardes (0700)"] == "créé"


def _edit_env(root: Path, **settings: str) -> None:
    env_file = root / PREFIX / ".env"
    env_file.write_text(env_file.read_text("utf-8") + "".join(
        f"TOMATOPLAN_{name}={value}\n" for name, value in settings.items()), "utf-8")


@pytest.mark.parametrize(("name", "value", "said"), [
    # The review's two reproductions: /var/lib taken over, the installation folder given to
    # the service (which could then rewrite its own archive and .env).
    ("DATABASE_PATH", "/var/lib/tomatoplan.db", "/var/lib est un dossier du système"),
    ("DATABASE_PATH", "tomatoplan.db", "/opt/tomatoplan est le dossier de l'installation"),
    ("LOG_DIR", "..", "/opt est un dossier du système"),
    ("BACKUP_DIR", "/", "/ est un dossier du système"),
    ("BACKUP_COPY_DIR", "/mnt", "/mnt est un dossier du système"),
])
def test_a_folder_the_service_must_not_be_given_stops_the_installer_before_anything(
        pyz, tmp_path, name, value, said):
    root = tmp_path / "racine"
    assert run(pyz, "install", "--root", str(root), cwd=tmp_path).returncode == 0
    _edit_env(root, **{name: value})
    (root / "var" / "lib").mkdir(parents=True)
    (root / "var" / "lib").chmod(0o755)
    before = tree(root)
    refused = run(pyz, "install", "--root", str(root), cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        f"tomatoplan: /opt/tomatoplan/.env, TOMATOPLAN_{name}={value} : {said}"), refused.stderr
    assert "; prenez un sous-dossier de /opt/tomatoplan (data, logs, backups)" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert tree(root) == before  # no mode, no file, no unit changed
    assert stat.S_IMODE((root / PREFIX).stat().st_mode) == 0o755


def test_an_existing_folder_is_left_as_it_is_unless_it_is_the_installers_own(pyz, tmp_path):
    root = tmp_path / "racine"
    assert run(pyz, "install", "--root", str(root), cwd=tmp_path).returncode == 0
    _edit_env(root, LOG_DIR="/srv/journaux", BACKUP_DIR="/srv/sauvegardes")
    shared = root / "srv" / "journaux"
    shared.mkdir(parents=True)
    shared.chmod(0o775)
    (root / PREFIX / "data").chmod(0o755)
    again = run(pyz, "install", "--root", str(root), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o775  # not the installer's: kept
    assert stat.S_IMODE((root / PREFIX / "data").stat().st_mode) == 0o700  # its own: set
    assert stat.S_IMODE((root / "srv" / "sauvegardes").stat().st_mode) == 0o700  # created
    states = {what: state for state, what in items(again.stdout)}
    assert states["/srv/journaux (0775)"] == "inchangé"
    assert states["/opt/tomatoplan/data (0700)"] == "droits corrigés"
    assert states["/srv/sauvegardes (0700)"] == "créé"
    assert ("/srv/journaux existait : ni ses droits ni son propriétaire ne sont changés, le "
            "compte tomatoplan doit pouvoir y écrire") in again.stdout
    # Only what the installer gave the service is to be chowned on the target system.
    assert ("  chown tomatoplan:tomatoplan /opt/tomatoplan/.env /opt/tomatoplan/data "
            "/srv/sauvegardes\n") in again.stdout
    assert ("ReadWritePaths=/opt/tomatoplan/data /srv/journaux /srv/sauvegardes\n"
            in (root / UNIT).read_text("utf-8"))


def test_a_real_installation_never_changes_a_folder_it_did_not_create(tmp_path):
    """With the service's account known (a real installation): an existing folder keeps its
    rights (a note when the account may not write there); the installer's own and a new one
    are the account's, 0700."""
    account = (os.getuid(), os.getgid())
    for name, mode in (("partage", 0o755), ("lecture", 0o555), ("prefix/data", 0o755)):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name).chmod(mode)
    said = io.StringIO()
    steps = install.Steps(str(tmp_path), dry_run=False, out=said)
    given = steps.data_folders(["/prefix/data", "/partage", "/lecture", "/nouveau"],
                               ["/prefix/data"], account, "tomatoplan")
    assert given == ["/prefix/data", "/nouveau"]
    modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode)
             for name in ("partage", "lecture", "prefix/data", "nouveau")}
    assert modes == {"partage": 0o755, "lecture": 0o555, "prefix/data": 0o700, "nouveau": 0o700}
    assert (tmp_path / "nouveau").stat().st_uid == account[0]
    notes = [line.strip() for line in said.getvalue().splitlines() if "existait" in line]
    assert notes == ["/lecture existait : ni ses droits ni son propriétaire ne sont changés, "
                     "le compte tomatoplan doit pouvoir y écrire"]
    # Another account may not write in a 0755 folder that is not its own.
    assert not steps.writable_by("/partage", (account[0] + 1, account[1] + 1))
    (tmp_path / "lecture").chmod(0o755)


def test_dry_run_says_everything_and_writes_nothing(pyz, tmp_path):
    root = tmp_path / "racine"
    result = run(pyz, "install", "--root", str(root), "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not root.exists()
    said = items(result.stdout)
    assert [state for state, _ in said] == ["à créer", "à copier"] + ["à créer"] * 5
    assert ("à créer", "/opt/tomatoplan/.env (0600, clé de signature générée)") in said
    # The unit it would write, line by line.
    assert "    | ReadWritePaths=/opt/tomatoplan/data" in result.stdout
    assert "    | Type=notify" in result.stdout
    assert "Simulation terminée : rien n'a été écrit ni lancé." in result.stdout


def test_uninstall_removes_the_unit_and_keeps_the_data(pyz, tmp_path):
    root = tmp_path / "racine"
    assert run(pyz, "install", "--root", str(root), cwd=tmp_path).returncode == 0
    (root / PREFIX / "data" / "tomatoplan.db").write_bytes(b"le planning")
    kept = {name: entry for name, entry in tree(root).items() if name.startswith("opt")}
    removed = run(pyz, "uninstall", "--root", str(root), cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert items(removed.stdout) == [("supprimé", "/etc/systemd/system/tomatoplan.service")]
    assert not (root / UNIT).exists()
    assert {name: entry for name, entry in tree(root).items() if name.startswith("opt")} == kept
    again = run(pyz, "uninstall", "--root", str(root), cwd=tmp_path)
    assert again.returncode == 0
    assert items(again.stdout) == [("déjà absent", "/etc/systemd/system/tomatoplan.service")]


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--port", "80", "--port 80 : attendu un port de 1024 à 65535"),
    ("--port", "huit", "--port huit : attendu un port de 1024 à 65535"),
    ("--admin", "jean dupont", "--admin 'jean dupont' : Identifiant invalide"),
    ("--prefix", "opt/relatif", "--prefix 'opt/relatif' : attendu un chemin absolu"),
    ("--prefix", "/home/jean/tomatoplan", "--prefix /home/jean/tomatoplan : le service ne voit pas"),
    ("--prefix", "/opt/", "--prefix /opt : un dossier du système"),
    ("--prefix", "/var/lib", "--prefix /var/lib : un dossier du système"),
    ("--user", "root", "--user 'root' : attendu un nom de compte système"),
])
def test_bad_options_are_one_french_line_and_exit_2(pyz, tmp_path, option, value, said):
    result = run(pyz, "install", "--root", str(tmp_path / "racine"), option, value, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"tomatoplan: {said}"), result.stderr
    assert not (tmp_path / "racine").exists()


def test_install_needs_the_archive_it_copies(tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "tomatoplan", "install", "--root", str(tmp_path)],
                            cwd=tmp_path, env=environment, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert "python3 build_zipapp.py, puis sudo python3 dist/tomatoplan.pyz install" in result.stderr


# ------------------------------------------------------------------ a real system's steps


class System:
    """Stands in for systemd: what `install` asks and runs, and the answers."""

    def __init__(self, enabled: bool, active: bool):
        self.enabled, self.active = enabled, active
        self.ran: list[str] = []

    def steps(self, dry_run: bool = False) -> install.Steps:
        steps = install.Steps(None, dry_run)
        steps.run = lambda argv, what="": self.ran.append(" ".join(argv)) or "ran"  # type: ignore
        steps.ask = lambda argv: self.enabled if "is-enabled" in argv else self.active  # type: ignore
        return steps


@pytest.mark.parametrize(("situation", "enabled", "active", "unit", "code", "start", "ran"), [
    ("first installation", False, False, True, True, True,
     ["systemctl daemon-reload", "systemctl enable tomatoplan", "systemctl start tomatoplan"]),
    ("nothing changed", True, True, False, False, True, []),
    ("a new archive", True, True, False, True, True, ["systemctl restart tomatoplan"]),
    ("new folders in .env", True, True, True, False, True,
     ["systemctl daemon-reload", "systemctl restart tomatoplan"]),
    ("stopped by the admin, nothing changed", True, False, False, False, True,
     ["systemctl start tomatoplan"]),
    ("--no-start", False, False, True, True, False,
     ["systemctl daemon-reload", "systemctl enable tomatoplan"]),
])
def test_systemd_is_asked_only_for_what_changed(situation, enabled, active, unit, code, start,
                                                ran, capsys):
    system = System(enabled, active)
    install._systemd(system.steps(), reload=unit, restart=unit or code, start=start)
    assert system.ran == ran, situation


def test_a_real_installation_needs_root_and_a_running_systemd(monkeypatch):
    from tomatoplan.base import resources

    monkeypatch.setattr(resources, "archive_path", lambda: "/opt/tomatoplan/tomatoplan.pyz")
    args = argparse.Namespace(root=None, dry_run=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "demande les droits root" in install._cannot_install(args, sys.executable)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(os.path, "isdir", lambda path: path != "/run/systemd/system")
    assert "systemd ne tourne pas" in install._cannot_install(args, sys.executable)
    assert install._cannot_install(argparse.Namespace(root=None, dry_run=True), "/x") is None
