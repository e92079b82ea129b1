"""Who may do what on the planning (from the permission table), and the finance fields."""

from __future__ import annotations

import pytest

from tests.helpers.api import invalid_fields, problem
from tests.helpers.planning import (
    MONDAY,
    add_absence,
    add_competence,
    add_indisponibilite,
    make_chauffeur,
    make_mission,
    make_vehicule,
    make_voyage,
    stored,
)
from tomatoplan.base.permissions import ROLES, Permission, permissions_of
from tomatoplan.web.state import DB

P = Permission

# (method, path, body, the permission it needs, status when allowed)
ROUTES = [
    ("GET", "/missions", None, P.READ_PLANNING, 200),
    ("GET", "/missions/1", None, P.READ_PLANNING, 200),
    ("GET", "/missions/by-date/2024-01-15", None, P.READ_PLANNING, 200),
    ("GET", "/missions.csv", None, P.READ_PLANNING, 200),
    ("POST", "/missions", {"date_mission": MONDAY, "destination": "Lyon"}, P.WRITE_MISSIONS, 201),
    ("PUT", "/missions/1", {"remarques": "vu"}, P.WRITE_MISSIONS, 200),
    ("PUT", "/missions/1/finance", {"prix": "10.00"}, P.WRITE_FINANCE, 200),
    ("POST", "/missions/generate", {"date": MONDAY}, P.WRITE_MISSIONS, 201),
    ("POST", "/missions/copy", {"date_source": MONDAY, "date_cible": "2024-01-22"}, P.WRITE_MISSIONS, 201),
    ("GET", "/missions/1/history", None, P.READ_HISTORY, 200),
    ("DELETE", "/missions/2", None, P.WRITE_MISSIONS, 204),
    ("GET", "/voyages", None, P.READ_PLANNING, 200),
    ("GET", "/voyages/1", None, P.READ_PLANNING, 200),
    ("POST", "/voyages", {"code": "NEW"}, P.WRITE_VOYAGES, 201),
    ("PUT", "/voyages/1", {"nom": "Lyon"}, P.WRITE_VOYAGES, 200),
    ("GET", "/voyages/1/history", None, P.READ_HISTORY, 200),
    ("DELETE", "/voyages/2", None, P.WRITE_VOYAGES, 204),
    ("GET", "/chauffeurs", None, P.READ_PLANNING, 200),
    ("GET", "/chauffeurs/1", None, P.READ_PLANNING, 200),
    ("GET", "/chauffeurs/disponibles/2024-01-15", None, P.READ_PLANNING, 200),
    ("POST", "/chauffeurs", {"nom": "A", "prenom": "B"}, P.WRITE_CHAUFFEURS, 201),
    ("PUT", "/chauffeurs/1", {"notes": "x"}, P.WRITE_CHAUFFEURS, 200),
    ("GET", "/chauffeurs/1/history", None, P.READ_HISTORY, 200),
    ("DELETE", "/chauffeurs/2", None, P.WRITE_CHAUFFEURS, 204),
    ("GET", "/chauffeurs/1/absences", None, P.READ_PLANNING, 200),
    ("GET", "/chauffeurs/1/absences/1", None, P.READ_PLANNING, 200),
    ("POST", "/chauffeurs/1/absences", {"date_debut": "2024-02-01", "date_fin": "2024-02-02"},
     P.WRITE_CHAUFFEURS, 201),
    ("PUT", "/chauffeurs/1/absences/1", {"commentaire": "x"}, P.WRITE_CHAUFFEURS, 200),
    ("DELETE", "/chauffeurs/1/absences/1", None, P.WRITE_CHAUFFEURS, 204),
    ("GET", "/chauffeurs/1/competences", None, P.READ_PLANNING, 200),
    ("GET", "/chauffeurs/1/competences/1", None, P.READ_PLANNING, 200),
    ("POST", "/chauffeurs/1/competences", {"code": "FIMO"}, P.WRITE_CHAUFFEURS, 201),
    ("PUT", "/chauffeurs/1/competences/1", {"date_expiration": "2030-01-01"}, P.WRITE_CHAUFFEURS, 200),
    ("DELETE", "/chauffeurs/1/competences/1", None, P.WRITE_CHAUFFEURS, 204),
    ("GET", "/competences", None, P.READ_PLANNING, 200),
    ("GET", "/competences/1", None, P.READ_PLANNING, 200),
    ("POST", "/competences", {"code": "HAYON"}, P.WRITE_CHAUFFEURS, 201),
    ("PUT", "/competences/1", {"libelle": "Permis C"}, P.WRITE_CHAUFFEURS, 200),
    ("DELETE", "/competences/2", None, P.WRITE_CHAUFFEURS, 204),
    ("GET", "/vehicules", None, P.READ_PLANNING, 200),
    ("GET", "/vehicules/1", None, P.READ_PLANNING, 200),
    ("GET", "/vehicules/disponibles/2024-01-15", None, P.READ_PLANNING, 200),
    ("POST", "/vehicules", {"immatriculation": "ef 456 gh", "type": "porteur"}, P.WRITE_VEHICULES, 201),
    ("PUT", "/vehicules/1", {"notes": "x"}, P.WRITE_VEHICULES, 200),
    ("GET", "/vehicules/1/history", None, P.READ_HISTORY, 200),
    ("DELETE", "/vehicules/2", None, P.WRITE_VEHICULES, 204),
    ("GET", "/vehicules/1/indisponibilites", None, P.READ_PLANNING, 200),
    ("GET", "/vehicules/1/indisponibilites/1", None, P.READ_PLANNING, 200),
    ("POST", "/vehicules/1/indisponibilites", {"date_debut": "2024-02-01", "date_fin": "2024-02-02"},
     P.WRITE_VEHICULES, 201),
    ("PUT", "/vehicules/1/indisponibilites/1", {"commentaire": "x"}, P.WRITE_VEHICULES, 200),
    ("DELETE", "/vehicules/1/indisponibilites/1", None, P.WRITE_VEHICULES, 204),
    ("GET", "/jours/2024-01-15", None, P.READ_PLANNING, 200),
    ("POST", "/jours/2024-01-15/validation", None, P.VALIDATE_DAYS, 201),
    ("DELETE", "/jours/2024-01-15/validation", None, P.VALIDATE_DAYS, 200),
]


