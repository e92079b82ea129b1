"""The live change feed: GET /events (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time

import aiohttp

from tests.helpers.api import create_user, login
from tests.helpers.events import next_event, open_stream
from tests.helpers.live import served
from tests.helpers.waiting import eventually
from tomatoplan.web.auth import Auth
from tomatoplan.web.connections import CONNECTIONS
from tomatoplan.web.event_bus import EVENT_BUS, MAX_STREAMS_PER_SESSION, event_payload
from tomatoplan.web.state import DB


async def test_a_committed_change_arrives_as_an_event(client, admin):
    stream = await open_stream(admin, params={"topics": "users"})
    created = await (await admin.post("/admin/users", json={"username": "NEW", "role": "viewer"})).json()
    event = await next_event(stream)
    assert event["event"] == "change"
    data = event["data"]
    assert (data["topic"], data["action"], data["entity"], data["entity_id"]) == \
        ("users", "create", "user", created["id"])
    assert data["record"]["username"] == "NEW"
    assert data["username"] == "ADMIN"
    assert int(event["id"]) == data["id"]
    stream.close()


async def test_reconnecting_with_last_event_id_replays_every_missed_event_once_in_order(client, admin):
    stream = await open_stream(admin, params={"topics": "users"})
    await admin.post("/admin/users", json={"username": "FIRST", "role": "viewer"})
    seen = await next_event(stream)
    stream.close()
    for name in ("A1", "A2", "A3"):
        assert (await admin.post("/admin/users", json={"username": name, "role": "viewer"})).status == 201
    again = await open_stream(admin, params={"topics": "users"},
                              headers={"Last-Event-ID": seen["id"]})
    replayed = [await next_event(again) for _ in range(3)]
    assert [e["data"]["record"]["username"] for e in replayed] == ["A1", "A2", "A3"]
    ids = [int(e["id"]) for e in replayed]
    assert ids == sorted(ids) and ids[0] > int(seen["id"])
    # Then live, without a duplicate of what was replayed.
    await admin.post("/admin/users", json={"username": "LIVE", "role": "viewer"})
    live = await next_event(again)
    assert live["data"]["record"]["username"] == "LIVE"
    assert int(live["id"]) > ids[-1]
    again.close()


async def test_topics_narrow_the_stream(client, admin):
    stream = await open_stream(admin, params={"topics": "sessions"})
    await admin.post("/admin/users", json={"username": "QUIET", "role": "viewer"})
    await create_user(client, "LOUD", "viewer")
    await login(client, "LOUD")
    event = await next_event(stream)
    assert (event["data"]["topic"], event["data"]["action"]) == ("sessions", "login")
    assert event["data"]["username"] == "LOUD"
    stream.close()


async def test_readers_only_get_topics_their_role_may_see(client, admin, as_role):
    viewer = await as_role("viewer")
    stream = await open_stream(viewer)
    await admin.post("/admin/users", json={"username": "HIDDEN", "role": "viewer"})
    client.app[EVENT_BUS].resync()  # a marker after the admin-only change
    event = await next_event(stream)
    assert event["event"] == "resync"
    stream.close()


async def test_bad_parameters_are_422(client, admin):
    response = await admin.get("/events", params={"topics": "missions,weather"})
    assert response.status == 422
    assert "weather" in (await response.json())["errors"][0]["detail"]
    response = await admin.get("/events", headers={"Last-Event-ID": "yesterday"})
    assert response.status == 422
    response = await admin.get("/events", params={"colour": "red"})
    assert response.status == 422
    for too_big in ("9223372036854775808", "99999999999999999999"):
        response = await admin.get("/events", params={"last_event_id": too_big})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "last_event_id"


async def test_no_token_is_401(client):
    assert (await client.get("/events")).status == 401


async def test_a_revoked_session_stream_is_closed(client, admin):
    await create_user(client, "WATCHER", "admin")
    watcher = await login(client, "WATCHER")
    stream = await open_stream(watcher, params={"topics": "users"})
    me = await (await watcher.get("/auth/me")).json()
    assert (await admin.delete(f"/admin/sessions/{me['session']['id']}")).status == 204
    try:
        while True:
            await next_event(stream)
    except EOFError:
        pass


async def test_a_restore_sends_resync(client, admin):
    stream = await open_stream(admin)
    client.app[EVENT_BUS].resync()
    event = await next_event(stream)
    assert event["event"] == "resync"
    assert "id" not in event
    stream.close()


async def test_a_stalled_reader_is_dropped_and_writes_go_on(client, admin):
    bus = client.app[EVENT_BUS]
    bus.buffer_events = 5
    me = await (await admin.get("/auth/me")).json()
    auth = Auth(me["id"], "ADMIN", "", "admin", me["session"]["id"], "", "", False)
    stalled = bus.subscribe(auth, frozenset({"users"}))  # never read
    for index in range(20):
        response = await admin.post("/admin/users", json={"username": f"W{index}", "role": "viewer"})
        assert response.status == 201
    assert stalled.overflowed is True
    assert stalled not in bus.subscribers
    assert stalled.queue.qsize() == 5
    listing = await admin.get("/admin/users", params={"limit": "100"})
    assert listing.headers["X-Total-Count"] == "21"


def test_finance_fields_are_hidden_from_readers_without_finance():
    line = {"id": 1, "at": "t", "action": "update", "entity": "mission", "entity_id": 3,
            "username": "U", "summary": "", "record": json.dumps({"id": 3, "prix": "10.00",
                                                                   "cout": "5.00", "destination": "Lyon"})}
    planner = Auth(1, "P", "", "planner", 1, "", "", False)
    finance = Auth(2, "F", "", "finance", 2, "", "", False)
    assert event_payload(line, planner)["record"] == {"id": 3, "destination": "Lyon"}
    assert event_payload(line, finance)["record"]["prix"] == "10.00"


async def test_shutdown_closes_open_streams(client, admin):
    stream = await open_stream(admin)
    await client.app.shutdown()
    try:
        while True:
            await next_event(stream, timeout=5)
    except EOFError:
        pass


async def test_an_overflowed_stream_sends_what_it_buffered_then_ends(client, admin):
    bus = client.app[EVENT_BUS]
    bus.buffer_events = 3
    stream = await open_stream(admin, params={"topics": "users"})
    # Fill the buffer without letting the stream's handler run in between.
    async with client.app[DB].write() as tx:
        from tomatoplan.rules import activity

        for index in range(6):
            await activity.record(tx, activity.SYSTEM, "create", entity="user", entity_id=index,
                                  record={"username": f"B{index}"})
    received = []
    try:
        while True:
            received.append((await next_event(stream))["data"]["record"]["username"])
    except EOFError:
        pass
    assert received == ["B0", "B1", "B2"]


async def test_planning_changes_reach_readers_without_their_finance_fields(client, admin, as_role):
    from tests.helpers.planning import make_mission

    planner = await as_role("planner")
    finance = await as_role("finance")
    planner_stream = await open_stream(planner, params={"topics": "missions"})
    finance_stream = await open_stream(finance, params={"topics": "missions"})
    mission = await make_mission(admin, destination="Lyon", prix="120.50")
    for_planner = await next_event(planner_stream)
    for_finance = await next_event(finance_stream)
    assert for_planner["id"] == for_finance["id"]
    assert for_planner["data"]["entity_id"] == mission["id"]
    assert for_planner["data"]["record"]["destination"] == "Lyon"
    assert "prix" not in for_planner["data"]["record"]
    assert for_finance["data"]["record"]["prix"] == "120.50"
    updated = await admin.put(f"/missions/{mission['id']}", json={"statut": "en_cours"},
                              headers={"If-Match": f'"{mission["version"]}"'})
    assert updated.status == 200
    change = await next_event(planner_stream)
    assert (change["data"]["action"], change["data"]["record"]["statut"]) == ("update", "en_cours")
    planner_stream.close()
    finance_stream.close()


# --- readers that stop reading, on a real socket -----------------------------------------

async def stalled_reader(live, token: str):
    """A stream whose reader never reads, with a small receive buffer: the server's writes
    soon wait for it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", live.port))
    sock.send(f"GET /events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    return sock


def flood(app, count: int = 40, size: int = 100_000) -> None:
    """Committed-looking lines, each with a large record: megabytes for every reader."""
    for number in range(count):
        app[EVENT_BUS].publish([{
            "id": 10_000 + number, "at": "2024-01-15T08:00:00Z", "entity": "mission",
            "entity_id": 1, "action": "update", "username": "X", "summary": "",
            "record": {"id": 1, "remarques": "x" * size}}])


async def subscribed(app, count: int) -> None:
    await eventually(lambda: len(app[EVENT_BUS].subscribers) == count)


async def test_a_reader_that_stops_reading_is_cut_after_the_stream_timeout(config):
    async with served(dataclasses.replace(config, event_stream_timeout=1.0)) as live:
        token = await live.token()
        sock = await stalled_reader(live, token)
        await subscribed(live.app, 1)
        flood(live.app)
        await eventually(lambda: not live.app[EVENT_BUS].subscribers, timeout=5)
        await eventually(lambda: not live.app[CONNECTIONS].running, timeout=5)
        sock.close()


async def test_a_stalled_reader_whose_session_is_revoked_is_cut_at_once(config):
    async with served(dataclasses.replace(config, event_stream_timeout=60.0)) as live:
        admin_token = await live.token()
        reader_token = await live.token()
        sock = await stalled_reader(live, reader_token)
        await subscribed(live.app, 1)
        flood(live.app)
        await eventually(lambda: next(iter(live.app[EVENT_BUS].subscribers)).stalled)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{live.port}/auth/logout",
                                 headers={"Authorization": f"Bearer {reader_token}"}) as answer:
                assert answer.status == 204
            async with http.get(f"http://127.0.0.1:{live.port}/health",
                                headers={"Authorization": f"Bearer {admin_token}"}) as answer:
                assert answer.status == 200
        await eventually(lambda: not live.app[EVENT_BUS].subscribers, timeout=2)
        sock.close()


