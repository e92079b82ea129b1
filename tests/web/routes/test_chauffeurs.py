"""Chauffeurs, their absences and skills, the skills catalogue, and availability of a day."""

from __future__ import annotations

import pytest

from tests.helpers.api import invalid_fields, problem, stale_fields
from tests.helpers.planning import (
    MONDAY,
    add_absence,
    add_competence,
    make_chauffeur,
    make_mission,
    make_voyage,
    skill_id,
    stored,
)

# --- chauffeurs ----------------------------------------------------------------------------


async def test_a_driver_admin_creates_reads_and_updates_a_chauffeur(as_role):
    driver_admin = await as_role("driver_admin")
    response = await driver_admin.post("/chauffeurs", json={
        "nom": "DUPONT", "prenom": "Jean", "matricule": "M-0042", "telephone": "06 12 34 56 78",
        "email": "jean.dupont@example.fr"})
    chauffeur = await response.json()
    assert response.status == 201 and response.headers["Location"] == "/chauffeurs/1"
    assert {key: chauffeur[key] for key in ("nom", "prenom", "matricule", "actif", "notes",
                                            "competences", "version")} == {
        "nom": "DUPONT", "prenom": "Jean", "matricule": "M-0042", "actif": True, "notes": None,
        "competences": [], "version": 1}
    updated = await driver_admin.put("/chauffeurs/1", json={"notes": "préfère les tournées du matin"},
                                     headers={"If-Match": '"1"'})
    body = await updated.json()
    assert updated.status == 200
    assert (body["notes"], body["telephone"], body["version"]) == (
        "préfère les tournées du matin", "06 12 34 56 78", 2)
    assert await (await driver_admin.get("/chauffeurs/1")).json() == body


async def test_a_matricule_is_unique_when_given(admin, client):
    await make_chauffeur(admin, matricule="M-1")
    await make_chauffeur(admin, nom="SANS", prenom="Matricule")
    await make_chauffeur(admin, nom="AUTRE", prenom="Sans", matricule=None)
    before = await stored(client)
    body = await problem(await admin.post("/chauffeurs", json={
        "nom": "MARTIN", "prenom": "Paul", "matricule": "M-1"}), 409, "matricule_taken")
    assert body["chauffeur_id"] == 1
    await problem(await admin.put("/chauffeurs/2", json={"matricule": "M-1"}), 409, "matricule_taken")
    assert await stored(client) == before
    assert (await admin.put("/chauffeurs/1", json={"matricule": "M-1", "notes": "x"})).status == 200


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"nom": "required", "prenom": "required"}),
    ({"nom": "", "prenom": "  "}, {"nom": "too_short", "prenom": "too_short"}),
    ({"nom": "A", "prenom": "B", "actif": "oui"}, {"actif": "type"}),
    ({"nom": "A", "prenom": "B", "matricule": ""}, {"matricule": "too_short"}),
    ({"nom": "A", "prenom": "B", "email": "pas-une-adresse"}, {"email": "format"}),
    ({"nom": "A", "prenom": "B", "competences": ["ADR"]}, {"competences": "unknown_field"}),
    ({"nom": "A", "prenom": "B", "id": 3}, {"id": "unknown_field"}),
    ({"nom": ["A"], "prenom": "B"}, {"nom": "type"}),
])
async def test_a_bad_chauffeur_is_422_and_nothing_is_stored(admin, client, body, fields):
    before = await stored(client)
    assert await invalid_fields(await admin.post("/chauffeurs", json=body)) == fields
    assert await stored(client) == before


async def test_the_chauffeur_list_is_by_name_with_filter_paging_and_skills(admin):
    await make_chauffeur(admin, nom="MARTIN", prenom="Paul")
    await make_chauffeur(admin, nom="DUPONT", prenom="Jean", actif=False)
    await make_chauffeur(admin, nom="BERNARD", prenom="Luc")
    await add_competence(admin, 3, "ADR", "2030-01-01")
    await add_competence(admin, 3, "FIMO")
    everyone = await admin.get("/chauffeurs")
    found = await everyone.json()
    assert [c["nom"] for c in found] == ["BERNARD", "DUPONT", "MARTIN"]
    assert everyone.headers["X-Total-Count"] == "3"
    assert [(s["code"], s["date_expiration"]) for s in found[0]["competences"]] == [
        ("ADR", "2030-01-01"), ("FIMO", None)]
    active = await admin.get("/chauffeurs?actif=true&limit=1&offset=1")
    assert [c["nom"] for c in await active.json()] == ["MARTIN"]
    assert active.headers["X-Total-Count"] == "2"
    assert [c["nom"] for c in await (await admin.get("/chauffeurs?actif=false")).json()] == ["DUPONT"]
    assert await invalid_fields(await admin.get("/chauffeurs?actif=peut-etre")) == {"actif": "type"}


