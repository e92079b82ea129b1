"""The field types of request bodies and query strings: how each checks a JSON value and
how it describes itself in OpenAPI (see `schema` for the objects made of them).
"""

from __future__ import annotations

import math
import re
from typing import Any, Optional, Sequence

from .formats import (
    DATE_PATTERN,
    PLATE_DETAIL,
    PLATE_PATTERN,
    SPACE,
    SPACES,
    WEEKDAY_PATTERN,
    FieldError,
    is_utf8,
    parse_date,
    parse_plate,
    parse_time,
    parse_weekday,
)

MISSING = object()
# The largest id SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


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
        if len(value) > self.max_length:  # as sent, as the OpenAPI document says
            raise FieldError("too_long", f"Au plus {self.max_length} caractères.")
        if "\x00" in value:
            raise FieldError("format", "Caractère nul interdit.")
        if not is_utf8(value):
            raise FieldError("format", "Caractères invalides (demi-paire UTF-16 isolée).")
        if self.strip:
            value = value.strip(SPACES)
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise FieldError("too_short", "Ne peut pas être vide.")
            raise FieldError("too_short", f"Au moins {self.min_length} caractères.")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise FieldError("format", "Format invalide.")
        return value

    def schema_pattern(self) -> str:
        """What `check` accepts, as one anchored regular expression: the pattern (or, without
        one, no NUL and something not blank when required) between the spaces `strip` drops."""
        if self.pattern is not None:
            inner = self.pattern.pattern
        elif self.min_length:
            inner = r"[^\x00]*[^ \t\n\r\f\v\x00][^\x00]*"
        else:
            inner = r"[^\x00]*"
        space = f"{SPACE}*" if self.strip else ""
        return f"^{space}(?:{inner}){space}$"

    def extra_schema(self) -> dict:
        schema: dict[str, Any] = {"maxLength": self.max_length, "pattern": self.schema_pattern()}
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema


class Plate(Text):
    """A French number plate as typed ("ab123cd", "AB 123 CD"), kept normalised ("AB-123-CD";
    the older FNI plates as "1234 AB 56"): see formats.PLATE_PATTERN."""

    def __init__(self, description: str = "", **kwargs: Any):
        super().__init__(description, min_length=1, max_length=20, pattern=PLATE_PATTERN, **kwargs)

    def check(self, value: Any) -> Any:
        try:
            return parse_plate(super().check(value))
        except FieldError as exc:
            if exc.code != "format":
                raise
            raise FieldError("format", PLATE_DETAIL) from None


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


class Weekday(Field):
    """A day of the week as a planner types it ("Lundi", "LUNDI", "lun."), kept in the
    canonical form ("lundi")."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Jour de la semaine attendu (ex. \"lundi\").")
        return parse_weekday(value)

    def extra_schema(self) -> dict:
        return {"pattern": WEEKDAY_PATTERN, "examples": ["lundi", "Mardi", "mer."]}


class Integer(Field):
    json_type = "integer"

    def __init__(self, description: str = "", *, minimum: Optional[int] = None,
                 maximum: Optional[int] = None, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def check(self, value: Any) -> Any:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)  # 12.0 is an integer for JSON Schema, as for JavaScript clients
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
        return {"format": "date", "pattern": DATE_PATTERN}


class Time(Field):
    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Heure attendue (HH:MM).")
        return parse_time(value)

    def extra_schema(self) -> dict:
        return {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["06:00"]}


class CommaList(Field):
    """Several of `choices` in one query parameter, separated by commas (`topics=a,b`); the
    set of them (empty when none is given)."""

    json_type = "array"

    def __init__(self, choices: Sequence[str], description: str = "", **kwargs: Any):
        super().__init__(description, **kwargs)
        self.choices = tuple(choices)

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise FieldError("type", "Liste attendue, séparée par des virgules.")
        wanted = {item.strip() for item in value.split(",") if item.strip()}
        unknown = sorted(wanted - set(self.choices))
        if unknown:
            raise FieldError("choice", f"Inconnus : {', '.join(unknown)[:200]}. "
                                       f"Possibles : {', '.join(self.choices)}.")
        return frozenset(wanted)

    def extra_schema(self) -> dict:
        return {"items": {"type": "string", "enum": list(self.choices)}}


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


def id_field(description: str, **kwargs: Any) -> Integer:
    """An id in a body or query string: a positive integer SQLite can hold."""
    return Integer(description, minimum=1, maximum=MAX_ID, **kwargs)
