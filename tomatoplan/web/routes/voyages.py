"""Routes of the voyages (regular lines): /voyages, /voyages/{id}."""

from __future__ import annotations

import functools

from aiohttp import web

from ...base.fields import Boolean, ListOf, Text, Time, Weekday
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import activity, voyages
from ...rules.hours import hours_errors, hours_schema
from ...rules.skills import SKILL_CODE_PATTERN
from ..auth import can_read_finance, writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_body, record_response, url
from ..openapi import HISTORY_SCHEMA, array_of, record_schema
from ..state import DB

routes = web.RouteTableDef()
TAG = "Voyages"

# Not stripped: in a list, " ADR" and "ADR" would be two items of the document and one code.
SKILL_CODE = Text("Code de compétence du catalogue", min_length=1, max_length=40,
                  pattern=SKILL_CODE_PATTERN, strip=False, example="ADR")
VOYAGE_FIELDS = {
    "code": Text("Code unique du voyage", required=True, min_length=1, max_length=40,
                 example="PAR-01"),
    "nom": Text("Nom", max_length=200, nullable=True, example="Navette Paris matin"),
    "origine": Text("Origine", max_length=200, nullable=True),
    "destination": Text("Destination (reprise par les missions du voyage)", max_length=200,
                        nullable=True, example="Paris"),
    "heure_debut": Time("Heure de départ (HH:MM)", nullable=True),
    "heure_fin": Time("Heure d'arrivée (HH:MM) ; avant le départ : arrivée le lendemain",
                      nullable=True),
    "jours": ListOf(Weekday(), "Jours de la semaine où il circule (génération des missions) ; "
                    "majuscules, accents et abréviations (\"lun.\") acceptés, gardés en toutes "
                    "lettres",
                    max_items=7, unique=True, default=[], example=["lundi", "mercredi", "vendredi"]),
    "competences_requises": ListOf(SKILL_CODE, "Compétences que doit avoir (valides à la date) le "
                                   "chauffeur", max_items=50, unique=True, default=[],
                                   example=["PERMIS_CE", "ADR"]),
    "actif": Boolean("Actif (un voyage inactif n'est plus généré)", default=True),
    "notes": Text("Notes", max_length=2000, nullable=True),
}
# The body's own hours, checked with its fields: a bad body is a 422 before any If-Match.
VOYAGE_BODY = Schema("Voyage", VOYAGE_FIELDS, checks=[functools.partial(hours_errors, partial=True)],
                     rules=hours_schema)
VOYAGE_SCHEMA = record_schema(VOYAGE_BODY)
VOYAGES_QUERY = Query({"actif": Boolean("Seulement les voyages actifs (true) ou inactifs (false)"),
                       **PAGING})


@routes.get("/voyages", name="voyages")
@endpoint(Permission.READ_PLANNING, "Liste des voyages", tag=TAG, query=VOYAGES_QUERY,
          responses={200: ("Voyages par code (total dans X-Total-Count)", array_of(VOYAGE_SCHEMA),
                           "application/json")})
async def list_voyages(request: web.Request) -> web.Response:
    query = VOYAGES_QUERY.validate(request.query)
    found, total = await voyages.list_voyages(request.app[DB], actif=query.get("actif"),
                                              limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post("/voyages", name="voyage_create")
@endpoint(Permission.WRITE_VOYAGES, "Créer un voyage", tag=TAG,
          description="Code unique (409 sinon) ; compétences prises dans le catalogue (409 "
                      "`reference_not_found` sinon).",
          body=VOYAGE_BODY, errors=(409,),
          responses={201: ("Voyage créé (version dans ETag)", VOYAGE_SCHEMA, "application/json")})
async def create_voyage(request: web.Request) -> web.Response:
    fields = await read_body(request, VOYAGE_BODY)
    db, actor = writer(request)
    created = await voyages.create_voyage(db, actor, fields)
    return record_response(created, status=201, location=url(request, "voyage", id=created["id"]))


@routes.get(r"/voyages/{id:\d{1,19}}", name="voyage")
@endpoint(Permission.READ_PLANNING, "Détail d'un voyage", tag=TAG,
          responses={200: ("Voyage (version dans ETag)", VOYAGE_SCHEMA, "application/json")})
async def get_voyage(request: web.Request) -> web.Response:
    return record_response(await voyages.get_voyage(request.app[DB], path_id(request)))


@routes.put(r"/voyages/{id:\d{1,19}}", name="voyage_update")
@endpoint(Permission.WRITE_VOYAGES, "Modifier un voyage (champs donnés seulement)", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé). Les missions "
                      "déjà créées ne changent pas.",
          body=VOYAGE_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Voyage modifié", VOYAGE_SCHEMA, "application/json")})
async def update_voyage(request: web.Request) -> web.Response:
    voyage_id = path_id(request)
    changes = await read_body(request, VOYAGE_BODY, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    updated = await voyages.update_voyage(db, actor,
                                          voyage_id, changes, expected)
    return record_response(updated)


@routes.delete(r"/voyages/{id:\d{1,19}}", name="voyage_delete")
@endpoint(Permission.WRITE_VOYAGES, "Supprimer un voyage", tag=TAG,
          description="Un voyage que des missions nomment est désactivé, pas effacé (200 avec le "
                      "voyage) ; sinon il est effacé (204). `If-Match` comme pour PUT.",
          etag=True, errors=(412,),
          responses={200: ("Voyage désactivé (des missions le nomment)", VOYAGE_SCHEMA,
                           "application/json"),
                     204: ("Voyage effacé", None, None)})
async def delete_voyage(request: web.Request) -> web.Response:
    voyage_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    kept = await voyages.delete_voyage(db, actor, voyage_id,
                                       expected)
    return record_response(kept) if kept is not None else web.Response(status=204)


@routes.get(r"/voyages/{id:\d{1,19}}/history", name="voyage_history")
@endpoint(Permission.READ_HISTORY, "Historique d'un voyage", tag=TAG,
          responses={200: ("Historique, du plus ancien au plus récent", HISTORY_SCHEMA,
                           "application/json")})
async def voyage_history(request: web.Request) -> web.Response:
    return list_response(await activity.history(request.app[DB], "voyage", path_id(request),
                                                finance=can_read_finance(request)))
