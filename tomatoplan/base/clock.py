"""Time as the API writes it: ISO 8601 UTC with milliseconds and a trailing Z."""

from __future__ import annotations

import datetime

UTC = datetime.timezone.utc


def now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def iso(moment: datetime.datetime) -> str:
    """'2024-01-15T06:00:00.000Z'; sorts as text in the same order as time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())


def parse_iso(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