async def test_deleting_a_chauffeur_no_mission_names_erases_it_with_its_absences_and_skills(admin,
                                                                                             client):
    chauffeur = await make_chauffeur(admin)
    await add_absence(admin, chauffeur["id"], "2024-01-01", "2024-01-02")
    await add_competence(admin, chauffeur["id"], "ADR")
    response = await admin.delete("/chauffeurs/1", headers={"If-Match": '"1"'})
    assert response.status == 204
    assert (await admin.get("/chauffeurs/1")).status == 404
    after = await stored(client)
    assert after["chauffeurs"] == after["absences"] == after["chauffeur_competences"] == []


async def test_deleting_a_chauffeur_that_missions_name_deactivates_it(admin, client):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"])
    response = await admin.delete("/chauffeurs/1")
    body = await response.json()
    assert response.status == 200 and body["actif"] is False and body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert (await (await admin.get("/missions/1")).json())["chauffeur_id"] == 1
    before = await stored(client)
    again = await admin.delete("/chauffeurs/1")
    assert again.status == 200 and (await again.json())["version"] == 2
    assert await stored(client) == before


async def test_chauffeur_writes_need_the_chauffeurs_permission(admin, as_role, client):
    await make_chauffeur(admin)
    before = await stored(client)
    for role in ("viewer", "planner", "planner_advanced", "finance"):
        api = await as_role(role)
        assert (await api.get("/chauffeurs/1")).status == 200
        for response in (await api.post("/chauffeurs", json={"nom": "A", "prenom": "B"}),
                         await api.put("/chauffeurs/1", json={"notes": "x"}),
                         await api.delete("/chauffeurs/1"),
                         await api.post("/chauffeurs/1/absences", json={
                             "date_debut": MONDAY, "date_fin": MONDAY}),
                         await api.post("/chauffeurs/1/competences", json={"code": "ADR"}),
                         await api.post("/competences", json={"code": "HAYON"})):
            assert response.status == 403, role
    assert await stored(client) == before


# --- absences ------------------------------------------------------------------------------


async def test_absences_are_a_sub_resource_of_the_chauffeur(admin):
    await make_chauffeur(admin)
    other = await make_chauffeur(admin, nom="MARTIN")
    response = await admin.post("/chauffeurs/1/absences", json={
        "date_debut": "2024-01-15", "date_fin": "2024-01-19", "motif": "conge",
        "commentaire": "ski"})
    absence = await response.json()
    assert response.status == 201 and response.headers["Location"] == "/chauffeurs/1/absences/1"
    assert {key: absence[key] for key in ("chauffeur_id", "date_debut", "date_fin", "motif",
                                          "commentaire")} == {
        "chauffeur_id": 1, "date_debut": "2024-01-15", "date_fin": "2024-01-19", "motif": "conge",
        "commentaire": "ski"}
    await add_absence(admin, 1, "2024-03-01", "2024-03-01", motif="formation")
    listed = await admin.get("/chauffeurs/1/absences")
    assert [a["date_debut"] for a in await listed.json()] == ["2024-03-01", "2024-01-15"]
    in_january = await admin.get("/chauffeurs/1/absences?date_debut=2024-01-19&date_fin=2024-02-01")
    assert [a["id"] for a in await in_january.json()] == [1]
    assert (await admin.get(f"/chauffeurs/{other['id']}/absences/1")).status == 404
    assert (await admin.get("/chauffeurs/99/absences")).status == 404

    moved = await admin.put("/chauffeurs/1/absences/1", json={"date_fin": "2024-01-16"},
                            headers={"If-Match": '"1"'})
    assert moved.status == 200 and (await moved.json())["date_fin"] == "2024-01-16"
    assert (await admin.delete("/chauffeurs/1/absences/1", headers={"If-Match": '"2"'})).status == 204
    assert (await admin.get("/chauffeurs/1/absences/1")).status == 404


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"date_debut": "required", "date_fin": "required"}),
    ({"date_debut": "2024-01-16", "date_fin": "2024-01-15"}, {"date_fin": "before_start"}),
    ({"date_debut": "2024-02-30", "date_fin": "2024-03-01"}, {"date_debut": "format"}),
    ({"date_debut": MONDAY, "date_fin": MONDAY, "motif": "vacances"}, {"motif": "choice"}),
    ({"date_debut": MONDAY, "date_fin": MONDAY, "chauffeur_id": 2}, {"chauffeur_id": "unknown_field"}),
])
async def test_a_bad_absence_is_422_and_nothing_is_stored(admin, client, body, fields):
    await make_chauffeur(admin)
    before = await stored(client)
    assert await invalid_fields(await admin.post("/chauffeurs/1/absences", json=body)) == fields
    assert await stored(client) == before


