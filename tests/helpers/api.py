"""A logged-in client, users made straight in the database, and what a 4xx answer looks like."""

from __future__ import annotations

from tomatoplan.rules import activity, users
from tomatoplan.web.state import DB, DENIALS

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
PROBLEM = "application/problem+json"


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
    return await users.create_user(client.app[DB], activity.SYSTEM,
                                   {"username": username, "role": role, "active": active})


async def login(client, username: str, hostname: str = "PC-TEST") -> Api:
    response = await client.post("/auth/login", json={"username": username, "hostname": hostname})
    assert response.status == 200, await response.text()
    body = await response.json()
    return Api(client, body["access_token"], body["user"])


async def flush_refusals(client) -> None:
    """Write the refusals still tallied in memory, as the next flush (within a second) would."""
    await client.app[DENIALS].flush(client.app[DB])


async def activity_lines(client, limit: int = 50) -> list:
    """The newest activity-log lines as stored, newest first (refusals flushed first)."""
    await flush_refusals(client)
    async with client.app[DB].read() as session:
        return await session.fetch_all("SELECT * FROM activity_log ORDER BY id DESC LIMIT :limit",
                                       {"limit": limit})


async def problem(response, status: int, code: str) -> dict:
    """The body of a problem-details answer, checked for its status, type, code and detail."""
    body = await response.json()
    assert response.status == status, body
    assert response.content_type == PROBLEM
    assert body["code"] == code, body
    assert body["detail"]
    return body


async def invalid_fields(response) -> dict:
    """{field: code} of a 422 answer."""
    body = await problem(response, 422, "validation_error")
    return {error["field"]: error["code"] for error in body["errors"]}


async def stale_fields(response, code: str = "reference_not_found") -> dict:
    """{field: code} of a 409 answer to a request valid in itself that names what does not
    exist (any more), or (`conflicts_with_stored`) contradicts the stored record."""
    body = await problem(response, 409, code)
    return {error["field"]: error["code"] for error in body["errors"]}
