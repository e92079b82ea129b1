"""Login by Windows username, tokens, sessions, and the activity lines they leave."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import stat

import jwt
import pytest

from tests.helpers.api import TEST_SECRET, activity_lines, create_user, login
from tomatoplan.base.config import ConfigError
from tomatoplan.rules.tokens import load_or_create_key
from tomatoplan.rules.users import InvalidUsername, normalise_username
from tomatoplan.web.live_sessions import SESSION_CACHE, SESSION_TOUCHES
from tomatoplan.web.state import DB

# --- the username ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    "JEAN.DUPONT", "jean.dupont", " Jean.Dupont ", "CORP\\jean.dupont", "corp.local\\JEAN.dupont",
    "jean.dupont@corp.local", " CORP\\Jean.Dupont ",
])
def test_windows_forms_of_a_name_are_one_user(raw):
    assert normalise_username(raw) == "JEAN.DUPONT"


@pytest.mark.parametrize("raw", ["", "   ", "CORP\\", "@corp.local", "a" * 65, "jean dupont",
                                 "jean;drop", "élodie", "../etc", "-flag"])
def test_names_windows_would_not_give_are_refused(raw):
    with pytest.raises(InvalidUsername):
        normalise_username(raw)


async def test_login_with_a_domain_name_gives_a_token_for_the_user(client):
    await create_user(client, "JEAN.DUPONT", "planner")
    response = await client.post("/auth/login", json={"username": "CORP\\jean.dupont",
                                                      "hostname": "PC-BUREAU-01"})
    assert response.status == 200
    body = await response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "JEAN.DUPONT"
    assert body["user"]["role"] == "planner"
    assert "missions.write" in body["user"]["permissions"]
    assert body["expires_at"].endswith("Z")
    claims = jwt.decode(body["access_token"], TEST_SECRET, algorithms=["HS256"],
                        issuer="tomatoplan")
    assert claims["sub"] == "JEAN.DUPONT"
    assert {"jti", "iat", "exp"} <= set(claims)
    line = (await activity_lines(client))[0]
    assert (line["action"], line["username"], line["hostname"], line["address"]) == \
        ("login", "JEAN.DUPONT", "PC-BUREAU-01", "127.0.0.1")


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "username"),
    ({"username": 42}, "username"),
    ({"username": "x" * 300}, "username"),
    ({"username": "jean dupont"}, "username"),
    ({"username": "ADMIN", "hostname": ["PC"]}, "hostname"),
    ({"username": "ADMIN", "password": "x"}, "password"),
    ({"username": "ADMIN", "hostname": "PC-01\r\nFAUX: oui"}, "hostname"),
    ({"username": "ADMIN", "hostname": "PC\u202e10-CP"}, "hostname"),
    ({"username": "ADMIN", "hostname": "<b>PC</b>"}, "hostname"),
    ({"username": "ADMIN", "hostname": "-PC"}, "hostname"),
])
async def test_login_refuses_bad_bodies_with_422_naming_the_field(client, payload, field):
    response = await client.post("/auth/login", json=payload)
    assert response.status == 422
    body = await response.json()
    assert field in [error["field"] for error in body["errors"]]
    assert [line["action"] for line in await activity_lines(client)] == ["create"]  # the admin only


async def test_login_refuses_malformed_json(client):
    response = await client.post("/auth/login", data=b"{username: ADMIN",
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert (await response.json())["code"] == "malformed_json"


async def test_unknown_user_gets_401_and_the_attempt_is_logged(client):
    response = await client.post("/auth/login", json={"username": "INCONNU", "hostname": "PC-9"})
    assert response.status == 401
    body = await response.json()
    assert body["code"] == "login_refused"
    assert "inconnu" in body["detail"].lower()
    line = (await activity_lines(client))[0]
    assert (line["action"], line["username"], line["hostname"]) == ("login_failed", "INCONNU", "PC-9")


async def test_inactive_user_gets_401(client):
    await create_user(client, "PARTI", "planner", active=False)
    response = await client.post("/auth/login", json={"username": "parti"})
    assert response.status == 401
    assert "désactivé" in (await response.json())["detail"]
    assert (await activity_lines(client))[0]["action"] == "login_failed"


async def test_default_admin_exists_after_first_start(client):
    api = await login(client, "admin")
    assert api.user["role"] == "admin"


async def test_auto_register_creates_unknown_users_with_the_configured_role(make_client):
    client = await make_client(auto_register_role="viewer")
    api = await login(client, "CORP\\nouveau.venu")
    assert api.user == {**api.user, "username": "NOUVEAU.VENU", "role": "viewer"}
    actions = [line["action"] for line in await activity_lines(client)]
    assert actions[:2] == ["login", "create"]
    again = await login(client, "nouveau.venu")
    assert again.user["id"] == api.user["id"]


async def test_auto_register_is_off_by_default(client):
    response = await client.post("/auth/login", json={"username": "NOUVEAU"})
    assert response.status == 401


# --- tokens and sessions -----------------------------------------------------------------


async def test_me_returns_user_role_and_permissions(client):
    await create_user(client, "VIEW", "viewer")
    api = await login(client, "VIEW", hostname="PC-7")
    response = await api.get("/auth/me")
    assert response.status == 200
    body = await response.json()
    assert body["username"] == "VIEW"
    assert body["role"] == "viewer"
    assert [p["name"] for p in body["permissions"]] == ["planning.read"]
    assert body["session"]["hostname"] == "PC-7"


async def test_logout_revokes_the_token_at_once(client):
    api = await login(client, "ADMIN")
    response = await api.post("/auth/logout")
    assert response.status == 204
    after = await api.get("/auth/me")
    assert after.status == 401
    assert (await after.json())["code"] == "session_revoked"
    actions = [line["action"] for line in await activity_lines(client)]
    assert actions[:2] == ["access_denied", "logout"]


async def test_a_role_change_takes_effect_on_the_next_request(client, admin):
    user = await create_user(client, "PLANIF", "planner")
    planner = await login(client, "PLANIF")
    assert (await planner.get("/auth/me")).status == 200
    response = await admin.put(f"/admin/users/{user['id']}", json={"role": "viewer"})
    assert response.status == 200
    assert (await planner.get("/auth/me")).status == 401
    again = await login(client, "PLANIF")
    assert again.user["role"] == "viewer"


async def test_deactivating_a_user_ends_their_sessions(client, admin):
    user = await create_user(client, "PARTANT", "planner")
    planner = await login(client, "PARTANT")
    response = await admin.delete(f"/admin/users/{user['id']}")
    assert response.status == 200
    assert (await response.json())["active"] is False
    assert (await planner.get("/auth/me")).status == 401
    assert (await client.post("/auth/login", json={"username": "PARTANT"})).status == 401


def _token(key, **claims):
    now = datetime.datetime.now(datetime.timezone.utc)
    payload = {"sub": "ADMIN", "jti": "x" * 32, "iat": now, "exp": now + datetime.timedelta(hours=1),
               "iss": "tomatoplan"}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm="HS256")


async def test_tokens_that_must_not_work(client):
    real = await login(client, "ADMIN")
    jti = jwt.decode(real.token, TEST_SECRET, algorithms=["HS256"], issuer="tomatoplan")["jti"]
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    forged = {
        "expired": _token(TEST_SECRET, jti=jti, iat=past, exp=past + datetime.timedelta(hours=1)),
        "other key": _token("another-secret-key-of-enough-length-000", jti=jti),
        "alg none": jwt.encode({"sub": "ADMIN", "jti": jti, "iat": 1, "exp": 4102444800,
                                "iss": "tomatoplan"}, None, algorithm="none"),
        "no jti": _token(TEST_SECRET, jti=None),
        "no exp": _token(TEST_SECRET, jti=jti, exp=None),
        "wrong issuer": _token(TEST_SECRET, jti=jti, iss="someone"),
        "unknown session": _token(TEST_SECRET),
        "other user on a real session": _token(TEST_SECRET, jti=jti, sub="JEAN"),
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401, name
        assert response.content_type == "application/problem+json", name
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Token abc"):
        response = await client.get("/auth/me", headers={"Authorization": header})
        assert response.status == 401, header
    assert (await real.get("/auth/me")).status == 200


async def test_a_refused_token_leaves_an_activity_line(client):
    await client.get("/auth/me", headers={"Authorization": "Bearer not.a.token"})
    line = (await activity_lines(client))[0]
    assert line["action"] == "access_denied"
    assert "invalid_token" in line["summary"]


async def test_cookie_login_sets_an_httponly_strict_cookie_and_checks_origin(client):
    own = f"http://{client.server.host}:{client.server.port}"
    # Another site's form may not log this browser in under a name it chose (login CSRF).
    for headers in ({}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        forged = await client.post("/auth/login", headers=headers,
                                   json={"username": "ADMIN", "session_cookie": True})
        assert forged.status == 403 and "Set-Cookie" not in forged.headers, headers
    response = await client.post("/auth/login", headers={"Origin": own},
                                 json={"username": "ADMIN", "session_cookie": True})
    assert response.status == 200
    cookie = response.cookies["tomatoplan_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    me = await client.get("/auth/me")
    assert me.status == 200 and (await me.json())["session"]["via_cookie"] is True
    bad = await client.post("/admin/users", json={"username": "X", "role": "viewer"},
                            headers={"Origin": "http://evil.example"})
    assert bad.status == 403
    assert (await bad.json())["code"] == "bad_origin"
    missing = await client.post("/admin/users", json={"username": "X", "role": "viewer"})
    assert missing.status == 403
    good = await client.post("/admin/users", json={"username": "X", "role": "viewer"},
                             headers={"Origin": own})
    assert good.status == 201
    logout = await client.post("/auth/logout", headers={"Origin": own})
    assert logout.status == 204
    assert (await client.get("/auth/me")).status == 401


async def test_expired_sessions_are_purged(client):
    from tomatoplan.rules import sessions

    api = await login(client, "ADMIN")
    db = client.app[DB]
    async with db.write() as tx:
        await tx.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
    assert (await api.get("/auth/me")).status == 401
    assert await sessions.purge_expired(db) == 1


# --- the signing key -----------------------------------------------------------------------


def test_key_file_is_generated_with_mode_0600_and_reused(config, tmp_path):
    import dataclasses

    cfg = dataclasses.replace(config, secret_key="")
    first = load_or_create_key(cfg)
    path = os.path.join(cfg.data_dir, "secret.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= 32
    assert load_or_create_key(cfg) == first


def test_a_key_file_others_can_read_is_refused(config):
    import dataclasses

    cfg = dataclasses.replace(config, secret_key="")
    load_or_create_key(cfg)
    os.chmod(os.path.join(cfg.data_dir, "secret.key"), 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key(cfg)


def test_a_short_key_file_is_refused(config):
    import dataclasses

    cfg = dataclasses.replace(config, secret_key="")
    path = os.path.join(cfg.data_dir, "secret.key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"short")
    os.close(fd)
    with pytest.raises(ConfigError, match="trop courte"):
        load_or_create_key(cfg)


def test_a_short_configured_key_is_refused(config):
    import dataclasses

    with pytest.raises(ConfigError, match="32 octets"):
        load_or_create_key(dataclasses.replace(config, secret_key="x" * 31))


async def test_the_key_is_read_at_start_once_the_database_is_ready(config):
    """create_app reads no file; an unusable database stops the start before any key is made,
    and a key file others can read is refused once the database is checked."""
    import dataclasses

    from aiohttp import web

    from tomatoplan.app import create_app
    from tomatoplan.base.db import DatabaseError

    async def start(app) -> None:
        runner = web.AppRunner(app)
        try:
            await runner.setup()  # runs the start of every cleanup context, in order
        finally:
            await runner.cleanup()

    cfg = dataclasses.replace(config, secret_key="")
    key_path = os.path.join(cfg.data_dir, "secret.key")
    with open(cfg.database_path, "wb") as handle:
        handle.write(b"not a database" * 100)
    app = create_app(cfg)
    assert not os.path.exists(key_path)
    with pytest.raises(DatabaseError):
        await start(app)
    assert not os.path.exists(key_path)

    os.remove(cfg.database_path)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"k" * 64)
    os.close(fd)
    os.chmod(key_path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        await start(create_app(cfg))
    assert os.path.getsize(cfg.database_path) > 0  # opened and migrated first


async def test_a_login_stamps_the_session_and_the_user_at_one_instant(client):
    await login(client, "ADMIN")
    async with client.app[DB].read() as session:
        row = await session.fetch_one(
            "SELECT s.created_at, s.last_seen_at, u.last_login_at FROM sessions AS s "
            "JOIN users AS u ON u.id = s.user_id ORDER BY s.id DESC LIMIT 1")
    assert row["created_at"] == row["last_seen_at"] == row["last_login_at"]


async def test_a_read_never_waits_for_the_writer_to_record_its_session_use(client):
    """A restore holds the writer for a minute per million missions: reads go on meanwhile,
    the session's use is recorded once the writer is free."""
    import asyncio

    api = await login(client, "ADMIN")
    db = client.app[DB]
    async with db.write() as tx:
        await tx.execute("UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000Z'")
    holding, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with db.write():
            holding.set()
            await release.wait()

    writer = asyncio.ensure_future(long_write())
    await holding.wait()
    response = await asyncio.wait_for(api.get("/missions"), 5)
    assert response.status == 200
    release.set()
    await writer
    assert await client.app[SESSION_TOUCHES].flush(db) == 1  # what runs every 30 s
    async with db.read() as session:
        seen = await session.fetch_value("SELECT last_seen_at FROM sessions")
    assert seen > "2000-01-01T00:00:00.000Z"


