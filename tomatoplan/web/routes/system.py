"""Routes of the server itself: health, the OpenAPI document, its Swagger UI, the PTT client,
static files."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import time

from aiohttp import web

from ... import __version__
from ...base import resources
from ...base.permissions import PUBLIC
from ...rules import storage
from ..endpoint import endpoint
from ..health import HEALTH
from ..http import json_response
from ..openapi import openapi_document
from ..state import DB, STARTED

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

HEALTH_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "error"],
                   "description": "degraded : le serveur répond, mais la sauvegarde automatique a "
                                  "échoué ou a plus de 26 heures (voir `sauvegardes`), ou le "
                                  "disque est plein (voir `disque`)"},
        "version": {"type": "string"},
        "uptime_seconds": {"type": "number"},
        "started_at": {"type": "string", "format": "date-time"},
        "schema_version": {"type": "integer"},
        "database": {"type": "object", "properties": {
            "status": {"type": "string"}, "journal_mode": {"type": "string"},
            "detail": {"type": "string"}}},
        "disque": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["ok", "full"]},
            "libre_octets": {"type": ["integer", "null"]},
            "depuis": {"type": "string", "format": "date-time"},
            "detail": {"type": "string"}}},
        "sauvegardes": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded", "disabled"]},
            "detail": {"type": "string"},
            "last": {"type": ["object", "null"],
                     "description": "Dernière sauvegarde automatique (faite ou échouée)"}}},
    },
}


@routes.get("/health", name="health")
@endpoint(PUBLIC, "État du serveur", tag="Système",
          description="Pour la supervision : 200 quand la base répond (`status` ok, ou degraded "
                      "quand la sauvegarde automatique a échoué ou a plus de 26 heures, ou quand "
                      "les écritures sont refusées faute d'espace disque), 503 sinon.",
          responses={200: ("Serveur opérationnel", HEALTH_SCHEMA, "application/json"),
                     503: ("Base inutilisable", HEALTH_SCHEMA, "application/json")})
async def health(request: web.Request) -> web.Response:
    db = request.app[DB]
    checked = await request.app[HEALTH].current()  # at most one database check a second
    monotonic_start, wall_start = request.app[STARTED]
    body = {
        "status": "ok",
        "version": __version__,
        "uptime_seconds": round(time.monotonic() - monotonic_start, 1),
        "started_at": wall_start.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "schema_version": db.schema_version,
        "database": {"status": "ok", "journal_mode": db.journal_mode},
    }
    if not checked.database_ok:
        body["status"] = "error"
        body["database"] = {"status": "error", "detail": "La base de données ne répond pas."}
        return json_response(body, status=503, headers={"Cache-Control": "no-store"})
    body["disque"] = storage.storage(db, checked.free_bytes, measured=True)
    body["sauvegardes"] = checked.sauvegardes
    if body["sauvegardes"]["status"] == "degraded" or body["disque"]["status"] == "full":
        body["status"] = "degraded"
    return json_response(body, headers={"Cache-Control": "no-store"})


@routes.get("/openapi.json", name="openapi")
@endpoint(PUBLIC, "Document OpenAPI 3.1 de l'API", tag="Système",
          responses={200: ("Document OpenAPI", {"type": "object"}, "application/json")})
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document(request.app))


DOCS_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>TomatoPlan Server - API</title>
<link rel="icon" type="image/png" href="{vendor}/favicon-32x32.png">
<link rel="stylesheet" href="{vendor}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{vendor}/swagger-ui-bundle.js"></script>
<script src="{init}"></script>
</body>
</html>
"""


@routes.get("/docs", name="docs")
@endpoint(PUBLIC, "Documentation interactive (Swagger UI)", tag="Système",
          responses={200: ("Page HTML", None, "text/html")})
async def docs(request: web.Request) -> web.Response:
    static = request.app.router["static"]
    page = DOCS_PAGE.format(vendor=static.url_for(path="vendor/swagger-ui").path,
                            init=static.url_for(path="docs-init.js").path)
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-cache"})


@routes.get("/client.py", name="python_client")
@endpoint(PUBLIC, "Client Python pour PTT (un seul fichier)", tag="Système",
          description="tomatoplan/client.py, bibliothèque standard seule (Python 3.9 ou plus) : à "
                      "enregistrer à côté de PTT sous le nom tomatoplan_client.py, puis "
                      "`from tomatoplan_client import TomatoPlanClient`.",
          responses={200: ("Le module Python", None, "text/x-python")})
async def python_client(request: web.Request) -> web.Response:
    content, etag = _static_content("tomatoplan/client.py")
    headers = {"ETag": etag, "Cache-Control": "no-cache",
               "Content-Disposition": 'attachment; filename="tomatoplan_client.py"'}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=content, content_type="text/x-python", charset="utf-8", headers=headers)


@routes.get("/static/{path:.+}", name="static")
@endpoint(PUBLIC, "Fichiers statiques de l'interface d'administration", tag="Système",
          responses={200: ("Fichier", None, "application/octet-stream")})
async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["path"]
    try:
        content, etag = _static_content("static/" + name)
    except resources.ResourceNotFound:
        raise web.HTTPNotFound() from None
    # Vendored files change only with a new release of the server: let browsers keep them.
    cache = "public, max-age=86400" if name.startswith("vendor/") else "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    content_type, _ = mimetypes.guess_type(name)
    return web.Response(body=content, content_type=content_type or "application/octet-stream",
                        headers=headers)


# The archive never changes while the server runs: read, inflate and hash each file once
# (the Swagger bundle is 1.5 MB). A checkout reads afresh, so edited files show at once.
_archived_static: dict[str, tuple[bytes, str]] = {}


def _static_content(relpath: str) -> tuple[bytes, str]:
    found = _archived_static.get(relpath)
    if found is None:
        content = resources.read_bytes(relpath)
        found = (content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"')
        if resources.in_archive():
            _archived_static[relpath] = found
    return found
