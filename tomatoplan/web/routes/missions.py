"""Routes of the missions: /missions, /missions/{id}, /missions/by-date/{date}, generation,
finance, history."""

from __future__ import annotations

import functools

from aiohttp import web

from ...base.errors import ValidationFailed, invalid
from ...base.fields import Boolean, Choice, Date, Integer, Text, Time, id_field
from ...base.money import Money
from ...base.permissions import Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import activity, missions
from ...rules.hours import hours_errors, hours_schema
from ..auth import can_read_finance, require, writer
from ..endpoint import endpoint
from ..http import (
    if_match_version,
    json_list_response,
    json_response,
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
TAG = "Missions"

FINANCE_NOTE = ("`prix` et `cout` (montants exacts, ex. \"125.50\") n'apparaissent que pour les rôles "
                "qui lisent la finance ; les envoyer sans la permission `finance.write` donne 403 "
                "`finance_forbidden` (422 si d'autres champs sont invalides, avec ceux-là en "
                "`not_permitted`).")
FORCE_NOTE = ("Affecter un chauffeur est contrôlé : inactif, absent ce jour-là, mission qui "
              "chevauche, compétence demandée par le voyage absente ou expirée à la date ; et son "
              "véhicule : inactif, indisponible, déjà pris sur le créneau, permis qu'il demande absent "
              "ou expiré : 409 avec `problems` [{code, detail}]. `?force=true` (permission "
              "`voyages.write`) passe outre ; le journal garde les raisons.")
DAY_NOTE = ("Les missions d'un jour validé (POST /jours/{date}/validation) ne se créent, modifient ni "
            "suppriment qu'avec la permission `jours.validate` : sinon 409 `jour_valide` (qui l'a "
            "validé, quand) ; le prix et le coût seuls restent modifiables.")

MONEY_FIELDS = {
    "prix": Money("Prix facturé, en euros (texte exact, ex. \"125.50\")", nullable=True),
    "cout": Money("Coût, en euros (texte exact, ex. \"98.00\")", nullable=True),
}
MISSION_FIELDS = {
    "date_mission": Date("Jour de la mission (AAAA-MM-JJ)", required=True, example="2024-01-15"),
    "destination": Text("Destination ; reprise du voyage si absente", min_length=1, max_length=200,
                        example="Paris"),
    "origine": Text("Origine ; reprise du voyage si absente", max_length=200, nullable=True),
    "voyage_id": id_field("Voyage (ligne régulière) dont vient la mission", nullable=True),
    "chauffeur_id": id_field("Chauffeur affecté (null : mission non affectée)", nullable=True),
    "vehicule": Text("Véhicule en texte libre (anciens clients) ; reprend l'immatriculation quand "
                     "`vehicule_id` change sans lui", max_length=50, nullable=True),
    "vehicule_id": id_field("Véhicule affecté (GET /vehicules ; null : aucun)", nullable=True),
    "heure_debut": Time("Heure de début (HH:MM) ; reprise du voyage si aucune heure n'est donnée",
                        nullable=True),
    "heure_fin": Time("Heure de fin (HH:MM) ; avant l'heure de début : fin le lendemain",
                      nullable=True),
    "statut": Choice(missions.STATUTS, "Statut", default="planifie"),
    "remarques": Text("Remarques", max_length=2000, nullable=True),
    **MONEY_FIELDS,
}
# A new mission needs a destination, given or taken from its voyage.
DESTINATION_RULE = {"anyOf": [{"required": ["destination"]},
                              {"required": ["voyage_id"], "properties": {"voyage_id": {"type": "integer"}}}]}
# The body's own hours, checked with its fields: a bad body is a 422 before any If-Match.
BODY_HOURS = [functools.partial(hours_errors, partial=True)]
MISSION_CREATE = Schema("MissionCreate", MISSION_FIELDS, checks=BODY_HOURS,
                        rules=lambda partial: [*hours_schema(partial), DESTINATION_RULE])
MISSION_UPDATE = Schema("MissionUpdate", MISSION_FIELDS, checks=BODY_HOURS, rules=hours_schema)
FINANCE_UPDATE = Schema("MissionFinance", MONEY_FIELDS)
MISSION_SCHEMA = record_schema(MISSION_CREATE)

FORCE_QUERY = Query({"force": Boolean("Passer outre les contrôles d'affectation "
                                      "(permission voyages.write)", default=False)})
MISSIONS_QUERY = Query({**missions.LIST_FILTERS, **PAGING})
DAY_QUERY = Query({
    # 1,000 at most, as every list: a page of 10,000 (3.9 MB of JSON) held 410 MB at 64
    # connections (bench_wrk); a day that holds more is read page by page (X-Total-Count).
    "limit": Integer("Nombre maximum d'éléments renvoyés", minimum=1, maximum=1000, default=1000),
    "offset": PAGING["offset"],
})
# Generating a period: at most this many days at once (a month).
GENERATE_MAX_DAYS = 31


def _one_period(body: dict) -> list:
    """Either `date`, or `date_debut` and `date_fin` (in order, GENERATE_MAX_DAYS at most)."""
    if "date" in body:
        extra = [name for name in ("date_debut", "date_fin") if name in body]
        return [invalid(name, "exclusive", "Donnez soit `date`, soit `date_debut` et `date_fin`.")
                for name in extra]
    missing = [name for name in ("date_debut", "date_fin") if name not in body]
    if len(missing) == 2:
        return [invalid("date", "required", "Champ obligatoire (ou `date_debut` et `date_fin`).")]
    if missing:
        return [invalid(missing[0], "required", "Champ obligatoire avec l'autre borne de la période.")]
    days = (body["date_fin"] - body["date_debut"]).days + 1
    if days < 1:
        return [invalid("date_fin", "out_of_range", "Ne peut pas précéder date_debut.")]
    if days > GENERATE_MAX_DAYS:
        return [invalid("date_fin", "out_of_range",
                        f"Au plus {GENERATE_MAX_DAYS} jours à la fois (ici {days}).")]
    return []


GENERATE_BODY = Schema("GenerateMissions", {
    "date": Date("Jour à générer (AAAA-MM-JJ)", example="2024-01-15"),
    "date_debut": Date("Premier jour d'une période à générer", example="2024-01-15"),
    "date_fin": Date(f"Dernier jour inclus de la période ({GENERATE_MAX_DAYS} jours au plus)",
                     example="2024-01-21"),
}, "Un jour (`date`) ou une période (`date_debut` et `date_fin`).", checks=[_one_period],
    rules=lambda partial: [{"oneOf": [{"required": ["date"]},
                                      {"required": ["date_debut", "date_fin"]}]}])
GENERATE_SCHEMA = {"type": "object", "properties": {
    "date": {"type": "string", "format": "date", "description": "Pour un jour"},
    "date_debut": {"type": "string", "format": "date", "description": "Pour une période"},
    "date_fin": {"type": "string", "format": "date"},
    "creees": array_of(MISSION_SCHEMA),
    "existantes": array_of({"type": "object", "properties": {
        "voyage_id": {"type": "integer"}, "code": {"type": "string"},
        "mission_id": {"type": "integer"}}}),
    "ignorees": array_of({"type": "object", "properties": {
        "voyage_id": {"type": "integer"}, "code": {"type": "string"},
        "raison": {"type": "string"}}}),
}}


async def _force(request: web.Request) -> bool:
    force = FORCE_QUERY.validate(request.query)["force"]
    if force:
        require(request, Permission.WRITE_VOYAGES, "forcer une affectation", "force_forbidden")
    return force


@routes.get("/missions", name="missions")
@endpoint(Permission.READ_PLANNING, "Liste des missions, avec filtres", tag=TAG,
          description="Filtres combinables : `date`, `date_debut`/`date_fin` (`date_fin` pas avant "
                      "`date_debut`, sinon 422), `chauffeur_id`, `voyage_id`, `statut`. Triées par "
                      "jour puis heure. " + FINANCE_NOTE,
          query=MISSIONS_QUERY,
          responses={200: ("Missions (total dans X-Total-Count)", array_of(MISSION_SCHEMA),
                           "application/json")})
async def list_missions(request: web.Request) -> web.Response:
    query = MISSIONS_QUERY.validate(request.query)
    date_debut, date_fin = query.get("date_debut"), query.get("date_fin")
    if date_debut and date_fin and date_fin < date_debut:
        raise ValidationFailed([invalid("date_fin", "before_start", "date_fin précède date_debut.")])
    if "date" in query:  # filters combine: that day, if it is within the period
        day = query["date"]
        if (date_debut and day < date_debut) or (date_fin and day > date_fin):
            return list_response([], 0)
        date_debut = date_fin = day
    page, total = await missions.list_missions(
        request.app[DB], date_debut=date_debut, date_fin=date_fin,
        chauffeur_id=query.get("chauffeur_id"), voyage_id=query.get("voyage_id"),
        statut=query.get("statut"), limit=query["limit"], offset=query["offset"],
        finance=can_read_finance(request))
    return json_list_response(page, total)


@routes.get("/missions/by-date/{date}", name="missions_by_date")
@endpoint(Permission.READ_PLANNING, "Missions d'une date", tag=TAG,
          description="Toutes les missions du jour, par heure de début (sans heure en premier). Un "
                      "jour validé le dit dans l'en-tête `X-Jour-Valide` (`valide_par=JEAN.DUPONT; "
                      "valide_le=2024-01-15T17:02:00.000Z`), absent sinon. " + FINANCE_NOTE,
          query=DAY_QUERY,
          responses={200: ("Missions du jour (total dans X-Total-Count)", array_of(MISSION_SCHEMA),
                           "application/json")})
async def missions_by_date(request: web.Request) -> web.Response:
    day = path_date(request)
    query = DAY_QUERY.validate(request.query)
    page, total, validated = await missions.missions_for_day(request.app[DB], day, **query,
                                                             finance=can_read_finance(request))
    return json_list_response(page, total, validated=validated)


@routes.post("/missions", name="mission_create")
@endpoint(Permission.WRITE_MISSIONS, "Créer une mission", tag=TAG,
          description="Avec un `voyage_id`, la destination, l'origine et les heures absentes du corps "
                      "viennent du voyage. " + FORCE_NOTE + " " + DAY_NOTE + " " + FINANCE_NOTE,
          body=MISSION_CREATE, query=FORCE_QUERY, errors=(409,),
          responses={201: ("Mission créée (version dans ETag)", MISSION_SCHEMA, "application/json")})
async def create_mission(request: web.Request) -> web.Response:
    force = await _force(request)
    fields = await read_body(request, MISSION_CREATE, guarded=tuple(MONEY_FIELDS))
    db, actor = writer(request)
    created = await missions.create_mission(db, actor, fields, force=force,
                                            finance=can_read_finance(request))
    return record_response(created, status=201, location=url(request, "mission", id=created["id"]))


@routes.post("/missions/generate", name="missions_generate")
@endpoint(Permission.WRITE_MISSIONS, "Générer les missions d'un jour ou d'une période depuis les voyages",
          tag=TAG,
          description="Crée, pour chaque voyage actif qui circule ce jour de la semaine, une mission "
                      "non affectée ; pour une période (`date_debut`, `date_fin`, 31 jours au plus), "
                      "chaque jour, en une seule transaction. Idempotent : un voyage qui a déjà une "
                      "mission ce jour-là (même annulée) n'en reçoit pas d'autre. Un jour validé que "
                      "le rôle ne peut pas modifier est sauté : ses voyages sont dans `ignorees` avec "
                      "la raison. 201 si des missions sont créées, 200 sinon.",
          body=GENERATE_BODY,
          responses={201: ("Missions créées", GENERATE_SCHEMA, "application/json"),
                     200: ("Rien de nouveau à créer", GENERATE_SCHEMA, "application/json")})
async def generate_missions(request: web.Request) -> web.Response:
    body = await read_body(request, GENERATE_BODY)
    db, actor = writer(request)
    first, last = (body["date"], None) if "date" in body else (body["date_debut"], body["date_fin"])
    result = await missions.generate_missions(db, actor, first, last,
                                              finance=can_read_finance(request))
    return json_response(result, status=201 if result["creees"] else 200)


@routes.get(r"/missions/{id:\d{1,19}}", name="mission")
@endpoint(Permission.READ_PLANNING, "Détail d'une mission", tag=TAG, description=FINANCE_NOTE,
          responses={200: ("Mission (version dans ETag)", MISSION_SCHEMA, "application/json")})
async def get_mission(request: web.Request) -> web.Response:
    return record_response(await missions.get_mission(request.app[DB], path_id(request),
                                                      finance=can_read_finance(request)))


@routes.put(r"/missions/{id:\d{1,19}}", name="mission_update")
@endpoint(Permission.WRITE_MISSIONS, "Modifier une mission (champs donnés seulement)", tag=TAG,
          description="Corps partiel : seuls les champs envoyés changent. `If-Match` avec l'ETag du "
                      "GET : 412 avec l'enregistrement actuel s'il a changé entre-temps. Les contrôles "
                      "d'affectation sont refaits quand le chauffeur, le véhicule, le jour, les heures ou "
                      "le voyage changent. " + FORCE_NOTE + " " + DAY_NOTE + " " + FINANCE_NOTE,
          body=MISSION_UPDATE, body_partial=True, query=FORCE_QUERY, etag=True, errors=(409, 412),
          responses={200: ("Mission modifiée", MISSION_SCHEMA, "application/json")})
async def update_mission(request: web.Request) -> web.Response:
    mission_id = path_id(request)
    force = await _force(request)
    changes = await read_body(request, MISSION_UPDATE, partial=True, guarded=tuple(MONEY_FIELDS))
    expected = if_match_version(request)  # after the body: a bad body is a 422 whatever the version
    db, actor = writer(request)
    updated = await missions.update_mission(db, actor, mission_id, changes, expected, force=force,
                                            finance=can_read_finance(request))
    return record_response(updated)


@routes.put(r"/missions/{id:\d{1,19}}/finance", name="mission_finance_update")
@endpoint(Permission.WRITE_FINANCE, "Modifier le prix et le coût d'une mission", tag=TAG,
          description="Pour le rôle finance, qui ne modifie pas le reste du planning. Corps partiel, "
                      "`If-Match` comme pour PUT /missions/{id}.",
          body=FINANCE_UPDATE, body_partial=True, etag=True, errors=(412,),
          responses={200: ("Mission modifiée", MISSION_SCHEMA, "application/json")})
async def update_mission_finance(request: web.Request) -> web.Response:
    mission_id = path_id(request)
    changes = await read_body(request, FINANCE_UPDATE, partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    return record_response(await missions.update_mission(db, actor, mission_id, changes, expected))


@routes.delete(r"/missions/{id:\d{1,19}}", name="mission_delete")
@endpoint(Permission.WRITE_MISSIONS, "Supprimer une mission", tag=TAG,
          description="`If-Match` avec l'ETag du GET : 412 si elle a changé entre-temps. "
                      "L'historique de la mission reste lisible. " + DAY_NOTE,
          etag=True, errors=(409, 412), responses={204: ("Mission supprimée", None, None)})
async def delete_mission(request: web.Request) -> web.Response:
    mission_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    await missions.delete_mission(db, actor, mission_id, expected, finance=can_read_finance(request))
    return web.Response(status=204)


@routes.get(r"/missions/{id:\d{1,19}}/history", name="mission_history")
@endpoint(Permission.READ_HISTORY, "Historique d'une mission", tag=TAG,
          description="Les lignes du journal d'activité de la mission, de la plus ancienne à la plus "
                      "récente (aussi après sa suppression).",
          responses={200: ("Historique", HISTORY_SCHEMA, "application/json")})
async def mission_history(request: web.Request) -> web.Response:
    return list_response(await activity.history(request.app[DB], "mission", path_id(request),
                                                finance=can_read_finance(request)))
