"""What each route declares (permission, documentation) and the OpenAPI document built from it.

Every handler is wrapped by `endpoint(...)`: the auth middleware reads its permission, and
`openapi_document` walks the app's router and describes each route from the same
declaration, so a route cannot exist without both.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Callable, Optional, Sequence, Union

from aiohttp import web

from . import __version__
from .errors import BadRequest, NotFound
from .permissions import AUTHENTICATED, PUBLIC, Permission, markdown_table, roles_with
from .schema import Query, Schema

ENDPOINT_ATTR = "__tomatoplan_endpoint__"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    permission: Union[Permission, str]
    summary: str
    tag: str
    description: str = ""
    body: Optional[Schema] = None
    body_partial: bool = False
    query: Optional[Query] = None
    # status -> (description, JSON schema or None, media type)
    responses: dict = dataclasses.field(default_factory=dict)
    errors: Sequence[int] = ()
    etag: bool = False


def endpoint(permission: Union[Permission, str], summary: str, *, tag: str,
             description: str = "", body: Optional[Schema] = None, body_partial: bool = False,
             query: Optional[Query] = None, responses: Optional[dict] = None,
             errors: Sequence[int] = (), etag: bool = False) -> Callable:
    """Declare a handler's permission and its documentation."""
    if not isinstance(permission, Permission) and permission not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown permission {permission!r}")
    declared = Endpoint(permission, summary, tag, description, body, body_partial, query,
                        responses or {200: ("OK", None, "application/json")}, tuple(errors), etag)

    def wrap(handler: Callable) -> Callable:
        setattr(handler, ENDPOINT_ATTR, declared)
        return handler

    return wrap


def endpoint_of(handler: Any) -> Optional[Endpoint]:
    return getattr(handler, ENDPOINT_ATTR, None)


def json_response(payload: Any, *, status: int = 200, headers: Optional[dict] = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload, ensure_ascii=False, default=str),
                        content_type="application/json", headers=headers)


# --- OpenAPI -------------------------------------------------------------------------------

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
    400: "Corps mal formé (JSON invalide)",
    401: "Jeton absent, invalide, expiré ou révoqué",
    403: "Rôle insuffisant",
    404: "Introuvable",
    409: "Conflit métier",
    412: "Version périmée (If-Match ne correspond plus)",
    413: "Corps trop volumineux",
    422: "Champs invalides (un élément par champ)",
    428: "If-Match requis",
    429: "Trop de tentatives",
    503: "Base de données indisponible",
}

_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


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
         "schema": {"type": "integer"} if name.endswith("id") else {"type": "string"}}
        for name in _PATH_PARAM.findall(path)
    ]
    if declared.query is not None:
        parameters.extend(declared.query.openapi_parameters())
    if declared.etag and route.method in ("PUT", "DELETE", "PATCH"):
        parameters.append({"name": "If-Match", "in": "header", "required": False,
                           "description": "ETag reçu au GET : refuse (412) si l'enregistrement a changé",
                           "schema": {"type": "string"}})
    if parameters:
        operation["parameters"] = parameters
    if declared.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {
                "schema": declared.body.json_schema(for_update=declared.body_partial)}},
        }

    responses: dict[str, Any] = {}
    for status, (description, schema, media) in declared.responses.items():
        entry: dict[str, Any] = {"description": description}
        if media:
            entry["content"] = {media: {"schema": schema or {}}}
        responses[str(status)] = entry
    errors = set(declared.errors)
    if declared.body is not None:
        errors |= {400, 413, 422}
    if declared.etag and route.method in ("PUT", "DELETE", "PATCH"):
        errors |= {400, 412}
    if declared.query is not None:
        errors.add(422)
    if declared.permission != PUBLIC:
        errors.add(401)
    if isinstance(declared.permission, Permission):
        errors.add(403)
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


# --- request helpers -----------------------------------------------------------------------

MAX_ID = 2**63 - 1


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the path (the route's regex already keeps it to digits)."""
    raw = request.match_info[name]
    # int() refuses over 4300 digits on recent Pythons; no id has more than 19.
    if len(raw) > 19 or int(raw) > MAX_ID:
        raise NotFound("Introuvable.")
    return int(raw)


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: web.Request) -> Optional[int]:
    """The version named by If-Match, None when absent or `*`; 400 when unreadable."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise BadRequest('En-tête If-Match invalide : attendu l\'ETag reçu au GET, ex. "3".',
                         code="bad_if_match")
    return int(value)


def record_response(record: dict, *, status: int = 200, location: Optional[str] = None
                    ) -> web.Response:
    """A record with its version as ETag (and its address after a creation)."""
    headers = {"ETag": etag(record["version"])}
    if location is not None:
        headers["Location"] = location
    return json_response(record, status=status, headers=headers)


def url(request: web.Request, name: str, **parts: Any) -> str:
    return str(request.app.router[name].url_for(**{key: str(value) for key, value in parts.items()}))


def list_response(items: list, total: int) -> web.Response:
    """A JSON array (what the seed's clients iterate) with the total in X-Total-Count."""
    return json_response(items, headers={"X-Total-Count": str(total)})


def array_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}