async def _planning(admin):
    """Two of everything, the second of each free to be deleted."""
    await make_chauffeur(admin)
    await make_chauffeur(admin, nom="MARTIN")
    await make_voyage(admin, code="LYO", destination="Lyon", jours=["lundi"])
    await make_voyage(admin, code="DEL")
    await make_mission(admin, chauffeur_id=1)
    await make_mission(admin)
    await add_absence(admin, 1, "2024-03-01", "2024-03-02")
    await add_competence(admin, 1, "ADR")
    await make_vehicule(admin)
    await make_vehicule(admin, immatriculation="CD-456-EF")
    await add_indisponibilite(admin, 1, "2024-03-01", "2024-03-02")


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_what_the_permission_table_gives(admin, as_role, client, role):
    await _planning(admin)
    api = await as_role(role)
    held = permissions_of(role)
    for method, path, body, permission, ok in ROUTES:
        response = await api.request(method, path, json=body)
        expected = ok if permission in held else 403
        assert response.status == expected, (role, method, path, await response.text())


def _shape(path: str) -> str:
    """/chauffeurs/1/absences/1 and /chauffeurs/{id}/absences/{absence_id} -> one shape."""
    parts = []
    for part in path.split("/"):
        if part.isdigit() or (part.startswith("{") and part.endswith("id}")):
            part = "{id}"
        elif part == "2024-01-15":
            part = "{date}"
        parts.append(part)
    return "/".join(parts)


async def test_the_table_covers_every_planning_route(client):
    from tomatoplan.web.openapi import documented_routes

    served = {(method, _shape(path)) for method, path, _ in documented_routes(client.app)
              if path.startswith(("/missions", "/voyages", "/chauffeurs", "/competences", "/vehicules",
                                   "/jours"))}
    assert {(method, _shape(path)) for method, path, *_ in ROUTES} == served


# --- finance fields ------------------------------------------------------------------------

READS_FINANCE = {role for role in ROLES if P.READ_FINANCE in permissions_of(role)}


