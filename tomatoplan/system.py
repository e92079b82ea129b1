"""Routes of the server itself: health, the OpenAPI document, its Swagger UI, static files."""

from __future__ import annotations

import datetime
import hashlib
import logging
import mimetypes
import time

from aiohttp import web

from . import __version__, keys, resources
from .api import endpoint, json_response, openapi_document
from .permissions import PUBLIC

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

HEALTH_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "error"]},
        "version": {"type": "string"},
        "uptime_seconds": {"type": "number"},
        "started_at": {"type": "string", "format": "date-time"},
        "schema_version": {"type": "integer"},
        "database": {"type": "object", "properties": {
            "status": {"type": "string"}, "journal_mode": {"type": "string"},
            "detail": {"type": "string"}}},
    },
}


@routes.get("/health", name="health")
@endpoint(PUBLIC, "État du serveur", tag="Système",
          description="Pour la supervision : 200 quand la base répond, 503 sinon.",
          responses={200: ("Serveur opérationnel", HEALTH_SCHEMA, "application/json"),
                     503: ("Base inutilisable", HEALTH_SCHEMA, "application/json")})
async def health(request: web.Request) -> web.Response:
    db = request.app[keys.DB]
    monotonic_start, wall_start = request.app[keys.STARTED]
    body = {
        "status": "ok",
        "version": __version__,
        "uptime_seconds": round(time.monotonic() - monotonic_start, 1),
        "started_at": wall_start.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "schema_version": db.schema_version,
        "database": {"status": "ok", "journal_mode": db.journal_mode},
    }
    try:
        await db.ping()
    except Exception as exc:
        log.error("health check: database unusable: %s", exc)
        body["status"] = "error"
        body["database"] = {"status": "error", "detail": "La base de données ne répond pas."}
        return json_response(body, status=503, headers={"Cache-Control": "no-store"})
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
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/docs-init.js"></script>
</body>
</html>
"""


@routes.get("/docs", name="docs")
@endpoint(PUBLIC, "Documentation interactive (Swagger UI)", tag="Système",
          responses={200: ("Page HTML", None, "text/html")})
async def docs(request: web.Request) -> web.Response:
    assets = request.app.router["docs_asset"].url_for(name="x").path.rsplit("/", 1)[0]
    return web.Response(text=DOCS_PAGE.format(assets=assets), content_type="text/html",
                        headers={"Cache-Control": "no-cache"})


def _swagger_asset(name: str) -> bytes:
    """A Swagger UI file: inside the zipapp under static/vendor/, else from the installed package."""
    try:
        return resources.read_bytes(f"static/vendor/swagger-ui/{name}")
    except resources.ResourceNotFound:
        if resources.in_archive():
            raise
    try:
        import swagger_ui_bundle  # only in a checkout: the build copies its files into the archive
    except ImportError:
        raise resources.ResourceNotFound(name) from None
    import os

    path = os.path.join(swagger_ui_bundle.swagger_ui_path, resources.clean_relpath(name))
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        raise resources.ResourceNotFound(name) from None


DOCS_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png")


@routes.get("/docs/assets/{name}", name="docs_asset")
@endpoint(PUBLIC, "Fichiers de Swagger UI", tag="Système",
          responses={200: ("Fichier", None, "application/octet-stream")})
async def docs_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name == "docs-init.js":
        return _file_response(request, name, resources.read_bytes("static/docs-init.js"))
    if name not in DOCS_ASSETS:
        raise web.HTTPNotFound()
    try:
        content = _swagger_asset(name)
    except resources.ResourceNotFound:
        log.error("Swagger UI file %s is missing from this build", name)
        raise web.HTTPNotFound() from None
    return _file_response(request, name, content, max_age=86400)


@routes.get("/static/{path:.+}", name="static")
@endpoint(PUBLIC, "Fichiers statiques de l'interface d'administration", tag="Système",
          responses={200: ("Fichier", None, "application/octet-stream")})
async def static_file(request: web.Request) -> web.StreamResponse:
    try:
        content = resources.read_bytes("static/" + request.match_info["path"])
    except resources.ResourceNotFound:
        raise web.HTTPNotFound() from None
    return _file_response(request, request.match_info["path"], content)


def _file_response(request: web.Request, name: str, content: bytes, max_age: int = 0) -> web.Response:
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    cache = f"public, max-age={max_age}" if max_age else "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    content_type, _ = mimetypes.guess_type(name)
    return web.Response(body=content, content_type=content_type or "application/octet-stream",
                        headers=headers)


def started_now() -> tuple[float, datetime.datetime]:
    return time.monotonic(), datetime.datetime.now(datetime.timezone.utc)
