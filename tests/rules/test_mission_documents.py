"""The lists send missions as SQLite writes them (the mission_documents view): each document
must be exactly what `mission_out` makes of the same row, for every role, whatever the text
and the amounts hold."""

from __future__ import annotations

import json

import pytest

from tests.helpers.planning import MONDAY, make_mission
from tomatoplan.base import sqlfiles
from tomatoplan.rules.missions import mission_out
from tomatoplan.web.state import DB

Q = sqlfiles.load("missions")

ODD_VALUES = [
    {"prix": "0.05", "cout": "0.00", "remarques": 'guillemets " et \\ barre'},
    {"prix": "999999999.99", "cout": "999999999.99", "remarques": "ligne\nsuivante\ttab"},
    {"prix": "0.01", "cout": None, "remarques": "émoji 🚚, arabe مرحبا, \u202e bidi"},
    {"prix": None, "cout": "12", "remarques": None, "vehicule": "AB-123-CD"},
    {"prix": "1234.5", "heure_debut": "22:00", "heure_fin": "02:00", "statut": "annule"},
]


@pytest.mark.parametrize("finance", [True, False])
async def test_each_document_is_what_mission_out_makes_of_the_row(admin, client, finance):
    for values in ODD_VALUES:
        await make_mission(admin, **values)
    async with client.app[DB].write() as tx:  # amounts stored before negatives were refused
        await tx.execute("UPDATE missions SET prix_cents = -prix_cents, cout_cents = -cout_cents "
                         "WHERE id IN (1, 2)")
    async with client.app[DB].read() as session:
        rows = await session.fetch_all("SELECT * FROM missions ORDER BY heure_debut, id")
        built = await session.fetch_one(Q.missions_by_date, {
            "date_mission": MONDAY, "limit": 100, "offset": 0, "finance": finance})
    assert json.loads(built["page"]) == [mission_out(row, finance) for row in rows]
    assert built["total_count"] == len(ODD_VALUES)
    if not finance:
        assert all("prix" not in document for document in json.loads(built["page"]))
