"""Routes of the vehicles: /vehicules, /vehicules/{id}, their history, and the availability of
a day (/vehicules/disponibles/{date})."""

from __future__ import annotations

from aiohttp import web

from ...base.fields import Boolean, Choice, Plate, Text, id_field
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import activity, vehicle_checks, vehicules
from ...rules.skills import SKILL_CODE_PATTERN
from ..auth import can_read_finance, writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_date, path_id, read_body, record_response, url
from ..openapi import HISTORY_SCHEMA, array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Véhicules"

VEHICULE_BODY = Schema("Vehicule", {
    "immatriculation": Plate("Immatriculation, unique : SIV (AB-123-CD) ou FNI (1234 AB 56), en "
                             "majuscules ou minuscules, avec ou sans espaces ou tirets ; gardée sous "
                             "la forme AB-123-CD (ou 1234 AB 56)", required=True, example="ab 123 cd"),
    "type": Choice(vehicules.VEHICULE_TYPES, "Type de véhicule", required=True, example="tracteur"),
    "competence_requise": Text("Compétence du catalogue (GET /competences) que doit détenir son "
                               "chauffeur, valide le jour de la mission (null : aucune)",
                               min_length=1, max_length=40, pattern=SKILL_CODE_PATTERN, nullable=True,
                               example="PERMIS_CE"),
    "actif": Boolean("Actif (un véhicule inactif ne peut pas être affecté)", default=True),
    "notes": Text("Notes", max_length=2000, nullable=True),
})
VEHICULE_SCHEMA = record_schema(VEHICULE_BODY)
VEHICULES_QUERY = Query({"actif": Boolean("Seulement les actifs (true) ou les inactifs (false)"),
                         "type": Choice(vehicules.VEHICULE_TYPES, "Seulement ce type"), **PAGING})

AVAILABILITY_QUERY = Query({
    "voyage_id": id_field("Seulement ceux qui sont libres aux heures du voyage"),
    "chauffeur_id": id_field("Seulement ceux dont ce chauffeur a la compétence demandée, valide à la "
                             "date"),
    "tous": Boolean("Inclure aussi les indisponibles, avec leurs raisons", default=False),
})
AVAILABILITY_SCHEMA = array_of({**VEHICULE_SCHEMA, "properties": {
    **VEHICULE_SCHEMA["properties"],
    "disponible": {"type": "boolean"},
    "raisons": array_of({"type": "object", "properties": {
        "code": {"type": "string", "enum": ["vehicule_inactif", "vehicule_indisponible",
                                            "permis_vehicule_manquant", "vehicule_chevauchement"]},
        "detail": {"type": "string"}}}),
    "missions": array_of({"type": "object", "description": "Missions qu'il a déjà ce jour-là"}),
}})


@routes.get("/vehicules", name="vehicules")
@endpoint(Permission.READ_PLANNING, "Liste des véhicules", tag=TAG, query=VEHICULES_QUERY,
          responses={200: ("Véhicules par immatriculation (total dans X-Total-Count)",
                           array_of(VEHICULE_SCHEMA), "application/json")})
async def list_vehicules(request: web.Request) -> web.Response:
    query = VEHICULES_QUERY.validate(request.query)
    found, total = await vehicules.list_vehicules(request.app[DB], actif=query.get("actif"),
                                                  type_=query.get("type"), limit=query["limit"],
                                                  offset=query["offset"])
    return list_response(found, total)


@routes.post("/vehicules", name="vehicule_create")
@endpoint(Permission.WRITE_VEHICULES, "Créer un véhicule", tag=TAG,
          description="Immatriculation unique (409 `immatriculation_taken`) ; compétence prise dans le "
                      "catalogue (409 `reference_not_found` sinon).",
          body=VEHICULE_BODY, errors=(409,),
          responses={201: ("Véhicule créé (version dans ETag)", VEHICULE_SCHEMA, "application/json")})
