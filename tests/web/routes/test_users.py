"""Admin API for users and sessions: what an admin can do, and what is refused."""

from __future__ import annotations

import pytest

from tests.helpers.api import activity_lines, create_user, login
from tomatoplan.web.state import DB


async def _users_table(client):

    async with client.app[DB].read() as session:
        return await session.fetch_all("SELECT * FROM users ORDER BY id")


async def test_admin_creates_a_user_who_can_then_log_in(client, admin):
    response = await admin.post("/admin/users", json={"username": "CORP\\marie.curie",
                                                      "role": "planner_advanced",
                                                      "display_name": "Marie Curie"})
    assert response.status == 201
    created = await response.json()
    assert created["username"] == "MARIE.CURIE"
    assert created["created_by"] == "ADMIN"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/admin/users/{created['id']}"
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"], line["entity_id"]) == ("create", "user", created["id"])
    assert (await login(client, "marie.curie")).user["role"] == "planner_advanced"


async def test_creating_an_existing_username_is_409(client, admin):
    await create_user(client, "DOUBLON", "viewer")
    response = await admin.post("/admin/users", json={"username": "doublon", "role": "viewer"})
    assert response.status == 409
    assert (await response.json())["code"] == "username_taken"


@pytest.mark.parametrize(("payload", "fields"), [
    ({"role": "viewer"}, ["username"]),
    ({"username": "X"}, ["role"]),
    ({"username": "X", "role": "boss"}, ["role"]),
    ({"username": 12, "role": "viewer"}, ["username"]),
    ({"username": "X", "role": "viewer", "active": "yes"}, ["active"]),
    ({"username": "X", "role": "viewer", "id": 7}, ["id"]),
    ({"username": "X", "role": "viewer", "version": 3}, ["version"]),
    ({"username": "a b", "role": "viewer"}, ["username"]),
    ([], ["(corps)"]),
])
async def test_bad_user_bodies_are_422_and_nothing_is_stored(client, admin, payload, fields):
    before = await _users_table(client)
    response = await admin.post("/admin/users", json=payload)
    assert response.status == 422
    body = await response.json()
    assert sorted({e["field"] for e in body["errors"]}) == sorted(fields)
    assert await _users_table(client) == before


async def test_malformed_json_is_400_and_nothing_is_stored(client, admin):
    before = await _users_table(client)
    response = await admin.post("/admin/users", data=b'{"username": ',
                                headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert await _users_table(client) == before


@pytest.mark.parametrize("role", ["viewer", "planner", "planner_advanced", "driver_admin", "finance"])
async def test_only_admins_manage_users(client, as_role, role):
    api = await as_role(role)
    before = await _users_table(client)
    for method, path, body in [("GET", "/admin/users", None),
                               ("POST", "/admin/users", {"username": "X", "role": "admin"}),
                               ("PUT", "/admin/users/1", {"role": "viewer"}),
                               ("DELETE", "/admin/users/1", None),
                               ("GET", "/admin/sessions", None)]:
        response = await api.request(method, path, json=body)
        assert response.status == 403, (method, path)
    assert await _users_table(client) == before


async def test_no_token_is_401_and_nothing_changes(client):
    before = await _users_table(client)
    response = await client.post("/admin/users", json={"username": "X", "role": "admin"})
    assert response.status == 401
    assert await _users_table(client) == before


async def test_user_list_pages_and_hides_inactive_by_default(client, admin):
    for index in range(5):
        await create_user(client, f"U{index}", "viewer", active=index != 0)
    response = await admin.get("/admin/users", params={"limit": "2", "offset": "1"})
    assert response.status == 200
    assert response.headers["X-Total-Count"] == "5"  # ADMIN + U1..U4
    assert [u["username"] for u in await response.json()] == ["U1", "U2"]
    everyone = await admin.get("/admin/users", params={"include_inactive": "true", "limit": "100"})
    assert everyone.headers["X-Total-Count"] == "6"
    bad = await admin.get("/admin/users", params={"limit": "abc", "colour": "red"})
    assert bad.status == 422
    assert {e["field"] for e in (await bad.json())["errors"]} == {"limit", "colour"}


async def test_update_honours_if_match(client, admin):
    user = await create_user(client, "PIERRE", "viewer")
    first = await admin.put(f"/admin/users/{user['id']}", json={"role": "planner"},
                            headers={"If-Match": '"1"'})
    assert first.status == 200
    assert first.headers["ETag"] == '"2"'
    stale = await admin.put(f"/admin/users/{user['id']}", json={"role": "finance"},
                            headers={"If-Match": '"1"'})
    assert stale.status == 412
    body = await stale.json()
    assert body["code"] == "version_mismatch"
    assert body["current"]["role"] == "planner"
    garbage = await admin.put(f"/admin/users/{user['id']}", json={"role": "finance"},
                              headers={"If-Match": "yesterday"})
    assert garbage.status == 400
    got = await admin.get(f"/admin/users/{user['id']}")
    assert (await got.json())["role"] == "planner"
    assert got.headers["ETag"] == '"2"'


async def test_update_logs_the_diff(client, admin):
    user = await create_user(client, "PAUL", "viewer")
    await admin.put(f"/admin/users/{user['id']}", json={"role": "planner", "display_name": "Paul"})
    import json

    line = (await activity_lines(client))[0]
    assert line["action"] == "update"
    assert json.loads(line["changes"]) == {"before": {"display_name": "", "role": "viewer"},
                                           "after": {"display_name": "Paul", "role": "planner"}}


async def test_unknown_user_is_404(client, admin):
    for method in ("GET", "PUT", "DELETE"):
        response = await admin.request(method, "/admin/users/999", json={"role": "viewer"}
                                       if method == "PUT" else None)
        assert response.status == 404
    huge = await admin.get("/admin/users/99999999999999999999999")
    assert huge.status == 404


@pytest.mark.parametrize(("method", "body"), [("PUT", {"role": "planner"}),
                                              ("PUT", {"active": False}),
                                              ("DELETE", None)])
async def test_the_last_active_admin_cannot_be_removed(client, admin, method, body):
    response = await admin.request(method, f"/admin/users/{admin.user['id']}", json=body)
    assert response.status == 409
    assert (await response.json())["code"] == "last_admin"
    assert (await admin.get("/auth/me")).status == 200


async def test_an_admin_can_step_down_once_another_admin_exists(client, admin):
    await create_user(client, "ADJOINT", "admin")
    response = await admin.put(f"/admin/users/{admin.user['id']}", json={"role": "viewer"})
    assert response.status == 200
    assert (await admin.get("/auth/me")).status == 401  # role change revoked the session


async def test_sessions_are_listed_and_can_be_revoked(client, admin):
    await create_user(client, "JEAN", "planner")
    jean = await login(client, "JEAN", hostname="PC-JEAN")
    response = await admin.get("/admin/sessions")
    assert response.status == 200
    sessions = await response.json()
    mine = [s for s in sessions if s["username"] == "JEAN"]
    assert len(mine) == 1 and mine[0]["hostname"] == "PC-JEAN"
    assert response.headers["X-Total-Count"] == "2"
    revoke = await admin.delete(f"/admin/sessions/{mine[0]['id']}")
    assert revoke.status == 204
    assert (await jean.get("/auth/me")).status == 401
    line = (await activity_lines(client))[1]
    assert (line["action"], line["entity"], line["entity_id"]) == ("delete", "session", mine[0]["id"])
    assert (await admin.delete("/admin/sessions/4242")).status == 404
