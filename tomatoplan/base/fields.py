"""The field types of request bodies and query strings: how each checks a JSON value and
how it describes itself in OpenAPI (see `schema` for the objects made of them).
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any, Optional, Sequence

MISSING = object()
# The largest id SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class FieldError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Field:
    """One field: how to check a JSON value and how to describe it in OpenAPI."""

    json_type = "string"

    def __init__(self, description: str = "", *, required: bool = False, nullable: bool = False,
                 default: Any = MISSING, example: Any = MISSING, read_only: bool = False):
        self.description = description
        self.required = required
        self.nullable = nullable
        self.default = default
        self.example = example
        self.read_only = read_only

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def clean(self, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise FieldError("null", "Valeur obligatoire (null refusé).")
        return self.check(value)

    def extra_schema(self) -> dict:
        return {}

    def json_schema(self) -> dict:
        types = list(self.json_type) if isinstance(self.json_type, tuple) else [self.json_type]
        schema: dict[str, Any] = {"type": [*types, "null"] if self.nullable else
                                  (types[0] if len(types) == 1 else types)}
        schema.update(self.extra_schema())
        if self.description:
            schema["description"] = self.description
        if self.default is not MISSING:
            schema["default"] = self.default
        if self.example is not MISSING:
            schema["examples"] = [self.example]
        if self.read_only:
            schema["readOnly"] = True
        return schema


class Text(Field):
    def __init__(self, description: str = "", *, min_length: int = 0, max_length: int = 200,
                 pattern: Optional[str] = None, strip: bool = True, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.strip = strip

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Texte attendu.")
        if self.strip:
            value = value.strip()
        if "\x00" in value:
            raise FieldError("format", "Caractère nul interdit.")
        if not _is_utf8(value):
            raise FieldError("format", "Caractères invalides (demi-paire UTF-16 isolée).")
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise FieldError("too_short", "Ne peut pas être vide.")
            raise FieldError("too_short", f"Au moins {self.min_length} caractères.")
        if len(value) > self.max_length:
            raise FieldError("too_long", f"Au plus {self.max_length} caractères.")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise FieldError("format", "Format invalide.")
        return value

    def extra_schema(self) -> dict:
        schema: dict[str, Any] = {"maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern.pattern
        return schema


class Choice(Field):
    def __init__(self, choices: Sequence[str], description: str = "", **kwargs: Any):
        super().__init__(description, **kwargs)
        self.choices = tuple(choices)

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            raise FieldError("choice", f"Valeur attendue parmi : {', '.join(self.choices)}.")
        return value

    def extra_schema(self) -> dict:
        return {"enum": list(self.choices) + ([None] if self.nullable else [])}


class Integer(Field):
    json_type = "integer"

    def __init__(self, description: str = "", *, minimum: Optional[int] = None,
                 maximum: Optional[int] = None, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("type", "Nombre entier attendu.")
        if self.minimum is not None and value < self.minimum:
            raise FieldError("out_of_range", f"Au moins {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise FieldError("out_of_range", f"Au plus {self.maximum}.")
        return value

    def extra_schema(self) -> dict:
        schema = {}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class Boolean(Field):
    json_type = "boolean"

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise FieldError("type", "true ou false attendu.")
        return value


class Date(Field):
    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Date attendue (AAAA-MM-JJ).")
        return parse_date(value)

    def extra_schema(self) -> dict:
        return {"format": "date"}


class Time(Field):
    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Heure attendue (HH:MM).")
        return parse_time(value)

    def extra_schema(self) -> dict:
        return {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["06:00"]}


class Money(Field):
    """An exact amount in euros with at most two decimals; JSON number or string."""

    json_type = ("string", "number")

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise FieldError("type", "Montant attendu (ex. \"125.50\").")
        try:
            amount = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise FieldError("type", "Montant attendu (ex. \"125.50\").") from None
        if not amount.is_finite():
            raise FieldError("format", "Montant fini attendu (ex. \"125.50\").")
        # Bounded before rounding: quantize() fails past 28 digits.
        if abs(amount) >= decimal.Decimal("1000000000"):
            raise FieldError("out_of_range", "Montant hors limites (moins d'un milliard).")
        cents = amount.quantize(decimal.Decimal("0.01"))
        if amount != cents:
            raise FieldError("format", "Deux décimales au plus.")
        return cents

    def extra_schema(self) -> dict:
        return {"pattern": r"^-?\d+(\.\d{1,2})?$", "examples": ["125.50"]}


class ListOf(Field):
    json_type = "array"

    def __init__(self, item: Field, description: str = "", *, max_items: int = 100,
                 unique: bool = False, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.item = item
        self.max_items = max_items
        self.unique = unique

    def check(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise FieldError("type", "Liste attendue.")
        if len(value) > self.max_items:
            raise FieldError("too_long", f"Au plus {self.max_items} éléments.")
        cleaned = []
        for index, element in enumerate(value):
            try:
                cleaned.append(self.item.clean(element))
            except FieldError as exc:
                raise FieldError(exc.code, f"Élément {index} : {exc.detail}") from None
        if self.unique and len(set(cleaned)) != len(cleaned):
            raise FieldError("duplicate", "Éléments en double.")
        return cleaned

    def extra_schema(self) -> dict:
        schema = {"items": self.item.json_schema(), "maxItems": self.max_items}
        if self.unique:
            schema["uniqueItems"] = True
        return schema


# A planning lives between these years; the bounds also keep date arithmetic (a week, the
# day after) away from the ends of Python's calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2999
# The bounds of a date range left open by the client ("from the start", "to the end").
EARLIEST_DATE, LATEST_DATE = "0001-01-01", "9999-12-31"


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_date(value: str) -> datetime.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise FieldError("format", "Date attendue au format AAAA-MM-JJ.")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise FieldError("format", f"Date impossible : {value}.") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FieldError("out_of_range", f"Année entre {FIRST_YEAR} et {LAST_YEAR} attendue.")
    return day


def parse_time(value: str) -> str:
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise FieldError("format", "Heure attendue au format HH:MM (00:00 à 23:59).")
    return value


def id_field(description: str, **kwargs: Any) -> Integer:
    """An id in a body or query string: a positive integer SQLite can hold."""
    return Integer(description, minimum=1, maximum=MAX_ID, **kwargs)
