"""The missions as a CSV file that a French Excel opens as it is (`GET /missions.csv`).

The one home of `sql/mission_csv.sql`. UTF-8 with a BOM (without it Excel reads the accents as
Windows-1252), `;` between cells (a French Windows' list separator), CRLF line ends, French
headers, dates as JJ/MM/AAAA, amounts with a decimal comma ("125,50"), the chauffeur's name
and the voyage's code. A text cell that starts with =, +, -, @, a tab or a carriage return
gets a leading ' : Excel would otherwise run it as a formula (CSV injection). The rows come
from the mission list's own queries, a page at a time, MAX_ROWS at most in one file.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database
from . import missions

Q = sqlfiles.load("mission_csv")
MAX_ROWS = 10_000  # ~1.5 MB of CSV; a longer period is exported in several files (offset)
PAGE = 1000
STATUTS = {"planifie": "Planifiée", "en_cours": "En cours", "termine": "Terminée",
           "annule": "Annulée"}
# (header, field): the text fields are the ones neutralised; the others the server writes.
COLUMNS = (("N° mission", "id"), ("Date", "date_mission"), ("Début", "heure_debut"),
           ("Fin", "heure_fin"), ("Origine", "origine"), ("Destination", "destination"),
           ("Voyage", "voyage"), ("Chauffeur", "chauffeur"), ("Véhicule", "vehicule"),
           ("Statut", "statut"), ("Remarques", "remarques"))
FINANCE_COLUMNS = (("Prix (€)", "prix"), ("Coût (€)", "cout"))
TEXT_FIELDS = {"origine", "destination", "voyage", "chauffeur", "vehicule", "remarques"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Optional[str]) -> str:
    """A typed text as a cell Excel shows and never runs: "=1+1" -> "'=1+1"."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


def french_date(iso: Optional[str]) -> str:
    """"2024-01-15" -> "15/01/2024"."""
    return datetime.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def french_amount(amount: Optional[str]) -> str:
    """"125.50" -> "125,50" (the API's exact text, with the decimal comma)."""
    return amount.replace(".", ",") if amount is not None else ""


def _cells(mission: dict, names: dict, columns: tuple) -> list:
    shown = {**mission, "date_mission": french_date(mission["date_mission"]),
             "statut": STATUTS.get(mission["statut"], mission["statut"]),
             "voyage": names.get(("voyage", mission["voyage_id"])),
             "chauffeur": names.get(("chauffeur", mission["chauffeur_id"])),
             "prix": french_amount(mission.get("prix")), "cout": french_amount(mission.get("cout"))}
    return [safe_text(shown[field]) if field in TEXT_FIELDS else
            ("" if shown[field] is None else shown[field]) for _, field in columns]


async def _names(db: Database, page: list) -> dict:
    """{("chauffeur", id): "NOM Prénom", ("voyage", id): code} of the page's missions."""
    rows = await db.query(Q.names_of_page, {
        "chauffeur_ids": json.dumps(sorted({m["chauffeur_id"] for m in page if m["chauffeur_id"]})),
        "voyage_ids": json.dumps(sorted({m["voyage_id"] for m in page if m["voyage_id"]}))})
    return {(row["kind"], row["id"]): row["name"] for row in rows}


async def missions_csv(db: Database, *, date_debut: Optional[datetime.date],
                       date_fin: Optional[datetime.date], chauffeur_id: Optional[int],
                       voyage_id: Optional[int], statut: Optional[str], limit: int, offset: int,
                       finance: bool, empty: bool = False) -> tuple[bytes, int]:
    """The file of the missions matching the filters (those of `missions.list_missions`), by day
    and time, `limit` at most from `offset`, and how many match in all; amounts only when
    `finance`. `empty`: the filters contradict each other, the file has only its headers."""
    columns = COLUMNS + (FINANCE_COLUMNS if finance else ())
    text = io.StringIO()
    text.write("\ufeff")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    written, total = 0, 0
    while not empty and written < limit:
        size = min(PAGE, limit - written)
        found, total = await missions.list_missions(
            db, date_debut=date_debut, date_fin=date_fin, chauffeur_id=chauffeur_id,
            voyage_id=voyage_id, statut=statut, limit=size, offset=offset + written, finance=finance)
        page = json.loads(found)
        names = await _names(db, page) if page else {}
        writer.writerows(_cells(mission, names, columns) for mission in page)
        written += len(page)
        if len(page) < size:
            break
    return text.getvalue().encode("utf-8"), total
