"""Missions: the seed's calls, create/read/update/delete, filters, by-date, generation, history."""

from __future__ import annotations

import pytest

from tests.helpers.api import activity_lines, invalid_fields, problem, stale_fields
from tests.helpers.planning import MONDAY, make_chauffeur, make_mission, make_voyage, stored
from tomatoplan.web.state import DB, DENIALS

# --- the seed README, exactly as written ---------------------------------------------------


async def test_the_seed_examples_work_exactly_as_written(admin, as_role):
    await make_chauffeur(admin)                      # chauffeur 1
    await make_voyage(admin, code="LYO-01")          # voyage 1
    await make_voyage(admin, code="PAR-01")          # voyage 2
    planner = await as_role("planner")

    missions = await planner.get("/missions/by-date/2024-01-15")
    assert missions.status == 200 and await missions.json() == []

    new_mission = await planner.post("/missions", json={
        "date_mission": "2024-01-15",
        "destination": "Paris",
        "chauffeur_id": 1,
        "voyage_id": 2,
        "heure_debut": "06:00",
        "statut": "planifie",
    })
    assert new_mission.status == 201
    body = await new_mission.json()
    assert {key: body[key] for key in ("date_mission", "destination", "chauffeur_id", "voyage_id",
                                       "heure_debut", "statut")} == {
        "date_mission": "2024-01-15", "destination": "Paris", "chauffeur_id": 1, "voyage_id": 2,
        "heure_debut": "06:00", "statut": "planifie"}
    assert body["id"] == 1 and body["version"] == 1
    assert body["created_by"] == planner.user["username"]
    assert new_mission.headers["Location"] == "/missions/1"

    missions = await (await planner.get("/missions/by-date/2024-01-15")).json()
    assert [mission["id"] for mission in missions] == [1]

    dispo = await planner.get("/chauffeurs/disponibles/2024-01-15")
    assert dispo.status == 200
    drivers = await dispo.json()
    assert isinstance(drivers, list)
    assert [(d["id"], d["nom"], [m["id"] for m in d["missions"]]) for d in drivers] == [
        (1, "DUPONT", [1])]


# --- create --------------------------------------------------------------------------------


async def test_a_minimal_mission_is_planned_unassigned_with_its_metadata(admin, client):
    response = await admin.post("/missions", json={"date_mission": "2024-01-15", "destination": "Lyon"})
    mission = await response.json()
    assert response.status == 201
    assert mission == {
        "id": 1, "date_mission": "2024-01-15", "destination": "Lyon", "origine": None,
        "voyage_id": None, "chauffeur_id": None, "vehicule": None, "vehicule_id": None, "heure_debut": None,
        "heure_fin": None, "statut": "planifie", "remarques": None, "prix": None, "cout": None,
        "version": 1, "created_at": mission["created_at"], "created_by": "ADMIN",
        "updated_at": mission["created_at"], "updated_by": "ADMIN",
    }
    assert mission["created_at"].endswith("Z")
    again = await admin.get("/missions/1")
    assert again.status == 200 and await again.json() == mission
    assert again.headers["ETag"] == '"1"'


async def test_what_the_body_leaves_out_comes_from_the_voyage(admin):
    voyage = await make_voyage(admin, origine="Rungis", destination="Paris", heure_debut="05:00",
                               heure_fin="09:30")
    response = await admin.post("/missions", json={"date_mission": MONDAY, "voyage_id": voyage["id"]})
    mission = await response.json()
    assert response.status == 201, mission
    assert (mission["origine"], mission["destination"], mission["heure_debut"],
            mission["heure_fin"]) == ("Rungis", "Paris", "05:00", "09:30")

    # Another start: the voyage's duration (4 h 30) from that start.
    own = await make_mission(admin, destination="Orly", voyage_id=voyage["id"], heure_debut="07:00")
    assert (own["origine"], own["destination"], own["heure_debut"], own["heure_fin"]) == (
        "Rungis", "Orly", "07:00", "11:30")
    late = await make_mission(admin, voyage_id=voyage["id"], heure_debut="22:00")
    assert late["heure_fin"] == "02:30"  # the next day
    # Moved later, a mission keeps its duration; given both, they are taken as they are.
    moved = await (await admin.put(f"/missions/{own['id']}", json={"heure_debut": "08:00"})).json()
    assert (moved["heure_debut"], moved["heure_fin"]) == ("08:00", "12:30")
    both = await (await admin.put(f"/missions/{own['id']}", json={"heure_debut": "09:00",
                                                                  "heure_fin": "10:00"})).json()
    assert (both["heure_debut"], both["heure_fin"]) == ("09:00", "10:00")


