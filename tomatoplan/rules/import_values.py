"""What an imported record's values become: its fields cleaned by the API's own body schema
(after their French forms), the fields that differ from the stored record, a chauffeur's
skills; and, when it is rejected, why, naming each field as its file does.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Optional

from ..base.errors import ValidationFailed, invalid
from ..base.schema import Schema
from .ptt_fields import DROP, SKILL_INDEX, Record, french, plain, skill_code
from .records import api_values


def reason(exc: Exception, record: Record) -> str:
    """Why a record is rejected, naming each field as its file does."""
    if isinstance(exc, sqlite3.IntegrityError):
        return f"refusé par la base ({exc})"
    if exc.extra.get("problems"):  # type: ignore[attr-defined]
        return ("affectation refusée : " + " ".join(p["detail"] for p in exc.extra["problems"])
                + " (--force pour passer outre)")
    errors = getattr(exc, "errors", None)
    if errors:
        return " ; ".join(f"{record.label(error['field'])} : {error['detail']}" for error in errors)
    return exc.detail  # type: ignore[attr-defined]


def validated(schema: Schema, given: dict, errors: Optional[list] = None) -> tuple[dict, list]:
    """The values as the API's schema cleans them (after their French forms), and the fields
    the record gives; ValidationFailed with `errors` too."""
    values = {key: french(schema.fields[key], value) if key in schema.fields else value
              for key, value in given.items()}
    values = {key: value for key, value in values.items() if value is not DROP}
    found = list(errors or [])
    try:
        cleaned = schema.validate(values)
    except ValidationFailed as exc:
        found.extend(exc.errors)
    if found:
        raise ValidationFailed(found)
    return cleaned, [key for key in values if key in schema.fields]


def changes(current: dict, cleaned: dict, given: list) -> dict:
    """The fields the record gives whose value differs from the stored one (lists in any order)."""
    shown = api_values(cleaned)

    def same(key: str) -> bool:
        mine, theirs = shown[key], current.get(key)
        if isinstance(mine, list) and isinstance(theirs, list):
            return sorted(mine) == sorted(theirs)
        return mine == theirs

    return {key: cleaned[key] for key in given if not same(key)}


def held_skills(value: Any, schema: Schema) -> dict:
    """{code: date_expiration} of a chauffeur's `competences`: "ADR, FIMO", ["ADR"],
    [{"code": "ADR", "date_expiration": "30/06/2026"}] or {"ADR": "2026-06-30"}."""
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
    elif isinstance(value, dict):
        value = [{"code": code, "date_expiration": until} for code, until in value.items()]
    elif value is None:
        value = []
    if not isinstance(value, list):
        raise ValidationFailed([invalid("competences", "type", "Liste de compétences attendue.")])
    held, errors = {}, []
    for index, item in enumerate(value):
        item = {"code": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            errors.append(invalid("competences", "type", f"Élément {index} : code ou objet attendu."))
            continue
        named = {SKILL_INDEX.get(plain(key), key): found for key, found in item.items()}
        named["code"] = skill_code(named.get("code"))
        try:
            skill = api_values(validated(schema, named)[0])
        except ValidationFailed as exc:
            errors += [invalid("competences", error["code"],
                               f"Élément {index}, {error['field']} : {error['detail']}")
                       for error in exc.errors]
            continue
        if skill["code"] in held:
            errors.append(invalid("competences", "duplicate", f"{skill['code']} en double."))
        held[skill["code"]] = skill.get("date_expiration")
    if errors:
        raise ValidationFailed(errors)
    return held
