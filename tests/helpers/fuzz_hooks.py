"""Schemathesis hooks for the fuzzing suite (tests/test_fuzz.py): the rules the OpenAPI
document states in words because JSON Schema cannot say them, and the accounts the fuzzer
must not take away from itself.

Loaded by the schemathesis CLI (SCHEMATHESIS_HOOKS=tests.helpers.fuzz_hooks); the ids come
from the environment the test sets.
"""

from __future__ import annotations

import datetime
import os

import schemathesis

# Users and sessions the run needs alive: its own, and the admin that set it up.
KEPT_USERS = {int(x) for x in os.environ.get("FUZZ_KEPT_USERS", "").split(",") if x}
KEPT_SESSIONS = {int(x) for x in os.environ.get("FUZZ_KEPT_SESSIONS", "").split(",") if x}


def _path(ctx) -> str:
    return ctx.operation.path if ctx.operation is not None else ""


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    """Never deactivate, demote or revoke the accounts and sessions the run works with."""
    if not path_parameters or "id" not in path_parameters:
        return True
    try:
        target = int(path_parameters["id"])
    except (TypeError, ValueError):
        return True
    path = _path(ctx)
    if path == "/admin/users/{id}":
        return target not in KEPT_USERS
    if path == "/admin/sessions/{id}":
        return target not in KEPT_SESSIONS
    return True


PERIODS = (("date_debut", "date_fin"), ("depuis", "jusqu_a"))


def _ordered(values) -> bool:
    """A period's end is not before its start (stated on each such route)."""
    if not isinstance(values, dict):
        return True
    for first, last in PERIODS:
        start, end = values.get(first), values.get(last)
        if isinstance(start, str) and isinstance(end, str) and end < start:
            return False
    return True


@schemathesis.hook
def filter_query(ctx, query):
    return _ordered(query)


# POST /missions/generate takes a period of 31 days at most (said in its description).
GENERATE_MAX_DAYS = 31


def _short_enough(ctx, body) -> bool:
    if _path(ctx) != "/missions/generate" or not isinstance(body, dict):
        return True
    try:
        first = datetime.date.fromisoformat(body["date_debut"])
        last = datetime.date.fromisoformat(body["date_fin"])
    except (KeyError, TypeError, ValueError):
        return True
    return (last - first).days < GENERATE_MAX_DAYS


def _two_days(ctx, body) -> bool:
    """POST /missions/copy copies a day to another day (said in its description)."""
    return (_path(ctx) != "/missions/copy" or not isinstance(body, dict)
            or body.get("date_source") != body.get("date_cible"))


@schemathesis.hook
def filter_body(ctx, body):
    return _ordered(body) and _short_enough(ctx, body) and _two_days(ctx, body)
