"""Routes of the statistics: /stats/dashboard, /stats/activity/recent, /stats/activity/by-user."""

from __future__ import annotations

import datetime

from aiohttp import web

from ...base import clock
from ...base.errors import ValidationFailed, invalid
from ...base.fields import Date, Integer, Text
from ...base.formats import DATE_PATTERN, FIRST_YEAR, LAST_YEAR, FieldError, parse_date
from ...base.permissions import Permission
from ...base.schema import PAGING, Query
from ...rules import activity, stats
from ..auth import can_read_finance
from ..endpoint import endpoint
from ..http import json_response, list_response
from ..openapi import array_of
from ..state import DB, STARTED

routes = web.RouteTableDef()
TAG = "Statistiques"

ACTIVITY_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
    "username": {"type": "string"}, "hostname": {"type": "string"}, "address": {"type": "string"},
    "action": {"type": "string", "description": "login, login_failed, logout, access_denied, create, "
                                                "update, delete, backup, backup_failed, restore, "
                                                "restore_failed, settings"},
    "entity": {"type": "string"}, "entity_id": {"type": ["integer", "null"]},
    "summary": {"type": "string"},
    "changes": {"type": ["object", "null"],
                "description": "{before: {...}, after: {...}} des champs modifiés"}}}


def _since(value: str) -> str:
    """`depuis`: a day (AAAA-MM-JJ, from midnight UTC) or an ISO 8601 UTC instant."""
    if len(value) == 10:
        return parse_date(value).isoformat() + "T00:00:00.000Z"
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError("format", "Date (AAAA-MM-JJ) ou instant ISO 8601 attendu.") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise FieldError("out_of_range", f"Année entre {FIRST_YEAR} et {LAST_YEAR} attendue.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return clock.iso(moment)


# What `_since` reads, on every Python from 3.9 (whose fromisoformat takes 3 or 6 decimals).
SINCE_PATTERN = (DATE_PATTERN.strip("^$") + r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9]"
                 r"(?:\.[0-9]{3}(?:[0-9]{3})?)?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?")


class Since(Text):
    convert = staticmethod(_since)

    def __init__(self, description: str):
        super().__init__(description, max_length=40, pattern=SINCE_PATTERN)

    def check(self, value):
        return self.convert(super().check(value))


def _until(value: str) -> str:
    """`jusqu_a` as the end of the period, excluded: the day after a date (the day itself is
    included), the millisecond after an instant (the API's precision)."""
    if len(value) == 10:
        return (parse_date(value) + datetime.timedelta(days=1)).isoformat() + "T00:00:00.000Z"
    return clock.iso(clock.parse_iso(_since(value)) + datetime.timedelta(milliseconds=1))


class Until(Since):
    convert = staticmethod(_until)


RECENT_QUERY = Query({
    "username": Text("Utilisateur (identifiant normalisé, ex. JEAN.DUPONT)", max_length=64),
    "action": Text("Action (login, create, update, delete, ...)", max_length=40),
    "entity": Text("Type d'enregistrement (mission, voyage, chauffeur, user, ...)", max_length=40),
    "entity_id": Integer("Identifiant de l'enregistrement", minimum=0, maximum=2**63 - 1),
    "depuis": Since("À partir de cette date (AAAA-MM-JJ) ou de cet instant (ISO 8601)"),
    "jusqu_a": Until("Jusqu'à ce jour inclus (AAAA-MM-JJ) ou cet instant (ISO 8601) ; pas avant `depuis`"),
    **PAGING,
})


@routes.get("/stats/activity/recent", name="activity_recent")
@endpoint(Permission.READ_HISTORY, "Activité récente (journal SAURON)", tag=TAG, query=RECENT_QUERY,
          description="Du plus récent au plus ancien ; total dans X-Total-Count. Les champs "
                      "financiers des modifications ne sont montrés qu'aux rôles qui peuvent les lire. "
                      "Une période dont `jusqu_a` précède `depuis` est refusée (422).",
          responses={200: ("Lignes du journal", array_of(ACTIVITY_SCHEMA), "application/json")})
