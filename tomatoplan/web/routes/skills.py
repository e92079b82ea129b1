"""Routes of the skills catalogue: /competences, /competences/{id}."""

from __future__ import annotations

from aiohttp import web

from ...base.fields import Text
from ...base.permissions import Permission
from ...base.schema import Schema
from ...rules import skills
from ...rules.skills import SKILL_CODE_PATTERN
from ..auth import writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_body, record_response, url
from ..openapi import array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Compétences (catalogue)"

SKILL_CREATE = Schema("Skill", {
    "code": Text("Code (majuscules, chiffres, _), qui ne change plus", required=True, min_length=1,
                 max_length=40, pattern=SKILL_CODE_PATTERN, example="HAYON"),
    "libelle": Text("Libellé", max_length=200, example="Conduite avec hayon élévateur"),
})
SKILL_UPDATE = Schema("SkillUpdate", {"libelle": SKILL_CREATE.fields["libelle"]})
SKILL_SCHEMA = record_schema(SKILL_CREATE)


@routes.get("/competences", name="skills")
@endpoint(Permission.READ_PLANNING, "Catalogue des compétences", tag=TAG,
          responses={200: ("Compétences par code", array_of(SKILL_SCHEMA), "application/json")})
async def list_skills(request: web.Request) -> web.Response:
    found = await skills.list_skills(request.app[DB])
    return list_response(found)


@routes.post("/competences", name="skill_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Ajouter une compétence au catalogue", tag=TAG,
          description="Code unique (409 sinon), en majuscules, qui ne change plus ensuite.",
          body=SKILL_CREATE, errors=(409,),
          responses={201: ("Compétence ajoutée (version dans ETag)", SKILL_SCHEMA, "application/json")})
async def create_skill(request: web.Request) -> web.Response:
    fields = await read_body(request, SKILL_CREATE)
    db, actor = writer(request)
    created = await skills.create_skill(db, actor, fields)
    return record_response(created, status=201, location=url(request, "skill", id=created["id"]))


@routes.get(r"/competences/{id:\d{1,19}}", name="skill")
@endpoint(Permission.READ_PLANNING, "Détail d'une compétence du catalogue", tag=TAG,
          responses={200: ("Compétence (version dans ETag)", SKILL_SCHEMA, "application/json")})
async def get_skill(request: web.Request) -> web.Response:
    return record_response(await skills.get_skill(request.app[DB], path_id(request)))


@routes.put(r"/competences/{id:\d{1,19}}", name="skill_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Renommer une compétence du catalogue", tag=TAG,
          description="Seul le libellé change ; `If-Match` (412 si périmé).",
          body=SKILL_UPDATE, body_partial=True, etag=True, errors=(412,),
          responses={200: ("Compétence modifiée", SKILL_SCHEMA, "application/json")})
async def update_skill(request: web.Request) -> web.Response:
    skill_id = path_id(request)
    changes = await read_body(request, SKILL_UPDATE, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await skills.update_skill(db, actor, skill_id,
                                                         changes, expected))


@routes.delete(r"/competences/{id:\d{1,19}}", name="skill_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Retirer une compétence du catalogue", tag=TAG,
          description="Refusé (409) tant qu'un chauffeur la détient ou qu'un voyage la demande.",
          etag=True, errors=(409, 412), responses={204: ("Compétence retirée", None, None)})
async def delete_skill(request: web.Request) -> web.Response:
    skill_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    await skills.delete_skill(db, actor, skill_id, expected)
    return web.Response(status=204)
