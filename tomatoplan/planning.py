"""What the planning areas (missions, voyages, chauffeurs) share in the data layer.

Weekdays, money in cents, the per-record history, one activity line per change, and the
checks on times that both voyages and missions make (versions: see `versions`).
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Mapping, Optional

from . import activity, sqlfiles
from .activity import Actor
from .db import Database, WriteSession
from .errors import NotFound, ValidationFailed
from .permissions import visible_record
from .stats import activity_out

QA = sqlfiles.load("activity")

# ISO weekday order: lundi is 1, dimanche 7.
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
META_FIELDS = ("version", "created_at", "created_by", "updated_at", "updated_by")


def jours_to_bits(jours: list) -> int:
    """["lundi", "mercredi"] -> 0b101 (bit 0 is lundi)."""
    bits = 0
    for jour in jours:
        bits |= 1 << JOURS.index(jour)
    return bits


def bits_to_jours(bits: int) -> list:
    return [jour for index, jour in enumerate(JOURS) if bits & (1 << index)]


def jour_bit(day: datetime.date) -> int:
    """The bit of `jours` for the weekday of `day`."""
    return 1 << (day.isoweekday() - 1)


def amount_text(cents: Optional[int]) -> Optional[str]:
    """12550 -> "125.50" (exact, the way the API shows money)."""
    if cents is None:
        return None
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def cents(amount: Optional[str]) -> Optional[int]:
    """"125.50" -> 12550; the text always comes from `amount_text` or a validated field."""
    if amount is None:
        return None
    return int(decimal.Decimal(amount) * 100)


def api_values(cleaned: Mapping[str, Any]) -> dict:
    """Validated field values as the API shows them: dates as text, amounts as "125.50"."""
    shown = {}
    for key, value in cleaned.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = amount_text(int(value * 100))
        shown[key] = value
    return shown


def meta(row: Mapping[str, Any]) -> dict:
    return {key: row[key] for key in META_FIELDS}


def without_finance(record: dict) -> dict:
    return visible_record(record, False)


def unknown_id(field: str, detail: str) -> dict:
    """One 422 entry for an id in a body that names nothing."""
    return {"field": field, "code": "not_found", "detail": detail}


def time_errors(values: Mapping[str, Any]) -> list:
    """An end time needs a start time and may not equal it (an end before the start means
    the trip ends after midnight)."""
    debut, fin = values.get("heure_debut"), values.get("heure_fin")
    if fin is None:
        return []
    if debut is None:
        return [{"field": "heure_fin", "code": "requires_start",
                 "detail": "Une heure de fin demande une heure de début."}]
    if fin == debut:
        return [{"field": "heure_fin", "code": "empty_interval",
                 "detail": "L'heure de fin doit différer de l'heure de début."}]
    return []


def raise_if(errors: list) -> None:
    if errors:
        raise ValidationFailed(errors)


async def history(db: Database, entity: str, entity_id: int, *, finance: bool) -> list:
    """The activity-log trail of one record, oldest first; amounts hidden unless `finance`."""
    async with db.read() as session:
        rows = await session.fetch_all(QA.activity_for_entity, {"entity": entity,
                                                                "entity_id": entity_id})
    if not rows:
        raise NotFound(f"Aucun historique pour {entity} {entity_id}.", code="history_not_found")
    return [activity_out(row, finance) for row in rows]


async def log_change(tx: WriteSession, actor: Actor, action: str, entity: str, entity_id: int,
                     summary: str, before: Optional[dict], after: Optional[dict], fields: tuple,
                     **extra: Any) -> None:
    """One activity line for one change: the before/after of `fields` that changed."""
    changes = activity.diff(
        {key: before[key] for key in fields} if before is not None else None,
        {key: after[key] for key in fields} if after is not None else None,
    )
    changes.update(extra)
    await activity.record(tx, actor, action, entity=entity, entity_id=entity_id, summary=summary,
                          changes=changes, record=after)
