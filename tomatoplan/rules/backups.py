"""Backups as an admin uses them: made (by hand, every night, before a restore), listed, copied
to a second disk, kept or pruned, restored; one at a time, each outcome in the activity log.

Restoring a backup, and importing one made elsewhere, are in `restore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import errno
import logging
import os
import stat
import threading
import time
from typing import Any, Callable

from .. import __version__
from ..base import clock
from ..base.config import Config
from ..base.db import Database
from ..base.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from . import activity
from . import backup_files as files
from .activity import SYSTEM, Actor

log = logging.getLogger(__name__)

TRIGGERS = ("manuel", "auto", "avant_restauration", "importee")
# /health says "degraded" when the last automatic backup is older than this.
AUTO_BACKUP_MAX_AGE = datetime.timedelta(hours=26)


def _local_now() -> datetime.datetime:
    return datetime.datetime.now()


@dataclasses.dataclass
class Backups:
    """The backups of one database (its folder, its copy folder, its retention)."""

    db: Database
    config: Config
    local_now: Callable[[], datetime.datetime] = _local_now
    busy: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    # Descriptions read from files, by (name, size, mtime): a listing opens each file once.
    _described: dict = dataclasses.field(default_factory=dict)

    @property
    def folder(self) -> str:
        return os.path.realpath(self.config.backup_dir)

    # --- one at a time ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def exclusive(self, wait: bool = False):
        """The right to back up or restore; 409 at once when another one runs (unless `wait`,
        for the nightly backup)."""
        if self.busy.locked() and not wait:
            raise Conflict("Une sauvegarde ou une restauration est déjà en cours : réessayez dans "
                           "un instant.", code="backup_busy")
        async with self.busy:
            yield

    # --- names and listing -----------------------------------------------------------------

    def path_of(self, name: str) -> str:
        """The file of a backup named `name`: 400 for a name that is not a backup name, 404 for
        one that names no regular file in the backups folder (a symlink is not followed)."""
        if not isinstance(name, str) or not files.NAME_PATTERN.fullmatch(name):
            raise BadRequest("Nom de sauvegarde invalide : attendu backup_AAAAMMJJ_HHMMSS.db.",
                             code="invalid_backup_name")
        path = os.path.join(self.folder, name)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            mode = 0
        if not stat.S_ISREG(mode):
            raise NotFound(f"Sauvegarde {name} introuvable.", code="backup_not_found")
        return path

    def _entry(self, name: str, path: str) -> dict[str, Any]:
        status = os.stat(path)
        key = (name, status.st_size, status.st_mtime_ns)
        if key not in self._described:
            self._described = {k: v for k, v in self._described.items() if k[0] != name}
            self._described[key] = files.read_description(path) or {}
        described = self._described[key]
        modified = datetime.datetime.fromtimestamp(status.st_mtime, datetime.timezone.utc)
        return {
            "name": name,
            "size": status.st_size,
            "created_at": described.get("created_at") or clock.iso(modified),
            "description": described.get("description", ""),
            "trigger": described.get("trigger"),
            "created_by": described.get("created_by"),
            "integrity": described.get("integrity"),
            "schema_version": described.get("schema_version"),
            "server_version": described.get("server_version"),
            "counts": described.get("counts"),
            "imported_at": described.get("imported_at"),
        }

    def _list_now(self) -> list[dict]:
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.folder):
                if files.NAME_PATTERN.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    found.append(self._entry(entry.name, entry.path))
        names = {backup["name"] for backup in found}
        self._described = {key: value for key, value in self._described.items() if key[0] in names}
        return sorted(found, key=lambda backup: (backup["created_at"], backup["name"]), reverse=True)

    async def list(self) -> list[dict]:
        """Every backup of the folder, newest first, with its description."""
        return await asyncio.to_thread(self._list_now)

    async def get(self, name: str) -> dict:
        path = self.path_of(name)
        return await asyncio.to_thread(self._entry, name, path)

    # --- making one ------------------------------------------------------------------------

    async def create(self, actor: Actor, description: str = "", trigger: str = "manuel") -> dict:
        """Back up the live database now (409 while another backup or restore runs)."""
        async with self.exclusive():
            return await self.make(actor, description, trigger)

    async def make(self, actor: Actor, description: str, trigger: str) -> dict:
        """Back up now; the caller holds `exclusive()`. 503 when the backup fails (logged)."""
        moment = self.local_now()
        temp = files.temp_path(self.folder, "sauvegarde")
        started = time.monotonic()
        # A cancelled wait does not stop the worker thread: told so, it drops its copy instead
        # of naming it, so a backup either is named and logged or leaves nothing.
        cancelled = threading.Event()
        try:
            os.makedirs(self.folder, exist_ok=True)
            name = await asyncio.to_thread(self._write_backup, temp, moment, actor, description,
                                           trigger, cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        except Exception as exc:
            files.remove_quietly(temp)
            reason = reason_of(exc)
            log.error("backup (%s) failed: %s", trigger, reason, exc_info=not isinstance(exc, OSError))
            await activity.record_alone(
                self.db, actor, "backup_failed", entity="backup",
                summary=f"Échec de la sauvegarde ({trigger}) : {reason}",
                changes={"trigger": trigger, "error": reason})
            raise ServiceUnavailable(f"Sauvegarde impossible : {reason}", code="backup_failed") from None
        made = await self.get(name)
        seconds = round(time.monotonic() - started, 1)
        log.info("backup %s (%s) made in %.1f s: %d bytes", name, trigger, seconds, made["size"])
        await activity.record_alone(
            self.db, actor, "backup", entity="backup", payload=made,
            summary=f"Sauvegarde {name} ({trigger}, {made['size']} octets, {seconds} s)",
            changes={"name": name, "trigger": trigger, "description": description,
                     "size": made["size"]})
        if self.config.backup_copy_dir:
            await self._copy_elsewhere(actor, name, trigger)
        return made

    def _write_backup(self, temp: str, moment: datetime.datetime, actor: Actor, description: str,
                      trigger: str, cancelled: threading.Event) -> str:
        """The blocking part: copy, check, describe, sync, name (in a worker thread)."""
        files.make_copy(self.config.database_path, temp)
        found = files.inspect(temp)
        if found["integrity"] != "ok":
            raise files.BackupFileError(f"la copie ne passe pas integrity_check : {found['integrity']}")
        name = files.free_name(self.folder, moment)
        files.describe(temp, {
            "name": name,
            "created_at": clock.now_iso(),
            "description": description,
            "trigger": trigger,
            "created_by": actor.username,
            "integrity": found["integrity"],
            "schema_version": found["schema_version"],
            "server_version": __version__,
            "counts": found["counts"],
            "fingerprint": found["fingerprint"],
        })
        files.fsync_path(temp)
        if cancelled.is_set():
            files.remove_quietly(temp)
            raise files.BackupFileError("sauvegarde interrompue (arrêt du serveur)")
        return files.publish(temp, self.folder, name)

    async def _copy_elsewhere(self, actor: Actor, name: str, trigger: str) -> None:
        """The verified copy into TOMATOPLAN_BACKUP_COPY_DIR, and its retention; a failure is
        reported like a failed backup (log, activity line, dashboard, /health)."""
        folder = self.config.backup_copy_dir
        try:
            os.makedirs(folder, exist_ok=True)
            await asyncio.to_thread(files.copy_verified, os.path.join(self.folder, name), folder, name)
            await self._prune(folder, self.config.backup_copy_retention_days)
        except Exception as exc:
            reason = reason_of(exc)
            log.error("copy of backup %s to %s failed: %s", name, folder, reason)
            await activity.record_alone(
                self.db, actor, "backup_failed", entity="backup",
                summary=f"Sauvegarde {name} faite, mais sa copie vers {folder} a échoué : {reason}",
                changes={"name": name, "trigger": trigger, "stage": "copie", "error": reason})

    async def run_nightly(self) -> None:
        """The automatic backup (scheduler job): waits for any backup or restore in progress,
        then backs up and prunes the automatic backups past their retention."""
        async with self.exclusive(wait=True):
            await self.make(SYSTEM, "Sauvegarde automatique quotidienne", "auto")
        await self._prune(self.folder, self.config.backup_retention_days)

    async def _prune(self, folder: str, retention_days: int) -> list[str]:
        """Delete the automatic backups of `folder` older than `retention_days`; never another."""
        cutoff = clock.iso(clock.now() - datetime.timedelta(days=retention_days))

        def old_ones() -> list[str]:
            names = []
            with contextlib.suppress(FileNotFoundError):
                for entry in os.scandir(folder):
                    if not (files.NAME_PATTERN.fullmatch(entry.name)
                            and entry.is_file(follow_symlinks=False)):
                        continue
                    described = files.read_description(entry.path) or {}
                    if described.get("trigger") == "auto" and described.get("created_at", "~") < cutoff:
                        names.append(entry.name)
            return sorted(names)

        deleted = []
        for name in await asyncio.to_thread(old_ones):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))
                deleted.append(name)
        if deleted:
            log.info("backup retention: deleted %d automatic backup(s) of %s older than %d days",
                     len(deleted), folder, retention_days)
            await activity.record_alone(
                self.db, SYSTEM, "delete", entity="backup",
                summary=f"Suppression de {len(deleted)} sauvegarde(s) automatique(s) de plus de "
                        f"{retention_days} jours dans {folder} : {', '.join(deleted)}",
                changes={"deleted": deleted, "folder": folder})
        return deleted

    # --- deleting ------------------------------------------------------------

    async def delete(self, actor: Actor, name: str) -> None:
        path = self.path_of(name)
        async with self.exclusive():
            try:
                os.remove(path)
            except FileNotFoundError:
                raise NotFound(f"Sauvegarde {name} introuvable.", code="backup_not_found") from None
        await activity.record_alone(self.db, actor, "delete", entity="backup",
                                    summary=f"Suppression de la sauvegarde {name}",
                                    changes={"name": name})

    # --- what supervision sees -------------------------------------------------------------

    async def health(self, started: datetime.datetime) -> dict:
        """{"status": ok | degraded | disabled, ...}: degraded when the last automatic backup
        (or its copy) failed, or is older than 26 hours (or none after 26 hours of uptime)."""
        if not self.config.auto_backup_enabled:
            return {"status": "disabled", "detail": "Sauvegarde automatique désactivée."}
        async with self.db.read() as session:
            last = await activity.last_backup(session, trigger="auto")
        now = clock.now()
        if last is None:
            if now - started > AUTO_BACKUP_MAX_AGE:
                return {"status": "degraded", "last": None,
                        "detail": "Aucune sauvegarde automatique depuis plus de 26 heures."}
            return {"status": "ok", "last": None, "detail": "Pas encore de sauvegarde automatique."}
        summary = {"at": last["at"], "ok": last["action"] == "backup",
                   "name": last["changes"].get("name"), "summary": last["summary"]}
        if last["action"] != "backup":
            return {"status": "degraded", "last": summary,
                    "detail": "La dernière sauvegarde automatique a échoué."}
        if now - clock.parse_iso(last["at"]) > AUTO_BACKUP_MAX_AGE:
            return {"status": "degraded", "last": summary,
                    "detail": "La dernière sauvegarde automatique a plus de 26 heures."}
        return {"status": "ok", "last": summary, "detail": "Sauvegarde automatique à jour."}


def reason_of(exc: BaseException) -> str:
    """What went wrong, in words an admin can act on."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "disque plein"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"dossier non accessible en écriture ({exc.filename or ''})".replace(" ()", "")
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            return f"{exc.filename or 'le dossier'} n'est pas un dossier"
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc.strerror or exc)
    return str(exc) or type(exc).__name__
