"""Routes of the users (administrators): /admin/users, /admin/users/{id}."""

from __future__ import annotations

from aiohttp import web

from ...base.fields import Boolean, Choice, Text
from ...base.formats import EMAIL_PATTERN
from ...base.permissions import ROLES, Permission
from ...base.schema import PAGING, Query, Schema
from ...rules import users
from ...rules.users import WINDOWS_ACCOUNT
from ..auth import writer
from ..endpoint import endpoint
from ..http import if_match_version, list_response, path_id, read_json, record_response, url
from ..openapi import array_of
from ..state import DB

routes = web.RouteTableDef()
TAG = "Administration : utilisateurs"

USER_FIELDS = {
    "username": Text("Identifiant Windows : NOM, DOMAINE\\NOM ou NOM@domaine (gardé en "
                     "majuscules, sans domaine)", required=True, max_length=256,
                     pattern=WINDOWS_ACCOUNT, example="JEAN.DUPONT"),
    "display_name": Text("Nom affiché", max_length=120, example="Jean Dupont"),
    "email": Text("Adresse e-mail", max_length=254, pattern=f"(?:{EMAIL_PATTERN})?"),
    "role": Choice(ROLES, "Rôle", required=True),
    "active": Boolean("Compte actif (un compte inactif ne peut plus se connecter)"),
}
USER_CREATE = Schema("UserCreate", USER_FIELDS)
USER_UPDATE = Schema("UserUpdate", {k: v for k, v in USER_FIELDS.items() if k != "username"})
USER_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
    "email": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)},
    "active": {"type": "boolean"}, "last_login_at": {"type": ["string", "null"]},
    "version": {"type": "integer"}, "created_at": {"type": "string"}, "created_by": {"type": "string"},
    "updated_at": {"type": "string"}, "updated_by": {"type": "string"}}}
USERS_QUERY = Query({"include_inactive": Boolean("Inclure les comptes désactivés", default=False),
                     **PAGING})


@routes.get("/admin/users", name="admin_users")
@endpoint(Permission.ADMIN, "Liste des utilisateurs", tag=TAG, query=USERS_QUERY,
          responses={200: ("Utilisateurs (total dans X-Total-Count)", array_of(USER_SCHEMA),
                           "application/json")})
async def list_users(request: web.Request) -> web.Response:
    query = USERS_QUERY.validate(request.query)
    found, total = await users.list_users(request.app[DB], **query)
    return list_response(found, total)


@routes.post("/admin/users", name="admin_user_create")
@endpoint(Permission.ADMIN, "Créer un utilisateur", tag=TAG, body=USER_CREATE, errors=(409,),
          responses={201: ("Utilisateur créé", USER_SCHEMA, "application/json")})
async def create_user(request: web.Request) -> web.Response:
    fields = USER_CREATE.validate(await read_json(request))
    db, actor = writer(request)
    created = await users.create_user(db, actor, fields)
    return record_response(created, status=201, location=url(request, "admin_user", id=created["id"]))


@routes.get(r"/admin/users/{id:\d+}", name="admin_user")
@endpoint(Permission.ADMIN, "Détail d'un utilisateur", tag=TAG,
          responses={200: ("Utilisateur (version dans ETag)", USER_SCHEMA, "application/json")})
async def get_user(request: web.Request) -> web.Response:
    return record_response(await users.get_user(request.app[DB], path_id(request)))


@routes.put(r"/admin/users/{id:\d+}", name="admin_user_update")
@endpoint(Permission.ADMIN, "Modifier un utilisateur (rôle, nom, actif)", tag=TAG,
          description="Un changement de rôle ou une désactivation révoque immédiatement les "
                      "sessions de l'utilisateur. Le dernier administrateur actif ne peut pas être "
                      "rétrogradé ni désactivé (409).",
          body=USER_UPDATE, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Utilisateur modifié", USER_SCHEMA, "application/json")})
async def update_user(request: web.Request) -> web.Response:
    user_id = path_id(request)
    changes = USER_UPDATE.validate(await read_json(request), partial=True)
    expected = if_match_version(request)
    db, actor = writer(request)
    updated = await users.update_user(db, actor, user_id,
                                      changes, expected)
    return record_response(updated)


@routes.delete(r"/admin/users/{id:\d+}", name="admin_user_delete")
@endpoint(Permission.ADMIN, "Désactiver un utilisateur", tag=TAG,
          description="L'utilisateur est désactivé, pas effacé : l'historique garde son nom. "
                      "Ses sessions sont révoquées.",
          etag=True, errors=(409, 412),
          responses={200: ("Utilisateur désactivé", USER_SCHEMA, "application/json")})
async def deactivate_user(request: web.Request) -> web.Response:
    user_id = path_id(request)
    expected = if_match_version(request)
    db, actor = writer(request)
    updated = await users.update_user(db, actor, user_id,
                                      {"active": False}, expected)
    return record_response(updated)
