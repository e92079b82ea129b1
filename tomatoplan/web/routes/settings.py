"""Routes of the configuration (administrators): /admin/config, what the Configuration page
shows and changes."""

from __future__ import annotations

from aiohttp import web

from ...base.permissions import Permission
from ...rules.backups import AUTO_BACKUP_JOB
from ...rules.settings import CHANGE_SCHEMA
from ..auth import client_address, writer
from ..endpoint import endpoint
from ..http import json_response, read_json
from ..state import SCHEDULER, SETTINGS

routes = web.RouteTableDef()
TAG = "Administration : configuration"

CONFIG_SCHEMA = {"type": "object", "properties": {
    "parametres": {"type": "array", "items": {"type": "object", "properties": {
        "nom": {"type": "string", "examples": ["TOMATOPLAN_AUTO_BACKUP_HOUR"]},
        "cle": {"type": "string", "description": "Nom du réglage dans PATCH /admin/config"},
        "valeur": {"type": "string", "description": "Valeur en vigueur, écrite comme dans .env"},
        "masquee": {"type": "boolean", "description": "Secret : la valeur n'est jamais montrée"},
        "defaut": {"type": "string"},
        "source": {"type": "string",
                   "enum": ["défaut", "environnement", "fichier .env", "administration"]},
        "description": {"type": "string"},
        "modifiable": {"type": "boolean", "description": "Modifiable sans redémarrage"},
        "valeur_fichier": {"type": "string",
                           "description": "Si modifiée : la valeur de l'environnement ou de .env"},
        "modifiee_le": {"type": "string", "format": "date-time"},
        "modifiee_par": {"type": "string"}}}},
    "modifiables": {"type": "object", "description": "Les réglages modifiables, en JSON"},
    "prochaine_sauvegarde": {"type": ["string", "null"],
                             "description": "Prochaine sauvegarde automatique (heure locale du "
                                            "serveur), null si elle est désactivée"}}}


def _answer(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = settings.describe()
    upcoming = (request.app[SCHEDULER].next_run(AUTO_BACKUP_JOB)
                if settings.config.auto_backup_enabled else None)
    body["prochaine_sauvegarde"] = upcoming.isoformat(timespec="minutes") if upcoming else None
    return json_response(body, headers={"Cache-Control": "no-store"})


@routes.get("/admin/config", name="admin_config")
@endpoint(Permission.ADMIN, "Configuration en vigueur", tag=TAG,
          description="Chaque variable TOMATOPLAN_* : sa valeur en vigueur (les secrets masqués), "
                      "d'où elle vient (défaut, environnement, fichier .env, administration) et si "
                      "elle se modifie sans redémarrage.",
          responses={200: ("Configuration", CONFIG_SCHEMA, "application/json")})
async def get_config(request: web.Request) -> web.Response:
    return _answer(request)


@routes.patch("/admin/config", name="admin_config_change")
@endpoint(Permission.ADMIN, "Modifier des réglages sans redémarrer", tag=TAG, body=CHANGE_SCHEMA,
          description="Heure et conservation des sauvegardes automatiques, niveau de log, réseaux "
                      "autorisés, durée des jetons. Appliqué aussitôt, gardé dans la base (prioritaire "
                      "sur l'environnement et .env, y compris après un redémarrage), écrit au journal "
                      "d'activité. null revient à la valeur de l'environnement ou de .env. Les réseaux "
                      "autorisés doivent garder l'adresse de l'administrateur qui les change (422 "
                      "sinon) ; la nouvelle durée vaut pour les jetons émis ensuite.",
          responses={200: ("Configuration après le changement", CONFIG_SCHEMA, "application/json")})
async def change_config(request: web.Request) -> web.Response:
    values = CHANGE_SCHEMA.validate(await read_json(request), partial=True)
    db, actor = writer(request)
    await request.app[SETTINGS].change(db, actor, values, client_address(request))
    return _answer(request)