async def create_vehicule(request: web.Request) -> web.Response:
    fields = await read_body(request, VEHICULE_BODY)
    db, actor = writer(request)
    created = await vehicules.create_vehicule(db, actor, fields)
    return record_response(created, status=201, location=url(request, "vehicule", id=created["id"]))


@routes.get("/vehicules/disponibles/{date}", name="vehicules_available")
@endpoint(Permission.READ_PLANNING, "Véhicules disponibles à une date", tag=TAG,
          description="Véhicules actifs sans indisponibilité ce jour-là, chacun avec les missions qu'il a "
                      "déjà ce jour-là. `voyage_id` : seulement ceux qui n'ont pas de mission qui "
                      "chevauche les heures du voyage. `chauffeur_id` : seulement ceux dont le chauffeur "
                      "a la compétence demandée, valide à la date. `tous=true` : aussi les autres, avec "
                      "`disponible: false` et leurs `raisons` (mêmes codes que le 409 d'une mission).",
          query=AVAILABILITY_QUERY, errors=(409,),
          responses={200: ("Véhicules par immatriculation (total dans X-Total-Count)",
                           AVAILABILITY_SCHEMA, "application/json")})
async def available_vehicules(request: web.Request) -> web.Response:
    day = path_date(request)
    query = AVAILABILITY_QUERY.validate(request.query)
    found, total = await vehicle_checks.available_vehicles(
        request.app[DB], day, voyage_id=query.get("voyage_id"), chauffeur_id=query.get("chauffeur_id"),
        tous=query["tous"])
    return list_response(found, total)


@routes.get(r"/vehicules/{id:\d{1,19}}", name="vehicule")
@endpoint(Permission.READ_PLANNING, "Détail d'un véhicule", tag=TAG,
          responses={200: ("Véhicule (version dans ETag)", VEHICULE_SCHEMA, "application/json")})
async def get_vehicule(request: web.Request) -> web.Response:
    return record_response(await vehicules.get_vehicule(request.app[DB], path_id(request)))


@routes.put(r"/vehicules/{id:\d{1,19}}", name="vehicule_update")
@endpoint(Permission.WRITE_VEHICULES, "Modifier un véhicule (champs donnés seulement)", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=VEHICULE_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Véhicule modifié", VEHICULE_SCHEMA, "application/json")})
async def update_vehicule(request: web.Request) -> web.Response:
    vehicule_id = path_id(request)
    changes = await read_body(request, VEHICULE_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await vehicules.update_vehicule(db, actor, vehicule_id, changes, expected))


@routes.delete(r"/vehicules/{id:\d{1,19}}", name="vehicule_delete")
@endpoint(Permission.WRITE_VEHICULES, "Supprimer un véhicule", tag=TAG,
          description="Un véhicule que des missions nomment est désactivé, pas effacé (200 avec le "
                      "véhicule) ; sinon il est effacé avec ses indisponibilités (204).",
          etag=True, errors=(412,),
          responses={200: ("Véhicule désactivé (des missions le nomment)", VEHICULE_SCHEMA,
                           "application/json"),
                     204: ("Véhicule effacé", None, None)})
async def delete_vehicule(request: web.Request) -> web.Response:
    vehicule_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    kept = await vehicules.delete_vehicule(db, actor, vehicule_id, expected)
    return record_response(kept) if kept is not None else web.Response(status=204)


@routes.get(r"/vehicules/{id:\d{1,19}}/history", name="vehicule_history")
@endpoint(Permission.READ_HISTORY, "Historique d'un véhicule", tag=TAG,
          responses={200: ("Historique, du plus ancien au plus récent", HISTORY_SCHEMA,
                           "application/json")})
async def vehicule_history(request: web.Request) -> web.Response:
    return list_response(await activity.history(request.app[DB], "vehicule", path_id(request),
                                                finance=can_read_finance(request)))