async def test_stopping_the_server_does_not_wait_for_readers_that_stopped_reading(config):
    stopped_in = {}
    async with served(dataclasses.replace(config, event_stream_timeout=60.0)) as live:
        token = await live.token()
        socks = [await stalled_reader(live, token) for _ in range(5)]
        await subscribed(live.app, 5)
        flood(live.app)
        await eventually(lambda: all(s.stalled for s in live.app[EVENT_BUS].subscribers))
        stopped_in["start"] = time.monotonic()
    stopped_in["end"] = time.monotonic()
    assert stopped_in["end"] - stopped_in["start"] < 3.0
    for sock in socks:
        sock.close()


async def test_a_session_may_hold_a_few_streams_not_every_connection(client, admin):
    streams = [await open_stream(admin) for _ in range(MAX_STREAMS_PER_SESSION)]
    response = await admin.get("/events")
    assert response.status == 429
    assert (await response.json())["code"] == "too_many_streams"
    for stream in streams:
        stream.close()


async def test_a_topic_the_role_may_not_read_is_refused_with_those_it_may(client, as_role):
    planner = await as_role("planner")
    response = await planner.get("/events", params={"topics": "missions,users"})
    assert response.status == 403
    body = await response.json()
    assert body["code"] == "topic_forbidden"
    assert body["sujets_permis"] == ["chauffeurs", "competences", "missions", "vehicules", "voyages"]
    assert "users" in body["detail"] and "missions" not in body["detail"].split(":")[1]
    stream = await open_stream(planner, params={"topics": "missions"})  # its own topics: fine
    stream.close()
