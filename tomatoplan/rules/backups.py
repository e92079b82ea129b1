"""Backups as an admin uses them: made (by hand, every night, before a restore), listed, copied
to a second disk, kept or pruned; one at a time, each outcome in the activity log.

One at a time across processes too: a lock file beside the database (flock) is held by whoever
backs up, restores or imports, the server or a command. Restoring a backup and
importing one made elsewhere are in `restore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Any, Callable, Optional

from .. import __version__
from ..base import clock
from ..base.config import Config
from ..base.db import Database
from ..base.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from . import activity
from . import backup_files as files
from . import backup_folder as folder
from .activity import SYSTEM, Actor

log = logging.getLogger(__name__)

# Beside the database, whose folder works whenever the server does (the backups folder may not).
LOCK_SUFFIX = ".sauvegardes.lock"
# The scheduler's name of the nightly backup (moved when its hour changes at run time).
AUTO_BACKUP_JOB = "sauvegarde automatique"
BUSY = "Une sauvegarde, une restauration ou une importation est déjà en cours : réessayez dans un instant."


def _local_now() -> datetime.datetime:
    return datetime.datetime.now()


@dataclasses.dataclass
class Backups:
    """The backups of one database (its folder, its copy folder, its retention)."""

    db: Database
    config: Config
    local_now: Callable[[], datetime.datetime] = _local_now
    busy: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    # One upload at a time: a second is refused before its body is stored.
    uploading: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    # The last failure of an automatic backup (or its copy), also when it could not be logged.
    last_auto_failure: Optional[dict] = None
    # Descriptions read from files, by (name, size, mtime): a listing opens each file once.
    _described: dict = dataclasses.field(default_factory=dict)

    @property
    def folder(self) -> str:
        return os.path.realpath(self.config.backup_dir)

    # --- one at a time ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def exclusive(self, wait: bool = False):
        """The right to back up, restore or import: 409 at once when another one runs here or
        in another process (unless `wait`, for the nightly backup, which takes its turn)."""
        if self.busy.locked() and not wait:
            raise Conflict(BUSY, code="backup_busy")
        async with self.busy:
            fd = os.open(self.config.database_path + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o640)
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if not wait:
                            raise Conflict(BUSY, code="backup_busy") from None
                        await asyncio.sleep(1)
                yield
            finally:
                os.close(fd)  # releases the flock

    async def tidy(self) -> int:
        """Remove the temporary files a crash left (under the lock: none is being written)."""
        try:
            async with self.exclusive():
                return await asyncio.to_thread(folder.remove_temps, self.folder)
        except (Conflict, OSError):
            return 0

    # --- names and listing -----------------------------------------------------------------

    def path_of(self, name: str) -> str:
        """The file of a backup named `name`: 400 for a name that is not a backup name, 404 for
        one that names no regular file in the backups folder (a symlink is not followed)."""
        if not isinstance(name, str) or not folder.NAME_PATTERN.fullmatch(name):
            raise BadRequest("Nom de sauvegarde invalide : attendu backup_AAAAMMJJ_HHMMSS.db.",
                             code="invalid_backup_name")
        path = folder.existing(self.folder, name)
        if path is None:
            raise NotFound(f"Sauvegarde {name} introuvable.", code="backup_not_found")
        return path

    def _entry(self, name: str, path: str) -> dict[str, Any]:
        status = os.stat(path)
        key = (name, status.st_size, status.st_mtime_ns)
        if key not in self._described:
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
            "original_trigger": described.get("original_trigger"),
        }

    def _list_now(self) -> list[dict]:
        found = []
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for entry in os.scandir(self.folder):
                if folder.NAME_PATTERN.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                        found.append(self._entry(entry.name, entry.path))
        names = {backup["name"] for backup in found}
        self._described = {key: value for key, value in self._described.items() if key[0] in names}
        return sorted(found, key=lambda backup: (backup["created_at"], backup["name"]), reverse=True)

    async def list(self) -> list[dict]:
        """Every backup of the folder, newest first, with its description."""
        return await asyncio.to_thread(self._list_now)

    async def get(self, name: str) -> dict:
        path = self.path_of(name)
        try:
            return await asyncio.to_thread(self._entry, name, path)
        except FileNotFoundError:
            raise NotFound(f"Sauvegarde {name} introuvable.", code="backup_not_found") from None

    # --- making one ------------------------------------------------------------------------

    async def create(self, actor: Actor, description: str = "", trigger: str = "manuel") -> dict:
        """Back up the live database now (409 while another backup or restore runs)."""
        async with self.exclusive():
            return await self.make(actor, description, trigger)

    async def make(self, actor: Actor, description: str, trigger: str) -> dict:
        """Back up now, log it, copy it to the second disk; the caller holds `exclusive()`.
        503 when the backup fails (logged; nothing left under a backup name)."""
        started = time.monotonic()
        try:
            made = await self.snapshot(actor, description, trigger)
        except (OSError, sqlite3.Error, files.BackupFileError) as exc:
            reason = folder.reason_of(exc)
            await self._failed(actor, trigger, f"Échec de la sauvegarde ({trigger}) : {reason}",
                               {"trigger": trigger, "error": reason})
            raise ServiceUnavailable(f"Sauvegarde impossible : {reason}", code="backup_failed") from None
        seconds = round(time.monotonic() - started, 1)
        log.info("backup %s (%s) made in %.1f s: %d bytes", made["name"], trigger, seconds, made["size"])
        await self._log(activity.record_alone(
            self.db, actor, "backup", entity="backup", payload=made,
            summary=f"Sauvegarde {made['name']} ({trigger}, {made['size']} octets, {seconds} s)",
            changes=self.backup_changes(made, trigger, description)))
        if trigger == "auto":
            self.last_auto_failure = None
        await self.copy_elsewhere(actor, made["name"], trigger)
        return made

    @staticmethod
    def backup_changes(made: dict, trigger: str, description: str) -> dict:
        """What the activity line of a backup keeps (the dashboard and /health read it)."""
        return {"name": made["name"], "trigger": trigger, "description": description,
                "size": made["size"]}

    async def snapshot(self, actor: Actor, description: str, trigger: str) -> dict:
        """The backup file alone, described and named: no log line, no copy (a restore makes
        its own inside its transaction). A cancelled wait does not stop the worker thread:
        told so, it drops its copy instead of naming it."""
        cancelled = threading.Event()
        moment = self.local_now()
        try:
            name = await asyncio.to_thread(self._write_backup, moment, actor, description, trigger,
                                           cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return await self.get(name)

    def _write_backup(self, moment: datetime.datetime, actor: Actor, description: str, trigger: str,
                      cancelled: threading.Event) -> str:
        """The blocking part: copy, check, describe, sync, name (in a worker thread)."""
        os.makedirs(self.folder, exist_ok=True)
        temp = folder.temp_path(self.folder, "sauvegarde")
        try:
            files.make_copy(self.config.database_path, temp)
            found = files.validate(temp, latest=self.db.schema_version)
            name = folder.free_name(self.folder, moment)
            files.describe(temp, {
                "name": name, "created_at": clock.now_iso(), "description": description,
                "trigger": trigger, "created_by": actor.username, "integrity": found["integrity"],
                "schema_version": found["schema_version"], "server_version": __version__,
                "counts": found["counts"], "fingerprint": found["fingerprint"],
            })
            folder.fsync_path(temp)
            if cancelled.is_set():
                raise files.Interrupted("sauvegarde interrompue")
            return folder.publish(temp, self.folder, name)
        finally:
            folder.remove_quietly(temp)  # gone already once named

    async def copy_elsewhere(self, actor: Actor, name: str, trigger: str) -> None:
        """The verified copy into TOMATOPLAN_BACKUP_COPY_DIR, and its retention; a failure is
        reported like a failed backup (log, activity line, dashboard, /health)."""
        target = self.config.backup_copy_dir
        if not target:
            return
        try:
            os.makedirs(target, exist_ok=True)
            await asyncio.to_thread(folder.copy_verified, os.path.join(self.folder, name), target, name)
            await self._prune(target, self.config.backup_copy_retention_days)
        except (OSError, sqlite3.Error, files.BackupFileError) as exc:
            reason = folder.reason_of(exc)
            await self._failed(actor, trigger,
                               f"Sauvegarde {name} faite, mais sa copie vers {target} a échoué : {reason}",
                               {"name": name, "trigger": trigger, "stage": "copie", "error": reason})

    async def _failed(self, actor: Actor, trigger: str, summary: str, changes: dict) -> None:
        log.error("%s", summary)
        if trigger == "auto":
            self.last_auto_failure = {"at": clock.now_iso(), "summary": summary, **changes}
        await self._log(activity.record_alone(self.db, actor, "backup_failed", entity="backup",
                                              summary=summary, changes=changes))

    @staticmethod
    async def _log(writing) -> None:
        """An activity line that must not turn a done (or refused) backup into a 500: a full
        disk can refuse it too; the failure stays in server.log."""
        try:
            await writing
        except Exception:
            log.exception("could not write the activity line of a backup")

    async def run_nightly(self) -> None:
        """The automatic backup (scheduler job): takes its turn after any backup or restore in
        progress, backs up, then prunes the automatic backups past their retention."""
        async with self.exclusive(wait=True):
            await self.make(SYSTEM, "Sauvegarde automatique quotidienne", "auto")
            await self._prune(self.folder, self.config.backup_retention_days)

    async def _prune(self, where: str, retention_days: int) -> list[str]:
        """Delete the automatic backups of `where` older than `retention_days`; never another
        (the caller holds `exclusive()`)."""
        cutoff = clock.iso(clock.now() - datetime.timedelta(days=retention_days))
        deleted = []
        for name in await asyncio.to_thread(files.automatic_before, where, cutoff):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(where, name))
                deleted.append(name)
        if deleted:
            log.info("backup retention: deleted %d automatic backup(s) of %s older than %d days",
                     len(deleted), where, retention_days)
            await self._log(activity.record_alone(
                self.db, SYSTEM, "delete", entity="backup",
                summary=f"Suppression de {len(deleted)} sauvegarde(s) automatique(s) de plus de "
                        f"{retention_days} jours dans {where} : {', '.join(deleted)}",
                changes={"deleted": deleted, "folder": where}))
        return deleted

    # --- deleting --------------------------------------------------------------------------

    async def delete(self, actor: Actor, name: str) -> None:
        self.path_of(name)
        async with self.exclusive():
            try:
                os.remove(self.path_of(name))
            except FileNotFoundError:
                raise NotFound(f"Sauvegarde {name} introuvable.", code="backup_not_found") from None
        await self._log(activity.record_alone(self.db, actor, "delete", entity="backup",
                                              summary=f"Suppression de la sauvegarde {name}",
                                              changes={"name": name}))
