"""Money as the real server writes it, shared by the two reference apps (which import nothing
of the server's)."""

from __future__ import annotations

from typing import Optional


def amount_text(cents: Optional[int]) -> Optional[str]:
    """12550 -> "125.50", as the real server writes money."""
    if cents is None:
        return None
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
