"""Who may reach the server, and from where a session may be used: TOMATOPLAN_ALLOWED_NETWORKS
on every request, TOMATOPLAN_SESSION_BINDING, and the failed-login limit over HTTP."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.helpers.api import activity_lines, create_user, login
from tests.helpers.server import REMOTE_HEADER, pretending_addresses
from tomatoplan.app import create_app
from tomatoplan.base.config import Config
from tomatoplan.rules import networks
from tomatoplan.web.state import DB

OFFICE = (ipaddress.ip_network("10.0.0.0/8"),)


def app_seeing_addresses(config):
    return pretending_addresses(create_app(config))


async def test_outside_the_allowed_networks_every_request_is_403_even_with_a_token(make_client):
    client = await make_client(app_factory=app_seeing_addresses, allowed_networks=OFFICE)
    token = (await login(client, "ADMIN")).token  # from the server itself (loopback)
    outside = {REMOTE_HEADER: "192.168.1.50"}
    with_token = {**outside, "Authorization": f"Bearer {token}"}
    for method, path, headers in [("GET", "/health", outside), ("GET", "/docs", outside),
                                  ("GET", "/openapi.json", outside),
                                  ("POST", "/auth/login", outside),
                                  ("GET", "/missions", with_token),
                                  ("POST", "/missions", with_token),
                                  ("GET", "/admin/users", with_token),
                                  ("GET", "/static/nowhere.js", outside)]:
        response = await client.request(method, path, headers=headers,
                                        json={"username": "ADMIN", "date_mission": "2024-01-15"})
        assert response.status == 403, (method, path)
        assert (await response.json())["code"] == "network_not_allowed"
    async with client.app[DB].read() as session:
        assert await session.fetch_all("SELECT id FROM missions") == []
    denied = [line for line in await activity_lines(client) if line["action"] == "access_denied"]
    assert len(denied) == 1  # one tally for this source and cause, not eight lines
    assert (denied[0]["address"], denied[0]["summary"]) == \
        ("192.168.1.50", "Accès refusé : GET /health (network_not_allowed)")
    inside = {REMOTE_HEADER: "10.1.2.3", "Authorization": f"Bearer {token}"}
    assert (await client.get("/missions", headers=inside)).status == 200
    assert (await client.get("/health")).status == 200  # loopback: supervision on the server


@pytest.mark.parametrize(("binding", "elsewhere", "status"), [
    ("none", "172.16.0.9", 200),
    ("address", "10.1.2.4", 401),
    ("address", "10.1.2.3", 200),
    ("network", "10.1.2.200", 200),
    ("network", "10.1.3.1", 401),
])
async def test_a_session_may_be_bound_to_where_it_was_opened(make_client, binding, elsewhere,
                                                             status):
    client = await make_client(app_factory=app_seeing_addresses, session_binding=binding)
    answer = await client.post("/auth/login", json={"username": "ADMIN"},
                               headers={REMOTE_HEADER: "10.1.2.3"})
    token = (await answer.json())["access_token"]
    response = await client.get("/missions", headers={REMOTE_HEADER: elsewhere,
                                                      "Authorization": f"Bearer {token}"})
    assert response.status == status
    if status == 401:
        assert (await response.json())["code"] == "session_moved"


async def test_network_binding_follows_the_allowed_network_when_there_is_one(make_client):
    client = await make_client(app_factory=app_seeing_addresses, session_binding="network",
                               allowed_networks=OFFICE)
    answer = await client.post("/auth/login", json={"username": "ADMIN"},
                               headers={REMOTE_HEADER: "10.1.2.3"})
    token = (await answer.json())["access_token"]
    moved = {REMOTE_HEADER: "10.200.0.1", "Authorization": f"Bearer {token}"}
    assert (await client.get("/missions", headers=moved)).status == 200


# --- the failed-login limit over HTTP ------------------------------------------------------

async def refused_login(client, name: str, address: str = "10.0.0.5") -> int:
    response = await client.post("/auth/login", json={"username": name},
                                 headers={REMOTE_HEADER: address})
    return response.status


async def test_a_valid_account_cannot_reset_the_guessing_budget(make_client):
    client = await make_client(app_factory=app_seeing_addresses, login_max_failures=3)
    await create_user(client, "VIEWER", "viewer")
    statuses = []
    for number in range(12):
        statuses.append(await refused_login(client, f"GUESS{number}"))
        if number % 2:
            statuses.append(await refused_login(client, "VIEWER"))  # logs in fine
    assert statuses[:5] == [401, 401, 200, 401, 429]
    assert statuses.count(401) == 3


async def test_a_pc_retrying_a_wrong_name_locks_out_none_of_its_colleagues(make_client):
    client = await make_client(app_factory=app_seeing_addresses, login_max_failures=3)
    await create_user(client, "JEAN.DUPONT", "planner")
    statuses = [await refused_login(client, "J.DUPONT") for _ in range(20)]
    assert statuses[:3] == [401] * 3 and set(statuses[3:]) == {429}
    assert await refused_login(client, "JEAN.DUPONT") == 200  # same address (NAT)
    assert await refused_login(client, "ADMIN") == 200


async def test_behind_a_blocked_address_those_who_logged_in_there_still_can(make_client):
    client = await make_client(app_factory=app_seeing_addresses, login_max_failures=3)
    await create_user(client, "NOUVEAU", "viewer")
    assert await refused_login(client, "ADMIN") == 200
    assert [await refused_login(client, name) for name in ("A", "B", "C")] == [401] * 3
    blocked = await client.post("/auth/login", json={"username": "NOUVEAU"},
                                headers={REMOTE_HEADER: "10.0.0.5"})
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "depuis 10.0.0.5" in (await blocked.json())["detail"]
    assert await refused_login(client, "ADMIN") == 200
    assert await refused_login(client, "NOUVEAU", "10.0.0.6") == 200  # another PC


async def test_hundreds_of_refused_logins_leave_a_few_lines(make_client):
    client = await make_client(app_factory=app_seeing_addresses, login_max_failures=3)
    for number in range(300):
        await refused_login(client, f"GUESS{number}")
    lines = [line for line in await activity_lines(client, limit=1000)
             if line["action"] in ("login_failed", "access_denied")]
    assert len(lines) == 2  # the first failure, the first block; their repeats at the window's end


def host_header(client, name: str) -> dict:
    return {"Host": f"{name}:{client.server.port}"}


async def test_a_browser_calling_the_server_by_a_foreign_name_is_refused(make_client):
    """DNS rebinding: a page on evil.example points its name at the server, then its script
    logs in (no password) and acts as an admin from inside the office network."""
    client = await make_client(allowed_hosts=("planning.transport.local",))
    rebound = {**host_header(client, "evil.example"), "Origin": f"http://evil.example:{client.server.port}"}
    response = await client.post("/auth/login", headers=rebound,
                                 json={"username": "ADMIN", "session_cookie": True})
    assert response.status == 403
    assert (await response.json())["code"] == "host_not_allowed"
    assert "Set-Cookie" not in response.headers
    async with client.app[DB].read() as session:
        assert await session.fetch_all("SELECT id FROM sessions") == []
    page = await client.get("/admin", headers={**host_header(client, "evil.example"),
                                               "Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"})
    assert page.status == 403
    for trusted in ("127.0.0.1", "localhost", "planning.transport.local", "PLANNING.transport.local.",
                    socket.gethostname()):
        headers = {**host_header(client, trusted), "Origin": f"http://{trusted}:{client.server.port}"}
        ok = await client.post("/auth/login", headers=headers, json={"username": "ADMIN"})
        assert ok.status == 200, trusted
    # PTT and scripts send neither Origin nor Sec-Fetch-*: whatever name they use works.
    script = await client.post("/auth/login", headers=host_header(client, "serveur-planning"),
                               json={"username": "ADMIN"})
    assert script.status == 200


async def test_behind_a_tls_proxy_the_pages_origin_is_https_and_still_ours(make_client):
    client = await make_client()
    host = f"127.0.0.1:{client.server.port}"
    login = await client.post("/auth/login", headers={"Origin": f"https://{host}"},
                              json={"username": "ADMIN", "session_cookie": True})
    assert login.status == 200
    for origin, status in ((f"https://{host}", 201), (f"http://{host}", 201),
                           ("https://evil.example", 403), ("null", 403)):
        response = await client.post("/chauffeurs", headers={"Origin": origin},
                                     json={"nom": "DUPONT", "prenom": "Jean"})
        assert response.status == status, origin


def test_trusted_hosts_are_ip_addresses_machine_names_and_the_listed_aliases():
    config = Config(allowed_hosts=("planning.local",))
    machine = frozenset({"srv-plan", "localhost"})
    for host in ("10.0.0.5:8000", "10.0.0.5", "[::1]:8000", "srv-plan:8000", "SRV-PLAN",
                 "planning.local:8000", "app.localhost"):
        assert networks.trusted_host(config, host, machine), host
    for host in ("evil.example", "evil.example:8000", "planning.local.evil.example", "srv-plan.evil",
                 "10.0.0.5.nip.io:8000", ""):
        assert not networks.trusted_host(config, host, machine), host
