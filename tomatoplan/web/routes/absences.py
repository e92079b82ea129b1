"""Routes of a chauffeur's absences: /chauffeurs/{id}/absences[/{absence_id}]."""

from __future__ import annotations

from aiohttp import web

from ...base.errors import ValidationFailed, invalid
from ...base.fields import Choice, Date, Text
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import absences
from ..auth import writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_body, record_response, url
from ..openapi import array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Chauffeurs"

ABSENCE_BODY = Schema("Absence", {
    "date_debut": Date("Premier jour d'absence", required=True, example="2024-01-15"),
    "date_fin": Date("Dernier jour d'absence (inclus)", required=True, example="2024-01-19"),
    "motif": Choice(("conge", "maladie", "formation", "autre"), "Motif", default="autre"),
    "commentaire": Text("Commentaire", max_length=2000, nullable=True),
}, checks=[absences.dates_errors])  # with the fields: a bad body is a 422 before any If-Match
ABSENCE_SCHEMA = record_schema(ABSENCE_BODY, {"chauffeur_id": {"type": "integer", "readOnly": True}})
ABSENCES_QUERY = Query({"date_debut": Date("Absences qui finissent ce jour ou après"),
                        "date_fin": Date("Absences qui commencent ce jour ou avant"), **PAGING})


@routes.get(r"/chauffeurs/{id:\d{1,19}}/absences", name="absences")
@endpoint(Permission.READ_PLANNING, "Absences d'un chauffeur", tag=TAG, query=ABSENCES_QUERY,
          responses={200: ("Absences, les plus récentes d'abord", array_of(ABSENCE_SCHEMA),
                           "application/json")})
async def list_absences(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    query = ABSENCES_QUERY.validate(request.query)
    debut, fin = query.get("date_debut"), query.get("date_fin")
    if debut and fin and fin < debut:
        raise ValidationFailed([invalid("date_fin", "before_start", "date_fin précède date_debut.")])
    found, total = await absences.list_absences(
        request.app[DB], chauffeur_id, date_debut=debut and debut.isoformat(),
        date_fin=fin and fin.isoformat(), limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post(r"/chauffeurs/{id:\d{1,19}}/absences", name="absence_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Déclarer une absence", tag=TAG,
          description="Du `date_debut` au `date_fin` inclus. Les missions déjà affectées ces jours-là "
                      "ne sont pas modifiées : la liste des disponibilités les montre.",
          body=ABSENCE_BODY,
          responses={201: ("Absence créée (version dans ETag)", ABSENCE_SCHEMA, "application/json")})
async def create_absence(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    fields = await read_body(request, ABSENCE_BODY)
    db, actor = writer(request)
    created = await absences.create_absence(db, actor, chauffeur_id, fields)
    return record_response(created, status=201, location=url(
        request, "absence", id=chauffeur_id, absence_id=created["id"]))


@routes.get(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence")
@endpoint(Permission.READ_PLANNING, "Détail d'une absence", tag=TAG,
          responses={200: ("Absence (version dans ETag)", ABSENCE_SCHEMA, "application/json")})
async def get_absence(request: web.Request) -> web.Response:
    return record_response(await absences.get_absence(request.app[DB], path_id(request),
                                                        path_id(request, "absence_id")))


@routes.put(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier une absence", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=ABSENCE_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Absence modifiée", ABSENCE_SCHEMA, "application/json")})
async def update_absence(request: web.Request) -> web.Response:
    chauffeur_id, absence_id = path_id(request), path_id(request, "absence_id")
    changes = await read_body(request, ABSENCE_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await absences.update_absence(
        db, actor, chauffeur_id, absence_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Supprimer une absence", tag=TAG, etag=True, errors=(412,),
          responses={204: ("Absence supprimée", None, None)})
async def delete_absence(request: web.Request) -> web.Response:
    chauffeur_id, absence_id = path_id(request), path_id(request, "absence_id")
    expected = if_match_version(request)
    db, actor = writer(request)
    await absences.delete_absence(db, actor, chauffeur_id, absence_id, expected)
    return web.Response(status=204)