async def test_the_readme_case_a_second_mission_inside_the_voyage_slot_is_refused(admin):
    """The README's example: the voyage runs 06:00-12:00; a mission at 06:00 took one minute,
    so another at 07:00 for the same chauffeur was accepted."""
    chauffeur = await make_chauffeur(admin)
    voyage = await make_voyage(admin, destination="Lyon", heure_debut="06:00", heure_fin="12:00")
    first = await make_mission(admin, voyage_id=voyage["id"], heure_debut="06:00",
                               chauffeur_id=chauffeur["id"])
    assert first["heure_fin"] == "12:00"
    second = await admin.post("/missions", json={"date_mission": MONDAY, "destination": "Paris",
                                                 "heure_debut": "07:00",
                                                 "chauffeur_id": chauffeur["id"]})
    body = await second.json()
    assert second.status == 409 and body["problems"][0]["code"] == "chevauchement"
    alone = await make_mission(admin, destination="Caen", heure_debut="14:00",
                               chauffeur_id=chauffeur["id"])  # no end, no voyage: 60 min
    third = await admin.post("/missions", json={"date_mission": MONDAY, "destination": "Metz",
                                                "heure_debut": "14:30",
                                                "chauffeur_id": chauffeur["id"]})
    problem = (await third.json())["problems"][0]
    assert third.status == 409 and problem["mission_id"] == alone["id"]
    assert "à 14:00, 60 min par défaut" in problem["detail"]


async def test_a_destination_is_required_unless_the_voyage_gives_one(admin, client):
    voyage = await make_voyage(admin)
    before = await stored(client)
    assert await invalid_fields(await admin.post("/missions", json={"date_mission": MONDAY})) == {
        "destination": "required"}
    # The body is valid in itself (it names a voyage); the stored voyage gives no destination.
    assert await stale_fields(await admin.post("/missions", json={
        "date_mission": MONDAY, "voyage_id": voyage["id"]}), "conflicts_with_stored") == {
        "destination": "required"}
    assert await stored(client) == before


