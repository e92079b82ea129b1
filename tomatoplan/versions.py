"""Versions of records: what stops two planners from overwriting each other's work.

Every mutable record carries `version`; GET sends it as ETag, and a PUT or DELETE naming an
older one in If-Match is refused with the record as it is now.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .errors import PreconditionFailed


def stale(entity: str, current: dict) -> PreconditionFailed:
    """412 carrying the record as it is now, so the client can merge and retry."""
    return PreconditionFailed(
        f"Cet enregistrement a été modifié entre-temps (version actuelle {current['version']}) : "
        "rechargez-le avant de le modifier.",
        code="version_mismatch", current=current,
    )


def check_version(entity: str, current: dict, expected: Optional[int]) -> None:
    """412 with the current record when the client's If-Match names an older version."""
    if expected is not None and expected != current["version"]:
        raise stale(entity, current)


def changed(current: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """True when `after` gives at least one field a new value."""
    return any(current.get(key) != value for key, value in after.items())
