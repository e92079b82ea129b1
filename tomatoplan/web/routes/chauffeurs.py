"""Routes of the chauffeurs: /chauffeurs, /chauffeurs/{id}, their history, and the
availability of a day (/chauffeurs/disponibles/{date})."""

from __future__ import annotations

from aiohttp import web

from ...base.fields import Boolean, Text, id_field
from ...base.formats import EMAIL_PATTERN
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import activity, availability, chauffeurs
from ..auth import can_read_finance, writer
from ..endpoint import endpoint
from ..http import (
    if_match_version,
    json_list_response,
    list_response,
    path_date,
    path_id,
    read_body,
    record_response,
    url,
)
from ..openapi import HISTORY_SCHEMA, array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Chauffeurs"

CHAUFFEUR_BODY = Schema("Chauffeur", {
    "nom": Text("Nom", required=True, min_length=1, max_length=100, example="DUPONT"),
    "prenom": Text("Prénom", required=True, min_length=1, max_length=100, example="Jean"),
    "matricule": Text("Matricule (unique quand il est donné)", min_length=1, max_length=50,
                      nullable=True, example="M-0042"),
    "telephone": Text("Téléphone", max_length=40, nullable=True),
    "email": Text("Adresse e-mail", max_length=254, nullable=True,
                  pattern=EMAIL_PATTERN),
    "actif": Boolean("Actif (un chauffeur inactif ne peut pas être affecté)", default=True),
    "notes": Text("Notes", max_length=2000, nullable=True),
})
HELD_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "code": {"type": "string"},
    "date_expiration": {"type": ["string", "null"], "format": "date"}}}
CHAUFFEUR_SCHEMA = record_schema(CHAUFFEUR_BODY, {
    "competences": {**array_of(HELD_SCHEMA), "readOnly": True,
                    "description": "Compétences détenues (sous-ressource /competences)"}})
CHAUFFEURS_QUERY = Query({"actif": Boolean("Seulement les actifs (true) ou les inactifs (false)"),
                          **PAGING})

AVAILABILITY_QUERY = Query({
    "voyage_id": id_field("Seulement ceux qui ont les compétences du voyage (valides à la date) "
                          "et sont libres à ses heures"),
    "tous": Boolean("Inclure aussi les indisponibles, avec leurs raisons", default=False),
})
AVAILABILITY_SCHEMA = array_of({**CHAUFFEUR_SCHEMA, "properties": {
    **CHAUFFEUR_SCHEMA["properties"],
    "disponible": {"type": "boolean"},
    "raisons": array_of({"type": "object", "properties": {
        "code": {"type": "string", "enum": ["chauffeur_inactif", "chauffeur_absent",
                                            "competence_manquante", "competence_expiree",
                                            "chevauchement"]},
        "detail": {"type": "string"}}}),
    "missions": array_of({"type": "object", "description": "Missions déjà données ce jour-là"}),
}})


@routes.get("/chauffeurs", name="chauffeurs")
@endpoint(Permission.READ_PLANNING, "Liste des chauffeurs", tag=TAG, query=CHAUFFEURS_QUERY,
          responses={200: ("Chauffeurs par nom (total dans X-Total-Count)", array_of(CHAUFFEUR_SCHEMA),
                           "application/json")})
async def list_chauffeurs(request: web.Request) -> web.Response:
    query = CHAUFFEURS_QUERY.validate(request.query)
    found, total = await chauffeurs.list_chauffeurs(request.app[DB], actif=query.get("actif"),
                                                    limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post("/chauffeurs", name="chauffeur_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Créer un chauffeur", tag=TAG,
          description="Matricule unique quand il est donné (409 sinon).",
          body=CHAUFFEUR_BODY, errors=(409,),
          responses={201: ("Chauffeur créé (version dans ETag)", CHAUFFEUR_SCHEMA, "application/json")})
async def create_chauffeur(request: web.Request) -> web.Response:
    fields = await read_body(request, CHAUFFEUR_BODY)
    db, actor = writer(request)
    created = await chauffeurs.create_chauffeur(db, actor, fields)
    return record_response(created, status=201, location=url(request, "chauffeur", id=created["id"]))


@routes.get("/chauffeurs/disponibles/{date}", name="chauffeurs_available")
@endpoint(Permission.READ_PLANNING, "Chauffeurs disponibles à une date", tag=TAG,
          description="Chauffeurs actifs sans absence ce jour-là, chacun avec les missions qu'il a déjà "
                      "ce jour-là. `voyage_id` : seulement ceux qui ont les compétences du voyage, "
                      "valides à la date, et n'ont pas de mission qui chevauche ses heures. `tous=true` : "
                      "aussi les autres, avec `disponible: false` et leurs `raisons`.",
          query=AVAILABILITY_QUERY, errors=(409,),
          responses={200: ("Chauffeurs par nom (total dans X-Total-Count)", AVAILABILITY_SCHEMA,
                           "application/json")})
async def available_chauffeurs(request: web.Request) -> web.Response:
    day = path_date(request)
    query = AVAILABILITY_QUERY.validate(request.query)
    page, total = await availability.available_drivers(request.app[DB], day,
                                                       voyage_id=query.get("voyage_id"), tous=query["tous"])
    return json_list_response(page, total)


@routes.get(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur")
@endpoint(Permission.READ_PLANNING, "Détail d'un chauffeur", tag=TAG,
          responses={200: ("Chauffeur (version dans ETag)", CHAUFFEUR_SCHEMA, "application/json")})
async def get_chauffeur(request: web.Request) -> web.Response:
    return record_response(await chauffeurs.get_chauffeur(request.app[DB], path_id(request)))


@routes.put(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier un chauffeur (champs donnés seulement)", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=CHAUFFEUR_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Chauffeur modifié", CHAUFFEUR_SCHEMA, "application/json")})
async def update_chauffeur(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    changes = await read_body(request, CHAUFFEUR_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await chauffeurs.update_chauffeur(db, actor,
                                                             chauffeur_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Supprimer un chauffeur", tag=TAG,
          description="Un chauffeur que des missions nomment est désactivé, pas effacé (200 avec le "
                      "chauffeur) ; sinon il est effacé avec ses absences et compétences (204).",
          etag=True, errors=(412,),
          responses={200: ("Chauffeur désactivé (des missions le nomment)", CHAUFFEUR_SCHEMA,
                           "application/json"),
                     204: ("Chauffeur effacé", None, None)})
async def delete_chauffeur(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    kept = await chauffeurs.delete_chauffeur(db, actor, chauffeur_id, expected)
    return record_response(kept) if kept is not None else web.Response(status=204)


@routes.get(r"/chauffeurs/{id:\d{1,19}}/history", name="chauffeur_history")
@endpoint(Permission.READ_HISTORY, "Historique d'un chauffeur", tag=TAG,
          responses={200: ("Historique, du plus ancien au plus récent", HISTORY_SCHEMA,
                           "application/json")})
async def chauffeur_history(request: web.Request) -> web.Response:
    return list_response(await activity.history(request.app[DB], "chauffeur", path_id(request),
                                                finance=can_read_finance(request)))
