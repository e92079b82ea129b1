"""The routes of whole days: GET /jours/{date}, POST and DELETE /jours/{date}/validation, the
by-date list's X-Jour-Valide (and its ETag), the live feed, and POST /missions/copy's bad
inputs."""

from __future__ import annotations

import pytest

from tests.helpers.api import activity_lines, invalid_fields, problem
from tests.helpers.events import next_event, open_stream
from tests.helpers.planning import MONDAY, make_mission, stored

OPEN = {"date": MONDAY, "valide": False, "valide_par": None, "valide_le": None}


async def test_a_day_is_validated_once_and_reopened(admin, as_role, client):
    assert await (await admin.get(f"/jours/{MONDAY}")).json() == OPEN
    advanced = await as_role("planner_advanced")
    first = await advanced.post(f"/jours/{MONDAY}/validation")
    jour = await first.json()
    assert first.status == 201
    assert (jour["date"], jour["valide"], jour["valide_par"]) == (MONDAY, True, advanced.user["username"])
    assert jour["valide_le"].endswith("Z")
    again = await admin.post(f"/jours/{MONDAY}/validation")  # the first validation stays
    assert again.status == 200 and await again.json() == jour
    viewer = await as_role("viewer")
    assert await (await viewer.get(f"/jours/{MONDAY}")).json() == jour

    reopened = await admin.delete(f"/jours/{MONDAY}/validation")
    assert reopened.status == 200 and await reopened.json() == OPEN
    assert await (await admin.get(f"/jours/{MONDAY}")).json() == OPEN
    twice = await admin.delete(f"/jours/{MONDAY}/validation")
    assert twice.status == 200 and await twice.json() == OPEN

    lines = [line for line in await activity_lines(client) if line["entity"] == "jour"]
    assert [(line["action"], line["entity_id"], line["username"]) for line in lines] == [
        ("reopen", 20240115, "ADMIN"), ("validate", 20240115, advanced.user["username"])]
    assert lines[0]["summary"] == (f"Réouverture du jour {MONDAY} (validé par "
                                   f"{advanced.user['username']} le {jour['valide_le']})")
    recent = await (await admin.get("/stats/activity/recent", params={
        "entity": "jour", "entity_id": "20240115"})).json()
    assert [line["action"] for line in recent] == ["reopen", "validate"]


@pytest.mark.parametrize("role", ["viewer", "planner", "driver_admin", "finance"])
async def test_only_the_roles_with_jours_validate_validate_or_reopen(admin, as_role, client, role):
    api = await as_role(role)
    before = await stored(client)
    for method in ("POST", "DELETE"):
        response = await api.request(method, f"/jours/{MONDAY}/validation")
        body = await problem(response, 403, "forbidden")
        assert body["permission"] == "jours.validate"
    assert await stored(client) == before


@pytest.mark.parametrize("day", ["2024-02-30", "2024-13-01", "lundi", "2024-1-5", "1899-12-31"])
async def test_an_impossible_day_is_422(admin, client, day):
    before = await stored(client)
    for method, path in (("GET", f"/jours/{day}"), ("POST", f"/jours/{day}/validation"),
                         ("DELETE", f"/jours/{day}/validation")):
        assert list(await invalid_fields(await admin.request(method, path))) == ["date"]
    assert await stored(client) == before


async def test_without_a_token_the_day_routes_are_401(client):
    for method, path in (("GET", f"/jours/{MONDAY}"), ("POST", f"/jours/{MONDAY}/validation"),
                         ("DELETE", f"/jours/{MONDAY}/validation"), ("POST", "/missions/copy")):
        assert (await client.request(method, path)).status == 401


