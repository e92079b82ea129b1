"""Assigning a chauffeur is checked (409 with the problems); `?force=true` passes and is logged."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.helpers.api import activity_lines, problem
from tests.helpers.planning import (
    MONDAY,
    add_absence,
    add_competence,
    make_chauffeur,
    make_mission,
    make_voyage,
    stored,
)
from tomatoplan.rules import hours
from tomatoplan.rules.hours import overlaps, span
from tomatoplan.web.state import DB, DENIALS


async def refused(response, *codes) -> list:
    body = await problem(response, 409, "assignment_conflict")
    assert [p["code"] for p in body["problems"]] == list(codes), body
    assert all(p["detail"] for p in body["problems"])
    return body["problems"]


async def test_an_inactive_chauffeur_cannot_be_assigned(admin, client):
    chauffeur = await make_chauffeur(admin, actif=False)
    before = await stored(client)
    problems = await refused(await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Paris", "chauffeur_id": chauffeur["id"]}),
        "chauffeur_inactif")
    assert "DUPONT Jean" in problems[0]["detail"]
    assert await stored(client) == before


@pytest.mark.parametrize(("day", "conflict"), [
    ("2024-01-14", False), ("2024-01-15", True), ("2024-01-16", True), ("2024-01-17", True),
    ("2024-01-18", False)])
async def test_an_absent_chauffeur_cannot_be_assigned_on_any_day_of_the_absence(admin, day, conflict):
    chauffeur = await make_chauffeur(admin)
    await add_absence(admin, chauffeur["id"], "2024-01-15", "2024-01-17", motif="maladie")
    response = await admin.post("/missions", json={"date_mission": day, "destination": "Paris",
                                                   "chauffeur_id": chauffeur["id"]})
    if conflict:
        problems = await refused(response, "chauffeur_absent")
        assert "maladie" in problems[0]["detail"]
    else:
        assert response.status == 201


@pytest.mark.parametrize(("existing", "new", "conflict"), [
    (("08:00", "10:00"), ("09:00", "11:00"), True),
    (("08:00", "10:00"), ("07:00", "08:30"), True),
    (("08:00", "10:00"), ("08:30", "09:00"), True),
    (("08:00", "10:00"), ("08:00", None), True),     # same start minute
    (("08:00", "10:00"), ("09:59", None), True),     # a start inside the other trip
    (("08:00", "10:00"), ("10:00", "12:00"), False),  # one ends when the other starts
    (("08:00", "10:00"), ("06:00", "08:00"), False),
    (("08:00", None), ("07:00", "09:00"), True),
    (("08:00", None), ("08:59", None), True),        # a start without an end: 60 min by default
    (("08:00", None), ("09:00", None), False),
    (("08:00", None), ("09:00", "10:00"), False),
    ((None, None), ("08:00", "10:00"), False),       # no time: never overlaps
    (("08:00", "10:00"), (None, None), False),
    (("22:00", "02:00"), ("23:30", "23:45"), True),  # ends after midnight
    (("06:00", "06:00"), ("20:00", "21:00"), True),  # an end equal to the start: 24 hours
])
async def test_overlapping_missions_the_same_day_conflict(admin, existing, new, conflict):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"], heure_debut=existing[0],
                       heure_fin=existing[1])
    response = await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Lyon", "chauffeur_id": chauffeur["id"],
        "heure_debut": new[0], "heure_fin": new[1]})
    if conflict:
        problems = await refused(response, "chevauchement")
        assert problems[0]["mission_id"] == 1
    else:
        assert response.status == 201, await response.text()


async def test_a_night_trip_conflicts_with_the_next_mornings_mission(admin):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, date_mission="2024-01-14", chauffeur_id=chauffeur["id"],
                       heure_debut="22:00", heure_fin="03:00")
    await refused(await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Lyon", "chauffeur_id": chauffeur["id"],
        "heure_debut": "02:00"}), "chevauchement")
    assert (await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Lyon", "chauffeur_id": chauffeur["id"],
        "heure_debut": "03:00"})).status == 201


async def test_a_cancelled_mission_never_conflicts(admin):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"], heure_debut="08:00", heure_fin="10:00",
                       statut="annule")
    assert (await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Lyon", "chauffeur_id": chauffeur["id"],
        "heure_debut": "08:00", "heure_fin": "10:00"})).status == 201
    # ...and is not checked itself, even for an inactive chauffeur.
    away = await make_chauffeur(admin, nom="MARTIN", actif=False)
    assert (await admin.post("/missions", json={
        "date_mission": MONDAY, "destination": "Lyon", "chauffeur_id": away["id"],
        "statut": "annule"})).status == 201


@pytest.mark.parametrize(("held", "codes"), [
    ({"PERMIS_CE": None, "ADR": None}, []),
    ({"PERMIS_CE": "2024-01-15", "ADR": "2030-01-01"}, []),       # valid through its last day
    ({"PERMIS_CE": "2024-01-14", "ADR": None}, ["competence_expiree"]),
    ({"PERMIS_CE": None}, ["competence_manquante"]),
    ({}, ["competence_manquante", "competence_manquante"]),
    ({"ADR": "2023-12-31"}, ["competence_expiree", "competence_manquante"]),  # by code
])
async def test_the_voyages_skills_must_be_held_and_valid_on_the_missions_date(admin, held, codes):
    chauffeur = await make_chauffeur(admin)
    for code, expiry in held.items():
        await add_competence(admin, chauffeur["id"], code, expiry)
    voyage = await make_voyage(admin, destination="Fos", competences_requises=["PERMIS_CE", "ADR"])
    response = await admin.post("/missions", json={
        "date_mission": MONDAY, "chauffeur_id": chauffeur["id"], "voyage_id": voyage["id"]})
    if codes:
        problems = await refused(response, *codes)
        assert all("Fos" not in p["detail"] and voyage["code"] in p["detail"] for p in problems)
    else:
        assert response.status == 201


async def test_all_problems_are_listed_at_once(admin):
    chauffeur = await make_chauffeur(admin, actif=False)
    await add_absence(admin, chauffeur["id"], MONDAY, MONDAY)
    await make_mission(admin, chauffeur_id=chauffeur["id"], heure_debut="08:00", query="?force=true")
    voyage = await make_voyage(admin, destination="Fos", competences_requises=["ADR"],
                               heure_debut="08:00", heure_fin="12:00")
    await refused(await admin.post("/missions", json={
        "date_mission": MONDAY, "chauffeur_id": chauffeur["id"], "voyage_id": voyage["id"]}),
        "chauffeur_inactif", "chauffeur_absent", "competence_manquante", "chevauchement")


async def test_an_update_is_checked_when_the_assignment_changes(admin, client):
    chauffeur = await make_chauffeur(admin)
    await add_absence(admin, chauffeur["id"], "2024-01-16", "2024-01-16")
    await make_mission(admin, heure_debut="08:00")
    assert (await admin.put("/missions/1", json={"chauffeur_id": chauffeur["id"]})).status == 200

    before = await stored(client)
    await refused(await admin.put("/missions/1", json={"date_mission": "2024-01-16"}),
                  "chauffeur_absent")
    assert await stored(client) == before
    # A mission does not overlap itself when its hours move.
    assert (await admin.put("/missions/1", json={"heure_debut": "08:30"})).status == 200


async def test_editing_a_forced_mission_without_touching_the_assignment_is_not_checked_again(admin):
    chauffeur = await make_chauffeur(admin, actif=False)
    await make_mission(admin, chauffeur_id=chauffeur["id"], query="?force=true")
    assert (await admin.put("/missions/1", json={"remarques": "ok"})).status == 200
    assert (await admin.put("/missions/1", json={"statut": "annule"})).status == 200
    # Bringing a cancelled mission back is an assignment again.
    await refused(await admin.put("/missions/1", json={"statut": "planifie"}), "chauffeur_inactif")


async def test_force_needs_the_write_voyages_permission(admin, as_role, client):
    chauffeur = await make_chauffeur(admin, actif=False)
    await make_mission(admin)
    planner = await as_role("planner")
    before = await stored(client)
    for response in (
        await planner.post("/missions?force=true", json={
            "date_mission": MONDAY, "destination": "Paris", "chauffeur_id": chauffeur["id"]}),
        await planner.put("/missions/1?force=true", json={"chauffeur_id": chauffeur["id"]}),
        await planner.post("/missions?force=true", json={"date_mission": MONDAY, "destination": "X"}),
    ):
        await problem(response, 403, "force_forbidden")
    assert await stored(client) == before
    # Three refusals of one user for one cause: one line now, their repeats at the window's end.
    denied = [line for line in await activity_lines(client) if line["action"] == "access_denied"]
    assert len(denied) == 1 and "/missions?force=true (force_forbidden)" in denied[0]["summary"]
    assert denied[0]["username"] == planner.user["username"]
    await client.app[DENIALS].flush(client.app[DB], everything=True)
    denied = [line for line in await activity_lines(client) if line["action"] == "access_denied"]
    assert "répété 2 fois" in denied[0]["summary"]
    assert (await planner.post("/missions?force=oui-peut-etre", json={})).status == 422


@pytest.mark.parametrize("role", ["planner_advanced", "admin"])
async def test_a_forced_assignment_passes_and_the_log_keeps_the_reasons(admin, as_role, client, role):
    chauffeur = await make_chauffeur(admin, actif=False)
    api = admin if role == "admin" else await as_role(role)
    response = await api.post("/missions?force=true", json={
        "date_mission": MONDAY, "destination": "Paris", "chauffeur_id": chauffeur["id"]})
    assert response.status == 201
    line = (await activity_lines(client))[0]
    assert (line["action"], line["entity"], line["entity_id"]) == ("create", "mission", 1)
    assert "forcée" in line["summary"] and "inactif" in line["summary"]
    changes = json.loads(line["changes"])
    assert [p["code"] for p in changes["forced"]] == ["chauffeur_inactif"]
    assert changes["after"]["chauffeur_id"] == chauffeur["id"]

    update = await api.put("/missions/1?force=true", json={"heure_debut": "07:00"})
    assert update.status == 200
    changes = json.loads((await activity_lines(client))[0]["changes"])
    assert changes["before"] == {"heure_debut": None} and changes["after"] == {"heure_debut": "07:00"}
    assert [p["code"] for p in changes["forced"]] == ["chauffeur_inactif"]


async def test_force_without_a_problem_is_an_ordinary_change(admin, client):
    chauffeur = await make_chauffeur(admin)
    await make_mission(admin, chauffeur_id=chauffeur["id"], query="?force=true")
    line = (await activity_lines(client))[0]
    assert "forced" not in json.loads(line["changes"]) and "forcée" not in line["summary"]


def test_spans_count_minutes_from_the_checked_days_midnight():
    day = datetime.date(2024, 1, 15)
    assert span("2024-01-15", "06:00", "08:00", day) == (360, 480)
    assert span("2024-01-15", "22:00", "02:00", day) == (1320, 1560)
    assert span("2024-01-14", "22:00", "02:00", day) == (-120, 120)
    assert span("2024-01-16", "01:00", None, day) == (1500, 1560)  # DEFAULT_MINUTES
    assert span("2024-01-15", None, None, day) is None
    assert span("2024-01-15", "06:00", "06:00", day) == (360, 1800)  # a full day
    assert overlaps((360, 480), (479, 479)) and not overlaps((360, 480), (480, 600))


def test_a_start_without_an_end_lasts_the_configured_default(monkeypatch):
    day = datetime.date(2024, 1, 15)
    monkeypatch.setattr(hours, "DEFAULT_MINUTES", 90)
    assert span("2024-01-15", "06:00", None, day) == (360, 450)
    assert hours.hours_text({"heure_debut": "06:00", "heure_fin": None}) == "à 06:00, 90 min par défaut"


def test_a_moved_start_keeps_the_duration_and_crosses_midnight():
    assert hours.shifted_end("07:00", "06:00", "12:00") == "13:00"
    assert hours.shifted_end("22:00", "06:00", "12:00") == "04:00"
    assert hours.shifted_end("23:00", "22:00", "02:00") == "03:00"
    assert hours.shifted_end("08:00", "06:00", "06:00") == "08:00"  # 24 hours stay 24 hours
    assert hours.shifted_end("08:00", "06:00", None) is None