async def test_checking_a_token_reads_its_session_once_and_a_revocation_still_counts_at_once(
        client, admin, monkeypatch):
    from tomatoplan.rules import sessions

    reads = []
    real = sessions.for_token

    async def counted(db, jti):
        reads.append(jti)
        return await real(db, jti)

    monkeypatch.setattr(sessions, "for_token", counted)
    other = await login(client, "ADMIN")
    jti = jwt.decode(other.token, options={"verify_signature": False})["jti"]
    for _ in range(20):
        assert (await other.get("/auth/me")).status == 200
    assert reads.count(jti) == 1
    assert (await admin.post("/auth/logout")).status == 204  # another session's change:
    assert (await other.get("/auth/me")).status == 200  # read again, once
    assert (await other.get("/auth/me")).status == 200
    assert reads.count(jti) == 2
    assert (await other.post("/auth/logout")).status == 204
    assert (await other.get("/auth/me")).status == 401  # at once, not at the cache's leisure
    assert reads.count(jti) == 3


async def test_a_session_row_read_while_a_revocation_commits_is_not_kept(client):
    """The race: a request reads the row, the revocation commits (and empties the cache),
    then the request would store what it read. It must not."""
    api = await login(client, "ADMIN")
    cache = client.app[SESSION_CACHE]
    jti = jwt.decode(api.token, options={"verify_signature": False})["jti"]
    from tomatoplan.rules import sessions

    real = sessions.for_token

    async def read_then_revocation_commits(db, token_jti):
        row = await real(db, token_jti)
        cache.committed([{"entity": "session"}])
        return row

    sessions.for_token = read_then_revocation_commits
    try:
        assert await cache.row_for(client.app[DB], jti) is not None
    finally:
        sessions.for_token = real
    assert jti not in cache._rows


