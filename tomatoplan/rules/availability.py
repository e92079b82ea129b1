"""The chauffeurs free on a day: what `GET /chauffeurs/disponibles/{date}` answers.

The same findings as the assignment checks (`assignment.find_problems`), for every chauffeur
at once, in one statement (`sql/availability.sql`) whose answer SQLite writes as the JSON the
API sends: with 300 chauffeurs, building 300 dicts, checking them in Python and dumping them
again cost five times the query. tests/rules/test_availability_sql.py holds the statement to
find_problems' answers.
"""

from __future__ import annotations

import datetime
import json
from typing import Optional

from ..base import sqlfiles
from ..base.db import Database, Session
from ..base.errors import StaleReferences, invalid
from . import hours, voyages
from .assignment import around
from .hours import span

Q = sqlfiles.load("availability")


async def available_drivers(db: Database, day: datetime.date, *, voyage_id: Optional[int] = None,
                            tous: bool = False) -> tuple[str, int]:
    """Chauffeurs free on `day`, each with its live missions that day: the JSON array and its
    length.

    With `voyage_id`, also those holding the voyage's skills (valid that day) and free at its
    hours. With `tous`, the others too, with `disponible: false` and their `raisons`.
    """
    async def load(session: Session) -> dict:
        params = {"day": day.isoformat(), "day_before": around(day)["date_avant"],
                  "day_after": around(day)["date_apres"], "tous": tous, "required": None,
                  "voyage_code": None, "slot_start": None, "slot_end": None,
                  "default_minutes": hours.DEFAULT_MINUTES}
        if voyage_id is not None:
            voyage = await voyages.find_voyage(session, voyage_id)
            if voyage is None:
                raise StaleReferences([invalid("voyage_id", "not_found",
                                               f"Voyage {voyage_id} introuvable.")])
            slot = span(day.isoformat(), voyage["heure_debut"], voyage["heure_fin"], day)
            params.update(required=json.dumps(voyage["competences_requises"]), voyage_code=voyage["code"],
                          slot_start=slot[0] if slot else None, slot_end=slot[1] if slot else None)
        return await session.fetch_one(Q.available_on_day, params)

    found = await db.snapshot(load)
    return found["page"], found["total_count"]