async def test_an_absence_update_keeps_its_dates_in_order(admin, client):
    await make_chauffeur(admin)
    await add_absence(admin, 1, "2024-01-15", "2024-01-17")
    before = await stored(client)
    assert await invalid_fields(await admin.put("/chauffeurs/1/absences/1", json={
        "date_debut": "2024-01-18", "date_fin": "2024-01-16"})) == {"date_fin": "before_start"}
    # Valid in itself, it contradicts the stored end: the client must reread.
    assert await stale_fields(await admin.put("/chauffeurs/1/absences/1", json={
        "date_debut": "2024-01-18"}), "conflicts_with_stored") == {"date_fin": "before_start"}
    assert await stored(client) == before


# --- a chauffeur's skills ------------------------------------------------------------------


async def test_a_chauffeurs_skills_come_from_the_catalogue_once_each(admin, client):
    await make_chauffeur(admin)
    adr = await add_competence(admin, 1, "ADR", "2025-06-30")
    assert (adr["code"], adr["date_expiration"], adr["chauffeur_id"]) == ("ADR", "2025-06-30", 1)
    before = await stored(client)
    assert await stale_fields(await admin.post("/chauffeurs/1/competences", json={
        "code": "PILOTE_LIGNE"})) == {"code": "not_found"}
    assert await invalid_fields(await admin.post("/chauffeurs/1/competences", json={
        "code": "adr"})) == {"code": "format"}
    await problem(await admin.post("/chauffeurs/1/competences", json={"code": "ADR"}), 409,
                  "competence_exists")
    assert await stored(client) == before

    renewed = await admin.put("/chauffeurs/1/competences/1", json={"date_expiration": "2030-06-30"},
                              headers={"If-Match": '"1"'})
    assert renewed.status == 200 and (await renewed.json())["date_expiration"] == "2030-06-30"
    listed = await (await admin.get("/chauffeurs/1/competences")).json()
    assert [(c["code"], c["date_expiration"]) for c in listed] == [("ADR", "2030-06-30")]
    chauffeur = await (await admin.get("/chauffeurs/1")).json()
    assert chauffeur["competences"] == [{"id": 1, "code": "ADR", "date_expiration": "2030-06-30"}]
    assert (await admin.delete("/chauffeurs/1/competences/1")).status == 204
    assert (await (await admin.get("/chauffeurs/1")).json())["competences"] == []


# --- the skills catalogue ------------------------------------------------------------------


async def test_the_catalogue_starts_with_the_usual_skills(as_role):
    viewer = await as_role("viewer")
    response = await viewer.get("/competences")
    assert [skill["code"] for skill in await response.json()] == [
        "ADR", "CARTE_CONDUCTEUR", "FCO", "FIMO", "PERMIS_C", "PERMIS_CE", "VISITE_MEDICALE"]
    assert response.headers["X-Total-Count"] == "7"


async def test_a_driver_admin_edits_the_catalogue(as_role, client):
    driver_admin = await as_role("driver_admin")
    created = await driver_admin.post("/competences", json={"code": "HAYON", "libelle": "Hayon"})
    skill = await created.json()
    assert created.status == 201 and skill["code"] == "HAYON"
    await problem(await driver_admin.post("/competences", json={"code": "HAYON"}), 409, "skill_exists")
    assert await invalid_fields(await driver_admin.post("/competences", json={
        "code": "hayon élévateur"})) == {"code": "format"}
    assert await invalid_fields(await driver_admin.put(f"/competences/{skill['id']}", json={
        "code": "GRUE"})) == {"code": "unknown_field"}
    renamed = await driver_admin.put(f"/competences/{skill['id']}", json={
        "libelle": "Hayon élévateur"}, headers={"If-Match": '"1"'})
    assert renamed.status == 200 and (await renamed.json())["libelle"] == "Hayon élévateur"
    assert (await driver_admin.delete(f"/competences/{skill['id']}")).status == 204
    assert (await driver_admin.get(f"/competences/{skill['id']}")).status == 404


async def test_a_skill_in_use_cannot_leave_the_catalogue(admin, client):
    await make_chauffeur(admin)
    await add_competence(admin, 1, "ADR")
    await make_voyage(admin, competences_requises=["FIMO"])
    before = await stored(client)
    body = await problem(await admin.delete(f"/competences/{await skill_id(admin, 'ADR')}"), 409,
                         "skill_in_use")
    assert (body["chauffeurs"], body["voyages"]) == (1, 0)
    body = await problem(await admin.delete(f"/competences/{await skill_id(admin, 'FIMO')}"), 409,
                         "skill_in_use")
    assert (body["chauffeurs"], body["voyages"]) == (0, 1)
    assert await stored(client) == before


