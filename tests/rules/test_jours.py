"""A validated day: its missions are closed to the roles without `jours.validate` (409
`jour_valide` saying who validated it and when), open to the others with a line that says so."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import activity_lines, problem
from tests.helpers.planning import MONDAY, make_chauffeur, make_mission, make_voyage, stored
from tomatoplan.base.errors import Conflict
from tomatoplan.base.permissions import ROLES, Permission, permissions_of
from tomatoplan.rules import missions
from tomatoplan.rules.activity import Actor
from tomatoplan.web.state import DB

TUESDAY = "2024-01-16"
# The roles that write missions, and whether they may still do so on a validated day.
WRITERS = [(role, Permission.VALIDATE_DAYS in permissions_of(role)) for role in ROLES
           if Permission.WRITE_MISSIONS in permissions_of(role)]


async def validated(admin, day: str = MONDAY) -> dict:
    response = await admin.post(f"/jours/{day}/validation")
    assert response.status == 201, await response.text()
    return await response.json()


async def refused(response, *days: str) -> dict:
    """The 409 of a validated day: each day, who validated it and when, in the detail too."""
    body = await problem(response, 409, "jour_valide")
    assert [jour["date"] for jour in body["jours"]] == list(days)
    for jour in body["jours"]:
        assert jour["valide"] and jour["valide_par"] == "ADMIN" and jour["valide_le"]
        assert f"le {jour['date']} a été validé par ADMIN le {jour['valide_le']}" in body["detail"]
    assert "planner_advanced, admin" in body["detail"]
    return body


@pytest.mark.parametrize(("role", "may"), WRITERS)
async def test_creating_changing_deleting_on_a_validated_day_follows_the_role_table(
        admin, as_role, client, role, may):
    await make_mission(admin, destination="Lyon")
    await make_mission(admin, destination="Nice")
    await validated(admin)
    api = await as_role(role)
    before = await stored(client)
    answers = [await api.post("/missions", json={"date_mission": MONDAY, "destination": "Paris"}),
               await api.put("/missions/1", json={"remarques": "quai 4"}),
               await api.delete("/missions/2")]
    if may:
        assert [answer.status for answer in answers] == [201, 200, 204]
    else:
        for answer in answers:
            await refused(answer, MONDAY)
        assert await stored(client) == before


async def test_the_line_of_a_change_allowed_on_a_validated_day_says_so(admin, as_role, client):
    await make_mission(admin)
    jour = await validated(admin)
    advanced = await as_role("planner_advanced")
    assert (await advanced.put("/missions/1", json={"remarques": "vu"})).status == 200
    assert (await advanced.post("/missions", json={"date_mission": MONDAY, "destination": "X"})).status == 201
    assert (await advanced.delete("/missions/1")).status == 204
    lines = [line for line in await activity_lines(client) if line["entity"] == "mission"][:3]
    assert [line["action"] for line in lines] == ["delete", "create", "update"]
    told = f" — jour {MONDAY} validé par ADMIN le {jour['valide_le']}"
    assert all(line["summary"].endswith(told) for line in lines), lines
    kept = {"date": MONDAY, "valide_par": "ADMIN", "valide_le": jour["valide_le"]}
    assert [json.loads(line["changes"]).get("jours_valides") for line in lines[1:]] == [[kept]] * 2


@pytest.mark.parametrize(("start", "move_to", "closed"), [
    (TUESDAY, MONDAY, [MONDAY]),      # into a validated day
    (MONDAY, TUESDAY, [MONDAY]),      # out of it
    ("2024-01-17", TUESDAY, []),      # neither
])
async def test_a_move_counts_for_the_day_left_and_the_day_reached(admin, as_role, client, start,
                                                                   move_to, closed):
    await make_mission(admin, date_mission=start)
    await validated(admin)
    planner = await as_role("planner")
    response = await planner.put("/missions/1", json={"date_mission": move_to})
    if closed:
        await refused(response, *closed)
    else:
        assert response.status == 200


async def test_a_move_between_two_validated_days_names_both(admin, as_role):
    await make_mission(admin, date_mission=TUESDAY)
    await validated(admin)
    await validated(admin, TUESDAY)
    planner = await as_role("planner")
    await refused(await planner.put("/missions/1", json={"date_mission": MONDAY}), MONDAY, TUESDAY)


async def test_the_amounts_of_a_validated_day_stay_open_to_the_finance_role(admin, as_role, client):
    await make_mission(admin)
    await validated(admin)
    finance = await as_role("finance")
    response = await finance.put("/missions/1/finance", json={"prix": "125.50"})
    assert response.status == 200 and (await response.json())["prix"] == "125.50"


async def test_a_put_that_changes_nothing_on_a_validated_day_is_no_change(admin, as_role):
    await make_mission(admin, remarques="quai 4")
    await validated(admin)
    planner = await as_role("planner")
    response = await planner.put("/missions/1", json={"remarques": "quai 4"})
    assert response.status == 200 and (await response.json())["version"] == 1


async def test_the_day_is_checked_before_the_assignment(admin, as_role):
    chauffeur = await make_chauffeur(admin, actif=False)
    await validated(admin)
    planner = await as_role("planner")
    await refused(await planner.post("/missions", json={
        "date_mission": MONDAY, "destination": "Paris", "chauffeur_id": chauffeur["id"]}), MONDAY)


async def test_a_reopened_day_is_open_again(admin, as_role):
    await make_mission(admin)
    await validated(admin)
    planner = await as_role("planner")
    await refused(await planner.put("/missions/1", json={"remarques": "x"}), MONDAY)
    assert (await admin.delete(f"/jours/{MONDAY}/validation")).status == 200
    assert (await planner.put("/missions/1", json={"remarques": "x"})).status == 200


async def test_generation_skips_a_validated_day_for_a_planner_and_says_why(admin, as_role, client):
    await make_voyage(admin, code="LYO", destination="Lyon", jours=["lundi", "mardi"])
    await make_voyage(admin, code="NIC", destination="Nice", jours=["lundi"])
    jour = await validated(admin)
    planner = await as_role("planner")
    before = await stored(client)
    one_day = await planner.post("/missions/generate", json={"date": MONDAY})
    result = await one_day.json()
    assert one_day.status == 200 and result["creees"] == []
    assert [entry["code"] for entry in result["ignorees"]] == ["LYO", "NIC"]
    assert all(f"validé par ADMIN le {jour['valide_le']}" in entry["raison"] for entry in result["ignorees"])
    assert await stored(client) == before

    week = await (await planner.post("/missions/generate", json={
        "date_debut": MONDAY, "date_fin": TUESDAY})).json()
    assert [(m["date_mission"], m["destination"]) for m in week["creees"]] == [(TUESDAY, "Lyon")]
    assert [(e["date"], e["code"]) for e in week["ignorees"]] == [(MONDAY, "LYO"), (MONDAY, "NIC")]


async def test_generation_on_a_validated_day_by_a_planner_advanced_is_noted(admin, as_role, client):
    await make_voyage(admin, code="LYO", destination="Lyon", jours=["lundi"])
    await validated(admin)
    advanced = await as_role("planner_advanced")
    result = await (await advanced.post("/missions/generate", json={"date": MONDAY})).json()
    assert [m["destination"] for m in result["creees"]] == ["Lyon"] and result["ignorees"] == []
    line = (await activity_lines(client))[0]
    assert line["summary"].startswith("Génération (voyage LYO)") and "validé par ADMIN" in line["summary"]


async def test_the_command_line_is_refused_a_validated_day_like_a_planner(admin, client):
    """import-json runs as the command line's user, who holds no permission of the table."""
    await validated(admin)
    with pytest.raises(Conflict) as refusal:
        await missions.create_mission(client.app[DB], Actor("ROOT (ligne de commande)"),
                                      {"date_mission": MONDAY, "destination": "Paris"})
    assert refusal.value.code == "jour_valide"


async def test_a_restore_brings_back_the_validated_days_of_its_time(admin):
    await make_mission(admin)
    jour = await validated(admin)
    backup = await (await admin.post("/admin/backups")).json()
    assert (await admin.delete(f"/jours/{MONDAY}/validation")).status == 200
    assert (await admin.post(f"/jours/{TUESDAY}/validation")).status == 201
    assert (await admin.post(f"/admin/backups/restore/{backup['name']}")).status == 200
    assert await (await admin.get(f"/jours/{MONDAY}")).json() == jour
    assert (await (await admin.get(f"/jours/{TUESDAY}")).json())["valide"] is False
