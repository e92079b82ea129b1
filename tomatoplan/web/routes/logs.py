"""Route of the server log (administrators): its last lines, followed live by the Journaux
page, which asks every few seconds for the lines after the last one it has.

A successful call is left out of the access log (see `serving.AccessLog`): the page's
polling would otherwise fill the very log it shows.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ...base.config import LOG_LEVELS
from ...base.fields import MAX_ID, Choice, Integer
from ...base.logs import RING_LINE_CHARS, RING_LINES
from ...base.permissions import Permission
from ...base.schema import Query
from ..endpoint import endpoint
from ..http import json_response
from ..state import SERVER_LOG

routes = web.RouteTableDef()
TAG = "Administration : journaux"

SERVER_LOG_QUERY = Query({
    "apres": Integer("Seulement les lignes d'identifiant supérieur : le `dernier` de la réponse "
                     "précédente (0 : la fin du journal)", minimum=0, maximum=MAX_ID, default=0),
    "limit": Integer("Nombre maximum de lignes (les plus récentes)", minimum=1, maximum=RING_LINES,
                     default=200),
    "niveau": Choice(LOG_LEVELS, "Niveau minimum des lignes (par défaut : toutes)"),
})
LINE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer", "description": "Croissant, de 1 au démarrage du serveur"},
    "at": {"type": "string", "format": "date-time"},
    "niveau": {"type": "string", "description": "DEBUG, INFO, WARNING, ERROR ou CRITICAL"},
    "source": {"type": "string", "description": "Le module qui écrit (aiohttp.access : une requête)"},
    "message": {"type": "string", "description": f"Coupé au-delà de {RING_LINE_CHARS} caractères "
                                                 "(…) ; suivi de la trace d'une exception"}}}
SERVER_LOG_SCHEMA = {"type": "object", "required": ["lignes", "dernier"], "properties": {
    "lignes": {"type": "array", "items": LINE_SCHEMA,
               "description": "De la plus ancienne à la plus récente"},
    "dernier": {"type": "integer",
                "description": "Le dernier identifiant donné : `apres` de l'appel suivant"}}}


@routes.get("/admin/server-log", name="admin_server_log")
@endpoint(Permission.ADMIN, "Journal du serveur (dernières lignes)", tag=TAG, query=SERVER_LOG_QUERY,
          description=f"Les {RING_LINES} dernières lignes de server.log, gardées en mémoire (dont la "
                      "fin du fichier au démarrage). Pour suivre le journal, rappeler avec `apres` = "
                      "`dernier`. Un `apres` plus grand que `dernier` (le serveur a redémarré) donne la "
                      "fin du journal.",
          responses={200: ("Lignes du journal", SERVER_LOG_SCHEMA, "application/json")})
async def server_log(request: web.Request) -> web.Response:
    query = SERVER_LOG_QUERY.validate(request.query)
    min_level = logging.getLevelName(query["niveau"]) if "niveau" in query else logging.NOTSET
    lines, last = request.app[SERVER_LOG].after(query["apres"], query["limit"], min_level)
    return json_response({"lignes": lines, "dernier": last}, headers={"Cache-Control": "no-store"})
