"""Vehicles and their unavailabilities: the records, their plates, who may write them."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import activity_lines, invalid_fields, problem, stale_fields
from tests.helpers.events import next_event, open_stream
from tests.helpers.planning import (
    MONDAY,
    add_indisponibilite,
    make_mission,
    make_vehicule,
    skill_id,
    stored,
)

# --- vehicles ------------------------------------------------------------------------------


async def test_a_driver_admin_creates_reads_and_updates_a_vehicle(as_role, client):
    driver_admin = await as_role("driver_admin")
    response = await driver_admin.post("/vehicules", json={
        "immatriculation": "ab 123 cd", "type": "tracteur", "competence_requise": "PERMIS_CE"})
    vehicule = await response.json()
    assert response.status == 201 and response.headers["Location"] == "/vehicules/1"
    assert {key: vehicule[key] for key in ("id", "immatriculation", "type", "competence_requise",
                                           "actif", "notes", "version")} == {
        "id": 1, "immatriculation": "AB-123-CD", "type": "tracteur", "competence_requise": "PERMIS_CE",
        "actif": True, "notes": None, "version": 1}
    updated = await driver_admin.put("/vehicules/1", json={"notes": "hayon", "competence_requise": None},
                                     headers={"If-Match": '"1"'})
    body = await updated.json()
    assert updated.status == 200 and updated.headers["ETag"] == '"2"'
    assert (body["notes"], body["competence_requise"], body["type"]) == ("hayon", None, "tracteur")
    assert await (await driver_admin.get("/vehicules/1")).json() == body
    stale = await driver_admin.put("/vehicules/1", json={"notes": "x"}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and (await stale.json())["current"] == body
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"], line["entity_id"]) == ("update", "vehicule", 1)
    assert "AB-123-CD" in line["summary"]


@pytest.mark.parametrize(("typed", "kept"), [
    ("AB-123-CD", "AB-123-CD"), ("ab123cd", "AB-123-CD"), ("AB 123 CD", "AB-123-CD"),
    ("ab-123-cd", "AB-123-CD"), (" Ab 123-cD ", "AB-123-CD"), ("WW-001-AA", "WW-001-AA"),
    ("1234 AB 56", "1234 AB 56"), ("1234ab56", "1234 AB 56"), ("12-xyz-2a", "12 XYZ 2A"),
    ("7 A 971", "7 A 971"),
])
async def test_a_plate_is_kept_in_its_normal_form(admin, typed, kept):
    assert (await make_vehicule(admin, immatriculation=typed))["immatriculation"] == kept


@pytest.mark.parametrize("typed", [
    "AB-12-CD", "AB-1234-CD", "A-123-CD", "AB-123-C", "AB--123-CD", "AB_123_CD", "AI-123-CD",
    "AB-123-OU", "AB-000-CD", "ABC-123-DE", "123-AB-CD", "0123 AB 56", "1234 AB 20", "1234 AB 97",
    "12345 AB 56", "1234 ABCD 56", "AB-١٢٣-CD", "AB-123-CD-EF", "voiture de Paul",
])
async def test_a_plate_that_is_neither_siv_nor_fni_is_422_with_the_expected_forms(admin, client, typed):
    before = await stored(client)
    response = await admin.post("/vehicules", json={"immatriculation": typed, "type": "vl"})
    body = await problem(response, 422, "validation_error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("immatriculation", "format")]
    assert "AB-123-CD" in body["errors"][0]["detail"] and "1234 AB 56" in body["errors"][0]["detail"]
    assert await stored(client) == before


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"immatriculation": "required", "type": "required"}),
    ({"immatriculation": " ", "type": "vl"}, {"immatriculation": "too_short"}),
    ({"immatriculation": "AB-123-CD", "type": "camion"}, {"type": "choice"}),
    ({"immatriculation": 123, "type": "vl"}, {"immatriculation": "type"}),
    ({"immatriculation": "AB-123-CD", "type": "vl", "actif": "oui"}, {"actif": "type"}),
    ({"immatriculation": "AB-123-CD", "type": "vl", "competence_requise": "permis c"},
     {"competence_requise": "format"}),
    ({"immatriculation": "AB-123-CD", "type": "vl", "id": 3}, {"id": "unknown_field"}),
    ({"immatriculation": "AB-123-CD", "type": "vl", "version": 3}, {"version": "unknown_field"}),
    ({"immatriculation": "AB-123-CD", "type": None}, {"type": "null"}),
])
async def test_a_bad_vehicle_is_422_and_nothing_is_stored(admin, client, body, fields):
    before = await stored(client)
    assert await invalid_fields(await admin.post("/vehicules", json=body)) == fields
    assert await stored(client) == before


async def test_a_malformed_body_is_400(admin, client):
    before = await stored(client)
    response = await admin.post("/vehicules", data=b'{"immatriculation": ', headers={
        "Content-Type": "application/json"})
    assert response.status == 400
    assert await stored(client) == before


async def test_a_plate_is_unique_however_it_is_typed(admin, client):
    await make_vehicule(admin, immatriculation="AB-123-CD")
    await make_vehicule(admin, immatriculation="EF-456-GH")
    before = await stored(client)
    body = await problem(await admin.post("/vehicules", json={"immatriculation": "ab123cd", "type": "vl"}),
                         409, "immatriculation_taken")
    assert body["vehicule_id"] == 1 and "AB-123-CD" in body["detail"]
    await problem(await admin.put("/vehicules/2", json={"immatriculation": "AB 123 CD"}), 409,
                  "immatriculation_taken")
    assert await stored(client) == before
    same = await admin.put("/vehicules/1", json={"immatriculation": "ab-123-cd", "notes": "x"})
    assert same.status == 200


async def test_the_required_skill_comes_from_the_catalogue_and_stays_there(admin, client):
    before = await stored(client)
    assert await stale_fields(await admin.post("/vehicules", json={
        "immatriculation": "AB-123-CD", "type": "porteur", "competence_requise": "PERMIS_Z"})
    ) == {"competence_requise": "not_found"}
    assert await stored(client) == before
    await make_vehicule(admin, competence_requise="PERMIS_C")
    body = await problem(await admin.delete(f"/competences/{await skill_id(admin, 'PERMIS_C')}"), 409,
                         "skill_in_use")
    assert body["vehicules"] == 1 and "1 véhicule(s)" in body["detail"]


async def test_the_vehicle_list_is_by_plate_with_filters_and_paging(admin):
    await make_vehicule(admin, immatriculation="GH-789-JK", type="porteur")
    await make_vehicule(admin, immatriculation="AB-123-CD", type="tracteur", actif=False)
    await make_vehicule(admin, immatriculation="EF-456-GH", type="tracteur")
    everything = await admin.get("/vehicules")
    assert [v["immatriculation"] for v in await everything.json()] == ["AB-123-CD", "EF-456-GH",
                                                                       "GH-789-JK"]
    assert everything.headers["X-Total-Count"] == "3"
    page = await admin.get("/vehicules?actif=true&limit=1&offset=1")
    assert [v["immatriculation"] for v in await page.json()] == ["GH-789-JK"]
    assert page.headers["X-Total-Count"] == "2"
    tractors = await (await admin.get("/vehicules?type=tracteur&actif=true")).json()
    assert [v["immatriculation"] for v in tractors] == ["EF-456-GH"]
    assert await invalid_fields(await admin.get("/vehicules?type=fusee")) == {"type": "choice"}
    assert await invalid_fields(await admin.get("/vehicules?actif=peut-etre")) == {"actif": "type"}
    assert (await admin.get("/vehicules/99")).status == 404


async def test_deleting_a_vehicle_no_mission_names_erases_it_with_its_unavailabilities(admin, client):
    await make_vehicule(admin)
    await add_indisponibilite(admin, 1, "2024-01-01", "2024-01-02")
    assert (await admin.delete("/vehicules/1", headers={"If-Match": '"2"'})).status == 412
    assert (await admin.delete("/vehicules/1", headers={"If-Match": '"1"'})).status == 204
    assert (await admin.get("/vehicules/1")).status == 404
    after = await stored(client)
    assert after["vehicules"] == after["vehicule_indisponibilites"] == []
    assert "1 indisponibilité(s)" in (await activity_lines(client))[0]["summary"]
    assert (await make_vehicule(admin))["id"] == 2  # an id is never given again


async def test_deleting_a_vehicle_that_missions_name_deactivates_it(admin, client):
    await make_vehicule(admin)
    await make_mission(admin, vehicule_id=1)
    response = await admin.delete("/vehicules/1")
    body = await response.json()
    assert response.status == 200 and body["actif"] is False and body["version"] == 2
    assert (await (await admin.get("/missions/1")).json())["vehicule_id"] == 1
    before = await stored(client)
    again = await admin.delete("/vehicules/1")
    assert again.status == 200 and (await again.json())["version"] == 2
    assert await stored(client) == before


async def test_vehicle_writes_need_the_vehicles_permission(admin, as_role, client):
    await make_vehicule(admin)
    await add_indisponibilite(admin, 1, MONDAY, MONDAY)
    before = await stored(client)
    for role in ("viewer", "planner", "planner_advanced", "finance"):
        api = await as_role(role)
        assert (await api.get("/vehicules/1")).status == 200
        assert (await api.get("/vehicules/1/indisponibilites/1")).status == 200
        for response in (await api.post("/vehicules", json={"immatriculation": "EF-456-GH", "type": "vl"}),
                         await api.put("/vehicules/1", json={"notes": "x"}),
                         await api.delete("/vehicules/1"),
                         await api.post("/vehicules/1/indisponibilites", json={
                             "date_debut": MONDAY, "date_fin": MONDAY}),
                         await api.put("/vehicules/1/indisponibilites/1", json={"commentaire": "x"}),
                         await api.delete("/vehicules/1/indisponibilites/1")):
            await problem(response, 403, "forbidden")
    assert await stored(client) == before
    assert (await client.get("/vehicules")).status == 401


async def test_a_vehicles_history_is_for_history_readers(admin, as_role):
    await make_vehicule(admin)
    await admin.put("/vehicules/1", json={"type": "porteur"})
    history = await (await admin.get("/vehicules/1/history")).json()
    assert [line["action"] for line in history] == ["create", "update"]
    assert history[1]["changes"] == {"before": {"type": "tracteur"}, "after": {"type": "porteur"}}
    assert (await (await as_role("driver_admin")).get("/vehicules/1/history")).status == 403


async def test_vehicle_changes_are_their_own_topic_of_the_live_feed(admin, as_role):
    viewer = await as_role("viewer")
    stream = await open_stream(viewer, params={"topics": "vehicules"})
    await make_vehicule(admin)
    await add_indisponibilite(admin, 1, MONDAY, MONDAY)
    first, second = await next_event(stream), await next_event(stream)
    stream.close()
    assert [(e["data"]["topic"], e["data"]["entity"], e["data"]["action"]) for e in (first, second)] == [
        ("vehicules", "vehicule", "create"), ("vehicules", "indisponibilite", "create")]
    assert first["data"]["record"]["immatriculation"] == "AB-123-CD"


# --- unavailabilities ----------------------------------------------------------------------


async def test_unavailabilities_are_a_sub_resource_of_the_vehicle(admin, client):
    await make_vehicule(admin)
    other = await make_vehicule(admin, immatriculation="EF-456-GH")
    response = await admin.post("/vehicules/1/indisponibilites", json={
        "date_debut": "2024-01-15", "date_fin": "2024-01-16", "motif": "controle_technique",
        "commentaire": "centre de Rungis"})
    made = await response.json()
    assert response.status == 201
    assert response.headers["Location"] == "/vehicules/1/indisponibilites/1"
    assert {key: made[key] for key in ("vehicule_id", "date_debut", "date_fin", "motif", "commentaire",
                                       "version")} == {
        "vehicule_id": 1, "date_debut": "2024-01-15", "date_fin": "2024-01-16",
        "motif": "controle_technique", "commentaire": "centre de Rungis", "version": 1}
    await add_indisponibilite(admin, 1, "2024-03-01", "2024-03-01", motif="panne")
    listed = await admin.get("/vehicules/1/indisponibilites")
    assert [u["date_debut"] for u in await listed.json()] == ["2024-03-01", "2024-01-15"]
    assert listed.headers["X-Total-Count"] == "2"
    in_january = await admin.get("/vehicules/1/indisponibilites?date_debut=2024-01-16&date_fin=2024-02-01")
    assert [u["id"] for u in await in_january.json()] == [1]
    assert await invalid_fields(await admin.get("/vehicules/1/indisponibilites?date_debut=2024-02-01"
                                                "&date_fin=2024-01-01")) == {"date_fin": "before_start"}
    assert (await admin.get(f"/vehicules/{other['id']}/indisponibilites/1")).status == 404
    assert (await admin.get("/vehicules/99/indisponibilites")).status == 404
    assert (await admin.post("/vehicules/99/indisponibilites", json={
        "date_debut": MONDAY, "date_fin": MONDAY})).status == 404

    moved = await admin.put("/vehicules/1/indisponibilites/1", json={"date_fin": "2024-01-17"},
                            headers={"If-Match": '"1"'})
    assert moved.status == 200 and (await moved.json())["date_fin"] == "2024-01-17"
    line = (await activity_lines(client))[0]
    assert (line["entity"], line["action"]) == ("indisponibilite", "update")
    assert "AB-123-CD" in line["summary"]
    assert json.loads(line["changes"])["after"] == {"date_fin": "2024-01-17"}
    assert (await admin.delete("/vehicules/1/indisponibilites/1", headers={"If-Match": '"1"'})).status == 412
    assert (await admin.delete("/vehicules/1/indisponibilites/1", headers={"If-Match": '"2"'})).status == 204
    assert (await admin.get("/vehicules/1/indisponibilites/1")).status == 404


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"date_debut": "required", "date_fin": "required"}),
    ({"date_debut": "2024-01-16", "date_fin": "2024-01-15"}, {"date_fin": "before_start"}),
    ({"date_debut": "2024-02-30", "date_fin": "2024-03-01"}, {"date_debut": "format"}),
    ({"date_debut": MONDAY, "date_fin": MONDAY, "motif": "vacances"}, {"motif": "choice"}),
    ({"date_debut": MONDAY, "date_fin": MONDAY, "vehicule_id": 2}, {"vehicule_id": "unknown_field"}),
])
async def test_a_bad_unavailability_is_422_and_nothing_is_stored(admin, client, body, fields):
    await make_vehicule(admin)
    before = await stored(client)
    assert await invalid_fields(await admin.post("/vehicules/1/indisponibilites", json=body)) == fields
    assert await stored(client) == before


async def test_an_unavailability_update_keeps_its_dates_in_order(admin, client):
    await make_vehicule(admin)
    await add_indisponibilite(admin, 1, "2024-01-15", "2024-01-17")
    before = await stored(client)
    assert await invalid_fields(await admin.put("/vehicules/1/indisponibilites/1", json={
        "date_debut": "2024-01-18", "date_fin": "2024-01-16"})) == {"date_fin": "before_start"}
    assert await stale_fields(await admin.put("/vehicules/1/indisponibilites/1", json={
        "date_debut": "2024-01-18"}), "conflicts_with_stored") == {"date_fin": "before_start"}
    assert await stored(client) == before


async def test_a_restore_brings_the_vehicles_back_as_they_were(admin, client):
    await make_vehicule(admin, competence_requise="PERMIS_C")
    await add_indisponibilite(admin, 1, MONDAY, MONDAY)
    await make_mission(admin, vehicule_id=1, query="?force=true")
    saved = await stored(client)
    made = await (await admin.post("/admin/backups")).json()
    assert (await admin.delete("/missions/1")).status == 204
    assert (await admin.delete("/vehicules/1")).status == 204
    response = await admin.post(f"/admin/backups/restore/{made['name']}")
    assert response.status == 200, await response.text()
    restored = await stored(client)
    for table in ("vehicules", "vehicule_indisponibilites", "missions"):
        assert restored[table] == saved[table], table
    assert (await make_vehicule(admin, immatriculation="EF-456-GH"))["id"] == 2
