"""Money as a planner types it: exact, a point or a comma, spaces between thousands, never
negative for a price or a cost; and the schema states exactly what is accepted."""

from __future__ import annotations

import decimal
import re

import pytest

from tomatoplan.base.formats import FieldError
from tomatoplan.base.money import NEGATIVE, Money, amount_text, cents


def refused(field, value) -> str:
    with pytest.raises(FieldError) as caught:
        field.clean(value)
    return caught.value.code


@pytest.mark.parametrize(("value", "stored"), [
    ("125.50", "125.50"), ("0.5", "0.50"), (12, "12.00"), (0.57, "0.57"), (125.5, "125.50"),
    (999999999.99, "999999999.99"), ("12,50", "12.50"), ("1 234,50", "1234.50"),
    ("1\u00a0234,5", "1234.50"), ("1\u202f234\u202f567", "1234567.00"), ("0", "0.00"),
    ("999 999 999,99", "999999999.99"),
])
def test_money_is_exact_text_or_a_number_of_cents(value, stored):
    field = Money()
    assert field.clean(value) == decimal.Decimal(stored)
    if isinstance(value, str):
        assert re.search(field.json_schema()["pattern"], value)


@pytest.mark.parametrize(("value", "code"), [
    ("12.345", "format"), ("12,345", "format"), (0.001, "format"), ("douze", "type"),
    (" 12", "type"), ("1e3", "type"), ("NaN", "format"), (float("inf"), "format"),
    ("1000000000", "out_of_range"), ("1 000 000 000", "out_of_range"), (1e9, "out_of_range"),
    (True, "type"), ([], "type"), ("12 34", "format"), ("1 2345", "format"), ("1,234.50", "type"),
    ("-5", "out_of_range"), (-5, "out_of_range"), (-0.01, "out_of_range"),
])
def test_money_refuses_what_its_schema_refuses(value, code):
    field = Money()
    assert refused(field, value) == code
    if isinstance(value, str):
        assert not re.search(field.json_schema()["pattern"], value)


def test_a_negative_amount_says_why_and_is_allowed_only_where_asked():
    with pytest.raises(FieldError) as caught:
        Money().clean("-5")
    assert caught.value.detail == NEGATIVE
    assert Money().json_schema()["minimum"] == 0
    signed = Money(negative=True)
    assert signed.clean("-3") == decimal.Decimal("-3.00")
    assert re.search(signed.json_schema()["pattern"], "-1 234,50")


def test_cents_round_trip():
    assert cents("1234.50") == 123450 and amount_text(123450) == "1234.50"
    assert amount_text(-5) == "-0.05" and amount_text(None) is None