async def activity_recent(request: web.Request) -> web.Response:
    query = RECENT_QUERY.validate(request.query)
    limit, offset = query.pop("limit"), query.pop("offset")
    if "username" in query:
        query["username"] = query["username"].upper()
    # Both are instants as clock.iso writes them (sorting as text as in time); jusqu_a excluded.
    if "depuis" in query and "jusqu_a" in query and query["jusqu_a"] <= query["depuis"]:
        raise ValidationFailed([invalid("jusqu_a", "out_of_range",
                                        "Ne peut pas précéder le début de la période (depuis).")])
    lines, total = await activity.recent(
        request.app[DB], query, limit=limit, offset=offset,
        can_read_finance=can_read_finance(request))
    return list_response(lines, total)


BY_USER_QUERY = Query({
    "depuis": Date("Premier jour (défaut : il y a 30 jours)"),
    "jusqu_a": Date("Dernier jour inclus (défaut : aujourd'hui, ou `depuis` s'il est plus tard)"),
})
BY_USER_SCHEMA = {"type": "object", "properties": {
    "username": {"type": "string"}, "total": {"type": "integer"},
    "actions": {"type": "object", "additionalProperties": {"type": "integer"}}}}


@routes.get("/stats/activity/by-user", name="activity_by_user")
@endpoint(Permission.READ_HISTORY, "Activité par utilisateur", tag=TAG, query=BY_USER_QUERY,
          description="Par utilisateur, le nombre d'actions de chaque type sur la période (jours UTC).",
          responses={200: ("Par utilisateur, du plus actif au moins actif", array_of(BY_USER_SCHEMA),
                           "application/json")})
async def activity_by_user(request: web.Request) -> web.Response:
    query = BY_USER_QUERY.validate(request.query)
    today = clock.now().date()
    last = query.get("jusqu_a") or max(today, query.get("depuis") or today)
    first = query.get("depuis") or last - datetime.timedelta(days=30)
    if first > last:
        raise ValidationFailed([invalid("depuis", "out_of_range", "Doit précéder jusqu_a.")])
    end = last + datetime.timedelta(days=1)
    rows = await activity.by_user(request.app[DB], first.isoformat() + "T00:00:00.000Z",
                                  end.isoformat() + "T00:00:00.000Z")
    return json_response(rows)


DASHBOARD_QUERY = Query({"date": Date("Jour du tableau de bord (défaut : aujourd'hui, heure du serveur)")})
DASHBOARD_SCHEMA = {"type": "object", "properties": {
    "date": {"type": "string", "format": "date"},
    "missions": {"type": "object"}, "chauffeurs": {"type": "object"},
    "competences_expirant": {"type": "object"}, "voyages_actifs": {"type": "integer"},
    "utilisateurs_actifs": {"type": "integer"}, "sessions_actives": {"type": "integer"},
    "base": {"type": "object"}, "derniere_sauvegarde": {"type": ["object", "null"]},
    "uptime_seconds": {"type": "number"}, "version": {"type": "string"}}}


@routes.get("/stats/dashboard", name="dashboard")
@endpoint(Permission.READ_PLANNING, "Tableau de bord", tag=TAG, query=DASHBOARD_QUERY,
          description="Missions du jour et de la semaine par statut, missions non affectées, "
                      "chauffeurs actifs, disponibles et absents, compétences qui expirent dans les "
                      "30 jours, voyages actifs, utilisateurs, sessions, taille de la base, dernière "
                      "sauvegarde, uptime et version.",
          responses={200: ("Chiffres du tableau de bord", DASHBOARD_SCHEMA, "application/json")})
async def dashboard(request: web.Request) -> web.Response:
    query = DASHBOARD_QUERY.validate(request.query)
    today = query.get("date") or datetime.date.today()
    figures = await stats.dashboard(request.app[DB], today=today, started=request.app[STARTED])
    return json_response(figures, headers={"Cache-Control": "no-store"})