# --- availability --------------------------------------------------------------------------


async def _fleet(admin):
    """DUPONT free, MARTIN on leave, PETIT inactive, BERNARD busy 08:00-12:00, with skills."""
    dupont = await make_chauffeur(admin, nom="DUPONT")
    martin = await make_chauffeur(admin, nom="MARTIN")
    petit = await make_chauffeur(admin, nom="PETIT", actif=False)
    bernard = await make_chauffeur(admin, nom="BERNARD")
    await add_absence(admin, martin["id"], "2024-01-10", "2024-01-15")
    await add_competence(admin, dupont["id"], "ADR", "2024-01-14")
    await add_competence(admin, bernard["id"], "ADR", "2024-01-15")
    await add_competence(admin, martin["id"], "ADR")
    await make_mission(admin, chauffeur_id=bernard["id"], heure_debut="08:00", heure_fin="12:00")
    await make_mission(admin, chauffeur_id=dupont["id"], statut="annule")
    return dupont, martin, petit, bernard


async def test_availability_lists_active_chauffeurs_without_absence_with_their_missions(admin,
                                                                                        as_role):
    await _fleet(admin)
    viewer = await as_role("viewer")
    response = await viewer.get("/chauffeurs/disponibles/2024-01-15")
    drivers = await response.json()
    assert response.headers["X-Total-Count"] == "2"
    assert [(d["nom"], d["disponible"], [m["id"] for m in d["missions"]]) for d in drivers] == [
        ("BERNARD", True, [1]), ("DUPONT", True, [])]
    assert drivers[0]["missions"][0] == {"id": 1, "date_mission": MONDAY, "heure_debut": "08:00",
                                         "heure_fin": "12:00", "destination": "Paris",
                                         "voyage_id": None, "statut": "planifie"}
    assert [d["nom"] for d in await (await viewer.get("/chauffeurs/disponibles/2024-01-16")).json()
            ] == ["BERNARD", "DUPONT", "MARTIN"]


async def test_availability_with_everyone_gives_the_reasons(admin):
    await _fleet(admin)
    drivers = await (await admin.get("/chauffeurs/disponibles/2024-01-15?tous=true")).json()
    assert [(d["nom"], d["disponible"], [r["code"] for r in d["raisons"]]) for d in drivers] == [
        ("BERNARD", True, []), ("DUPONT", True, []), ("MARTIN", False, ["chauffeur_absent"]),
        ("PETIT", False, ["chauffeur_inactif"])]


async def test_availability_for_a_voyage_needs_its_skills_valid_that_day_and_free_hours(admin):
    await _fleet(admin)
    morning = await make_voyage(admin, code="FOS-MATIN", competences_requises=["ADR"],
                                heure_debut="10:00", heure_fin="14:00")
    evening = await make_voyage(admin, code="FOS-SOIR", competences_requises=["ADR"],
                                heure_debut="13:00", heure_fin="17:00")

    async def names(day, voyage, tous=False):
        query = f"?voyage_id={voyage['id']}" + ("&tous=true" if tous else "")
        response = await admin.get(f"/chauffeurs/disponibles/{day}{query}")
        assert response.status == 200, await response.text()
        return {d["nom"]: [r["code"] for r in d["raisons"]] for d in await response.json()}

    assert await names(MONDAY, evening) == {"BERNARD": []}
    assert await names(MONDAY, morning) == {}
    assert await names(MONDAY, morning, tous=True) == {
        "BERNARD": ["chevauchement"], "DUPONT": ["competence_expiree"],
        "MARTIN": ["chauffeur_absent"], "PETIT": ["chauffeur_inactif", "competence_manquante"]}
    assert await names("2024-01-16", evening) == {"MARTIN": []}


@pytest.mark.parametrize(("query", "fields"), [
    ("?voyage_id=abc", {"voyage_id": "type"}),
    ("?tous=peut-etre", {"tous": "type"}),
    ("?date=2024-01-15", {"date": "unknown_parameter"}),
])
async def test_availability_refuses_bad_parameters(admin, query, fields):
    assert await invalid_fields(await admin.get(f"/chauffeurs/disponibles/2024-01-15{query}")) == fields


async def test_availability_for_a_voyage_that_does_not_exist_is_409(admin):
    assert await stale_fields(await admin.get("/chauffeurs/disponibles/2024-01-15?voyage_id=99")
                              ) == {"voyage_id": "not_found"}
