"""The OpenAPI 3.1 document, built from the routes' `endpoint` declarations, and the schema
shapes the route modules share (records with their version, history, problems).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from aiohttp import web

from .. import __version__
from ..base.formats import DATE_PATTERN
from ..base.permissions import AUTHENTICATED, PUBLIC, Permission, markdown_table, roles_with
from ..base.schema import Schema
from ..rules import backup_folder
from .endpoint import Endpoint, endpoint_of


def array_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}


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


def record_schema(body: Schema, extra: Optional[dict] = None) -> dict:
    """The JSON schema of a record: its id, the body's fields, `extra`, then the version and
    who made and changed it."""
    properties: dict[str, Any] = {"id": {"type": "integer", "readOnly": True}}
    properties.update(body.json_schema()["properties"])
    properties.update(extra or {})
    properties.update(META_PROPERTIES)
    return {"type": "object", "properties": properties}


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "Erreur au format RFC 9457 (application/problem+json).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Code stable, lisible par une machine"},
        "detail": {"type": "string", "description": "Explication en français"},
        "errors": {
            "type": "array",
            "description": "Pour 422 : un élément par champ invalide",
            "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "code": {"type": "string"},
                "detail": {"type": "string"}}},
        },
    },
    "required": ["type", "title", "status", "code", "detail"],
}

ERROR_DESCRIPTIONS = {
    400: "Requête mal formée : corps JSON invalide, ou ligne de requête / en-tête HTTP illisible "
         "ou de plus de 8190 octets",
    401: "Jeton absent, invalide, expiré ou révoqué",
    403: "Rôle insuffisant, ou adresse hors des réseaux autorisés",
    404: "Introuvable",
    408: "Corps de la requête reçu trop lentement",
    409: "Conflit métier",
    412: "Version périmée (If-Match ne correspond plus)",
    413: "Corps trop volumineux",
    422: "Champs invalides (un élément par champ)",
    428: "If-Match requis",
    429: "Trop de tentatives",
    503: "Base de données indisponible",
    507: "Espace disque insuffisant : rien n'a été enregistré",
}

# Path parameters, by name, as the routes check them (ids: digits, 404 when none has it).
ID_SCHEMA = {"type": "integer", "minimum": 0}
PATH_SCHEMAS = {
    "date": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
    "name": {"type": "string", "pattern": f"^{backup_folder.NAME_PATTERN.pattern}$",
             "examples": ["backup_20240115_120000.db"]},
}
# A weak tag is well formed, and refused by the rule (412 weak_etag): RFC 9110.
IF_MATCH_PATTERN = r'^(?:\*|(?:W/)?"[0-9]{1,18}"|[0-9]{1,18})$'
_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def _conditional(declared: Endpoint) -> bool:
    """A list (its ETag a hash) or a versioned record (its ETag the version): web.conditional
    answers 304 to a matching If-None-Match."""
    answer = declared.responses.get(200)
    schema = answer[1] if answer is not None else None
    return isinstance(schema, dict) and (
        schema.get("type") == "array" or "version" in schema.get("properties", {}))


def _operation(route: web.AbstractRoute, path: str, declared: Endpoint) -> dict:
    operation: dict[str, Any] = {
        "summary": declared.summary,
        "tags": [declared.tag],
        "operationId": route.name or f"{route.method.lower()}_{path}",
    }
    if declared.permission == PUBLIC:
        operation["security"] = []
        access = "Accès public, sans jeton."
    elif declared.permission == AUTHENTICATED:
        access = "Tout utilisateur connecté."
    else:
        roles = ", ".join(roles_with(declared.permission))
        access = f"Permission `{declared.permission.value}` (rôles : {roles})."
    operation["description"] = f"{declared.description}\n\n{access}".strip()
    operation["x-permission"] = (declared.permission.value
                                 if isinstance(declared.permission, Permission)
                                 else declared.permission)

    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": ID_SCHEMA if name.endswith("id") else PATH_SCHEMAS.get(name, {"type": "string"})}
        for name in _PATH_PARAM.findall(path)
    ]
    if declared.query is not None:
        parameters.extend(declared.query.openapi_parameters())
    if declared.etag and route.method in ("PUT", "DELETE", "PATCH"):
        parameters.append({"name": "If-Match", "in": "header", "required": False,
                           "description": "ETag reçu au GET : refuse (412) si l'enregistrement a changé",
                           "schema": {"type": "string", "pattern": IF_MATCH_PATTERN,
                                      "examples": ['"1"']}})
    conditional = route.method == "GET" and _conditional(declared)
    if conditional:
        parameters.append({"name": "If-None-Match", "in": "header", "required": False,
                           "description": "ETag d'une réponse précédente : 304 sans corps si rien "
                                          "n'a changé",
                           "schema": {"type": "string", "examples": ['"l-0123456789abcdef01234567"']}})
    if parameters:
        operation["parameters"] = parameters
    if declared.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {
                "schema": declared.body.json_schema(for_update=declared.body_partial)}},
        }
    if declared.raw_body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {declared.raw_body: {"schema": {"type": "string", "format": "binary"}}},
        }

    responses: dict[str, Any] = {}
    for status, (description, schema, media) in declared.responses.items():
        entry: dict[str, Any] = {"description": description}
        if media:
            entry["content"] = {media: {"schema": schema or {}}}
        responses[str(status)] = entry
    if conditional:
        responses["304"] = {"description": "Inchangé depuis l'ETag envoyé dans If-None-Match"}
    errors = set(declared.errors)
    if declared.body is not None or declared.raw_body is not None:
        errors |= {400, 408, 413, 422}
    if route.method in ("POST", "PUT", "DELETE", "PATCH"):
        errors.add(507)
    errors.add(403)  # TOMATOPLAN_ALLOWED_NETWORKS, on every route
    errors.add(400)  # a request line or header HTTP cannot read, on every route
    if declared.etag and route.method in ("PUT", "DELETE", "PATCH"):
        errors |= {400, 412}
    if declared.query is not None:
        errors.add(422)
    if declared.permission != PUBLIC:
        errors.add(401)
    if any(p["in"] == "path" for p in parameters):
        errors.add(404)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Erreur"),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    operation["responses"] = responses
    return operation


def documented_routes(app: web.Application) -> list[tuple[str, str, web.AbstractRoute]]:
    """(METHOD, path template, route) of every route a client can call, HEAD aside."""
    found = []
    for route in app.router.routes():
        if route.method in ("HEAD", "*"):
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path is None:
            continue
        found.append((route.method, _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path), route))
    return found


def openapi_document(app: web.Application) -> dict:
    """The OpenAPI 3.1 description of every route, built from the endpoint declarations."""
    paths: dict[str, dict] = {}
    tags: dict[str, None] = {}
    for method, path, route in documented_routes(app):
        declared = endpoint_of(route.handler)
        if declared is None:
            raise RuntimeError(f"route {method} {path} has no endpoint() declaration")
        tags.setdefault(declared.tag, None)
        paths.setdefault(path, {})[method.lower()] = _operation(route, path, declared)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "TomatoPlan Server",
            "version": __version__,
            "description": (
                "API REST du planning transport (PTT). Connexion : `POST /auth/login` avec "
                "l'identifiant Windows, puis `Authorization: Bearer <access_token>`.\n\n"
                "## Rôles et permissions\n\n" + markdown_table()
            ),
        },
        "paths": dict(sorted(paths.items())),
        "tags": [{"name": tag} for tag in tags],
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "tomatoplan_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
