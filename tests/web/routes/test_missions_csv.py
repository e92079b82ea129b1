"""GET /missions.csv: the file French Excel opens, read back with the csv module."""

from __future__ import annotations

import csv
import io
import ipaddress

import pytest

from tests.helpers.api import invalid_fields, login, problem
from tests.helpers.planning import MONDAY, make_chauffeur, make_mission, make_voyage
from tests.helpers.server import REMOTE_HEADER, pretending_addresses
from tomatoplan.app import create_app
from tomatoplan.base.permissions import ROLES, Permission, permissions_of
from tomatoplan.rules import mission_csv
from tomatoplan.web.routes.exports import CSV_QUERY
from tomatoplan.web.routes.missions import MISSIONS_QUERY

HEADERS = ["N° mission", "Date", "Début", "Fin", "Origine", "Destination", "Voyage", "Chauffeur",
           "Véhicule", "Statut", "Remarques"]


async def sheet(response) -> list[list[str]]:
    """The rows as Excel reads them: BOM, `;`, CRLF, quoted cells."""
    assert response.status == 200, await response.text()
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.split("\n", 1)[0].endswith("\r")  # CRLF
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


async def _planning(admin):
    await make_chauffeur(admin, nom="DUPONT", prenom="Élodie")
    await make_voyage(admin, code="LYON-MATIN", destination="Lyon", heure_debut="05:00",
                      heure_fin="09:00")
    await make_mission(admin, date_mission="2024-01-16", destination="Nice", prix="1234.50",
                       cout="98,00", remarques="quai 4 ; porte \"B\"\nappeler avant")
    await make_mission(admin, voyage_id=1, chauffeur_id=1, statut="en_cours")