async def test_the_missions_of_a_validated_day_say_so_in_a_header_that_changes_the_etag(admin):
    await make_mission(admin)
    url = f"/missions/by-date/{MONDAY}"
    open_day = await admin.get(url)
    assert "X-Jour-Valide" not in open_day.headers
    tag = open_day.headers["ETag"]

    jour = await (await admin.post(f"/jours/{MONDAY}/validation")).json()
    closed = await admin.get(url, headers={"If-None-Match": tag})  # same missions, new answer
    assert closed.status == 200
    assert closed.headers["X-Jour-Valide"] == f"valide_par=ADMIN; valide_le={jour['valide_le']}"
    assert closed.headers["ETag"] != tag
    assert await closed.json() == await open_day.json()
    unchanged = await admin.get(url, headers={"If-None-Match": closed.headers["ETag"]})
    assert unchanged.status == 304
    assert unchanged.headers["X-Jour-Valide"] == closed.headers["X-Jour-Valide"]

    await admin.delete(f"/jours/{MONDAY}/validation")
    reopened = await admin.get(url, headers={"If-None-Match": closed.headers["ETag"]})
    assert reopened.status == 200 and "X-Jour-Valide" not in reopened.headers
    assert reopened.headers["ETag"] == tag
    other_day = await admin.get("/missions/by-date/2024-01-16")
    assert "X-Jour-Valide" not in other_day.headers


async def test_validating_and_reopening_reach_the_missions_stream(admin, as_role):
    viewer = await as_role("viewer")
    stream = await open_stream(viewer, params={"topics": "missions"})
    jour = await (await admin.post(f"/jours/{MONDAY}/validation")).json()
    await admin.delete(f"/jours/{MONDAY}/validation")
    events = [(await next_event(stream))["data"] for _ in range(2)]
    assert [(e["topic"], e["entity"], e["entity_id"], e["action"]) for e in events] == [
        ("missions", "jour", 20240115, "validate"), ("missions", "jour", 20240115, "reopen")]
    assert [e["record"] for e in events] == [jour, OPEN]
    stream.close()


COPY = {"date_source": MONDAY, "date_cible": "2024-01-22"}


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"date_source": "required", "date_cible": "required"}),
    ({"date_source": MONDAY}, {"date_cible": "required"}),
    ({**COPY, "date_cible": MONDAY}, {"date_cible": "same_day"}),
    ({**COPY, "date_source": "2024-02-30"}, {"date_source": "format"}),
    ({**COPY, "date_cible": None}, {"date_cible": "null"}),
    ({**COPY, "date_cible": 20240122}, {"date_cible": "type"}),
    ({**COPY, "chauffeurs": "oui"}, {"chauffeurs": "type"}),
    ({**COPY, "vehicules": 1}, {"vehicules": "type"}),
    ({**COPY, "prix": "10.00"}, {"prix": "unknown_field"}),
    ({**COPY, "force": True}, {"force": "unknown_field"}),
    ([COPY], {"(corps)": "type"}),
])
async def test_a_bad_copy_is_422_and_copies_nothing(admin, client, body, fields):
    await make_mission(admin)
    before = await stored(client)
    assert await invalid_fields(await admin.post("/missions/copy", json=body)) == fields
    assert await stored(client) == before


@pytest.mark.parametrize("raw", [b"", b"{", b'{"date_source": "2024-01-15",}', b"\xff"])
async def test_a_malformed_copy_body_is_400(admin, client, raw):
    await make_mission(admin)
    before = await stored(client)
    response = await admin.post("/missions/copy", data=raw)
    assert response.status == 400
    assert await stored(client) == before


async def test_an_empty_day_copies_nothing_with_200(admin):
    response = await admin.post("/missions/copy", json=COPY)
    assert response.status == 200
    assert await response.json() == {**COPY, "creees": [], "existantes": [], "non_repris": [],
                                     "montants_copies": True}


async def test_the_document_declares_the_422_an_impossible_date_gets(client, admin):
    document = await (await client.get("/openapi.json")).json()
    for path, method in (("/jours/{date}", "get"), ("/jours/{date}/validation", "post"),
                         ("/jours/{date}/validation", "delete")):
        assert "422" in document["paths"][path][method]["responses"], (path, method)
        response = await admin.request(method.upper(), path.replace("{date}", "2024-02-30"))
        assert response.status == 422, (path, method)