@pytest.mark.parametrize("role", ROLES)
async def test_prix_and_cout_are_shown_only_to_roles_that_read_finance(admin, as_role, role):
    await make_mission(admin, prix="125.50", cout=98)
    api = await as_role(role)
    answers = [await (await api.get("/missions/1")).json(),
               (await (await api.get("/missions")).json())[0],
               (await (await api.get("/missions/by-date/2024-01-15")).json())[0]]
    for mission in answers:
        if role in READS_FINANCE:
            assert (mission["prix"], mission["cout"]) == ("125.50", "98.00")
        else:
            assert "prix" not in mission and "cout" not in mission


@pytest.mark.parametrize(("role", "verb"), [("planner", "post"), ("planner_advanced", "post"),
                                            ("planner", "put"), ("planner_advanced", "put")])
async def test_writing_finance_fields_without_the_permission_is_403_finance_forbidden(
        admin, as_role, client, role, verb):
    await make_mission(admin, prix="10.00")
    api = await as_role(role)
    before = await stored(client)
    if verb == "post":
        response = await api.post("/missions", json={"date_mission": MONDAY, "destination": "Lyon",
                                                     "prix": "125.50", "cout": None})
    else:
        response = await api.put("/missions/1", json={"remarques": "ok", "cout": "12.345"})
    expected = {"prix": "not_permitted", "cout": "not_permitted"} if verb == "post" else {
        "cout": "not_permitted"}
    body = await problem(response, 403, "finance_forbidden")
    assert {error["field"]: error["code"] for error in body["errors"]} == expected
    assert await stored(client) == before


async def test_the_other_bad_fields_are_listed_with_the_finance_ones(as_role):
    planner = await as_role("planner")
    assert await invalid_fields(await planner.post("/missions", json={
        "date_mission": "2024-02-30", "destination": "Lyon", "prix": "1"})) == {
        "date_mission": "format", "prix": "not_permitted"}


async def test_a_planners_update_keeps_the_amounts(admin, as_role):
    await make_mission(admin, prix="125.50", cout="98.00")
    planner = await as_role("planner")
    assert (await planner.put("/missions/1", json={"destination": "Lyon"})).status == 200
    mission = await (await admin.get("/missions/1")).json()
    assert (mission["destination"], mission["prix"], mission["cout"]) == ("Lyon", "125.50", "98.00")


async def test_the_finance_role_sets_amounts_through_the_finance_route(admin, as_role, client):
    await make_mission(admin)
    finance = await as_role("finance")
    assert (await finance.put("/missions/1", json={"prix": "1.00"})).status == 403
    response = await finance.put("/missions/1/finance", json={"prix": "1250.10", "cout": 0.1},
                                 headers={"If-Match": '"1"'})
    mission = await response.json()
    assert response.status == 200
    assert (mission["prix"], mission["cout"], mission["version"]) == ("1250.10", "0.10", 2)
    async with client.app[DB].read() as session:
        row = await session.fetch_one("SELECT prix_cents, cout_cents FROM missions WHERE id = 1")
    assert row == {"prix_cents": 125010, "cout_cents": 10}
    assert await invalid_fields(await finance.put("/missions/1/finance", json={
        "destination": "Lyon"})) == {"destination": "unknown_field"}
    stale = await finance.put("/missions/1/finance", json={"prix": "2.00"},
                              headers={"If-Match": '"1"'})
    assert stale.status == 412


@pytest.mark.parametrize(("sent", "shown"), [
    ("125.50", "125.50"), ("125.5", "125.50"), (125.5, "125.50"), (125, "125.00"), ("0", "0.00"),
    ("12,30", "12.30"), (0.1, "0.10"), ("999999999.99", "999999999.99"), (None, None)])
async def test_money_is_exact(admin, sent, shown):
    mission = await make_mission(admin, prix=sent)
    assert mission["prix"] == shown
    assert (await (await admin.get("/missions/1")).json())["prix"] == shown


@pytest.mark.parametrize(("sent", "code"), [
    ("12.345", "format"), (0.001, "format"), ("NaN", "format"), ("Infinity", "format"),
    ("1000000000", "out_of_range"), (-1e12, "out_of_range"), ("douze", "type"), (True, "type"),
    ([1], "type"), ({"euros": 1}, "type")])
async def test_bad_amounts_are_422(admin, client, sent, code):
    before = await stored(client)
    response = await admin.post("/missions", json={"date_mission": MONDAY, "destination": "L",
                                                   "prix": sent})
    assert await invalid_fields(response) == {"prix": code}
    assert await stored(client) == before
