"""Money: exact amounts in euros, stored as whole cents, shown as text ("125.50"), read as a
planner types them (the `Money` field)."""

from __future__ import annotations

import decimal
import math
import re
from typing import Any, Optional

from .fields import Field
from .formats import FieldError


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


MONEY_LIMIT = 1_000_000_000
# An amount as a planner types it: "125.50", "125,50", "1 234,50" (a space, no-break space or
# narrow no-break space between thousands), at most two decimals, below a billion.
_THOUSANDS = "[ \u00a0\u202f]"
_DIGITS = rf"(?:[0-9]{{1,9}}|[0-9]{{1,3}}(?:{_THOUSANDS}[0-9]{{3}}){{1,2}})"
MONEY_TEXT = re.compile(rf"-?{_DIGITS}(?:[.,][0-9]{{1,2}})?")
POSITIVE_MONEY_TEXT = re.compile(rf"{_DIGITS}(?:[.,][0-9]{{1,2}})?")
NEGATIVE = "Montant négatif refusé : positif ou nul attendu."


class Money(Field):
    """An exact amount in euros with at most two decimals: a JSON number, or text with a point
    or a comma ("12,50", "1 234,50"). Positive or zero unless `negative`."""

    json_type = ("string", "number")

    def __init__(self, description: str = "", *, negative: bool = False, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.negative = negative

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise FieldError("type", "Montant attendu (ex. \"125.50\" ou \"125,50\").")
        if isinstance(value, str):
            amount = self._text(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise FieldError("format", "Montant fini attendu (ex. \"125.50\").")
            if abs(value) >= MONEY_LIMIT:
                raise FieldError("out_of_range", "Montant hors limites (moins d'un milliard).")
            # A JSON number is binary: 0.57 arrives as 0.5700000000000001 from some clients.
            whole = round(value * 100)
            if abs(value * 100 - whole) > 1e-6:
                raise FieldError("format", "Deux décimales au plus.")
            amount = decimal.Decimal(whole) / 100
        else:
            amount = decimal.Decimal(value)
        if abs(amount) >= MONEY_LIMIT:
            raise FieldError("out_of_range", "Montant hors limites (moins d'un milliard).")
        if amount < 0 and not self.negative:
            raise FieldError("out_of_range", NEGATIVE)
        exact = amount.quantize(decimal.Decimal("0.01"))
        if amount != exact:
            raise FieldError("format", "Deux décimales au plus.")
        return exact

    @staticmethod
    def _text(value: str) -> decimal.Decimal:
        if MONEY_TEXT.fullmatch(value):
            return decimal.Decimal(re.sub(_THOUSANDS, "", value).replace(",", "."))
        if value.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise FieldError("format", "Montant fini attendu (ex. \"125.50\").")
        shape = re.fullmatch(rf"-?([0-9]+(?:{_THOUSANDS}[0-9]+)*)(?:[.,]([0-9]+))?", value)
        if shape is None:
            raise FieldError("type", "Montant attendu (ex. \"125.50\" ou \"1 234,50\").")
        whole, decimals = shape.groups()
        if decimals and len(decimals) > 2:
            raise FieldError("format", "Deux décimales au plus.")
        if len(re.sub(_THOUSANDS, "", whole)) > 9:
            raise FieldError("out_of_range", "Montant hors limites (moins d'un milliard).")
        raise FieldError("format", "Milliers séparés par une espace, par groupes de trois "
                                   "chiffres (ex. \"1 234,50\").")

    def extra_schema(self) -> dict:
        # `pattern` constrains the strings, the bounds and `multipleOf` the numbers.
        text = MONEY_TEXT if self.negative else POSITIVE_MONEY_TEXT
        return {"pattern": f"^{text.pattern}$",
                **({"exclusiveMinimum": -MONEY_LIMIT} if self.negative else {"minimum": 0}),
                "exclusiveMaximum": MONEY_LIMIT, "multipleOf": 0.01,
                "examples": ["125.50", "1 234,50"]}