BAD_MISSIONS = [
    ({}, {"date_mission": "required"}),
    ({"date_mission": 20240115, "destination": "Paris"}, {"date_mission": "type"}),
    ({"date_mission": "2024-02-30", "destination": "Paris"}, {"date_mission": "format"}),
    ({"date_mission": "15/01/2024", "destination": "Paris"}, {"date_mission": "format"}),
    ({"date_mission": MONDAY, "destination": ""}, {"destination": "too_short"}),
    ({"date_mission": MONDAY, "destination": 12}, {"destination": "type"}),
    ({"date_mission": MONDAY, "destination": None}, {"destination": "null"}),
    ({"date_mission": MONDAY, "destination": "P", "heure_debut": "24:00"}, {"heure_debut": "format"}),
    ({"date_mission": MONDAY, "destination": "P", "heure_fin": "10:00"}, {"heure_fin": "requires_start"}),
    ({"date_mission": MONDAY, "destination": "P", "heure_debut": "6:00"}, {"heure_debut": "format"}),
    ({"date_mission": MONDAY, "destination": "P", "statut": "fini"}, {"statut": "choice"}),
    ({"date_mission": MONDAY, "destination": "P", "chauffeur_id": "1"}, {"chauffeur_id": "type"}),
    ({"date_mission": MONDAY, "destination": "P", "chauffeur_id": True}, {"chauffeur_id": "type"}),
    ({"date_mission": MONDAY, "destination": "P", "chauffeur_id": 0}, {"chauffeur_id": "out_of_range"}),
    ({"date_mission": MONDAY, "destination": "P", "chauffeur_id": 2**63},
     {"chauffeur_id": "out_of_range"}),
    ({"date_mission": MONDAY, "destination": "P", "chauffeur_id": 10**30},
     {"chauffeur_id": "out_of_range"}),
    ({"date_mission": MONDAY, "destination": "P", "id": 7, "version": 3, "created_by": "X"},
     {"id": "unknown_field", "version": "unknown_field", "created_by": "unknown_field"}),
    ({"date_mission": MONDAY, "destination": "P", "prix": "12.345"}, {"prix": "format"}),
    ({"date_mission": MONDAY, "destination": "P", "cout": "douze"}, {"cout": "type"}),
    ({"date_mission": MONDAY, "destination": "P", "prix": -5}, {"prix": "out_of_range"}),
    ({"date_mission": MONDAY, "destination": "P", "cout": "-0,50"}, {"cout": "out_of_range"}),
    ({"date_mission": MONDAY, "destination": "P", "prix": "1 23,50"}, {"prix": "format"}),
    ({"date_mission": MONDAY, "destination": "P", "remarques": "x" * 2001}, {"remarques": "too_long"}),
    ([], {"(corps)": "type"}),
    ("mission", {"(corps)": "type"}),
]


@pytest.mark.parametrize(("body", "fields"), BAD_MISSIONS)
async def test_a_bad_mission_is_422_listing_each_bad_field_and_nothing_is_stored(
        admin, client, body, fields):
    before = await stored(client)
    assert await invalid_fields(await admin.post("/missions", json=body)) == fields
    assert await stored(client) == before


async def test_a_mission_naming_what_does_not_exist_is_409_and_nothing_is_stored(admin, client):
    before = await stored(client)
    body = {"date_mission": MONDAY, "destination": "P", "chauffeur_id": 99, "voyage_id": 2**63 - 1}
    assert await stale_fields(await admin.post("/missions", json=body)) == {
        "chauffeur_id": "not_found", "voyage_id": "not_found"}
    assert await stored(client) == before


@pytest.mark.parametrize("raw", [b"{not json", b'{"date_mission": "2024-01-15",}', b"", b"\xff"])
async def test_a_malformed_body_is_400_and_nothing_is_stored(admin, client, raw):
    before = await stored(client)
    response = await admin.post("/missions", data=raw, headers={"Content-Type": "application/json"})
    body = await response.json()
    assert response.status == 400 and body["code"] in ("malformed_json", "body_missing")
    assert await stored(client) == before


async def test_without_a_token_every_mission_route_is_401(admin, client):
    await make_mission(admin)
    before = await stored(client)
    for method, path in (("GET", "/missions"), ("GET", "/missions/1"), ("POST", "/missions"),
                         ("PUT", "/missions/1"), ("DELETE", "/missions/1"),
                         ("GET", "/missions/by-date/2024-01-15"), ("POST", "/missions/generate"),
                         ("GET", "/missions/1/history"), ("PUT", "/missions/1/finance")):
        response = await client.request(method, path, json={"destination": "Lyon"})
        assert response.status == 401, (method, path)
    assert await stored(client) == before


# --- read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/missions/42", "/missions/9223372036854775807",
                                  "/missions/9999999999999999999", "/missions/" + "9" * 40,
                                  "/missions/" + "9" * 5000, "/missions/abc", "/missions/-1"])
