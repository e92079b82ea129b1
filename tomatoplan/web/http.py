"""Request and response helpers of the route handlers: the JSON body and its validation, ids
and dates in the path, If-Match, and the JSON answers (records with their ETag, lists with
their total).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
from typing import Any, Optional

from aiohttp import web

from ..base.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RequestTimeout,
    ValidationFailed,
    invalid,
)
from ..base.fields import MAX_ID
from ..base.formats import FieldError, parse_date
from ..base.permissions import Permission
from ..base.schema import Schema
from .auth import current_auth
from .connections import reading_body
from .state import CONFIG

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Who validated the day of a by-date list, and when (see json_list_response).
DAY_HEADER = "X-Jour-Valide"


# --- what the client sent ------------------------------------------------------------------

def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} n'est pas une valeur JSON permise")


async def read_within(request: web.Request, seconds: float) -> bytes:
    """The whole body, or 408 when it has not all come within `seconds` (a client that stops
    sending mid-body would otherwise hold its handler, and the connection, forever)."""
    try:
        with reading_body(request):
            return await asyncio.wait_for(request.read(), seconds)
    except asyncio.TimeoutError:
        raise body_too_slow(seconds) from None


def body_too_slow(seconds: float) -> RequestTimeout:
    """408 for a body that stopped coming; the connection is closed after the answer."""
    return RequestTimeout(f"Corps de la requête reçu trop lentement (plus de {seconds:g} s) : "
                          "requête abandonnée.", code="body_timeout",
                          headers={"Connection": "close"})


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; 400 when it is missing or not JSON, 413 when too large.

    The Content-Type is not checked: `curl -d` sends form encoding by default, and refusing
    it would only confuse a sysadmin; the body itself must be JSON.
    """
    raw = await read_within(request, request.app[CONFIG].body_timeout)
    if not raw.strip():
        raise BadRequest("Corps de requête JSON attendu.", code="body_missing")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        # "\ud800" parses into a string that cannot be stored or answered as UTF-8; only a
        # body with such an escape pays for the check.
        if _SURROGATE_ESCAPE.search(raw):
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        return body
    except UnicodeEncodeError:
        raise BadRequest("JSON mal formé : demi-paire UTF-16 isolée (\\ud800-\\udfff).",
                         code="malformed_json") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"JSON mal formé : {exc}", code="malformed_json") from None
    except RecursionError:
        raise BadRequest("JSON mal formé : imbrication trop profonde.", code="malformed_json") from None


async def read_body(request: web.Request, schema: Schema, *, partial: bool = False,
                    guarded: tuple = ()) -> dict:
    """The validated JSON body. Fields of `guarded` need the finance write permission: carried
    without it they are listed as `not_permitted` with every other bad field (422), or, when
    the body is valid otherwise, refused with a 403 `finance_forbidden` listing them."""
    payload = await read_json(request)
    errors: list = []
    cleaned: dict = {}
    try:
        cleaned = schema.validate(payload, partial=partial)
    except ValidationFailed as exc:
        errors = list(exc.errors)
    denied: list = []
    if guarded and isinstance(payload, dict) and not current_auth(request).can(Permission.WRITE_FINANCE):
        names = [key for key in guarded if key in payload]
        errors = [error for error in errors if error["field"] not in names]
        denied = [invalid(key, "not_permitted", "Votre rôle ne permet pas de modifier les champs "
                                                "financiers.") for key in names]
    if errors:
        raise ValidationFailed(errors + denied)
    if denied:
        raise Forbidden(f"Votre rôle ne permet pas de modifier : {', '.join(e['field'] for e in denied)}.",
                        code="finance_forbidden", errors=denied)
    return cleaned


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the path (the route's regex already keeps it to digits)."""
    raw = request.match_info[name]
    # int() refuses over 4300 digits on recent Pythons; no id has more than 19.
    if len(raw) > 19 or int(raw) > MAX_ID:
        raise NotFound("Introuvable.")
    return int(raw)


def path_date(request: web.Request, name: str = "date") -> datetime.date:
    """A date from the path; 422 naming it when impossible (2024-02-30)."""
    try:
        return parse_date(request.match_info[name])
    except FieldError as exc:
        raise ValidationFailed([invalid(name, exc.code, exc.detail)]) from None


def if_match_version(request: web.Request) -> Optional[int]:
    """The version named by If-Match, None when absent or `*`; 400 when unreadable, 412 for
    a weak tag (RFC 9110: a weak tag never matches in If-Match). Handlers read it after the
    body: a bad body is a 422 whatever the version it names."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if re.fullmatch(r'W/"[0-9]{1,18}"', value):
        raise PreconditionFailed("Un ETag faible (W/…) ne vaut pas pour If-Match : renvoyez "
                                 "l'ETag tel que reçu au GET, ex. \"3\".", code="weak_etag")
    if not re.fullmatch(r'"[0-9]{1,18}"|[0-9]{1,18}', value):
        raise BadRequest('En-tête If-Match invalide : attendu l\'ETag reçu au GET, ex. "3".',
                         code="bad_if_match")
    return int(value.strip('"'))


# --- what the server answers ---------------------------------------------------------------

def json_response(payload: Any, *, status: int = 200, headers: Optional[dict] = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload, ensure_ascii=False, default=str),
                        content_type="application/json", headers=headers)


def etag(version: int) -> str:
    return f'"{version}"'


def record_response(record: dict, *, status: int = 200, location: Optional[str] = None
                    ) -> web.Response:
    """A record with its version as ETag (and its address after a creation)."""
    headers = {"ETag": etag(record["version"])}
    if location is not None:
        headers["Location"] = location
    return json_response(record, status=status, headers=headers)


def json_list_response(text: str, total: int, *, validated: Optional[dict] = None) -> web.Response:
    """A JSON array already written (by SQLite), sent as it is, with its total; the missions of
    a day also say who validated it and when (`X-Jour-Valide`, absent when it is open)."""
    headers = {"X-Total-Count": str(total)}
    if validated is not None:
        headers[DAY_HEADER] = f"valide_par={validated['valide_par']}; valide_le={validated['valide_le']}"
    return web.Response(text=text, content_type="application/json", headers=headers)


def list_response(items: list, total: Optional[int] = None) -> web.Response:
    """A JSON array (what the seed's clients iterate) with the total in X-Total-Count (the
    length of the list when it is complete)."""
    return json_response(items, headers={"X-Total-Count": str(len(items) if total is None else total)})


def url(request: web.Request, route: str, /, **parts: Any) -> str:
    """The path of a named route, e.g. url(request, "mission", id=12)."""
    return str(request.app.router[route].url_for(**{key: str(value) for key, value in parts.items()}))
