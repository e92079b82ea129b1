"""The administration pages (HTML) and the root.

Scheme: the pages have French paths under /admin (`/admin`, and the sections to come:
`/admin/utilisateurs`, `/admin/logs`, `/admin/sauvegardes`...), the JSON API keeps its own
(`/admin/users`, `/admin/sessions`, `/admin/backups`), so a bearer-token client always gets
JSON from the seed's routes. `/` sends a browser to /admin and an API client a short index.
"""

from __future__ import annotations

from aiohttp import web

from ... import __version__
from ...base.config import LOG_LEVELS
from ...base.permissions import PUBLIC, ROLE_LABELS, ROLES
from ..endpoint import endpoint
from ..http import json_response
from ..pages import render, wants_html

routes = web.RouteTableDef()
TAG = "Système"
# The navigation: each screen of the administration, in the order shown.
PAGES = (("/admin", "Tableau de bord"), ("/admin/utilisateurs", "Utilisateurs"),
         ("/admin/connexions", "Sessions"), ("/admin/logs", "Journaux"),
         ("/admin/sauvegardes", "Sauvegardes"), ("/admin/configuration", "Configuration"))
TO_ADMIN = '<!DOCTYPE html><html lang="fr"><title>Administration</title><a href="/admin">/admin</a></html>'

INDEX_SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "version": {"type": "string"},
    "links": {"type": "object", "additionalProperties": {"type": "string"}}}}


@routes.get("/", name="index")
@endpoint(PUBLIC, "Point d'entrée", tag=TAG,
          description="Un navigateur est renvoyé vers /admin ; un client de l'API reçoit le nom, "
                      "la version et les liens utiles.",
          responses={200: ("Index de l'API", INDEX_SCHEMA, "application/json"),
                     302: ("Vers l'administration (navigateur)", None, "text/html")})
# (the 302 answers only an Accept that puts text/html first: no API client gets it)
async def index(request: web.Request) -> web.StreamResponse:
    if wants_html(request):
        raise web.HTTPFound("/admin", text=TO_ADMIN, content_type="text/html")
    return json_response({"name": "TomatoPlan Server", "version": __version__,
                          "links": {"documentation": "/docs", "openapi": "/openapi.json",
                                    "health": "/health", "administration": "/admin"}})


@routes.get("/admin", name="admin_page")
@endpoint(PUBLIC, "Administration : tableau de bord (page HTML)", tag=TAG,
          description="Formulaire de connexion, puis le tableau de bord en direct ; réservé au "
                      "rôle administrateur (les autres rôles voient un refus).",
          responses={200: ("Page HTML", None, "text/html")})
async def admin_page(request: web.Request) -> web.Response:
    return page(request, "admin.html", "/admin")


@routes.get("/admin/", name="admin_page_slash")
@endpoint(PUBLIC, "Administration (la même page, adresse avec /)", tag=TAG,
          responses={200: ("Page HTML", None, "text/html")})
async def admin_page_slash(request: web.Request) -> web.Response:
    return page(request, "admin.html", "/admin")


@routes.get("/admin/connexions", name="admin_sessions_page")
@endpoint(PUBLIC, "Administration : sessions ouvertes (page HTML)", tag=TAG,
          description="Qui est connecté, depuis quel poste et depuis quand ; révoquer une session.",
          responses={200: ("Page HTML", None, "text/html")})
async def sessions_page(request: web.Request) -> web.Response:
    return page(request, "connexions.html", "/admin/connexions")


@routes.get("/admin/utilisateurs", name="admin_users_page")
@endpoint(PUBLIC, "Administration : utilisateurs (page HTML)", tag=TAG,
          description="Liste, création, changement de rôle, désactivation (règles de l'API).",
          responses={200: ("Page HTML", None, "text/html")})
async def users_page(request: web.Request) -> web.Response:
    return page(request, "utilisateurs.html", "/admin/utilisateurs",
                role_options=[(role, f"{ROLE_LABELS[role]} ({role})") for role in ROLES])


@routes.get("/admin/logs", name="admin_logs_page")
@endpoint(PUBLIC, "Administration : journaux (page HTML)", tag=TAG,
          description="Le journal d'activité avec ses filtres (utilisateur, action, type, dates) "
                      "et la fin du journal du serveur, en direct.",
          responses={200: ("Page HTML", None, "text/html")})
async def logs_page(request: web.Request) -> web.Response:
    return page(request, "journaux.html", "/admin/logs")


@routes.get("/admin/sauvegardes", name="admin_backups_page")
@endpoint(PUBLIC, "Administration : sauvegardes (page HTML)", tag=TAG,
          description="Liste, création avec description, téléchargement, import, suppression et "
                      "restauration (confirmée en tapant le nom de la sauvegarde).",
          responses={200: ("Page HTML", None, "text/html")})
async def backups_page(request: web.Request) -> web.Response:
    return page(request, "sauvegardes.html", "/admin/sauvegardes")


@routes.get("/admin/configuration", name="admin_config_page")
@endpoint(PUBLIC, "Administration : configuration (page HTML)", tag=TAG,
          description="La configuration en vigueur (secrets masqués) et les réglages modifiables "
                      "sans redémarrage.",
          responses={200: ("Page HTML", None, "text/html")})
async def config_page(request: web.Request) -> web.Response:
    return page(request, "configuration.html", "/admin/configuration",
                log_levels=[(level, level) for level in LOG_LEVELS])


def page(request: web.Request, template: str, current: str, **context: object) -> web.Response:
    return render(request, template, {"pages": PAGES, "current": current, **context})