async def test_a_mission_that_does_not_exist_is_404(admin, path):
    response = await admin.get(path)
    assert response.status == 404
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("day", ["2024-02-30", "2023-02-29", "2024-13-01", "hier", "2024-1-5",
                                 "2024-01-15T00:00"])
async def test_an_impossible_date_in_the_path_is_422_not_500(admin, day):
    for path in (f"/missions/by-date/{day}", f"/chauffeurs/disponibles/{day}"):
        assert await invalid_fields(await admin.get(path)) == {"date": "format"}


async def test_by_date_lists_the_day_by_start_time_with_the_total(admin):
    await make_mission(admin, heure_debut="14:00", destination="Lyon")
    await make_mission(admin, heure_debut="06:00", destination="Paris")
    await make_mission(admin, destination="Sans heure")
    await make_mission(admin, date_mission="2024-01-16", destination="Demain")
    response = await admin.get("/missions/by-date/2024-01-15")
    assert response.headers["X-Total-Count"] == "3"
    assert [m["destination"] for m in await response.json()] == ["Sans heure", "Paris", "Lyon"]
    page = await admin.get("/missions/by-date/2024-01-15?limit=1&offset=1")
    assert [m["destination"] for m in await page.json()] == ["Paris"]
    assert page.headers["X-Total-Count"] == "3"
    past_the_end = await admin.get("/missions/by-date/2024-01-15?offset=10")
    assert await past_the_end.json() == [] and past_the_end.headers["X-Total-Count"] == "3"
    empty_day = await admin.get("/missions/by-date/2024-01-17")
    assert await empty_day.json() == [] and empty_day.headers["X-Total-Count"] == "0"
    assert await invalid_fields(await admin.get("/missions/by-date/2024-01-15?limit=0")) == {
        "limit": "out_of_range"}


async def test_the_mission_list_filters_combine(admin):
    dupont = await make_chauffeur(admin)
    martin = await make_chauffeur(admin, nom="MARTIN")
    paris = await make_voyage(admin, code="PAR")
    await make_mission(admin, date_mission="2024-01-14", chauffeur_id=dupont["id"])           # 1
    await make_mission(admin, chauffeur_id=dupont["id"], voyage_id=paris["id"])               # 2
    await make_mission(admin, chauffeur_id=martin["id"], heure_debut="08:00")                 # 3
    await make_mission(admin, statut="annule")                                                # 4
    await make_mission(admin, date_mission="2024-01-17", voyage_id=paris["id"])               # 5

    async def ids(query):
        response = await admin.get(f"/missions{query}")
        assert response.status == 200, await response.text()
        found = [m["id"] for m in await response.json()]
        assert response.headers["X-Total-Count"] == str(len(found))
        return found

    assert await ids("") == [1, 2, 4, 3, 5]
    assert await ids("?date=2024-01-15") == [2, 4, 3]
    assert await ids("?date_debut=2024-01-15") == [2, 4, 3, 5]
    assert await ids("?date_fin=2024-01-15") == [1, 2, 4, 3]
    assert await ids("?date_debut=2024-01-15&date_fin=2024-01-16") == [2, 4, 3]
    assert await ids(f"?chauffeur_id={dupont['id']}") == [1, 2]
    assert await ids(f"?chauffeur_id={dupont['id']}&date=2024-01-14") == [1]
    assert await ids(f"?voyage_id={paris['id']}") == [2, 5]
    assert await ids(f"?voyage_id={paris['id']}&chauffeur_id={dupont['id']}") == [2]
    assert await ids(f"?voyage_id={paris['id']}&statut=planifie&date_fin=2024-01-15") == [2]
    assert await ids("?statut=annule") == [4]
    assert await ids("?chauffeur_id=999") == []
    # `date` and a period combine like every filter: that day if within the period.
    assert await ids("?date=2024-01-15&date_debut=2024-01-01") == await ids("?date=2024-01-15")
    assert await ids("?date=2024-01-15&date_fin=2024-01-14") == []
    page = await admin.get("/missions?limit=2&offset=1")
    assert [m["id"] for m in await page.json()] == [2, 4]
    assert page.headers["X-Total-Count"] == "5"
    for query in ("?offset=50", f"?offset=50&chauffeur_id={dupont['id']}",
                  f"?offset=50&voyage_id={paris['id']}"):  # each page query past its end
        past_the_end = await admin.get(f"/missions{query}")
        assert await past_the_end.json() == [], query
        assert past_the_end.headers["X-Total-Count"] == str(len(await ids(query.replace(
            "offset=50", "offset=0")))), query


