"""No lost updates: ETag on every record, If-Match on PUT and DELETE, 412 with the current record."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.api import problem
from tests.helpers.planning import (
    add_absence,
    add_competence,
    make_chauffeur,
    make_mission,
    make_voyage,
    stored,
)


async def test_two_planners_editing_one_mission_can_no_longer_overwrite_each_other(admin, as_role,
                                                                                    client):
    await make_mission(admin, remarques="départ quai 1")
    alice, bob = await as_role("planner"), await as_role("planner")
    seen_by_alice = await alice.get("/missions/1")
    seen_by_bob = await bob.get("/missions/1")
    assert seen_by_alice.headers["ETag"] == seen_by_bob.headers["ETag"] == '"1"'

    saved = await alice.put("/missions/1", json={"remarques": "départ quai 2"},
                            headers={"If-Match": seen_by_alice.headers["ETag"]})
    assert saved.status == 200 and saved.headers["ETag"] == '"2"'

    before = await stored(client)
    refused = await bob.put("/missions/1", json={"vehicule": "AB-123-CD"},
                            headers={"If-Match": seen_by_bob.headers["ETag"]})
    body = await problem(refused, 412, "version_mismatch")
    assert body["current"]["version"] == 2
    assert body["current"]["remarques"] == "départ quai 2"
    assert "prix" not in body["current"]  # the current record as Bob may see it
    assert await stored(client) == before

    retried = await bob.put("/missions/1", json={"vehicule": "AB-123-CD"},
                            headers={"If-Match": f'"{body["current"]["version"]}"'})
    final = await retried.json()
    assert retried.status == 200
    assert (final["remarques"], final["vehicule"], final["version"]) == ("départ quai 2", "AB-123-CD", 3)


async def test_of_many_concurrent_updates_from_one_version_exactly_one_wins(admin, client):
    await make_mission(admin)
    before = await stored(client)
    answers = await asyncio.gather(*[
        admin.put("/missions/1", json={"remarques": f"version de l'onglet {n}"},
                  headers={"If-Match": '"1"'})
        for n in range(8)])
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] + [412] * 7
    winner = next(answer for answer in answers if answer.status == 200)
    won = await winner.json()
    for loser in (answer for answer in answers if answer.status == 412):
        assert (await loser.json())["current"] == won
    after = await stored(client)
    assert after["missions"][0]["version"] == 2
    assert after["activity_lines"] == before["activity_lines"] + 1


async def test_concurrent_deletes_and_updates_from_one_version_one_wins(admin):
    await make_mission(admin)
    update, delete = await asyncio.gather(
        admin.put("/missions/1", json={"remarques": "x"}, headers={"If-Match": '"1"'}),
        admin.delete("/missions/1", headers={"If-Match": '"1"'}))
    assert sorted([update.status, delete.status]) in ([200, 412], [204, 404])


async def test_delete_with_a_stale_if_match_is_412_and_keeps_the_mission(admin, client):
    await make_mission(admin)
    await admin.put("/missions/1", json={"remarques": "changée"})
    before = await stored(client)
    body = await problem(await admin.delete("/missions/1", headers={"If-Match": '"1"'}), 412,
                         "version_mismatch")
    assert body["current"]["remarques"] == "changée" and body["current"]["prix"] is None
    assert await stored(client) == before
    assert (await admin.delete("/missions/1", headers={"If-Match": '"2"'})).status == 204


@pytest.mark.parametrize(("if_match", "status"), [
    ('"1"', 200), ('W/"1"', 412), ("1", 200), ("*", 200), ('"2"', 412),
    ('"abc"', 400), ('"' + "9" * 30 + '"', 400),
])
async def test_if_match_forms(admin, if_match, status):
    await make_mission(admin)
    response = await admin.put("/missions/1", json={"remarques": "x"}, headers={"If-Match": if_match})
    assert response.status == status, await response.text()


async def _record_paths(admin) -> list:
    chauffeur = await make_chauffeur(admin)
    voyage = await make_voyage(admin)
    absence = await add_absence(admin, chauffeur["id"], "2024-02-01", "2024-02-02")
    competence = await add_competence(admin, chauffeur["id"], "ADR")
    return [
        (f"/chauffeurs/{chauffeur['id']}", {"notes": "a"}, {"notes": "b"}),
        (f"/voyages/{voyage['id']}", {"notes": "a"}, {"notes": "b"}),
        (f"/chauffeurs/{chauffeur['id']}/absences/{absence['id']}", {"commentaire": "a"},
         {"commentaire": "b"}),
        (f"/chauffeurs/{chauffeur['id']}/competences/{competence['id']}",
         {"date_expiration": "2030-01-01"}, {"date_expiration": "2031-01-01"}),
        ("/competences/1", {"libelle": "a"}, {"libelle": "b"}),
    ]


async def test_every_planning_record_has_an_etag_and_refuses_a_stale_if_match(admin, client):
    for path, first, second in await _record_paths(admin):
        got = await admin.get(path)
        assert got.status == 200 and got.headers["ETag"] == f'"{(await got.json())["version"]}"', path
        etag = got.headers["ETag"]
        changed = await admin.put(path, json=first, headers={"If-Match": etag})
        assert changed.status == 200, (path, await changed.text())
        assert changed.headers["ETag"] != etag
        before = await stored(client)
        stale = await admin.put(path, json=second, headers={"If-Match": etag})
        body = await problem(stale, 412, "version_mismatch")
        assert body["current"] == await changed.json(), path
        stale_delete = await admin.delete(path, headers={"If-Match": etag})
        await problem(stale_delete, 412, "version_mismatch")
        assert await stored(client) == before, path


async def test_concurrent_updates_of_a_chauffeur_one_wins(admin):
    chauffeur = await make_chauffeur(admin)
    answers = await asyncio.gather(*[
        admin.put(f"/chauffeurs/{chauffeur['id']}", json={"telephone": f"06 00 00 00 0{n}"},
                  headers={"If-Match": '"1"'}) for n in range(5)])
    assert sorted(answer.status for answer in answers) == [200, 412, 412, 412, 412]


async def test_two_planners_cannot_book_one_chauffeur_twice_at_the_same_time(admin, as_role):
    """The check and the write share one transaction: no double booking slips between them."""
    chauffeur = await make_chauffeur(admin)
    alice, bob = await as_role("planner"), await as_role("planner")
    answers = await asyncio.gather(*[
        api.post("/missions", json={"date_mission": "2024-01-15", "destination": destination,
                                    "chauffeur_id": chauffeur["id"], "heure_debut": "08:00",
                                    "heure_fin": "12:00"})
        for api, destination in ((alice, "Lyon"), (bob, "Lille"))])
    assert sorted(answer.status for answer in answers) == [201, 409]
    missions = await (await admin.get("/missions/by-date/2024-01-15")).json()
    assert len(missions) == 1


async def test_a_weak_tag_never_matches_in_if_match(admin, client):
    await make_mission(admin)
    before = await stored(client)
    for method in ("put", "delete"):
        refused = await getattr(admin, method)("/missions/1", json={"remarques": "x"},
                                               headers={"If-Match": 'W/"1"'})
        assert "faible" in (await problem(refused, 412, "weak_etag"))["detail"]
    for unreadable in ("W/", 'W/"x"', '"1', "un"):
        refused = await admin.put("/missions/1", json={"remarques": "x"},
                                  headers={"If-Match": unreadable})
        await problem(refused, 400, "bad_if_match")
    assert await stored(client) == before


async def test_a_bad_body_is_422_whatever_the_version_named(admin, client):
    """The body is judged first: a client learns it is wrong before it rereads."""
    await make_mission(admin, heure_debut="06:00", heure_fin="08:00")
    before = await stored(client)
    for tag in ('"999"', 'W/"1"'):
        refused = await admin.put("/missions/1", json={"heure_debut": None, "heure_fin": "10:00"},
                                  headers={"If-Match": tag})
        await problem(refused, 422, "validation_error")
    for path, body in [("/voyages/1", {"heure_fin": {}}), ("/chauffeurs/1", {"telephone": []}),
                       ("/missions/1/finance", {"prix": True})]:
        refused = await admin.put(path, json=body, headers={"If-Match": 'W/"1"'})
        assert refused.status in (404, 422), path  # never the version's 412 first
    assert await stored(client) == before


async def test_a_version_the_record_never_had_is_named_as_such(admin, client):
    await make_mission(admin)
    before = await stored(client)
    refused = await admin.put("/missions/1", json={"remarques": "x"}, headers={"If-Match": '"999"'})
    body = await problem(refused, 412, "unknown_version")
    assert "999 n'a jamais existé" in body["detail"]
    assert body["current"]["version"] == 1
    assert await stored(client) == before
    assert (await admin.put("/missions/1", json={"remarques": "x"},
                            headers={"If-Match": "1"})).status == 200  # bare number: tolerated


@pytest.mark.parametrize("value", ['"1', '1"', '"1", "2"', '""'])
async def test_an_unreadable_if_match_is_a_400(admin, client, value):
    await make_mission(admin)
    await problem(await admin.put("/missions/1", json={"remarques": "x"},
                                  headers={"If-Match": value}), 400, "bad_if_match")
