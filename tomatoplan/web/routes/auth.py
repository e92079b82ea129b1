"""Routes of the login: /auth/login, /auth/logout, /auth/me."""

from __future__ import annotations

from aiohttp import web

from ...base.errors import Forbidden
from ...base.fields import Boolean, Text
from ...base.permissions import AUTHENTICATED, PERMISSION_LABELS, PUBLIC, Permission
from ...base.schema import Schema
from ...rules import login as login_rules
from ...rules import sessions, users
from ...rules.users import WINDOWS_ACCOUNT
from ..auth import COOKIE_NAME, client_address, current_auth, same_origin
from ..endpoint import endpoint
from ..http import json_response, read_json
from ..state import DB, DENIALS, LOGIN_LIMITER, SETTINGS, SIGNING_KEY

routes = web.RouteTableDef()
TAG = "Authentification"

LOGIN_BODY = Schema("Login", {
    "username": Text("Identifiant Windows : JEAN.DUPONT, CORP\\jean.dupont ou jean.dupont@corp.local",
                     required=True, max_length=256, pattern=WINDOWS_ACCOUNT, example="JEAN.DUPONT"),
    # What Windows allows in a computer name (NetBIOS or DNS form): nothing that could break
    # a log line or a page that shows it.
    "hostname": Text("Nom du poste client (lettres, chiffres, « - », « _ » et « . »)",
                     max_length=253, default="", pattern=r"(?:[A-Za-z0-9][A-Za-z0-9._-]*)?",
                     example="PC-BUREAU-01"),
    "session_cookie": Boolean("Pose aussi le jeton dans un cookie HttpOnly (pages d'administration)",
                              default=False),
})

USER_PUBLIC_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
    "role": {"type": "string"}, "permissions": {"type": "array", "items": {"type": "string"}}}}
LOGIN_ANSWER = {"type": "object", "properties": {
    "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["bearer"]},
    "expires_at": {"type": "string", "format": "date-time"}, "user": USER_PUBLIC_SCHEMA}}
ME_ANSWER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
    "role": {"type": "string"},
    "permissions": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "label": {"type": "string"}}}},
    "session": {"type": "object"}}}


@routes.post("/auth/login", name="auth_login")
@endpoint(PUBLIC, "Connexion par identifiant Windows", tag=TAG,
          description="Sans mot de passe : seuls les utilisateurs existants et actifs (ou créés "
                      "automatiquement si TOMATOPLAN_AUTO_REGISTER_ROLE est réglé) obtiennent un jeton.",
          body=LOGIN_BODY, errors=(401, 403, 429),
          responses={200: ("Jeton de session", LOGIN_ANSWER, "application/json")})
async def login(request: web.Request) -> web.Response:
    app = request.app
    config = app[SETTINGS].config
    payload = LOGIN_BODY.validate(await read_json(request))
    if payload["session_cookie"] and not same_origin(request):
        # Another site's form must not log this browser in under a name of its choosing.
        raise Forbidden("Origine de la requête refusée.", code="bad_origin")
    answer = await login_rules.log_in(app[DB], config, app[SIGNING_KEY], app[LOGIN_LIMITER],
                                      app[DENIALS], username=payload["username"],
                                      hostname=payload["hostname"],
                                      address=client_address(request),
                                      user_agent=request.headers.get("User-Agent", ""))
    response = json_response(answer)
    if payload["session_cookie"]:
        response.set_cookie(COOKIE_NAME, answer["access_token"], httponly=True, samesite="Strict",
                            path="/", max_age=int(config.token_ttl_hours * 3600), secure=request.secure)
    return response


@routes.post("/auth/logout", name="auth_logout")
@endpoint(AUTHENTICATED, "Déconnexion (révoque le jeton immédiatement)", tag=TAG,
          responses={204: ("Session révoquée", None, None)})
async def logout(request: web.Request) -> web.Response:
    auth = current_auth(request)
    await sessions.revoke(request.app[DB], auth.actor, auth.session_id, sessions.LOGOUT)
    response = web.Response(status=204)
    response.del_cookie(COOKIE_NAME, path="/")
    return response


@routes.get("/auth/me", name="auth_me")
@endpoint(AUTHENTICATED, "Utilisateur courant, rôle et permissions", tag=TAG,
          responses={200: ("Utilisateur courant", ME_ANSWER, "application/json")})
async def me(request: web.Request) -> web.Response:
    auth = current_auth(request)
    user = await users.get_user(request.app[DB], auth.user_id)
    held = [p for p in Permission if auth.can(p)]
    return json_response({
        **user,
        "permissions": [{"name": p.value, "label": PERMISSION_LABELS[p]} for p in held],
        "session": {"id": auth.session_id, "hostname": auth.hostname, "address": auth.address,
                    "via_cookie": auth.via_cookie},
    })
