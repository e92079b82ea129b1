"""Every route of the router, called with every role and every kind of bad token.

The expected status comes from the permission table itself: a route added later without a
declared permission, or with one the table does not give, makes this test fail.
"""

from __future__ import annotations

import datetime
import re

import jwt
import pytest

from tests.helpers import ROOT
from tests.helpers.api import TEST_SECRET, create_user, login
from tomatoplan.base.permissions import AUTHENTICATED, PUBLIC, ROLES, Permission, has_permission
from tomatoplan.web.endpoint import endpoint_of
from tomatoplan.web.openapi import documented_routes

PLACEHOLDER_VALUES = {"date": "2024-01-15", "path": "docs-init.js", "name": "backup_20240115_120000.db"}


def concrete(path: str) -> str:
    """A callable URL for a path template: ids name no record (no call destroys a test's
    session or user), dates are a real day."""
    def value(match):
        name = match.group(1)
        if name in PLACEHOLDER_VALUES:
            return PLACEHOLDER_VALUES[name]
        return "999999" if name == "id" or name.endswith("_id") else "x"
    return re.sub(r"\{([^}]+)\}", value, path)


def routes_of(app):
    return [(method, path, endpoint_of(route.handler)) for method, path, route in documented_routes(app)]


async def _call(client, method, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return await client.request(method, concrete(path), headers=headers, **kwargs)


async def test_every_route_declares_a_known_permission(client):
    for method, path, declared in routes_of(client.app):
        assert declared is not None, f"{method} {path} has no endpoint() declaration"
        assert declared.permission in (PUBLIC, AUTHENTICATED) or isinstance(declared.permission, Permission)


async def test_each_role_gets_exactly_what_the_table_gives(client):
    tokens = {}
    for role in ROLES:
        await create_user(client, f"USER.{role.upper()}", role)
        tokens[role] = (await login(client, f"USER.{role.upper()}")).token
    checked = 0
    for method, path, declared in routes_of(client.app):
        for role in ROLES:
            token = tokens[role]
            if path == "/auth/logout":
                await create_user(client, f"OUT.{role.upper()}.{checked}", role)
                token = (await login(client, f"OUT.{role.upper()}.{checked}")).token
            response = await _call(client, method, path, token)
            allowed = has_permission(role, declared.permission)
            where = f"{role} {method} {path} -> {response.status}"
            if allowed:
                assert response.status not in (401, 403, 500), where
            else:
                assert response.status == 403, where
                assert (await response.json())["code"] == "forbidden", where
            checked += 1
    assert checked >= 6 * 10


def _forged_tokens(real_jti: str) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    base = {"sub": "ADMIN", "jti": real_jti, "iat": now, "exp": now + datetime.timedelta(hours=1),
            "iss": "tomatoplan"}
    past = now - datetime.timedelta(hours=3)
    return {
        "expired": jwt.encode({**base, "iat": past, "exp": past + datetime.timedelta(hours=1)},
                              TEST_SECRET, algorithm="HS256"),
        "other key": jwt.encode(base, "x" * 40, algorithm="HS256"),
        "alg none": jwt.encode({**base, "iat": int(now.timestamp()), "exp": 4102444800}, None,
                               algorithm="none"),
    }


@pytest.mark.parametrize("kind", ["no token", "expired", "other key", "alg none", "revoked"])
async def test_protected_routes_refuse_bad_tokens_with_401(client, kind):
    admin = await login(client, "ADMIN")
    jti = jwt.decode(admin.token, TEST_SECRET, algorithms=["HS256"], issuer="tomatoplan")["jti"]
    if kind == "revoked":
        revoked = await login(client, "ADMIN")
        assert (await revoked.post("/auth/logout")).status == 204
        token = revoked.token
    elif kind == "no token":
        token = None
    else:
        token = _forged_tokens(jti)[kind]
    for method, path, declared in routes_of(client.app):
        response = await _call(client, method, path, token)
        where = f"{kind}: {method} {path} -> {response.status}"
        if declared.permission == PUBLIC:
            assert response.status not in (401, 403, 500), where
        else:
            assert response.status == 401, where
            assert response.content_type == "application/problem+json", where
    # The real session was never touched by any of this.
    assert (await admin.get("/auth/me")).status == 200


async def test_forbidden_access_is_logged_with_the_user(client, as_role):
    viewer = await as_role("viewer")
    response = await viewer.get("/admin/users")
    assert response.status == 403
    from tests.helpers.api import activity_lines

    line = (await activity_lines(client))[0]
    assert line["action"] == "access_denied"
    assert line["username"] == viewer.user["username"]
    assert "GET /admin/users" in line["summary"]


def test_the_readme_shows_the_role_table_of_the_code():
    import os

    from tomatoplan.base.permissions import markdown_table

    readme = os.path.join(ROOT, "README.md")
    with open(readme, encoding="utf-8") as handle:
        assert markdown_table() in handle.read()
