"""Routes of the sessions (administrators): who is connected, from which PC; revoke one."""

from __future__ import annotations

from aiohttp import web

from ...base.permissions import Permission
from ...base.schema import PAGING, Query
from ...rules import sessions
from ..auth import writer
from ..endpoint import endpoint
from ..http import list_response, path_id
from ..openapi import array_of
from ..state import DB

routes = web.RouteTableDef()
TAG = "Administration : sessions"

SESSION_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user_id": {"type": "integer"}, "username": {"type": "string"},
    "role": {"type": "string"}, "hostname": {"type": "string"}, "address": {"type": "string"},
    "user_agent": {"type": "string"}, "created_at": {"type": "string"},
    "last_seen_at": {"type": "string"}, "expires_at": {"type": "string"}}}
SESSIONS_QUERY = Query(dict(PAGING))


@routes.get("/admin/sessions", name="admin_sessions")
@endpoint(Permission.ADMIN, "Sessions actives", tag=TAG, query=SESSIONS_QUERY,
          responses={200: ("Sessions non révoquées et non expirées", array_of(SESSION_SCHEMA),
                           "application/json")})
async def list_sessions(request: web.Request) -> web.Response:
    query = SESSIONS_QUERY.validate(request.query)
    found, total = await sessions.list_active(request.app[DB], **query)
    return list_response(found, total)


@routes.delete(r"/admin/sessions/{id:\d+}", name="admin_session_revoke")
@endpoint(Permission.ADMIN, "Révoquer une session", tag=TAG,
          responses={204: ("Session révoquée", None, None)})
async def revoke_session(request: web.Request) -> web.Response:
    db, actor = writer(request)
    await sessions.revoke(db, actor, path_id(request),
                          "révoquée par un administrateur")
    return web.Response(status=204)
