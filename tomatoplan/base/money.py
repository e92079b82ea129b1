"""Money: exact amounts in euros, stored as whole cents, shown as text ("125.50")."""

from __future__ import annotations

import decimal
from typing import Optional


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