# --- odd bytes in what identifies the caller ---------------------------------------------

async def raw_answer(client, request: bytes) -> tuple[int, bytes]:
    """Send bytes aiohttp's client would refuse to send; the status and the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        writer.write(request)
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("header", [b"Authorization: Bearer a\xffb.c.d",
                                    b"Authorization: Bearer " + b"a" * 3000 + b".b.c",
                                    b"Cookie: tomatoplan_session=a\xff.b.c",
                                    b"Cookie: tomatoplan_session=<script>"])
async def test_a_token_with_odd_bytes_is_a_401_not_a_500(client, header):
    status, body = await raw_answer(client, b"GET /missions HTTP/1.1\r\nHost: x\r\n" + header
                                    + b"\r\nConnection: close\r\n\r\n")
    assert status == 401
    assert json.loads(body)["code"] == "invalid_token"


async def test_a_user_agent_that_is_not_utf8_still_logs_in_and_is_stored_printable(client):
    body = b'{"username": "ADMIN", "hostname": "PC-01"}'
    status, answer = await raw_answer(
        client, b"POST /auth/login HTTP/1.1\r\nHost: x\r\nUser-Agent: PTT \xff\xfe/2\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n"
                b"\r\n%s" % (len(body), body))
    assert status == 200
    token = json.loads(answer)["access_token"]
    sessions = await (await client.get("/admin/sessions",
                                       headers={"Authorization": f"Bearer {token}"})).json()
    assert [session["user_agent"] for session in sessions] == ["PTT ??/2"]


async def test_a_hostname_with_a_line_break_leaves_no_session_and_no_line(client):
    response = await client.post("/auth/login", json={"username": "ADMIN",
                                                      "hostname": "PC\nADMIN a supprimé tout"})
    assert response.status == 422
    assert [line["action"] for line in await activity_lines(client)] == ["create"]
    async with client.app[DB].read() as session:
        assert await session.fetch_all("SELECT id FROM sessions") == []