async def test_the_file_opens_in_french_excel_as_it_is(admin):
    await _planning(admin)
    response = await admin.get("/missions.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="missions.csv"'
    assert response.headers["X-Total-Count"] == "2"
    rows = await sheet(response)
    assert rows == [
        [*HEADERS, "Prix (€)", "Coût (€)"],
        ["2", "15/01/2024", "05:00", "09:00", "", "Paris", "LYON-MATIN", "DUPONT Élodie", "",
         "En cours", "", "", ""],
        ["1", "16/01/2024", "", "", "", "Nice", "", "", "", "Planifiée",
         "quai 4 ; porte \"B\"\nappeler avant", "1234,50", "98,00"],
    ]


@pytest.mark.parametrize("role", ROLES)
async def test_amount_columns_only_for_roles_that_read_finance(admin, as_role, role):
    await _planning(admin)
    rows = await sheet(await (await as_role(role)).get("/missions.csv"))
    finance = Permission.READ_FINANCE in permissions_of(role)
    assert rows[0] == HEADERS + (["Prix (€)", "Coût (€)"] if finance else [])
    assert all(len(row) == len(rows[0]) for row in rows)
    assert ("1234,50" in rows[2]) == finance


TYPED = ["=HYPERLINK(\"http://x\";\"clic\")", "+33 6 12", "-2+3", "@SUM(A1)", "normal", "a=1"]


async def test_a_cell_excel_would_run_as_a_formula_is_shown_as_text(admin):
    await make_chauffeur(admin, nom="=CMD()", prenom="x")
    for index, typed in enumerate(TYPED):
        await make_mission(admin, date_mission=f"2024-01-{10 + index}", destination=typed,
                           remarques=typed, vehicule="@A1", origine="-1", chauffeur_id=1)
    rows = (await sheet(await admin.get("/missions.csv")))[1:]
    expected = [("'" + typed if typed[0] in "=+-@" else typed) for typed in TYPED]
    assert [row[5] for row in rows] == expected and [row[10] for row in rows] == expected
    assert {row[8] for row in rows} == {"'@A1"} and {row[4] for row in rows} == {"'-1"}
    assert {row[7] for row in rows} == {"'=CMD() x"}
    # The API strips a leading tab or CR from what it stores; a cell starting with one is
    # neutralised all the same.
    assert [mission_csv.safe_text(typed) for typed in ("\tcaché", "\r=1", "", None, "12")] == [
        "'\tcaché", "'\r=1", "", "", "12"]


async def test_the_filters_of_the_list_give_the_same_missions(admin):
    await make_chauffeur(admin)
    await make_voyage(admin, code="A")
    for day, chauffeur, statut in (("2024-01-15", 1, "planifie"), ("2024-01-16", None, "annule"),
                                   ("2024-01-17", 1, "termine"), ("2024-01-17", None, "planifie")):
        await make_mission(admin, date_mission=day, chauffeur_id=chauffeur, statut=statut,
                           voyage_id=1 if chauffeur else None)
    for query in ("", "?date=2024-01-17", "?date_debut=2024-01-16", "?date_fin=2024-01-16",
                  "?chauffeur_id=1", "?voyage_id=1&statut=termine", "?statut=planifie",
                  "?date=2024-01-15&date_debut=2024-01-16", "?limit=2&offset=1"):
        listed = await admin.get(f"/missions{query}")
        rows = await sheet(await admin.get(f"/missions.csv{query}"))
        assert [row[0] for row in rows[1:]] == [str(m["id"]) for m in await listed.json()], query
    named = await admin.get("/missions.csv?date_debut=2024-01-16&date_fin=2024-01-17")
    assert named.headers["Content-Disposition"].endswith('filename="missions_2024-01-16_2024-01-17.csv"')
    assert named.headers["X-Total-Count"] == "3"
    day = await admin.get(f"/missions.csv?date={MONDAY}")
    assert day.headers["Content-Disposition"].endswith(f'filename="missions_{MONDAY}.csv"')


async def test_a_long_period_is_read_page_by_page_up_to_the_limit(admin, monkeypatch):
    monkeypatch.setattr(mission_csv, "PAGE", 2)
    for day in range(10, 17):
        await make_mission(admin, date_mission=f"2024-01-{day}")
    rows = await sheet(await admin.get("/missions.csv"))
    assert [row[1] for row in rows[1:]] == [f"{day}/01/2024" for day in range(10, 17)]
    some = await admin.get("/missions.csv?limit=3&offset=2")
    assert [row[0] for row in (await sheet(some))[1:]] == ["3", "4", "5"]
    assert some.headers["X-Total-Count"] == "7"


async def test_the_csv_takes_exactly_the_filters_of_the_list():
    for name, field in MISSIONS_QUERY.fields.items():
        if name != "limit":
            assert type(CSV_QUERY.fields[name]) is type(field)
            assert CSV_QUERY.fields[name].json_schema() == field.json_schema(), name
    assert set(CSV_QUERY.fields) == set(MISSIONS_QUERY.fields)
    assert CSV_QUERY.fields["limit"].maximum == mission_csv.MAX_ROWS


@pytest.mark.parametrize("query", ["?format=xlsx", "?limit=0", f"?limit={mission_csv.MAX_ROWS + 1}",
                                   "?date=2024-02-30", "?statut=perdu", "?date_debut=2024-01-16&"
                                   "date_fin=2024-01-15"])
async def test_bad_parameters_are_422(admin, query):
    assert await invalid_fields(await admin.get(f"/missions.csv{query}"))


async def test_without_a_valid_token_401(client):
    await problem(await client.get("/missions.csv"), 401, "not_authenticated")
    refused = await client.get("/missions.csv", headers={"Authorization": "Bearer x"})
    assert refused.status == 401 and refused.content_type == "application/problem+json"


async def test_from_an_address_outside_the_allowed_networks_403(make_client):
    restricted = await make_client(app_factory=lambda config: pretending_addresses(create_app(config)),
                                   allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    token = (await login(restricted, "ADMIN")).token
    response = await restricted.get("/missions.csv", headers={
        REMOTE_HEADER: "192.168.1.50", "Authorization": f"Bearer {token}"})
    assert response.status == 403
