"""The administration pages (HTML) and the root.

Scheme: the pages have French paths under /admin (`/admin`, `/admin/utilisateurs`,
`/admin/connexions`, `/admin/logs` as the seed names it, `/admin/sauvegardes`,
`/admin/configuration`), the JSON API keeps its own (`/admin/users`, `/admin/sessions`,
`/admin/backups`, `/admin/config`, `/admin/server-log`), so a bearer-token client always gets
JSON from the seed's routes. `/` sends a browser to /admin and an API client a short index.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from aiohttp import web

from ... import __version__
from ...base.config import LOG_LEVELS
from ...base.permissions import PUBLIC, ROLE_LABELS, ROLES
from ..endpoint import endpoint
from ..http import json_response
from ..pages import render, wants_html

routes = web.RouteTableDef()
TAG = "Système"


@dataclasses.dataclass(frozen=True)
class Screen:
    """One screen of the administration: its page, its template, what the OpenAPI document
    says of it, and what its template needs besides the navigation."""

    path: str
    label: str
    template: str
    description: str
    context: Callable[[], dict] = dict


# Each screen, in the order of the navigation.
SCREENS = (
    Screen("/admin", "Tableau de bord", "admin.html",
           "Formulaire de connexion, puis le tableau de bord en direct ; réservé au rôle "
           "administrateur (les autres rôles voient un refus)."),
    Screen("/admin/utilisateurs", "Utilisateurs", "utilisateurs.html",
           "Liste, création, changement de rôle, désactivation (règles de l'API).",
           lambda: {"role_options": [(role, f"{ROLE_LABELS[role]} ({role})") for role in ROLES]}),
    Screen("/admin/connexions", "Sessions", "connexions.html",
           "Qui est connecté, depuis quel poste et depuis quand ; révoquer une session."),
    Screen("/admin/logs", "Journaux", "journaux.html",
           "Le journal d'activité avec ses filtres (utilisateur, action, type, dates) et la fin du "
           "journal du serveur, en direct."),
    Screen("/admin/sauvegardes", "Sauvegardes", "sauvegardes.html",
           "Liste, création avec description, téléchargement, import, suppression et restauration "
           "(confirmée en tapant le nom de la sauvegarde)."),
    Screen("/admin/configuration", "Configuration", "configuration.html",
           "La configuration en vigueur (secrets masqués) et les réglages modifiables sans "
           "redémarrage.",
           lambda: {"log_levels": [(level, level) for level in LOG_LEVELS]}),
)
PAGES = tuple((screen.path, screen.label) for screen in SCREENS)
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


def _add_screen(screen: Screen, path: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return render(request, screen.template,
                      {"pages": PAGES, "current": screen.path, **screen.context()})

    summary = f"Administration : {screen.label.lower()} (page HTML)"
    name = "admin_page" + screen.path[len("/admin"):].replace("/", "_")
    if path != screen.path:
        summary, name = "Administration (la même page, adresse avec /)", name + "_slash"
    routes.get(path, name=name)(
        endpoint(PUBLIC, summary, tag=TAG, description=screen.description,
                 responses={200: ("Page HTML", None, "text/html")})(handler))


for _screen in SCREENS:
    _add_screen(_screen, _screen.path)
_add_screen(SCREENS[0], "/admin/")