@pytest.mark.parametrize(("query", "fields"), [
    ("?date=2024-02-30", {"date": "format"}),
    ("?date_debut=demain", {"date_debut": "format"}),
    ("?date_debut=2024-01-16&date_fin=2024-01-15", {"date_fin": "before_start"}),
    ("?chauffeur_id=abc", {"chauffeur_id": "type"}),
    ("?chauffeur_id=" + "9" * 30, {"chauffeur_id": "out_of_range"}),
    ("?voyage_id=0", {"voyage_id": "out_of_range"}),
    ("?statut=fini", {"statut": "choice"}),
    ("?limit=100000", {"limit": "out_of_range"}),
    ("?offset=-1", {"offset": "out_of_range"}),
    ("?chauffeur=1", {"chauffeur": "unknown_parameter"}),
    ("?statut=annule&statut=planifie", {"statut": "duplicate"}),
])
async def test_bad_list_filters_are_422(admin, query, fields):
    assert await invalid_fields(await admin.get(f"/missions{query}")) == fields


async def test_a_day_is_read_in_pages_of_1000_at_most(admin):
    for query, fields in (("?limit=1001", {"limit": "out_of_range"}), ("?limit=0", {"limit": "out_of_range"}),
                          ("?offset=-1", {"offset": "out_of_range"})):
        assert await invalid_fields(await admin.get(f"/missions/by-date/{MONDAY}{query}")) == fields
    await make_mission(admin)
    answer = await admin.get(f"/missions/by-date/{MONDAY}?limit=1000")
    assert answer.status == 200 and len(await answer.json()) == 1


# --- update and delete ---------------------------------------------------------------------


async def test_put_changes_only_the_fields_given(admin, as_role):
    mission = await make_mission(admin, heure_debut="06:00", remarques="quai 3", vehicule="AB-123-CD")
    planner = await as_role("planner")
    response = await planner.put("/missions/1", json={"remarques": "quai 4"},
                                 headers={"If-Match": '"1"'})
    updated = await response.json()
    assert response.status == 200, updated
    assert response.headers["ETag"] == '"2"'
    expected = {**mission, "remarques": "quai 4", "version": 2,
                "updated_by": planner.user["username"], "updated_at": updated["updated_at"]}
    del expected["prix"], expected["cout"]  # a planner does not see money
    assert updated == expected
    assert (await (await admin.get("/missions/1")).json())["prix"] is None


async def test_put_without_if_match_is_accepted(admin):
    await make_mission(admin)
    response = await admin.put("/missions/1", json={"statut": "en_cours"})
    assert response.status == 200
    assert (await response.json())["version"] == 2


async def test_a_put_that_changes_nothing_keeps_the_version_and_logs_nothing(admin, client):
    await make_mission(admin, remarques="rien")
    before = await stored(client)
    response = await admin.put("/missions/1", json={"remarques": "rien", "destination": "Paris"})
    assert response.status == 200 and (await response.json())["version"] == 1
    assert await stored(client) == before


