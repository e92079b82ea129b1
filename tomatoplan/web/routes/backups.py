"""Routes of the backups (administrators): make, list, download, upload, delete, restore."""

from __future__ import annotations

import asyncio
import os
import shutil

from aiohttp import web

from ...base.errors import BadRequest, Conflict, ServiceUnavailable
from ...base.fields import Text
from ...base.permissions import Permission
from ...base.schema import Query
from ...rules import backup_files, backup_folder, restore
from ..auth import current_auth
from ..connections import reading_body
from ..endpoint import endpoint
from ..event_bus import EVENT_BUS
from ..http import body_too_slow, json_response, list_response, url
from ..openapi import array_of
from ..state import BACKUPS, CONFIG, DB

routes = web.RouteTableDef()
TAG = "Administration : sauvegardes"
# Only a backup's name matches: any other path under /admin/backups/ is no route at all (404),
# so /admin/backups/upload is never read as a name, and each path has one set of methods.
NAME = r"{name:backup_[0-9]{8}_[0-9]{6}(?:_[0-9]{1,3})?\.db}"
UPLOAD_CHUNK = 256 * 1024
# What must stay free on the backups' disk while an upload is stored.
FREE_MARGIN = 64 * 1024 * 1024

BACKUP_SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string", "examples": ["backup_20240115_120000.db"]},
    "size": {"type": "integer", "description": "Octets"},
    "created_at": {"type": "string", "format": "date-time"},
    "description": {"type": "string"},
    "trigger": {"type": ["string", "null"], "enum": ["manuel", "auto", "avant_restauration", "importee",
                                                     None]},
    "original_trigger": {"type": ["string", "null"],
                         "description": "Pour une sauvegarde importée : son origine sur l'autre serveur"},
    "created_by": {"type": ["string", "null"]},
    "integrity": {"type": ["string", "null"], "description": "Résultat de PRAGMA integrity_check"},
    "schema_version": {"type": ["integer", "null"]},
    "server_version": {"type": ["string", "null"]},
    "counts": {"type": ["object", "null"], "description": "Lignes des tables principales"},
    "imported_at": {"type": ["string", "null"], "format": "date-time"}}}
RESTORE_SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "before": {"type": "string",
                                           "description": "Sauvegarde de l'état remplacé"},
    "counts": {"type": "object"}, "fingerprint": {"type": "object"},
    "seconds": {"type": "number"}, "schema_version": {"type": "integer"}}}
DESCRIPTION = Text("Description de la sauvegarde", max_length=500, default="",
                   example="Avant la réorganisation des tournées")
CREATE_QUERY = Query({"description": DESCRIPTION})
UPLOAD_QUERY = Query({
    "name": Text("Nom à lui donner (par défaut le sien s'il est libre, sinon un nouveau)",
                 max_length=40, pattern=backup_folder.NAME_PATTERN.pattern),
    "description": Text("Description (par défaut celle qu'elle porte)", max_length=500),
})
NAME_NOTE = ("Le nom est de la forme backup_AAAAMMJJ_HHMMSS.db ; tout autre nom, ou un nom qui ne "
             "désigne pas une sauvegarde du dossier, donne 404.")


def _refuse_body(request: web.Request) -> None:
    if request.body_exists:
        raise BadRequest("Pas de corps attendu : la description se donne dans l'adresse "
                         "(?description=...).", code="unexpected_body")


@routes.get("/admin/backups", name="backups")
@endpoint(Permission.ADMIN, "Liste des sauvegardes", tag=TAG,
          description="Les sauvegardes du dossier, de la plus récente à la plus ancienne, avec ce que "
                      "chacune dit d'elle-même (description, origine, auteur, intégrité, lignes).",
          responses={200: ("Sauvegardes (total dans X-Total-Count)", array_of(BACKUP_SCHEMA),
                           "application/json")})
async def list_backups(request: web.Request) -> web.Response:
    return list_response(await request.app[BACKUPS].list())


@routes.get("/admin/backups/live-counts", name="backup_live_counts")
@endpoint(Permission.ADMIN, "Lignes de la base en service", tag=TAG,
          description="Les lignes des tables principales, comptées comme dans `counts` d'une "
                      "sauvegarde : ce qu'une restauration remplacerait.",
          responses={200: ("Lignes par table", {"type": "object", "additionalProperties":
                                                {"type": "integer"}}, "application/json")})
async def live_counts(request: web.Request) -> web.Response:
    return json_response(await backup_files.live_counts(request.app[DB]),
                         headers={"Cache-Control": "no-store"})


@routes.post("/admin/backups", name="backup_create")
@endpoint(Permission.ADMIN, "Faire une sauvegarde maintenant", tag=TAG, query=CREATE_QUERY,
          description="Copie à chaud et cohérente de la base (API de sauvegarde de SQLite), vérifiée "
                      "(integrity_check), écrite sous un nom temporaire puis renommée ; lectures et "
                      "écritures continuent pendant la copie. 409 si une sauvegarde ou une "
                      "restauration est en cours ; 503 si elle échoue (disque plein, dossier non "
                      "accessible), sans laisser de fichier partiel.",
          errors=(400, 409, 503),
          responses={201: ("Sauvegarde faite", BACKUP_SCHEMA, "application/json")})
