"""Routes of the files made for other programs: /missions.csv (the missions for Excel)."""

from __future__ import annotations

import datetime
from typing import Optional

from aiohttp import web

from ...base.errors import ValidationFailed, invalid
from ...base.fields import Integer
from ...base.permissions import Permission
from ...base.schema import PAGING, Query
from ...rules import mission_csv, missions
from ..auth import can_read_finance
from ..endpoint import endpoint
from ..state import DB

routes = web.RouteTableDef()

# The filters of GET /missions, with its rules (tests/web/routes/test_missions_csv.py holds
# them to it), and a file of up to MAX_ROWS missions.
CSV_QUERY = Query({
    **missions.LIST_FILTERS,
    "limit": Integer("Nombre maximum de missions dans le fichier", minimum=1,
                     maximum=mission_csv.MAX_ROWS, default=mission_csv.MAX_ROWS),
    "offset": PAGING["offset"],
})
CSV_NOTE = ("Pour Excel en français : UTF-8 avec BOM, `;` entre les cellules, fins de ligne CRLF, "
            "en-têtes en français, dates JJ/MM/AAAA, montants avec une virgule décimale ; le nom du "
            "chauffeur et le code du voyage. Une cellule de texte qui commence par =, +, -, @, une "
            "tabulation ou un retour chariot est précédée d'une apostrophe (jamais exécutée comme "
            "formule). Les colonnes Prix et Coût seulement pour les rôles qui lisent la finance. "
            f"{mission_csv.MAX_ROWS} missions au plus par fichier (`limit`, `offset` ; le total dans "
            "X-Total-Count).")


def _file_name(date_debut: Optional[datetime.date], date_fin: Optional[datetime.date]) -> str:
    if date_debut and date_debut == date_fin:
        return f"missions_{date_debut.isoformat()}.csv"
    parts = [day.isoformat() if day else "" for day in (date_debut, date_fin)]
    return "missions_" + "_".join(part or "tout" for part in parts) + ".csv" \
        if any(parts) else "missions.csv"


@routes.get("/missions.csv", name="missions_csv")
@endpoint(Permission.READ_PLANNING, "Missions en CSV pour Excel, avec les filtres de la liste",
          tag="Missions",
          description="Mêmes filtres que GET /missions (`date`, `date_debut`/`date_fin`, "
                      "`chauffeur_id`, `voyage_id`, `statut`), triées par jour puis heure. " + CSV_NOTE,
          query=CSV_QUERY,
          responses={200: ("Fichier CSV (total dans X-Total-Count)", {"type": "string"}, "text/csv")})
async def missions_csv(request: web.Request) -> web.Response:
    query = CSV_QUERY.validate(request.query)
    date_debut, date_fin = query.get("date_debut"), query.get("date_fin")
    if date_debut and date_fin and date_fin < date_debut:
        raise ValidationFailed([invalid("date_fin", "before_start", "date_fin précède date_debut.")])
    empty = False
    if "date" in query:  # filters combine: that day, if it is within the period
        day = query["date"]
        empty = bool((date_debut and day < date_debut) or (date_fin and day > date_fin))
        date_debut = date_fin = day
    body, total = await mission_csv.missions_csv(
        request.app[DB], date_debut=date_debut, date_fin=date_fin,
        chauffeur_id=query.get("chauffeur_id"), voyage_id=query.get("voyage_id"),
        statut=query.get("statut"), limit=query["limit"], offset=query["offset"],
        finance=can_read_finance(request), empty=empty)
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_file_name(date_debut, date_fin)}"',
        "X-Total-Count": str(total)})
