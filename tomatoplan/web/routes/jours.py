"""Routes of whole days: copying a day's missions to another day (/missions/copy), a day's
validation (/jours/{date}, /jours/{date}/validation)."""

from __future__ import annotations

from aiohttp import web

from ...base.errors import invalid
from ...base.fields import Boolean, Date
from ...base.permissions import Permission
from ...base.schema import Schema
from ...rules import jours, mission_copy
from ..auth import can_read_finance, writer
from ..endpoint import endpoint
from ..http import json_response, path_date, read_body
from ..openapi import array_of
from ..state import DB

routes = web.RouteTableDef()
TAG = "Jours"


def _two_days(body: dict) -> list:
    if body["date_cible"] == body["date_source"]:
        return [invalid("date_cible", "same_day", "Le jour cible doit différer du jour copié.")]
    return []


COPY_BODY = Schema("CopyDay", {
    "date_source": Date("Jour copié (AAAA-MM-JJ)", required=True, example="2024-01-15"),
    "date_cible": Date("Jour où créer les copies (autre que date_source)", required=True,
                       example="2024-01-22"),
    "chauffeurs": Boolean("Garder le chauffeur de chaque mission, là où les contrôles d'affectation "
                          "l'acceptent le jour cible (false : copies sans chauffeur)", default=False),
    "vehicules": Boolean("Garder le véhicule de chaque mission, là où ses contrôles l'acceptent le "
                         "jour cible (false : copies sans véhicule)", default=False),
}, "Le jour à copier et le jour où copier ses missions.", checks=[_two_days])
MISSION = {"type": "object", "description": "Mission créée, comme GET /missions/{id} la montre",
           "properties": {"id": {"type": "integer"}, "date_mission": {"type": "string"}}}
PROBLEMS = array_of({"type": "object", "properties": {"code": {"type": "string"},
                                                      "detail": {"type": "string"}}})
COPY_SCHEMA = {"type": "object", "properties": {
    "date_source": {"type": "string", "format": "date"},
    "date_cible": {"type": "string", "format": "date"},
    "creees": array_of(MISSION),
    "existantes": array_of({"type": "object", "description": "Missions déjà copiées ce jour-là",
                            "properties": {"mission_source_id": {"type": "integer"},
                                           "mission_id": {"type": "integer"}}}),
    "non_repris": array_of({"type": "object", "description": "Chauffeur ou véhicule non repris",
                            "properties": {"mission_source_id": {"type": "integer"},
                                           "mission_id": {"type": "integer"},
                                           "champ": {"type": "string",
                                                     "enum": ["chauffeur_id", "vehicule_id"]},
                                           "valeur": {"type": "integer"}, "problems": PROBLEMS,
                                           "detail": {"type": "string"}}}),
    "montants_copies": {"type": "boolean",
                        "description": "Prix et coût copiés (permission finance.write), sinon vides"},
}}
JOUR_SCHEMA = {"type": "object", "properties": {
    "date": {"type": "string", "format": "date"},
    "valide": {"type": "boolean"},
    "valide_par": {"type": ["string", "null"], "description": "Qui l'a validé"},
    "valide_le": {"type": ["string", "null"], "format": "date-time", "description": "Quand"},
}}


@routes.post("/missions/copy", name="missions_copy")
@endpoint(Permission.WRITE_MISSIONS, "Copier les missions d'un jour sur un autre jour", tag=TAG,
          description="Crée sur `date_cible`, en une seule transaction, une copie `planifie` de chaque "
                      "mission non annulée de `date_source` (sans chauffeur ni véhicule, sauf "
                      "`chauffeurs` / `vehicules` : gardés là où les contrôles d'affectation de POST "
                      "/missions les acceptent, sinon listés dans `non_repris` avec leurs raisons). "
                      "Prix et coût copiés seulement avec la permission `finance.write`. Idempotent : "
                      "une mission déjà copiée ce jour-là (même modifiée ou annulée depuis) est dans "
                      "`existantes`. Jour cible validé : 409 `jour_valide` sans `jours.validate`. "
                      "201 si des missions sont créées, 200 sinon.",
          body=COPY_BODY, errors=(409,),
          responses={201: ("Missions copiées", COPY_SCHEMA, "application/json"),
                     200: ("Rien de nouveau à copier", COPY_SCHEMA, "application/json")})
async def copy_missions(request: web.Request) -> web.Response:
    body = await read_body(request, COPY_BODY)
    db, actor = writer(request)
    result = await mission_copy.copy_day(db, actor, body["date_source"], body["date_cible"],
                                         chauffeurs=body["chauffeurs"], vehicules=body["vehicules"],
                                         finance=can_read_finance(request))
    return json_response(result, status=201 if result["creees"] else 200)


@routes.get("/jours/{date}", name="jour")
@endpoint(Permission.READ_PLANNING, "Un jour : validé ou non, par qui, quand", tag=TAG,
          errors=(422,),
          responses={200: ("Le jour", JOUR_SCHEMA, "application/json")})
async def get_jour(request: web.Request) -> web.Response:
    return json_response(await jours.get_jour(request.app[DB], path_date(request)))


@routes.post("/jours/{date}/validation", name="jour_validate")
@endpoint(Permission.VALIDATE_DAYS, "Valider un jour", tag=TAG,
          description="Dès lors, seuls les rôles qui ont `jours.validate` créent, modifient ou "
                      "suppriment ses missions ; les autres reçoivent 409 `jour_valide`. 201 quand le "
                      "jour vient d'être validé, 200 s'il l'était déjà (la première validation reste).",
          errors=(422,),
          responses={201: ("Jour validé", JOUR_SCHEMA, "application/json"),
                     200: ("Jour déjà validé", JOUR_SCHEMA, "application/json")})
async def validate_jour(request: web.Request) -> web.Response:
    db, actor = writer(request)
    jour, validated_now = await jours.validate_day(db, actor, path_date(request))
    return json_response(jour, status=201 if validated_now else 200)


@routes.delete("/jours/{date}/validation", name="jour_reopen")
@endpoint(Permission.VALIDATE_DAYS, "Rouvrir un jour validé", tag=TAG,
          description="Ses missions redeviennent modifiables par tous les rôles qui modifient les "
                      "missions. Un jour qui n'était pas validé reste tel quel (200 aussi).",
          errors=(422,),
          responses={200: ("Jour rouvert", JOUR_SCHEMA, "application/json")})
async def reopen_jour(request: web.Request) -> web.Response:
    db, actor = writer(request)
    jour, _ = await jours.reopen_day(db, actor, path_date(request))
    return json_response(jour)
