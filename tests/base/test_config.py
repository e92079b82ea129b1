"""Configuration: defaults of the seed, .env, the environment winning, clear refusals."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tomatoplan.base.config import SETTINGS, ConfigError, load_config, prepare_folders


def test_defaults_are_the_seeds(tmp_path):
    config = load_config({}, env_file=str(tmp_path / "absent.env"))
    assert (config.host, config.port) == ("0.0.0.0", 8000)
    assert config.database_path == "./data/tomatoplan.db"
    assert config.default_admin_username == "ADMIN"
    assert config.log_level == "INFO"
    assert config.auto_backup_enabled is True
    assert config.auto_backup_hour == 2
    assert config.backup_retention_days == 30
    assert config.sqlite_synchronous == "FULL"
    assert config.max_body_size == 1024 * 1024


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        "TOMATOPLAN_PORT=9000\n"
        "export TOMATOPLAN_LOG_LEVEL=debug\n"
        'TOMATOPLAN_DEFAULT_ADMIN_USERNAME="CHEF"\n'
        "TOMATOPLAN_ALLOWED_NETWORKS=10.0.0.0/8, 192.168.1.0/24 # bureaux\n"
        "OTHER_APP_SETTING=ignored\n",
        encoding="utf-8",
    )
    config = load_config({"TOMATOPLAN_PORT": "9100"}, env_file=str(env_file))
    assert config.port == 9100
    assert config.log_level == "DEBUG"
    assert config.default_admin_username == "CHEF"
    assert config.allowed_networks == (ipaddress.ip_network("10.0.0.0/8"),
                                       ipaddress.ip_network("192.168.1.0/24"))


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("TOMATOPLAN_PORT", "abc", "TOMATOPLAN_PORT"),
    ("TOMATOPLAN_PORT", "70000", "entre 1 et 65535"),
    ("TOMATOPLAN_LOG_LEVEL", "LOUD", "TOMATOPLAN_LOG_LEVEL"),
    ("TOMATOPLAN_AUTO_BACKUP_ENABLED", "peut-être", "true ou false"),
    ("TOMATOPLAN_AUTO_BACKUP_HOUR", "24", "entre 0 et 23"),
    ("TOMATOPLAN_SQLITE_SYNCHRONOUS", "FAST", "TOMATOPLAN_SQLITE_SYNCHRONOUS"),
    ("TOMATOPLAN_ALLOWED_NETWORKS", "10.0.0.300/8", "CIDR"),
    ("TOMATOPLAN_SECRET_KEY", "short", "32 octets"),
    ("TOMATOPLAN_TOKEN_TTL_HOURS", "0", "TOMATOPLAN_TOKEN_TTL_HOURS"),
    ("TOMATOPLAN_PROT", "8000", "variable inconnue"),
])
def test_bad_values_are_refused_with_the_variable_named(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config({variable: value}, env_file=str(tmp_path / "absent.env"))


def test_a_malformed_env_file_line_is_refused(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TOMATOPLAN_PORT 8000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ligne 1"):
        load_config({}, env_file=str(env_file))


def test_an_unusable_data_folder_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    config = load_config({"TOMATOPLAN_DATABASE_PATH": str(blocker / "sub" / "t.db")},
                         env_file=str(tmp_path / "absent.env"))
    with pytest.raises(ConfigError, match="TOMATOPLAN_DATABASE_PATH"):
        prepare_folders(config)


def test_every_setting_is_in_the_readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    missing = [s.name for s in SETTINGS if f"TOMATOPLAN_{s.name}" not in readme]
    assert missing == []


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_cli(tmp_path, *args, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TOMATOPLAN_")}
    environ.update(env)
    environ["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "tomatoplan", *args], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("env", "expected"), [
    ({"TOMATOPLAN_PORT": "abc"}, "TOMATOPLAN_PORT"),
    ({"TOMATOPLAN_DATABASE_PATH": "/proc/tomatoplan/t.db"}, "TOMATOPLAN_DATABASE_PATH"),
])
def test_cli_prints_one_line_and_exits_2_on_bad_config(tmp_path, env, expected):
    result = _run_cli(tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_refuses_a_database_newer_than_the_code_in_one_line(tmp_path):
    import sqlite3

    (tmp_path / "data").mkdir()
    conn = sqlite3.connect(tmp_path / "data" / "tomatoplan.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = _run_cli(tmp_path, TOMATOPLAN_PORT=str(free_port()), TOMATOPLAN_HOST="127.0.0.1")
    assert result.returncode == 3  # a database that cannot be used: systemd does not restart
    assert "plus récent" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_version_and_help(tmp_path):
    from tomatoplan import __version__

    version = _run_cli(tmp_path, "--version")
    assert version.returncode == 0 and __version__ in version.stdout
    help_text = _run_cli(tmp_path, "--help")
    assert help_text.returncode == 0 and "serve" in help_text.stdout
