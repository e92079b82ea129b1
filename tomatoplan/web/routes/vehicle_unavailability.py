"""Routes of a vehicle's unavailabilities: /vehicules/{id}/indisponibilites[/{indisponibilite_id}]."""

from __future__ import annotations

from aiohttp import web

from ...base.errors import ValidationFailed, invalid
from ...base.fields import Choice, Date, Text
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import absences, vehicle_unavailability
from ..auth import writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_body, record_response, url
from ..openapi import array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Véhicules"
ONE = r"/vehicules/{id:\d{1,19}}/indisponibilites/{indisponibilite_id:\d{1,19}}"

UNAVAILABILITY_BODY = Schema("Indisponibilite", {
    "date_debut": Date("Premier jour d'indisponibilité", required=True, example="2024-01-15"),
    "date_fin": Date("Dernier jour d'indisponibilité (inclus)", required=True, example="2024-01-16"),
    "motif": Choice(vehicle_unavailability.MOTIFS, "Motif", default="autre"),
    "commentaire": Text("Commentaire", max_length=2000, nullable=True),
}, checks=[absences.dates_errors])  # with the fields: a bad body is a 422 before any If-Match
UNAVAILABILITY_SCHEMA = record_schema(UNAVAILABILITY_BODY,
                                      {"vehicule_id": {"type": "integer", "readOnly": True}})
UNAVAILABILITIES_QUERY = Query({"date_debut": Date("Indisponibilités qui finissent ce jour ou après"),
                                "date_fin": Date("Indisponibilités qui commencent ce jour ou avant"),
                                **PAGING})


def _one(request: web.Request) -> tuple[int, int]:
    return path_id(request), path_id(request, "indisponibilite_id")


@routes.get(r"/vehicules/{id:\d{1,19}}/indisponibilites", name="indisponibilites")
@endpoint(Permission.READ_PLANNING, "Indisponibilités d'un véhicule", tag=TAG,
          query=UNAVAILABILITIES_QUERY,
          responses={200: ("Indisponibilités, les plus récentes d'abord", array_of(UNAVAILABILITY_SCHEMA),
                           "application/json")})
async def list_unavailabilities(request: web.Request) -> web.Response:
    vehicule_id = path_id(request)
    query = UNAVAILABILITIES_QUERY.validate(request.query)
    debut, fin = query.get("date_debut"), query.get("date_fin")
    if debut and fin and fin < debut:
        raise ValidationFailed([invalid("date_fin", "before_start", "date_fin précède date_debut.")])
    found, total = await vehicle_unavailability.list_unavailabilities(
        request.app[DB], vehicule_id, date_debut=debut and debut.isoformat(),
        date_fin=fin and fin.isoformat(), limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post(r"/vehicules/{id:\d{1,19}}/indisponibilites", name="indisponibilite_create")
@endpoint(Permission.WRITE_VEHICULES, "Déclarer une indisponibilité (maintenance, contrôle technique...)",
          tag=TAG,
          description="Du `date_debut` au `date_fin` inclus. Les missions déjà affectées à ce véhicule ces "
                      "jours-là ne sont pas modifiées : la liste des disponibilités les montre.",
          body=UNAVAILABILITY_BODY,
          responses={201: ("Indisponibilité créée (version dans ETag)", UNAVAILABILITY_SCHEMA,
                           "application/json")})
async def create_unavailability(request: web.Request) -> web.Response:
    vehicule_id = path_id(request)
    fields = await read_body(request, UNAVAILABILITY_BODY)
    db, actor = writer(request)
    created = await vehicle_unavailability.create_unavailability(db, actor, vehicule_id, fields)
    return record_response(created, status=201, location=url(
        request, "indisponibilite", id=vehicule_id, indisponibilite_id=created["id"]))


@routes.get(ONE, name="indisponibilite")
@endpoint(Permission.READ_PLANNING, "Détail d'une indisponibilité", tag=TAG,
          responses={200: ("Indisponibilité (version dans ETag)", UNAVAILABILITY_SCHEMA,
                           "application/json")})
async def get_unavailability(request: web.Request) -> web.Response:
    return record_response(await vehicle_unavailability.get_unavailability(request.app[DB], *_one(request)))


@routes.put(ONE, name="indisponibilite_update")
@endpoint(Permission.WRITE_VEHICULES, "Modifier une indisponibilité", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=UNAVAILABILITY_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Indisponibilité modifiée", UNAVAILABILITY_SCHEMA, "application/json")})
async def update_unavailability(request: web.Request) -> web.Response:
    vehicule_id, unavailability_id = _one(request)
    changes = await read_body(request, UNAVAILABILITY_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await vehicle_unavailability.update_unavailability(
        db, actor, vehicule_id, unavailability_id, changes, expected))


@routes.delete(ONE, name="indisponibilite_delete")
@endpoint(Permission.WRITE_VEHICULES, "Supprimer une indisponibilité", tag=TAG, etag=True,
          errors=(412,), responses={204: ("Indisponibilité supprimée", None, None)})
async def delete_unavailability(request: web.Request) -> web.Response:
    vehicule_id, unavailability_id = _one(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    await vehicle_unavailability.delete_unavailability(db, actor, vehicule_id, unavailability_id, expected)
    return web.Response(status=204)
