"""Fixtures: the real app on a fresh temporary database for each test, logged-in users, and
the zipapp built once per session.

Helpers live in tests/helpers/ and are imported from there, never from this file.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.helpers.api import TEST_SECRET, Api, create_user, login
from tests.helpers.server import ServedLikeProduction
from tests.helpers.zipapp import build
from tomatoplan.app import create_app
from tomatoplan.base.config import Config

# The browser fixtures (admin_server, browser, page) for the administration's screens.
pytest_plugins = ["tests.helpers.browser"]


@pytest.fixture(scope="session")
def pyz(tmp_path_factory) -> Path:
    """dist/tomatoplan.pyz built once for the session (zipapp and README tests)."""
    return build(tmp_path_factory.mktemp("zipapp") / "tomatoplan.pyz")


@pytest.fixture
def config(tmp_path) -> Config:
    """Defaults of the seed, moved into the test's own folder."""
    os.makedirs(tmp_path / "data", exist_ok=True)
    return Config(
        host="127.0.0.1",
        port=0,
        database_path=str(tmp_path / "data" / "tomatoplan.db"),
        log_dir=None,
        backup_dir=str(tmp_path / "data" / "backups"),
        secret_key=TEST_SECRET,
        auto_backup_enabled=False,
    )


@pytest.fixture
def make_client(aiohttp_client, config):
    """Start the app with some settings changed: `await make_client(max_body_size=2048)`."""

    async def start(app_factory=create_app, **changes):
        app = app_factory(dataclasses.replace(config, **changes))
        return await aiohttp_client(ServedLikeProduction(app, host="127.0.0.1"))

    return start


@pytest.fixture
async def client(make_client):
    return await make_client()


@pytest.fixture
def as_role(client):
    """`api = await as_role("planner")`: a fresh user of that role, logged in."""
    counter = {"n": 0}

    async def make(role: str) -> Api:
        counter["n"] += 1
        username = f"{role.upper()}.{counter['n']}"
        await create_user(client, username, role)
        return await login(client, username)

    return make


@pytest.fixture
async def admin(client) -> Api:
    """The default admin (ADMIN), logged in."""
    return await login(client, "ADMIN")
