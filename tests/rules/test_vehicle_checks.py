"""Giving a mission its vehicle is checked like giving it its chauffeur (409 with the problems,
`?force=true` passes and is logged); the availability of the vehicles shows the same findings."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import activity_lines, invalid_fields, problem, stale_fields
from tests.helpers.planning import (
    MONDAY,
    add_competence,
    add_indisponibilite,
    make_chauffeur,
    make_mission,
    make_vehicule,
    make_voyage,
    stored,
)


async def refused(response, *codes) -> list:
    body = await problem(response, 409, "assignment_conflict")
    assert [p["code"] for p in body["problems"]] == list(codes), body
    assert all(p["detail"] for p in body["problems"])
    return body["problems"]


def mission(**fields) -> dict:
    return {"date_mission": MONDAY, "destination": "Lyon", **fields}


# --- the vehicle's own rules ---------------------------------------------------------------


async def test_an_inactive_vehicle_cannot_be_given_even_to_a_mission_without_chauffeur(admin, client):
    await make_vehicule(admin, actif=False)
    before = await stored(client)
    problems = await refused(await admin.post("/missions", json=mission(vehicule_id=1)), "vehicule_inactif")
    assert "AB-123-CD" in problems[0]["detail"]
    assert await stored(client) == before


@pytest.mark.parametrize(("day", "conflict"), [
    ("2024-01-14", False), ("2024-01-15", True), ("2024-01-16", True), ("2024-01-17", False)])
async def test_an_unavailable_vehicle_cannot_be_given_on_any_day_of_it(admin, day, conflict):
    await make_vehicule(admin)
    unavailable = await add_indisponibilite(admin, 1, "2024-01-15", "2024-01-16", motif="controle_technique")
    response = await admin.post("/missions", json=mission(date_mission=day, vehicule_id=1))
    if conflict:
        problems = await refused(response, "vehicule_indisponible")
        assert problems[0]["indisponibilite_id"] == unavailable["id"]
        assert "controle_technique" in problems[0]["detail"]
    else:
        assert response.status == 201, await response.text()


SLOTS = [
    (("08:00", "10:00"), ("09:00", "11:00"), True),
    (("08:00", "10:00"), ("07:00", "08:30"), True),
    (("08:00", "10:00"), ("08:30", "09:00"), True),
    (("08:00", "10:00"), ("08:00", None), True),      # same start minute
    (("08:00", "10:00"), ("09:59", None), True),      # a start inside the other trip
    (("08:00", "10:00"), ("10:00", "12:00"), False),  # one ends when the other starts
    (("08:00", "10:00"), ("06:00", "08:00"), False),
    (("08:00", None), ("07:00", "09:00"), True),
    (("08:00", None), ("20:00", None), False),
    ((None, None), ("08:00", "10:00"), False),        # no time: never overlaps
    (("08:00", "10:00"), (None, None), False),
    (("22:00", "02:00"), ("23:30", "23:45"), True),   # ends after midnight
    (("06:00", "06:00"), ("20:00", "21:00"), True),   # an end equal to the start: 24 hours
    (("08:00", None), ("08:30", None), None),         # the default duration decides: as chauffeurs
    (("08:00", None), ("10:30", "11:00"), None),
]


@pytest.mark.parametrize(("existing", "new", "conflict"), SLOTS)
async def test_a_vehicle_follows_the_chauffeurs_slot_rules(admin, existing, new, conflict):
    """The same pair of trips: a vehicle on both conflicts exactly when a chauffeur on both does."""
    await make_chauffeur(admin)
    await make_chauffeur(admin, nom="MARTIN")
    await make_vehicule(admin)
    await make_vehicule(admin, immatriculation="EF-456-GH")
    await make_mission(admin, chauffeur_id=1, vehicule_id=1, heure_debut=existing[0], heure_fin=existing[1])
    hours = {"heure_debut": new[0], "heure_fin": new[1]}
    same_vehicle = await admin.post("/missions", json=mission(chauffeur_id=2, vehicule_id=1, **hours))
    same_driver = await admin.post("/missions", json=mission(chauffeur_id=1, vehicule_id=2, **hours))
    if conflict is not None:
        assert (same_driver.status == 409) is conflict
    if same_driver.status == 409:
        await refused(same_driver, "chevauchement")
        problems = await refused(same_vehicle, "vehicule_chevauchement")
        assert problems[0]["mission_id"] == 1 and "AB-123-CD" in problems[0]["detail"]
    else:
        assert (same_driver.status, same_vehicle.status) == (201, 201)


async def test_a_night_trip_holds_its_vehicle_the_next_morning(admin):
    await make_vehicule(admin)
    await make_mission(admin, date_mission="2024-01-14", vehicule_id=1, heure_debut="22:00",
                       heure_fin="03:00")
    await refused(await admin.post("/missions", json=mission(vehicule_id=1, heure_debut="02:00",
                                                            heure_fin="04:00")), "vehicule_chevauchement")
    assert (await admin.post("/missions", json=mission(vehicule_id=1, heure_debut="03:00",
                                                      heure_fin="05:00"))).status == 201


async def test_a_cancelled_mission_neither_holds_nor_checks_its_vehicle(admin):
    await make_vehicule(admin)
    await make_mission(admin, vehicule_id=1, heure_debut="08:00", heure_fin="10:00", statut="annule")
    assert (await admin.post("/missions", json=mission(vehicule_id=1, heure_debut="08:00",
                                                      heure_fin="10:00"))).status == 201
    await make_vehicule(admin, immatriculation="EF-456-GH", actif=False)
    assert (await admin.post("/missions", json=mission(vehicule_id=2, statut="annule"))).status == 201


@pytest.mark.parametrize(("held", "problem_expiry"), [
    (None, "missing"),
    ("2024-01-14", "2024-01-14"),  # expired the day before
    ("2024-01-15", None),          # valid through its last day
    ("ok", None),                  # without end
])
async def test_the_chauffeur_must_hold_the_vehicles_skill_on_the_missions_day(admin, held, problem_expiry):
    await make_chauffeur(admin)
    await make_vehicule(admin, competence_requise="PERMIS_CE")
    if held is not None:
        await add_competence(admin, 1, "PERMIS_CE", None if held == "ok" else held)
    response = await admin.post("/missions", json=mission(chauffeur_id=1, vehicule_id=1))
    if problem_expiry is None:
        assert response.status == 201, await response.text()
        return
    found = (await refused(response, "permis_vehicule_manquant"))[0]
    assert found["competence"] == "PERMIS_CE"
    assert found["date_expiration"] == (None if problem_expiry == "missing" else problem_expiry)
    assert "DUPONT Jean" in found["detail"] and "AB-123-CD" in found["detail"]


async def test_a_vehicle_without_required_skill_or_a_mission_without_chauffeur_needs_no_licence(admin):
    await make_chauffeur(admin)
    await make_vehicule(admin)
    await make_vehicule(admin, immatriculation="EF-456-GH", competence_requise="PERMIS_CE")
    assert (await admin.post("/missions", json=mission(chauffeur_id=1, vehicule_id=1))).status == 201
    assert (await admin.post("/missions", json=mission(vehicule_id=2))).status == 201
    # Giving that mission to a chauffeur without the skill is checked: the chauffeur changed.
    await refused(await admin.put("/missions/2", json={"chauffeur_id": 1}), "permis_vehicule_manquant")


# --- with the chauffeur's rules ------------------------------------------------------------


async def test_a_chauffeur_rule_and_a_vehicle_rule_are_refused_together(admin, client, capsys):
    await make_chauffeur(admin)
    await make_vehicule(admin, competence_requise="PERMIS_CE")
    await make_mission(admin, chauffeur_id=1, heure_debut="08:00", heure_fin="12:00")
    await add_indisponibilite(admin, 1, MONDAY, MONDAY, motif="maintenance")
    before = await stored(client)
    response = await admin.post("/missions", json=mission(chauffeur_id=1, vehicule_id=1,
                                                          heure_debut="10:00", heure_fin="14:00"))
    body = await problem(response, 409, "assignment_conflict")
    assert [p["code"] for p in body["problems"]] == [
        "chevauchement", "vehicule_indisponible", "permis_vehicule_manquant"]
    assert all(p["detail"] in body["detail"] for p in body["problems"])
    assert await stored(client) == before
    with capsys.disabled():  # the body the closing note shows
        print("\n409 body:", json.dumps(body, ensure_ascii=False, indent=2))


async def test_force_passes_the_vehicles_problems_and_the_log_keeps_them(admin, as_role, client):
    await make_chauffeur(admin)
    await make_vehicule(admin, actif=False, competence_requise="PERMIS_C")
    planner = await as_role("planner")
    await problem(await planner.post("/missions?force=true", json=mission(chauffeur_id=1, vehicule_id=1)),
                  403, "force_forbidden")
    advanced = await as_role("planner_advanced")
    response = await advanced.post("/missions?force=true", json=mission(chauffeur_id=1, vehicule_id=1))
    assert response.status == 201, await response.text()
    line = next(line for line in await activity_lines(client) if line["entity"] == "mission")
    assert (line["action"], line["entity_id"]) == ("create", 1)
    assert "forcée" in line["summary"] and "AB-123-CD est inactif" in line["summary"]
    assert [p["code"] for p in json.loads(line["changes"])["forced"]] == [
        "vehicule_inactif", "permis_vehicule_manquant"]


async def test_an_update_is_checked_when_the_vehicle_changes_not_for_a_remark(admin, client):
    await make_vehicule(admin)
    await make_vehicule(admin, immatriculation="EF-456-GH")
    await make_mission(admin, vehicule_id=1, heure_debut="08:00", heure_fin="10:00")
    await make_mission(admin, vehicule_id=2, heure_debut="09:00", heure_fin="11:00")
    before = await stored(client)
    await refused(await admin.put("/missions/2", json={"vehicule_id": 1}), "vehicule_chevauchement")
    await refused(await admin.put("/missions/1", json={"vehicule_id": 2}), "vehicule_chevauchement")
    assert await stored(client) == before
    assert (await admin.put("/missions/1", json={"heure_debut": "08:30", "heure_fin": "09:30"})).status == 200
    await admin.put("/vehicules/1", json={"actif": False})
    assert (await admin.put("/missions/1", json={"remarques": "quai 2"})).status == 200
    await refused(await admin.put("/missions/1", json={"heure_debut": "07:00"}), "vehicule_inactif")


# --- the mission's fields ------------------------------------------------------------------


async def test_a_vehicle_that_does_not_exist_is_409_and_a_bad_id_422(admin, client):
    await make_mission(admin)
    before = await stored(client)
    assert await stale_fields(await admin.post("/missions", json=mission(vehicule_id=99))) == {
        "vehicule_id": "not_found"}
    assert await stale_fields(await admin.put("/missions/1", json={"vehicule_id": 99})) == {
        "vehicule_id": "not_found"}
    for bad, code in (("AB-123-CD", "type"), (0, "out_of_range"), (True, "type")):
        assert await invalid_fields(await admin.post("/missions", json=mission(vehicule_id=bad))) == {
            "vehicule_id": code}
    assert await stored(client) == before


async def test_the_free_text_follows_the_vehicle_unless_the_body_gives_it(admin):
    await make_vehicule(admin)
    await make_vehicule(admin, immatriculation="EF-456-GH")
    made = await make_mission(admin, vehicule_id=1)
    assert (made["vehicule_id"], made["vehicule"]) == (1, "AB-123-CD")
    changed = await (await admin.put("/missions/1", json={"vehicule_id": 2})).json()
    assert (changed["vehicule_id"], changed["vehicule"]) == (2, "EF-456-GH")
    cleared = await (await admin.put("/missions/1", json={"vehicule_id": None})).json()
    assert (cleared["vehicule_id"], cleared["vehicule"]) == (None, None)
    both = await make_mission(admin, vehicule_id=1, vehicule="tracteur 12 + semi 4")
    assert (both["vehicule_id"], both["vehicule"]) == (1, "tracteur 12 + semi 4")
    # An old client writes the text only: the record stays as it is, nothing is checked.
    old = await (await admin.put(f"/missions/{both['id']}", json={"vehicule": "XX-999-XX"})).json()
    assert (old["vehicule_id"], old["vehicule"]) == (1, "XX-999-XX")


async def test_the_mission_lists_carry_the_vehicle(admin):
    await make_vehicule(admin)
    made = await make_mission(admin, vehicule_id=1)
    for path in ("/missions", f"/missions/by-date/{MONDAY}"):
        assert (await (await admin.get(path)).json()) == [made]


# --- availability --------------------------------------------------------------------------


async def _fleet(admin):
    """AB free, CD in maintenance, EF inactive, GH busy 08:00-12:00 and needing PERMIS_CE."""
    await make_chauffeur(admin)
    await add_competence(admin, 1, "PERMIS_CE", "2024-01-14")
    await make_vehicule(admin, immatriculation="AB-123-CD")
    await make_vehicule(admin, immatriculation="CD-234-EF")
    await make_vehicule(admin, immatriculation="EF-345-GH", actif=False)
    await make_vehicule(admin, immatriculation="GH-456-JK", competence_requise="PERMIS_CE")
    await add_indisponibilite(admin, 2, "2024-01-10", MONDAY)
    await make_mission(admin, vehicule_id=4, heure_debut="08:00", heure_fin="12:00")
    await make_mission(admin, vehicule_id=1, heure_debut="08:00", heure_fin="12:00", statut="annule")


async def test_availability_lists_active_vehicles_without_unavailability_with_their_missions(admin, as_role):
    await _fleet(admin)
    viewer = await as_role("viewer")
    response = await viewer.get(f"/vehicules/disponibles/{MONDAY}")
    found = await response.json()
    assert response.headers["X-Total-Count"] == "2"
    assert [(v["immatriculation"], v["disponible"], [m["id"] for m in v["missions"]]) for v in found] == [
        ("AB-123-CD", True, []), ("GH-456-JK", True, [1])]
    assert found[1]["missions"][0] == {"id": 1, "date_mission": MONDAY, "heure_debut": "08:00",
                                       "heure_fin": "12:00", "destination": "Paris", "voyage_id": None,
                                       "chauffeur_id": None, "statut": "planifie"}
    assert len(await (await viewer.get("/vehicules/disponibles/2024-01-16")).json()) == 3


async def test_availability_with_a_voyage_and_a_chauffeur_says_what_a_mission_would_meet(admin):
    await _fleet(admin)
    voyage = await make_voyage(admin, code="FOS", destination="Fos", heure_debut="10:00", heure_fin="14:00")
    response = await admin.get(f"/vehicules/disponibles/{MONDAY}?voyage_id={voyage['id']}"
                               "&chauffeur_id=1&tous=true")
    reasons = {v["immatriculation"]: [r["code"] for r in v["raisons"]] for v in await response.json()}
    assert reasons == {"AB-123-CD": [], "CD-234-EF": ["vehicule_indisponible"],
                       "EF-345-GH": ["vehicule_inactif"],
                       "GH-456-JK": ["permis_vehicule_manquant", "vehicule_chevauchement"]}
    # The same findings as the 409 of a mission of that voyage, that chauffeur and each vehicle.
    for vehicule_id, (plate, codes) in enumerate(reasons.items(), start=1):
        answer = await admin.post("/missions", json={"date_mission": MONDAY, "voyage_id": voyage["id"],
                                                     "chauffeur_id": 1, "vehicule_id": vehicule_id})
        if codes:
            await refused(answer, *codes)
        else:
            assert answer.status == 201, plate
            await admin.delete(f"/missions/{(await answer.json())['id']}")
    only_free = await (await admin.get(f"/vehicules/disponibles/{MONDAY}?voyage_id={voyage['id']}"
                                       "&chauffeur_id=1")).json()
    assert [v["immatriculation"] for v in only_free] == ["AB-123-CD"]


@pytest.mark.parametrize(("query", "fields"), [
    ("?voyage_id=abc", {"voyage_id": "type"}),
    ("?chauffeur_id=0", {"chauffeur_id": "out_of_range"}),
    ("?tous=peut-etre", {"tous": "type"}),
    ("?date=2024-01-15", {"date": "unknown_parameter"}),
])
async def test_availability_refuses_bad_parameters(admin, query, fields):
    assert await invalid_fields(await admin.get(f"/vehicules/disponibles/{MONDAY}{query}")) == fields


async def test_availability_for_what_does_not_exist_is_409_and_a_bad_day_422(admin):
    assert await stale_fields(await admin.get(f"/vehicules/disponibles/{MONDAY}?voyage_id=9&chauffeur_id=9")
                              ) == {"voyage_id": "not_found", "chauffeur_id": "not_found"}
    assert (await admin.get("/vehicules/disponibles/2024-02-30")).status == 422
