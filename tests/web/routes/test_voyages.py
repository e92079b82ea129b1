"""Voyages: the regular lines, their days and required skills; a referenced one is kept inactive."""

from __future__ import annotations

import pytest

from tests.helpers.api import invalid_fields, problem, stale_fields
from tests.helpers.planning import make_mission, make_voyage, stored


async def test_a_planner_advanced_creates_a_voyage_with_days_and_skills(as_role):
    advanced = await as_role("planner_advanced")
    response = await advanced.post("/voyages", json={
        "code": "PAR-01", "nom": "Navette Paris matin", "origine": "Rungis", "destination": "Paris",
        "heure_debut": "05:00", "heure_fin": "09:00", "jours": ["vendredi", "lundi", "mercredi"],
        "competences_requises": ["PERMIS_CE", "ADR"], "notes": "quai 4"})
    voyage = await response.json()
    assert response.status == 201 and response.headers["Location"] == "/voyages/1"
    assert {key: voyage[key] for key in ("code", "jours", "competences_requises", "actif",
                                         "version")} == {
        "code": "PAR-01", "jours": ["lundi", "mercredi", "vendredi"],
        "competences_requises": ["ADR", "PERMIS_CE"], "actif": True, "version": 1}
    got = await advanced.get("/voyages/1")
    assert await got.json() == voyage and got.headers["ETag"] == '"1"'


async def test_a_voyage_update_replaces_its_lists_and_keeps_the_rest(admin):
    await make_voyage(admin, destination="Paris", jours=["lundi"], competences_requises=["ADR"])
    response = await admin.put("/voyages/1", json={"competences_requises": ["FIMO", "FCO"]},
                               headers={"If-Match": '"1"'})
    voyage = await response.json()
    assert response.status == 200
    assert (voyage["competences_requises"], voyage["jours"], voyage["destination"],
            voyage["version"]) == (["FCO", "FIMO"], ["lundi"], "Paris", 2)
    cleared = await (await admin.put("/voyages/1", json={"competences_requises": [],
                                                         "jours": []})).json()
    assert (cleared["competences_requises"], cleared["jours"]) == ([], [])


async def test_a_voyage_code_is_unique(admin, client):
    await make_voyage(admin, code="PAR-01")
    await make_voyage(admin, code="LYO-01")
    before = await stored(client)
    body = await problem(await admin.post("/voyages", json={"code": "PAR-01"}), 409,
                         "voyage_code_taken")
    assert body["voyage_id"] == 1
    await problem(await admin.put("/voyages/2", json={"code": "PAR-01"}), 409, "voyage_code_taken")
    assert await stored(client) == before


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"code": "required"}),
    ({"code": ""}, {"code": "too_short"}),
    ({"code": "A", "jours": ["funday"]}, {"jours": "choice"}),
    ({"code": "A", "jours": ["lundi", "lundi"]}, {"jours": "duplicate"}),
    ({"code": "A", "jours": ["Lundi", "lun."]}, {"jours": "duplicate"}),
    ({"code": "A", "jours": ["lu"]}, {"jours": "choice"}),
    ({"code": "A", "jours": ["mars"]}, {"jours": "choice"}),
    ({"code": "A", "jours": "lundi"}, {"jours": "type"}),
    ({"code": "A", "competences_requises": ["adr"]}, {"competences_requises": "format"}),
    ({"code": "A", "heure_debut": "25:00"}, {"heure_debut": "format"}),
    ({"code": "A", "heure_fin": "09:00"}, {"heure_fin": "requires_start"}),
    ({"code": "A", "actif": 1}, {"actif": "type"}),
    ({"code": "A", "id": 1, "created_at": "hier"}, {"id": "unknown_field", "created_at": "unknown_field"}),
])
async def test_a_bad_voyage_is_422_and_nothing_is_stored(admin, client, body, fields):
    before = await stored(client)
    assert await invalid_fields(await admin.post("/voyages", json=body)) == fields
    assert await stored(client) == before


async def test_a_voyage_requiring_a_skill_not_in_the_catalogue_is_409(admin, client):
    before = await stored(client)
    assert await stale_fields(await admin.post("/voyages", json={
        "code": "A", "competences_requises": ["TELEPORTATION"]})) == {
        "competences_requises": "not_found"}
    assert await stored(client) == before


async def test_deleting_a_voyage_no_mission_names_erases_it(admin, client):
    await make_voyage(admin, competences_requises=["ADR"])
    assert (await admin.delete("/voyages/1", headers={"If-Match": '"1"'})).status == 204
    assert (await admin.get("/voyages/1")).status == 404
    after = await stored(client)
    assert after["voyages"] == after["voyage_competences"] == []


async def test_deleting_a_voyage_that_missions_name_deactivates_it(admin):
    await make_voyage(admin, destination="Paris", jours=["lundi"])
    await make_mission(admin, voyage_id=1)
    response = await admin.delete("/voyages/1")
    voyage = await response.json()
    assert response.status == 200 and voyage["actif"] is False and voyage["version"] == 2
    assert (await (await admin.get("/missions/1")).json())["voyage_id"] == 1
    result = await (await admin.post("/missions/generate", json={"date": "2024-01-22"})).json()
    assert result["creees"] == []


async def test_the_voyage_list_is_by_code_with_filter_and_paging(admin, as_role):
    for code in ("C", "A", "B"):
        await make_voyage(admin, code=code, actif=code != "B")
    viewer = await as_role("viewer")
    everyone = await viewer.get("/voyages")
    assert [v["code"] for v in await everyone.json()] == ["A", "B", "C"]
    assert everyone.headers["X-Total-Count"] == "3"
    active = await viewer.get("/voyages?actif=true&offset=1")
    assert [v["code"] for v in await active.json()] == ["C"] and active.headers["X-Total-Count"] == "2"


async def test_voyage_writes_need_the_voyages_permission(admin, as_role, client):
    await make_voyage(admin)
    before = await stored(client)
    for role in ("viewer", "planner", "driver_admin", "finance"):
        api = await as_role(role)
        assert (await api.get("/voyages/1")).status == 200
        assert (await api.post("/voyages", json={"code": "X"})).status == 403, role
        assert (await api.put("/voyages/1", json={"nom": "X"})).status == 403, role
        assert (await api.delete("/voyages/1")).status == 403, role
    assert await stored(client) == before


async def test_days_are_read_as_a_planner_types_them_and_kept_in_full(admin):
    response = await admin.post("/voyages", json={
        "code": "FR-1", "jours": ["Lundi", "MARDI", "mer.", "Jéudi", "ven", "sam.", "DIMANCHE"]})
    assert response.status == 201, await response.text()
    assert (await response.json())["jours"] == ["lundi", "mardi", "mercredi", "jeudi", "vendredi",
                                                "samedi", "dimanche"]