@pytest.mark.parametrize(("body", "fields"), [
    ({"destination": None}, {"destination": "null"}),
    ({"date_mission": None}, {"date_mission": "null"}),
    ({"date_mission": "2024-02-30"}, {"date_mission": "format"}),
    ({"heure_debut": None, "heure_fin": "10:00"}, {"heure_fin": "requires_start"}),
    ({"voyage_id": 404, "statut": "nope"}, {"statut": "choice"}),
    ({"id": 2}, {"id": "unknown_field"}),
    ({"version": 9}, {"version": "unknown_field"}),
])
async def test_a_bad_put_is_422_and_changes_nothing(admin, client, body, fields):
    await make_mission(admin, heure_debut="06:00", heure_fin="08:00")
    before = await stored(client)
    assert await invalid_fields(await admin.put("/missions/1", json=body)) == fields
    assert await stored(client) == before


@pytest.mark.parametrize(("body", "fields"), [
    ({"chauffeur_id": 404}, {"chauffeur_id": "not_found"}),
    ({"voyage_id": 404}, {"voyage_id": "not_found"}),
])
async def test_a_put_naming_what_does_not_exist_is_409_and_changes_nothing(admin, client, body,
                                                                           fields):
    await make_mission(admin, heure_debut="06:00", heure_fin="08:00")
    before = await stored(client)
    assert await stale_fields(await admin.put("/missions/1", json=body)) == fields
    assert await stored(client) == before


async def test_a_put_leaving_the_stored_end_without_a_start_is_409(admin, client):
    await make_mission(admin, heure_debut="06:00", heure_fin="08:00")
    before = await stored(client)
    assert await stale_fields(await admin.put("/missions/1", json={"heure_debut": None}),
                              "conflicts_with_stored") == {"heure_fin": "requires_start"}
    assert await stored(client) == before


async def test_put_and_delete_of_a_missing_mission_are_404(admin, client):
    before = await stored(client)
    await problem(await admin.put("/missions/5", json={"remarques": "x"}), 404, "mission_not_found")
    await problem(await admin.delete("/missions/5"), 404, "mission_not_found")
    assert (await admin.put("/missions/" + "9" * 30, json={})).status == 404
    assert await stored(client) == before


async def test_delete_erases_the_mission_and_keeps_its_history(admin, client):
    await make_mission(admin)
    response = await admin.delete("/missions/1", headers={"If-Match": '"1"'})
    assert response.status == 204
    assert (await admin.get("/missions/1")).status == 404
    history = await (await admin.get("/missions/1/history")).json()
    assert [line["action"] for line in history] == ["create", "delete"]
    assert history[1]["changes"]["before"]["destination"] == "Paris"
    assert history[1]["changes"]["after"] == {}


async def test_a_viewer_reads_but_cannot_write_missions(admin, client, as_role):
    await make_mission(admin)
    viewer = await as_role("viewer")
    assert (await viewer.get("/missions/1")).status == 200
    before = await stored(client)
    await problem(await viewer.post("/missions", json={"date_mission": MONDAY, "destination": "X"}),
                  403, "forbidden")
    await problem(await viewer.put("/missions/1", json={"destination": "X"}), 403, "forbidden")
    await problem(await viewer.delete("/missions/1"), 403, "forbidden")
    await problem(await viewer.post("/missions/generate", json={"date": MONDAY}), 403, "forbidden")
    assert await stored(client) == before
    # One tally (this viewer, "forbidden"): its first refusal now, the three others counted.
    denied = [line for line in await activity_lines(client) if line["action"] == "access_denied"]
    assert [line["summary"] for line in denied] == ["Accès refusé : POST /missions (forbidden)"]
    await client.app[DENIALS].flush(client.app[DB], everything=True)
    denied = [line for line in await activity_lines(client) if line["action"] == "access_denied"]
    assert denied[0]["summary"].startswith("Accès refusé : POST /missions (forbidden) — répété 3 fois")


# --- history -------------------------------------------------------------------------------


