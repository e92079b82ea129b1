"""Each field accepts exactly what its OpenAPI description calls valid: a client (or a fuzzer)
that builds a request from /openapi.json is never refused for a value the document allows."""

from __future__ import annotations

import datetime
import re

import pytest

from tomatoplan.base.fields import CommaList, Integer, Text
from tomatoplan.base.formats import DATE_PATTERN, FieldError


def refused(field, value) -> str:
    with pytest.raises(FieldError) as caught:
        field.clean(value)
    return caught.value.code


def test_an_integer_written_as_a_whole_float_is_that_integer():
    field = Integer(minimum=1, maximum=100)
    assert field.clean(12.0) == 12 and isinstance(field.clean(12.0), int)
    assert refused(field, 1.5) == "type"
    assert refused(field, True) == "type"
    assert refused(field, float("nan")) == "type"
    assert refused(field, 1e300) == "out_of_range"
    assert refused(field, "12") == "type"


@pytest.mark.parametrize("value", ["Paris", "  Paris ", "\tLe Mans\n", "a\x1cb", "é", "x" * 10])
def test_a_text_the_pattern_allows_is_accepted(value):
    field = Text(min_length=1, max_length=10)
    assert re.search(field.json_schema()["pattern"], value)
    assert field.clean(value) == value.strip(" \t\n\r\f\v")


@pytest.mark.parametrize("value", ["", "   ", "\t\n", "a\x00b"])
def test_a_text_the_pattern_refuses_is_refused(value):
    field = Text(min_length=1, max_length=10)
    assert not re.search(field.json_schema()["pattern"], value)
    assert refused(field, value) in ("too_short", "format")


def test_the_length_limit_counts_what_was_sent():
    field = Text(max_length=5)
    assert refused(field, "  abc  ") == "too_long"  # 7 characters sent, as maxLength counts them
    assert field.clean(" abc ") == "abc"


def test_a_text_with_a_pattern_states_it_between_optional_spaces():
    field = Text(pattern=r"[A-Z]+")
    schema = field.json_schema()["pattern"]
    assert re.search(schema, " ADR ") and field.clean(" ADR ") == "ADR"
    assert not re.search(schema, "adr") and refused(field, "adr") == "format"
    strict = Text(pattern=r"[A-Z]+", strip=False)
    assert not re.search(strict.json_schema()["pattern"], " ADR")
    assert refused(strict, " ADR") == "format"


def test_a_comma_list_is_a_set_of_known_choices():
    field = CommaList(("missions", "voyages"))
    assert field.clean("missions, voyages,") == frozenset({"missions", "voyages"})
    assert field.clean("") == frozenset()
    assert refused(field, "missions,users") == "choice"
    assert field.json_schema()["items"] == {"type": "string", "enum": ["missions", "voyages"]}


@pytest.mark.parametrize("year", [1900, 1999, 2000, 2023, 2024, 2100, 2400, 2999])
def test_the_date_pattern_is_the_calendar(year):
    pattern = re.compile(DATE_PATTERN)
    for month in range(0, 14):
        for day in range(0, 33):
            text = f"{year:04d}-{month:02d}-{day:02d}"
            try:
                exists = datetime.date(year, month, day) is not None
            except ValueError:
                exists = False
            assert bool(pattern.match(text)) == exists, text
    assert not pattern.match("1899-12-31") and not pattern.match("3000-01-01")
