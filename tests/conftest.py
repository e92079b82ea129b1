"""Shared fixtures: the real app on a fresh temporary database for each test, and the zipapp."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.helpers.zipapp import build
from tomatoplan.app import create_app
from tomatoplan.config import Config

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"


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
        return await aiohttp_client(app_factory(dataclasses.replace(config, **changes)))

    return start


@pytest.fixture
async def client(make_client):
    return await make_client()


class Api:
    """A logged-in client: `await api.get("/missions")` sends the bearer token."""

    def __init__(self, client, token: str, user: dict):
        self.client = client
        self.token = token
        self.user = user
        self.headers = {"Authorization": f"Bearer {token}"}

    def _merge(self, kwargs):
        headers = dict(self.headers)
        headers.update(kwargs.pop("headers", None) or {})
        kwargs["headers"] = headers
        return kwargs

    def get(self, path, **kwargs):
        return self.client.get(path, **self._merge(kwargs))

    def post(self, path, **kwargs):
        return self.client.post(path, **self._merge(kwargs))

    def put(self, path, **kwargs):
        return self.client.put(path, **self._merge(kwargs))

    def delete(self, path, **kwargs):
        return self.client.delete(path, **self._merge(kwargs))

    def request(self, method, path, **kwargs):
        return self.client.request(method, path, **self._merge(kwargs))


async def create_user(client, username: str, role: str, active: bool = True) -> dict:
    """Create a user straight in the database (as SYSTEM), bypassing the API."""
    from tomatoplan import activity, keys, users

    return await users.create_user(client.app[keys.DB], activity.SYSTEM,
                                   {"username": username, "role": role, "active": active})


async def login(client, username: str, hostname: str = "PC-TEST") -> Api:
    response = await client.post("/auth/login", json={"username": username, "hostname": hostname})
    assert response.status == 200, await response.text()
    body = await response.json()
    return Api(client, body["access_token"], body["user"])


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


async def activity_lines(client, limit: int = 50) -> list:
    """The newest activity-log lines, newest first."""
    from tomatoplan import keys, sqlfiles

    async with client.app[keys.DB].read() as session:
        return await session.fetch_all(sqlfiles.load("activity").activity_latest, {"limit": limit})
