"""The formats the API reads: dates, times, days of the week, e-mail addresses; how each is
checked, and the same rule as a regular expression for the OpenAPI document."""

from __future__ import annotations

import datetime
import re
import unicodedata


class FieldError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


# A planning lives between these years; the bounds also keep date arithmetic (a week, the
# day after) away from the ends of Python's calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2999
# The spaces a text field drops at both ends, the same for Python and the OpenAPI document
# (JSON Schema's \s is not Python's: it leaves out \x1c-\x1f, for one).
SPACES = " \t\n\r\f\v"
SPACE = r"[ \t\n\r\f\v]"
# An e-mail address as the API checks it (an @, a dot after it, no spaces).
EMAIL_PATTERN = r"[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+\.[^@ \t\n\r\f\v\x00]+"
# A date of those years that the calendar has, as the OpenAPI document states it: days 29-31
# only in the months that have them, 29 February only in leap years (1900 is not one).
_YEAR = r"(?:19|2[0-9])[0-9]{2}"
_LEAP_YEAR = r"(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)"
DATE_PATTERN = (rf"^(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
                r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
                rf"|{_LEAP_YEAR}-02-29)$")
# The bounds of a date range left open by the client ("from the start", "to the end").
EARLIEST_DATE, LATEST_DATE = "0001-01-01", "9999-12-31"


def is_utf8(value: str) -> bool:
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


# The days of the week as the API stores them, in ISO order (lundi is 1).
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# What a planner may type for each letter: either case, with or without an accent.
_LETTERS = {"a": "aAàÀáÁâÂäÄ", "e": "eEéÉèÈêÊëË", "i": "iIíÍìÌîÎïÏ", "u": "uUúÚùÙûÛüÜ",
            "o": "oOóÓòÒôÔöÖ", "c": "cCçÇ"}


def _letter(char: str) -> str:
    return "[" + _LETTERS.get(char, char + char.upper()) + "]"


def _no_accent(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# A day in full, or its first three letters or more ("lun", "lun.", "Merc"), any case, any
# accent, as the OpenAPI document states it.
WEEKDAY_PATTERN = "^(?:" + "|".join(
    "".join(_letter(c) for c in day[:3]) + "".join(f"(?:{_letter(c)}" for c in day[3:])
    + ")?" * (len(day) - 3) + r"\.?" for day in WEEKDAYS) + ")$"


def parse_weekday(value: str) -> str:
    """"Lundi", "LUNDI", "lun.", "lún" -> "lundi"."""
    typed = _no_accent(value).lower()
    bare = typed[:-1] if typed.endswith(".") else typed
    for day in WEEKDAYS:
        if len(bare) >= 3 and day.startswith(bare) and re.fullmatch(WEEKDAY_PATTERN, value):
            return day
    raise FieldError("choice", "Jour attendu : lundi, mardi, mercredi, jeudi, vendredi, samedi "
                               "ou dimanche (ou ses trois premières lettres : lun., mar.…).")


# A French number plate as a planner types it (any case; a space or a dash, or nothing,
# between the groups), as the OpenAPI document states it: SIV, the format since 2009
# ("AB-123-CD": no I, O or U, no 000), or FNI, the one before it ("1234 AB 56": a department,
# 2A/2B, or 971-976), which a truck registered before 2009 and never re-registered still carries.
_SIV_LETTERS = "[A-HJ-NP-TV-Za-hj-np-tv-z]{2}"
_SIV = rf"{_SIV_LETTERS}[ -]?(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{{2}})[ -]?{_SIV_LETTERS}"
_FNI = (r"[1-9][0-9]{0,3}[ -]?[A-Za-z]{1,3}[ -]?"
        r"(?:0[1-9]|1[0-9]|2[1-9ABab]|[3-8][0-9]|9[0-5]|97[1-6])")
PLATE_PATTERN = f"(?:{_SIV}|{_FNI})"
PLATE_DETAIL = ("Immatriculation attendue au format SIV (AB-123-CD, sans I, O ni U) ou FNI "
                "(1234 AB 56).")


def parse_plate(value: str) -> str:
    """"ab123cd", "AB 123 CD" -> "AB-123-CD"; "1234ab56" -> "1234 AB 56"."""
    if not re.fullmatch(PLATE_PATTERN, value):
        raise FieldError("format", PLATE_DETAIL)
    compact = re.sub("[ -]", "", value).upper()
    siv = re.fullmatch(r"([A-Z]{2})([0-9]{3})([A-Z]{2})", compact)
    if siv:
        return "-".join(siv.groups())
    fni = re.fullmatch(r"([0-9]+)([A-Z]+)([0-9][0-9AB][0-9]?)", compact)
    assert fni is not None  # the pattern above held
    return " ".join(fni.groups())
