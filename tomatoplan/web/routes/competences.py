"""Routes of the skills a chauffeur holds: /chauffeurs/{id}/competences[/{competence_id}]."""

from __future__ import annotations

from aiohttp import web

from ...base.fields import Date, Text
from ...base.permissions import Permission
from ...base.schema import Schema
from ...rules import competences
from ...rules.skills import SKILL_CODE_PATTERN
from ..auth import writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_body, record_response, url
from ..openapi import array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Chauffeurs"

COMPETENCE_BODY = Schema("Competence", {
    "code": Text("Code du catalogue (GET /competences)", required=True, min_length=1, max_length=40,
                 pattern=SKILL_CODE_PATTERN, example="ADR"),
    "date_expiration": Date("Dernier jour de validité (null : sans fin)", nullable=True,
                            example="2026-06-30"),
})
COMPETENCE_SCHEMA = record_schema(COMPETENCE_BODY,
                                  {"chauffeur_id": {"type": "integer", "readOnly": True}})


@routes.get(r"/chauffeurs/{id:\d{1,19}}/competences", name="competences")
@endpoint(Permission.READ_PLANNING, "Compétences d'un chauffeur", tag=TAG,
          responses={200: ("Compétences par code", array_of(COMPETENCE_SCHEMA), "application/json")})
async def list_competences(request: web.Request) -> web.Response:
    found = await competences.list_competences(request.app[DB], path_id(request))
    return list_response(found)


@routes.post(r"/chauffeurs/{id:\d{1,19}}/competences", name="competence_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Donner une compétence à un chauffeur", tag=TAG,
          description="Code pris dans le catalogue (409 `reference_not_found` sinon) ; une seule fois par "
                      "chauffeur (409 `competence_exists`).",
          body=COMPETENCE_BODY, errors=(409,),
          responses={201: ("Compétence ajoutée (version dans ETag)", COMPETENCE_SCHEMA,
                           "application/json")})
async def create_competence(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    fields = await read_body(request, COMPETENCE_BODY)
    db, actor = writer(request)
    created = await competences.create_competence(db, actor, chauffeur_id, fields)
    return record_response(created, status=201, location=url(
        request, "competence", id=chauffeur_id, competence_id=created["id"]))


@routes.get(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}", name="competence")
@endpoint(Permission.READ_PLANNING, "Détail d'une compétence d'un chauffeur", tag=TAG,
          responses={200: ("Compétence (version dans ETag)", COMPETENCE_SCHEMA, "application/json")})
async def get_competence(request: web.Request) -> web.Response:
    return record_response(await competences.get_competence(request.app[DB], path_id(request),
                                                           path_id(request, "competence_id")))


@routes.put(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}",
            name="competence_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier une compétence d'un chauffeur", tag=TAG,
          description="Corps partiel (souvent la seule `date_expiration`) ; `If-Match` (412 si périmé).",
          body=COMPETENCE_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Compétence modifiée", COMPETENCE_SCHEMA, "application/json")})
async def update_competence(request: web.Request) -> web.Response:
    chauffeur_id, competence_id = path_id(request), path_id(request, "competence_id")
    changes = await read_body(request, COMPETENCE_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await competences.update_competence(
        db, actor, chauffeur_id, competence_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}",
               name="competence_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Retirer une compétence à un chauffeur", tag=TAG, etag=True,
          errors=(412,), responses={204: ("Compétence retirée", None, None)})
async def delete_competence(request: web.Request) -> web.Response:
    chauffeur_id, competence_id = path_id(request), path_id(request, "competence_id")
    expected = if_match_version(request)
    db, actor = writer(request)
    await competences.delete_competence(db, actor, chauffeur_id, competence_id,
                                       expected)
    return web.Response(status=204)
