"""The chauffeurs free on a day: what `GET /chauffeurs/disponibles/{date}` answers.

The same findings as the assignment checks (`assignment.find_problems`), for every chauffeur
at once, from four reads in one snapshot (one trip to the database thread).
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..base.db import Database, Session
from ..base.errors import StaleReferences, invalid
from . import absences, chauffeurs, missions, voyages
from .assignment import find_problems
from .hours import span

DAY_FIELDS = ("id", "date_mission", "heure_debut", "heure_fin", "destination", "voyage_id", "statut")


async def available_drivers(db: Database, day: datetime.date, *, voyage_id: Optional[int] = None,
                            tous: bool = False) -> list[dict]:
    """Chauffeurs free on `day`, each with its live missions that day.

    With `voyage_id`, also those holding the voyage's skills (valid that day) and free at its
    hours. With `tous`, the others too, with `disponible: false` and their `raisons`.
    """
    async def load(session: Session) -> tuple:
        voyage = None
        if voyage_id is not None:
            voyage = await voyages.find_voyage(session, voyage_id)
            if voyage is None:
                raise StaleReferences([invalid("voyage_id", "not_found",
                                               f"Voyage {voyage_id} introuvable.")])
        return (voyage, await chauffeurs.all_chauffeurs(session),
                chauffeurs.by_chauffeur(await absences.all_on(session, day)),
                chauffeurs.by_chauffeur(await missions.assigned_around(session, day)))

    voyage, everyone, away, busy = await db.snapshot(load)

    slot = (span(day.isoformat(), voyage["heure_debut"], voyage["heure_fin"], day)
            if voyage is not None else None)
    found = []
    for chauffeur in everyone:
        problems = find_problems(chauffeur, day, absences=away.get(chauffeur["id"], []),
                                 voyage=voyage, slot=slot, others=busy.get(chauffeur["id"], []))
        if problems and not tous:
            continue
        that_day = [{key: mission[key] for key in DAY_FIELDS}
                    for mission in busy.get(chauffeur["id"], [])
                    if mission["date_mission"] == day.isoformat()]
        found.append({**chauffeur, "disponible": not problems, "raisons": problems,
                      "missions": that_day})
    return found
