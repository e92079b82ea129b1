"""The whole planning as one JSON document (`export-json`), in the format `import-json` reads:

    {"chauffeurs": [{"id": 12, "nom": ..., "competences": [{"code", "date_expiration"}]}, ...],
     "voyages": [{"id": 3, "code": ..., "jours": [...], "competences_requises": [...]}, ...],
     "missions": [{"id": 40, "date_mission": ..., "chauffeur_id": 12, "voyage_id": 3, ...}, ...]}

The one home of `sql/planning_export.sql`. Each record is written under the id it had in the
files it was imported from (a number when it is one), or `tomatoplan-<uid>-<id>` when it was
made on this server (`uid`: the database's identity); a mission names its chauffeur and voyage
by those same ids. So the document imports into an empty server and exports back the same,
imports again into this one without creating anything, and into another server creates what
it lacks without mistaking its own records for these. Fields are the API's, amounts included;
one record per line, read page by page in one snapshot: any planning goes out in bounded memory.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, TextIO

from ..base import sqlfiles
from ..base.db import Database, ReadSession
from ..base.money import amount_text
from .ptt_fields import KINDS, SERVER_KEY, exported_id
from .voyages import bits_to_jours

Q = sqlfiles.load("planning_export")
PAGE = 1000


def _key(record_id: Optional[int], source_id: Optional[str], uid: str) -> Any:
    """The id a record is exported under; None for no record."""
    if record_id is None:
        return None
    return exported_id(source_id) if source_id is not None else SERVER_KEY.format(uid=uid,
                                                                                  id=record_id)


def _chauffeurs(rows: list, held: list, uid: str) -> list:
    skills: dict[int, list] = {}
    for row in held:
        skills.setdefault(row["chauffeur_id"], []).append(
            {"code": row["skill_code"], "date_expiration": row["date_expiration"]})
    return [{"id": _key(row["id"], row["source_id"], uid), "nom": row["nom"], "prenom": row["prenom"],
             "matricule": row["matricule"], "telephone": row["telephone"], "email": row["email"],
             "actif": bool(row["actif"]), "notes": row["notes"],
             "competences": skills.get(row["id"], [])} for row in rows]


def _voyages(rows: list, _: list, uid: str) -> list:
    return [{"id": _key(row["id"], row["source_id"], uid), "code": row["code"], "nom": row["nom"],
             "origine": row["origine"], "destination": row["destination"],
             "heure_debut": row["heure_debut"], "heure_fin": row["heure_fin"],
             "jours": bits_to_jours(row["jours"]),
             "competences_requises": sorted(row["competences_requises"].split(","))
             if row["competences_requises"] else [],
             "actif": bool(row["actif"]), "notes": row["notes"]} for row in rows]


def _missions(rows: list, _: list, uid: str) -> list:
    return [{"id": _key(row["id"], row["source_id"], uid), "date_mission": row["date_mission"],
             "destination": row["destination"], "origine": row["origine"],
             "voyage_id": _key(row["voyage_id"], row["voyage_source_id"], uid),
             "chauffeur_id": _key(row["chauffeur_id"], row["chauffeur_source_id"], uid),
             "vehicule": row["vehicule"], "heure_debut": row["heure_debut"],
             "heure_fin": row["heure_fin"], "statut": row["statut"], "remarques": row["remarques"],
             "prix": amount_text(row["prix_cents"]), "cout": amount_text(row["cout_cents"])}
            for row in rows]


# kind -> (its page, what goes with the page, the records as exported)
PAGES: dict[str, tuple[str, Optional[str], Callable[[list, list, str], list]]] = {
    "chauffeurs": (Q.chauffeurs_after, Q.competences_after, _chauffeurs),
    "voyages": (Q.voyages_after, None, _voyages),
    "missions": (Q.missions_after, None, _missions),
}


async def export_planning(db: Database, out: TextIO) -> dict[str, int]:
    """Write the document to `out`; how many records of each kind it holds."""
    counts = {}
    async with db.read() as session:
        uid = await session.fetch_value(Q.database_uid)
        out.write("{")
        for index, kind in enumerate(KINDS):
            out.write(f"{',' if index else ''}\n{json.dumps(kind)}: [")
            counts[kind] = await _write_kind(session, kind, uid, out)
            out.write("\n]")
        out.write("\n}\n")
    return counts


async def _write_kind(session: ReadSession, kind: str, uid: str, out: TextIO) -> int:
    page_sql, with_page_sql, exported = PAGES[kind]
    after, written = 0, 0
    while True:
        params = {"after": after, "limit": PAGE}
        rows = await session.fetch_all(page_sql, params)
        if not rows:
            return written
        extra = await session.fetch_all(with_page_sql, params) if with_page_sql else []
        for record in exported(rows, extra, uid):
            out.write(f"{',' if written else ''}\n{json.dumps(record, ensure_ascii=False)}")
            written += 1
        after = rows[-1]["id"]
