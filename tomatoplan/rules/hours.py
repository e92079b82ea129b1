"""Times of day (HH:MM) and the minutes a trip occupies; voyages and missions share them.

A trip occupies [heure_debut, heure_fin) on its day; an end before the start means it ends
the next day, an end equal to the start 24 hours later. A trip without heure_debut has no
known time and never overlaps; one with a start but no end occupies DEFAULT_MINUTES from its
start (TOMATOPLAN_DUREE_MISSION_DEFAUT, which the application sets at start: `set_default`).
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Optional

from ..base.errors import invalid

MINUTES_PER_DAY = 24 * 60
# What a trip with a start and no end occupies in the overlap checks, in minutes: the server's
# TOMATOPLAN_DUREE_MISSION_DEFAUT (one setting for the whole process, like the log level).
DEFAULT_MINUTES = 60


def set_default(minutes: int) -> None:
    global DEFAULT_MINUTES
    DEFAULT_MINUTES = minutes


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def hours_errors(values: Mapping[str, Any], *, partial: bool = False) -> list:
    """An end time needs a start time (an end before the start means the trip ends after
    midnight, an end equal to it 24 hours later)."""
    debut, fin = values.get("heure_debut"), values.get("heure_fin")
    if fin is None or (partial and "heure_debut" not in values):
        return []  # `partial`: the start left out keeps its stored value (see the caller)
    if debut is None:
        return [invalid("heure_fin", "requires_start", "Une heure de fin demande une heure de début.")]
    return []


def hours_schema(partial: bool) -> list:
    """`hours_errors` as JSON Schema: a string heure_fin needs a string heure_debut (beside it;
    in a partial body, only when the body gives heure_debut at all)."""
    needs = {"properties": {"heure_debut": {"type": "string"}}}
    if not partial:
        needs["required"] = ["heure_debut"]
    return [{"if": {"required": ["heure_fin"], "properties": {"heure_fin": {"type": "string"}}},
             "then": needs}]


def span(date_mission: str, heure_debut: Optional[str], heure_fin: Optional[str],
         day: datetime.date) -> Optional[tuple[int, int]]:
    """Minutes from midnight of `day` that a trip occupies; None when it has no start time."""
    if heure_debut is None:
        return None
    offset = (datetime.date.fromisoformat(date_mission) - day).days * MINUTES_PER_DAY
    start = offset + _minutes(heure_debut)
    if heure_fin is None:
        return start, start + DEFAULT_MINUTES
    end = offset + _minutes(heure_fin)
    if end <= start:
        end += MINUTES_PER_DAY
    return start, end


def shifted_end(start: str, model_start: Optional[str], model_end: Optional[str]) -> Optional[str]:
    """The end of a trip starting at `start` that lasts as long as the model (a voyage, or the
    mission's own hours before it moved): "07:00" with a model 06:00-12:00 ends at "13:00";
    None when the model has no duration."""
    if model_start is None or model_end is None:
        return None
    length = (_minutes(model_end) - _minutes(model_start)) % MINUTES_PER_DAY or MINUTES_PER_DAY
    end = (_minutes(start) + length) % MINUTES_PER_DAY
    return f"{end // 60:02d}:{end % 60:02d}"


def overlaps(one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Half-open intervals overlap; two trips starting the same minute always do."""
    return one[0] == other[0] or (one[0] < other[1] and other[0] < one[1])


def hours_text(trip: Mapping[str, Any]) -> str:
    """"06:00-12:00", "à 06:00" or "sans heure", the way messages show a trip's hours."""
    if trip["heure_debut"] is None:
        return "sans heure"
    if trip["heure_fin"] is None:
        return f"à {trip['heure_debut']}, {DEFAULT_MINUTES} min par défaut"
    return f"{trip['heure_debut']}-{trip['heure_fin']}"