async def test_history_shows_each_change_with_its_before_and_after(admin, as_role):
    await make_mission(admin, remarques="a")
    await admin.put("/missions/1", json={"remarques": "b", "vehicule": "AB-123-CD"})
    advanced = await as_role("planner_advanced")
    response = await advanced.get("/missions/1/history")
    assert response.status == 200
    history = await response.json()
    assert response.headers["X-Total-Count"] == "2"
    assert [(line["action"], line["username"]) for line in history] == [
        ("create", "ADMIN"), ("update", "ADMIN")]
    assert history[1]["changes"] == {"before": {"remarques": "a", "vehicule": None},
                                     "after": {"remarques": "b", "vehicule": "AB-123-CD"}}
    assert history[1]["hostname"] == "PC-TEST"


async def test_history_needs_the_history_permission(admin, as_role):
    await make_mission(admin)
    for role in ("viewer", "planner", "driver_admin", "finance"):
        api = await as_role(role)
        assert (await api.get("/missions/1/history")).status == 403, role
    assert (await admin.get("/missions/77/history")).status == 404


# --- generation ----------------------------------------------------------------------------


async def test_generation_creates_the_days_missions_from_active_voyages_once(admin, client):
    await make_voyage(admin, code="A-LUN", destination="Lyon", origine="Rungis", heure_debut="05:00",
                      heure_fin="07:00", jours=["lundi", "jeudi"])
    await make_voyage(admin, code="B-MAR", destination="Paris", jours=["mardi"])
    await make_voyage(admin, code="C-OFF", destination="Nice", jours=["lundi"], actif=False)
    await make_voyage(admin, code="D-TOUS", destination="Caen", jours=["dimanche", "lundi"])
    await make_voyage(admin, code="E-SANS", jours=["lundi"])

    first = await admin.post("/missions/generate", json={"date": MONDAY})
    assert first.status == 201
    result = await first.json()
    assert result["date"] == MONDAY
    assert [(m["voyage_id"], m["destination"], m["origine"], m["heure_debut"], m["heure_fin"],
             m["chauffeur_id"], m["statut"]) for m in result["creees"]] == [
        (1, "Lyon", "Rungis", "05:00", "07:00", None, "planifie"),
        (4, "Caen", None, None, None, None, "planifie")]
    assert result["existantes"] == []
    assert result["ignorees"] == [{"voyage_id": 5, "code": "E-SANS",
                                   "raison": "Voyage sans destination : complétez-le."}]
    lines = [line for line in await activity_lines(client) if line["entity"] == "mission"]
    assert len(lines) == 2 and all(line["action"] == "create" for line in lines)

    before = await stored(client)
    second = await admin.post("/missions/generate", json={"date": MONDAY})
    assert second.status == 200
    again = await second.json()
    assert again["creees"] == []
    assert [(e["code"], e["mission_id"]) for e in again["existantes"]] == [("A-LUN", 1), ("D-TOUS", 2)]
    assert await stored(client) == before


async def test_generation_leaves_a_cancelled_or_hand_made_mission_alone(admin):
    voyage = await make_voyage(admin, destination="Lyon", jours=["lundi"])
    await make_mission(admin, voyage_id=voyage["id"], statut="annule")
    result = await (await admin.post("/missions/generate", json={"date": MONDAY})).json()
    assert result["creees"] == [] and result["existantes"][0]["mission_id"] == 1
    tuesday = await (await admin.post("/missions/generate", json={"date": "2024-01-16"})).json()
    assert tuesday == {"date": "2024-01-16", "creees": [], "existantes": [], "ignorees": []}


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"date": "required"}),
    ({"date": "2024-02-30"}, {"date": "format"}),
    ({"date": MONDAY, "jours": ["lundi"]}, {"jours": "unknown_field"}),
])
async def test_generation_refuses_a_bad_body(admin, client, body, fields):
    await make_voyage(admin, destination="Lyon", jours=["lundi"])
    before = await stored(client)
    assert await invalid_fields(await admin.post("/missions/generate", json=body)) == fields
    assert (await admin.post("/missions/generate", data=b"{")).status == 400
    assert await stored(client) == before


