"""What the planning route modules share: record answers with their ETag, the OpenAPI shape of
a record, the history answer, and reading a body whose finance fields depend on the role."""

from __future__ import annotations

import datetime
from typing import Any, Optional

from aiohttp import web

from . import activity, keys
from .api import MAX_ID, array_of, list_response
from .auth import current_auth
from .errors import Forbidden, ValidationFailed, read_json
from .permissions import Permission
from .schema import FieldError, Integer, Schema, parse_date

META_PROPERTIES = {
    "version": {"type": "integer", "readOnly": True,
                "description": "Version de l'enregistrement (aussi dans l'en-tête ETag)"},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"type": "string", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_by": {"type": "string", "readOnly": True},
}

HISTORY_SCHEMA = array_of({"type": "object", "properties": {
    "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
    "username": {"type": "string"}, "hostname": {"type": "string"}, "address": {"type": "string"},
    "action": {"type": "string", "enum": ["create", "update", "delete"]},
    "entity": {"type": "string"}, "entity_id": {"type": "integer"}, "summary": {"type": "string"},
    "changes": {"type": ["object", "null"], "description": "{before: {...}, after: {...}} des "
                "champs changés ; `forced` : contrôles d'affectation passés outre"}}})


def id_field(description: str, **kwargs: Any) -> Integer:
    """An id in a body or query string: a positive integer SQLite can hold."""
    return Integer(description, minimum=1, maximum=MAX_ID, **kwargs)


def record_schema(body: Schema, extra: Optional[dict] = None) -> dict:
    """The JSON schema of a record: its id, the body's fields, `extra`, then the version and
    who made and changed it."""
    properties: dict[str, Any] = {"id": {"type": "integer", "readOnly": True}}
    properties.update(body.json_schema()["properties"])
    properties.update(extra or {})
    properties.update(META_PROPERTIES)
    return {"type": "object", "properties": properties}


def path_date(request: web.Request, name: str = "date") -> datetime.date:
    """A date from the path; 422 naming it when impossible (2024-02-30)."""
    try:
        return parse_date(request.match_info[name])
    except FieldError as exc:
        raise ValidationFailed([{"field": name, "code": exc.code, "detail": exc.detail}]) from None


def can_read_finance(request: web.Request) -> bool:
    return current_auth(request).can(Permission.READ_FINANCE)


async def read_body(request: web.Request, schema: Schema, *, partial: bool = False,
                    guarded: tuple = ()) -> dict:
    """The validated JSON body. Fields of `guarded` need the finance write permission: carried
    without it they are listed as `not_permitted`, with every other bad field."""
    payload = await read_json(request)
    errors: list = []
    cleaned: dict = {}
    try:
        cleaned = schema.validate(payload, partial=partial)
    except ValidationFailed as exc:
        errors = list(exc.errors)
    if guarded and isinstance(payload, dict) and not current_auth(request).can(Permission.WRITE_FINANCE):
        denied = [key for key in guarded if key in payload]
        errors = [error for error in errors if error["field"] not in denied]
        errors += [{"field": key, "code": "not_permitted",
                    "detail": "Votre rôle ne permet pas de modifier les champs financiers."}
                   for key in denied]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


async def refuse_unless(request: web.Request, permission: Permission, what: str, code: str) -> None:
    """403 (and its activity line) when the caller lacks a permission a handler checks itself."""
    auth = current_auth(request)
    if auth.can(permission):
        return
    await activity.record_refusal(request.app[keys.DB], auth.actor,
                                  f"Accès refusé : {request.method} {request.path_qs} ({code})")
    raise Forbidden(f"Votre rôle ({auth.role}) ne permet pas : {what}.", code=code,
                    permission=permission.value)


def history_response(lines: list) -> web.Response:
    return list_response(lines, len(lines))