async def create_backup(request: web.Request) -> web.Response:
    query = CREATE_QUERY.validate(request.query)
    _refuse_body(request)
    made = await request.app[BACKUPS].create(current_auth(request).actor, query["description"])
    return json_response(made, status=201,
                         headers={"Location": url(request, "backup", name=made["name"])})


@routes.post("/admin/backups/upload", name="backup_upload")
@endpoint(Permission.ADMIN, "Importer une sauvegarde faite ailleurs", tag=TAG, query=UPLOAD_QUERY,
          raw_body="application/octet-stream",
          description="Le corps est le fichier (curl --data-binary @backup_....db). Il est vérifié "
                      "avant d'être listé : base SQLite de TomatoPlan, intégrité, schéma pas plus "
                      "récent que celui du serveur (422 sinon). Taille maximale : "
                      "TOMATOPLAN_MAX_BACKUP_SIZE (413 au-delà). Une importation à la fois (409) ; "
                      "503 si le disque n'a pas la place.",
          errors=(409, 503),
          responses={201: ("Sauvegarde importée", BACKUP_SCHEMA, "application/json")})
async def upload_backup(request: web.Request) -> web.Response:
    query = UPLOAD_QUERY.validate(request.query)
    backups = request.app[BACKUPS]
    limit = request.app[CONFIG].max_backup_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    if backups.uploading.locked():
        raise Conflict("Une importation est déjà en cours : réessayez dans un instant.",
                       code="backup_busy")
    async with backups.uploading:
        os.makedirs(backups.folder, exist_ok=True)
        _check_room(backups.folder, request.content_length or 0)
        temp = backup_folder.temp_path(backups.folder, "import")
        try:
            received = 0
            pause = request.app[CONFIG].body_timeout
            with open(temp, "xb") as handle:
                while True:
                    try:
                        with reading_body(request):
                            chunk = await asyncio.wait_for(request.content.read(UPLOAD_CHUNK),
                                                           pause)
                    except asyncio.TimeoutError:
                        raise body_too_slow(pause) from None
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > limit:
                        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=received)
                    handle.write(chunk)
                    if received % (16 * 1024 * 1024) < len(chunk):  # now and then, not per chunk
                        _check_room(backups.folder, 0)
            if received == 0:
                raise BadRequest("Corps vide : envoyez le fichier de la sauvegarde.", code="body_missing")
        except BaseException:
            backup_folder.remove_quietly(temp)
            raise
        imported = await restore.import_file(backups, current_auth(request).actor, temp,
                                             name=query.get("name"),
                                             description=query.get("description"))
    return json_response(imported, status=201,
                         headers={"Location": url(request, "backup", name=imported["name"])})


def _check_room(folder: str, coming: int) -> None:
    """503 when storing `coming` more bytes would leave the backups' disk almost full."""
    if shutil.disk_usage(folder).free < coming + FREE_MARGIN:
        raise ServiceUnavailable("Espace disque insuffisant pour recevoir cette sauvegarde.",
                                 code="disk_full")


@routes.post(r"/admin/backups/restore/" + NAME, name="backup_restore")
@endpoint(Permission.ADMIN, "Restaurer une sauvegarde", tag=TAG,
          description="Remplace le planning (missions, voyages, chauffeurs, absences, compétences, "
                      "catalogue) par celui de la sauvegarde, dans une seule transaction : les "
                      "lectures continuent et voient l'avant puis l'après. Garde les utilisateurs, "
                      "les sessions, la configuration et le journal d'activité. Une sauvegarde de "
                      "l'état remplacé est faite d'abord (`before`). Les flux /events reçoivent "
                      "`resync`. " + NAME_NOTE,
          errors=(400, 409, 503),
          responses={200: ("Restauration faite", RESTORE_SCHEMA, "application/json")})
async def restore_backup(request: web.Request) -> web.Response:
    _refuse_body(request)
    report = await restore.restore(request.app[BACKUPS], current_auth(request).actor,
                                   request.match_info["name"])
    request.app[EVENT_BUS].resync()
    return json_response(report)


@routes.get(r"/admin/backups/" + NAME, name="backup")
@endpoint(Permission.ADMIN, "Détail d'une sauvegarde", tag=TAG, description=NAME_NOTE,
          responses={200: ("Sauvegarde", BACKUP_SCHEMA, "application/json")})
async def get_backup(request: web.Request) -> web.Response:
    return json_response(await request.app[BACKUPS].get(request.match_info["name"]))


@routes.get(r"/admin/backups/" + NAME + "/download", name="backup_download")
@endpoint(Permission.ADMIN, "Télécharger une sauvegarde", tag=TAG, description=NAME_NOTE,
          responses={200: ("Le fichier SQLite", None, "application/vnd.sqlite3")})
async def download_backup(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = request.app[BACKUPS].path_of(name)
    return web.FileResponse(path, headers={
        "Content-Type": "application/vnd.sqlite3",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


@routes.delete(r"/admin/backups/" + NAME, name="backup_delete")
@endpoint(Permission.ADMIN, "Supprimer une sauvegarde", tag=TAG, description=NAME_NOTE,
          errors=(400, 409), responses={204: ("Sauvegarde supprimée", None, None)})
async def delete_backup(request: web.Request) -> web.Response:
    await request.app[BACKUPS].delete(current_auth(request).actor, request.match_info["name"])
    return web.Response(status=204)