async def test_history_hides_the_amounts_from_a_reader_without_finance(admin, client):
    from tomatoplan.rules import activity

    await make_mission(admin, prix="10.00")
    await admin.put("/missions/1", json={"prix": "12.00", "remarques": "hausse"})
    hidden = await activity.history(client.app[DB], "mission", 1, finance=False)
    assert hidden[1]["changes"] == {"before": {"remarques": None}, "after": {"remarques": "hausse"}}
    shown = await activity.history(client.app[DB], "mission", 1, finance=True)
    assert shown[1]["changes"]["after"] == {"prix": "12.00", "remarques": "hausse"}


async def test_generation_of_a_week_is_one_transaction_and_idempotent(admin, client):
    await make_voyage(admin, code="A-LUN", destination="Lyon", jours=["lundi", "jeudi"])
    await make_voyage(admin, code="E-SANS", jours=["mardi"])
    week = {"date_debut": MONDAY, "date_fin": "2024-01-21"}
    first = await admin.post("/missions/generate", json=week)
    assert first.status == 201
    result = await first.json()
    assert (result["date_debut"], result["date_fin"]) == (MONDAY, "2024-01-21")
    assert [m["date_mission"] for m in result["creees"]] == [MONDAY, "2024-01-18"]
    assert result["ignorees"] == [{"date": "2024-01-16", "voyage_id": 2, "code": "E-SANS",
                                   "raison": "Voyage sans destination : complétez-le."}]
    before = await stored(client)
    again = await (await admin.post("/missions/generate", json=week)).json()
    assert again["creees"] == [] and [(e["date"], e["mission_id"]) for e in again["existantes"]] == [
        (MONDAY, 1), ("2024-01-18", 2)]
    assert await stored(client) == before
    one_day = await (await admin.post("/missions/generate", json={"date": "2024-01-22"})).json()
    assert set(one_day) == {"date", "creees", "existantes", "ignorees"}


@pytest.mark.parametrize(("body", "fields"), [
    ({"date_debut": MONDAY}, {"date_fin": "required"}),
    ({"date_fin": MONDAY}, {"date_debut": "required"}),
    ({"date": MONDAY, "date_fin": MONDAY}, {"date_fin": "exclusive"}),
    ({"date_debut": "2024-01-20", "date_fin": MONDAY}, {"date_fin": "out_of_range"}),
    ({"date_debut": "2024-01-01", "date_fin": "2024-02-01"}, {"date_fin": "out_of_range"}),
    ({"date_debut": "2024-01-01", "date_fin": "demain"}, {"date_fin": "format"}),
])
async def test_a_bad_period_is_refused_and_creates_nothing(admin, client, body, fields):
    await make_voyage(admin, destination="Lyon", jours=["lundi"])
    before = await stored(client)
    assert await invalid_fields(await admin.post("/missions/generate", json=body)) == fields
    assert await stored(client) == before
    month = {"date_debut": "2024-01-01", "date_fin": "2024-01-31"}  # 31 days: the most at once
    assert (await admin.post("/missions/generate", json=month)).status == 201


async def test_amounts_are_read_as_a_planner_types_them(admin):
    made = await make_mission(admin, prix="1 234,50", cout="98,5")
    assert (made["prix"], made["cout"]) == ("1234.50", "98.50")
    response = await admin.put(f"/missions/{made['id']}", json={"prix": "1\u00a0250"})
    assert (await response.json())["prix"] == "1250.00"
    refused = await admin.put(f"/missions/{made['id']}", json={"prix": "-5"})
    body = await refused.json()
    assert refused.status == 422
    assert body["errors"] == [{"field": "prix", "code": "out_of_range",
                               "detail": "Montant négatif refusé : positif ou nul attendu."}]
