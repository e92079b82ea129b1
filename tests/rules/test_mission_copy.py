"""Copying a day (POST /missions/copy): what a copy keeps, the checks of the chauffeur and the
vehicle on the target day, the amounts, one transaction, and a second call that makes nothing."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import activity_lines, problem
from tests.helpers.planning import (
    MONDAY,
    add_absence,
    add_indisponibilite,
    make_chauffeur,
    make_mission,
    make_vehicule,
    make_voyage,
    stored,
)
from tomatoplan.rules import missions
from tomatoplan.web.state import DB

NEXT_MONDAY = "2024-01-22"
SAME_DAY_KEYS = ("destination", "origine", "voyage_id", "heure_debut", "heure_fin", "remarques")


async def copy(api, status: int = 201, **options) -> dict:
    response = await api.post("/missions/copy", json={"date_source": MONDAY, "date_cible": NEXT_MONDAY,
                                                      **options})
    body = await response.json()
    assert response.status == status, body
    return body


async def test_a_copy_keeps_each_live_mission_planned_without_chauffeur_nor_vehicle(admin, client):
    voyage = await make_voyage(admin, code="LYO", destination="Lyon", origine="Rungis",
                               heure_debut="05:00", heure_fin="09:00")
    chauffeur = await make_chauffeur(admin)
    vehicule = await make_vehicule(admin)
    first = await make_mission(admin, voyage_id=voyage["id"], chauffeur_id=chauffeur["id"],
                               vehicule_id=vehicule["id"], remarques="quai 4", statut="termine")
    second = await make_mission(admin, destination="Nice", heure_debut="04:00")
    await make_mission(admin, destination="Caen", statut="annule")
    await make_mission(admin, date_mission="2024-01-16", destination="Brest")

    result = await copy(admin)
    assert (result["date_source"], result["date_cible"]) == (MONDAY, NEXT_MONDAY)
    made = result["creees"]
    assert [m["destination"] for m in made] == ["Nice", "Paris"]  # by start time
    for original, copied in zip((second, first), made):
        assert {key: copied[key] for key in SAME_DAY_KEYS} == {key: original[key] for key in SAME_DAY_KEYS}
        assert (copied["date_mission"], copied["statut"], copied["version"]) == (NEXT_MONDAY, "planifie", 1)
        assert (copied["chauffeur_id"], copied["vehicule_id"], copied["vehicule"]) == (None, None, None)
    assert result["existantes"] == [] and result["non_repris"] == []
    async with client.app[DB].read() as session:
        copies = await session.fetch_all(
            "SELECT id, copie_de FROM missions WHERE date_mission = :day ORDER BY id", {"day": NEXT_MONDAY})
    assert [(row["id"], row["copie_de"]) for row in copies] == [
        (made[0]["id"], second["id"]), (made[1]["id"], first["id"])]
    lines = [line for line in await activity_lines(client) if line["entity"] == "mission"][:2]
    assert [line["summary"] for line in lines] == [
        f"Création (copie de la mission {first['id']}) de la mission {made[1]['id']} du {NEXT_MONDAY} "
        "vers Paris",
        f"Création (copie de la mission {second['id']}) de la mission {made[0]['id']} du {NEXT_MONDAY} "
        "vers Nice"]


async def test_a_second_identical_copy_makes_nothing_and_lists_the_copies_made(admin, client):
    await make_mission(admin, destination="Lyon")
    await make_mission(admin, destination="Nice")
    made = (await copy(admin))["creees"]
    # Changed or cancelled since, a copy is still the copy.
    await admin.put(f"/missions/{made[0]['id']}", json={"destination": "Lille", "statut": "annule"})
    before = await stored(client)
    again = await copy(admin, status=200)
    assert again["creees"] == []
    assert again["existantes"] == [{"mission_source_id": 1, "mission_id": made[0]["id"]},
                                   {"mission_source_id": 2, "mission_id": made[1]["id"]}]
    assert await stored(client) == before
    # A copy deleted since is made again; to another day, everything is copied.
    assert (await admin.delete(f"/missions/{made[1]['id']}")).status == 204
    assert [m["destination"] for m in (await copy(admin))["creees"]] == ["Nice"]
    other = await admin.post("/missions/copy", json={"date_source": MONDAY, "date_cible": "2024-01-29"})
    assert other.status == 201 and len((await other.json())["creees"]) == 2


async def test_chauffeurs_are_kept_where_the_checks_pass_and_said_why_elsewhere(admin):
    kept = await make_chauffeur(admin, nom="MARTIN")
    away = await make_chauffeur(admin, nom="DURAND")
    await add_absence(admin, away["id"], NEXT_MONDAY, NEXT_MONDAY)
    await make_mission(admin, destination="Lyon", chauffeur_id=kept["id"], heure_debut="06:00",
                       heure_fin="08:00")
    await make_mission(admin, destination="Nice", chauffeur_id=away["id"], heure_debut="07:00")
    # Forced onto the same slot on the source day: its copy meets the first copy.
    await make_mission(admin, destination="Caen", chauffeur_id=kept["id"], heure_debut="07:00",
                       heure_fin="09:00", query="?force=true")

    result = await copy(admin, chauffeurs=True)
    assert [(m["destination"], m["chauffeur_id"]) for m in result["creees"]] == [
        ("Lyon", kept["id"]), ("Nice", None), ("Caen", None)]
    dropped = result["non_repris"]
    assert [(d["mission_source_id"], d["mission_id"], d["champ"], d["valeur"]) for d in dropped] == [
        (2, result["creees"][1]["id"], "chauffeur_id", away["id"]),
        (3, result["creees"][2]["id"], "chauffeur_id", kept["id"])]
    assert [[p["code"] for p in d["problems"]] for d in dropped] == [["chauffeur_absent"], ["chevauchement"]]
    assert dropped[0]["detail"].startswith(f"Chauffeur {away['id']} non repris : DURAND Jean est absent")


async def test_vehicles_are_kept_where_their_checks_pass(admin):
    chauffeur = await make_chauffeur(admin)
    free = await make_vehicule(admin, immatriculation="AB-123-CD")
    broken = await make_vehicule(admin, immatriculation="EF-456-GH")
    await add_indisponibilite(admin, broken["id"], NEXT_MONDAY, NEXT_MONDAY)
    await make_mission(admin, destination="Lyon", vehicule_id=free["id"], heure_debut="06:00")
    await make_mission(admin, destination="Nice", vehicule_id=broken["id"], chauffeur_id=chauffeur["id"],
                       heure_debut="09:00")

    without = await copy(admin, date_cible="2024-01-29")
    assert [(m["vehicule_id"], m["vehicule"]) for m in without["creees"]] == [(None, None)] * 2
    result = await copy(admin, chauffeurs=True, vehicules=True)
    assert [(m["vehicule_id"], m["vehicule"], m["chauffeur_id"]) for m in result["creees"]] == [
        (free["id"], "AB-123-CD", None), (None, None, chauffeur["id"])]
    [dropped] = result["non_repris"]
    assert (dropped["champ"], dropped["valeur"]) == ("vehicule_id", broken["id"])
    assert [p["code"] for p in dropped["problems"]] == ["vehicule_indisponible"]


@pytest.mark.parametrize(("role", "copied", "shown"), [
    ("admin", True, True), ("planner_advanced", False, True), ("planner", False, False)])
async def test_amounts_are_copied_only_for_a_role_that_may_write_them(admin, as_role, client, role,
                                                                      copied, shown):
    await make_mission(admin, prix="125.50", cout="98.00")
    api = admin if role == "admin" else await as_role(role)
    result = await copy(api)
    assert result["montants_copies"] is copied
    [made] = result["creees"]
    assert ("prix" in made) is shown
    if shown:
        assert (made["prix"], made["cout"]) == (("125.50", "98.00") if copied else (None, None))
    async with client.app[DB].read() as session:
        amounts = await session.fetch_one("SELECT prix_cents, cout_cents FROM missions WHERE id = 2")
    assert amounts == ({"prix_cents": 12550, "cout_cents": 9800} if copied
                       else {"prix_cents": None, "cout_cents": None})


async def test_a_copy_is_one_transaction(admin, client, monkeypatch):
    await make_mission(admin, destination="Lyon")
    await make_mission(admin, destination="Nice")
    real, calls = missions.create_in, []

    async def failing_second(tx, actor, fields, **options):
        calls.append(fields["destination"])
        if len(calls) == 2:
            raise RuntimeError("disque arraché")
        return await real(tx, actor, fields, **options)

    monkeypatch.setattr(missions, "create_in", failing_second)
    before = await stored(client)
    response = await admin.post("/missions/copy", json={"date_source": MONDAY, "date_cible": NEXT_MONDAY})
    assert response.status == 500 and calls == ["Lyon", "Nice"]
    assert await stored(client) == before


async def test_a_validated_target_day_is_refused_to_a_planner_even_with_nothing_to_copy(
        admin, as_role, client):
    await make_mission(admin)
    assert (await admin.post(f"/jours/{NEXT_MONDAY}/validation")).status == 201
    planner = await as_role("planner")
    before = await stored(client)
    for source in (MONDAY, "2024-01-16"):
        response = await planner.post("/missions/copy", json={"date_source": source,
                                                              "date_cible": NEXT_MONDAY})
        body = await problem(response, 409, "jour_valide")
        assert body["jours"][0]["date"] == NEXT_MONDAY
    assert await stored(client) == before
    advanced = await as_role("planner_advanced")
    assert len((await copy(advanced))["creees"]) == 1
    line = (await activity_lines(client))[0]
    assert f"jour {NEXT_MONDAY} validé par ADMIN" in line["summary"]
    assert json.loads(line["changes"])["jours_valides"][0]["date"] == NEXT_MONDAY


async def test_a_validated_source_day_is_copied_by_anyone_who_writes_missions(admin, as_role):
    await make_mission(admin)
    assert (await admin.post(f"/jours/{MONDAY}/validation")).status == 201
    planner = await as_role("planner")
    assert len((await copy(planner))["creees"]) == 1
