"""Bringing a backup back: restoring it into the live database, and importing one made elsewhere.

What a restore replaces: the planning (skills, chauffeurs with their skills and absences,
vehicles with their unavailabilities, voyages, missions, the validated days). What it keeps:
users, sessions, the configuration and the activity log (which gains the lines saying who
restored what), so the admin who restores is not locked out and the log keeps its whole story.
Ids are never given twice, also across a restore (the live id counters are kept).

In order: the backup is copied to a private work file, validated (schema, integrity,
references, types; a newer schema refused) and brought to this server's schema, all before
anything live is touched. Then, holding the writer lock (nothing can commit any more), a
backup of the state about to be replaced is made (trigger `avant_restauration`: the restore
can be undone, and no write falls between the two), the planning tables are replaced from the
attached work file, the fingerprint is compared with the backup's, and the lines are written:
one transaction, all or nothing. Readers go on throughout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from typing import Any, Optional

from ..base import clock
from ..base.errors import Conflict, ServiceUnavailable, ValidationFailed, invalid
from . import activity
from . import backup_files as files
from . import backup_folder as folder
from .activity import Actor
from .backups import Backups

log = logging.getLogger(__name__)


async def restore(backups: Backups, actor: Actor, name: str) -> dict:
    """Put the planning of backup `name` in place of the live one; what was done."""
    backups.path_of(name)  # 400 or 404 at once, without waiting for the lock
    async with backups.exclusive():
        path = backups.path_of(name)  # still there, now that nobody else can delete it
        work = folder.temp_path(backups.folder, "restauration")
        started = time.monotonic()
        before: Optional[dict] = None
        try:
            found = await _prepare(path, work, backups.db.schema_version)
            description = f"Avant la restauration de {name}"
            async with backups.db.write(attach=(files.ATTACHED, work)) as tx:
                before = await backups.snapshot(actor, description, "avant_restauration")
                await activity.record(
                    tx, actor, "backup", entity="backup", record=before,
                    summary=f"Sauvegarde {before['name']} (avant_restauration, {before['size']} octets)",
                    changes=backups.backup_changes(before, "avant_restauration", description))
                await files.replace_planning(tx)
                restored = await files.live_fingerprint(tx)
                if restored != found["expected"]:
                    raise files.BackupFileError("l'empreinte du planning restauré diffère de celle "
                                                "de la sauvegarde")
                seconds = round(time.monotonic() - started, 1)
                report = {"name": name, "before": before["name"], "counts": found["counts"],
                          "fingerprint": restored, "seconds": seconds,
                          "schema_version": found["schema_version"]}
                await activity.record(
                    tx, actor, "restore", entity="backup", record=report,
                    summary=f"Restauration de la sauvegarde {name} (état précédent gardé dans "
                            f"{before['name']}, {seconds} s)",
                    changes={"name": name, "before": before["name"]})
        except files.NewerSchema as exc:
            await _failed(backups, actor, name, str(exc), before)
            raise Conflict(f"{exc}.", code="backup_newer_schema") from None
        except (files.BackupFileError, sqlite3.IntegrityError) as exc:
            await _failed(backups, actor, name, str(exc), before)
            raise Conflict(f"Restauration de {name} refusée, rien n'a changé : {exc}.",
                           code="restore_failed") from None
        except (OSError, sqlite3.Error) as exc:
            await _failed(backups, actor, name, folder.reason_of(exc), before)
            raise ServiceUnavailable(f"Restauration de {name} impossible, rien n'a changé : "
                                     f"{folder.reason_of(exc)}.", code="restore_failed") from None
        finally:
            folder.remove_quietly(work)
        log.info("restored backup %s in %.1f s (previous state in %s)", name, seconds, before["name"])
        await backups.copy_elsewhere(actor, before["name"], "avant_restauration")
    return report


async def _prepare(path: str, work: str, latest: int) -> dict:
    cancelled = threading.Event()
    try:
        return await asyncio.to_thread(files.prepare_restore, path, work, latest, cancelled)
    except asyncio.CancelledError:
        cancelled.set()  # the worker drops the work file when it sees it
        raise


async def _failed(backups: Backups, actor: Actor, name: str, reason: str, before: Optional[dict]
                  ) -> None:
    kept = f" (la sauvegarde {before['name']} de l'état actuel reste disponible)" if before else ""
    log.error("restore of %s failed: %s", name, reason)
    try:
        await activity.record_alone(backups.db, actor, "restore_failed", entity="backup",
                                    summary=f"Échec de la restauration de {name} : {reason}{kept}",
                                    changes={"name": name, "error": reason})
    except Exception:
        log.exception("could not write the activity line of a failed restore")


async def import_file(backups: Backups, actor: Actor, temp: str, *, name: Optional[str] = None,
                      description: Optional[str] = None) -> dict:
    """Check a backup made elsewhere (uploaded into the temporary file `temp`) and list it
    under `name` (its own name by default, else a new one); 422 when it is not a usable
    TomatoPlan backup, 409 when the name is taken. The file is consumed either way. It is
    listed as `importee`: retention never deletes it."""
    try:
        if name is not None:
            _check_new_name(backups, name)
        async with backups.exclusive():
            final = await asyncio.to_thread(_install, backups, actor, temp, name, description)
    finally:
        folder.remove_quietly(temp)
    imported = await backups.get(final)
    await activity.record_alone(backups.db, actor, "create", entity="backup", payload=imported,
                                summary=f"Import de la sauvegarde {final} ({imported['size']} octets)",
                                changes={"name": final, "trigger": "importee"})
    return imported


def _check_new_name(backups: Backups, name: str) -> None:
    if not folder.NAME_PATTERN.fullmatch(name):
        raise ValidationFailed([invalid("name", "format", "Attendu backup_AAAAMMJJ_HHMMSS.db.")])
    if os.path.lexists(os.path.join(backups.folder, name)):
        raise Conflict(f"Une sauvegarde s'appelle déjà {name}.", code="backup_exists")


def _install(backups: Backups, actor: Actor, temp: str, wanted: Optional[str],
             description: Optional[str]) -> str:
    """The blocking part of an import (in a worker thread): check, describe, name."""
    try:
        files.make_single_file(temp)
        found = files.validate(temp, latest=backups.db.schema_version)
    except files.BackupFileError as exc:
        code = "newer_schema" if isinstance(exc, files.NewerSchema) else "not_a_backup"
        raise ValidationFailed([invalid("(corps)", code, f"Sauvegarde refusée : {exc}.")],
                               detail=f"Sauvegarde refusée : {exc}.") from None
    own: dict[str, Any] = found["description"] or {}
    now = clock.now_iso()
    document = {**own, "trigger": "importee", "original_trigger": own.get("trigger", ""),
                "imported_at": now, "imported_by": actor.username,
                "created_at": own.get("created_at", now), "integrity": found["integrity"],
                "counts": found["counts"], "schema_version": found["schema_version"],
                "fingerprint": found["fingerprint"]}
    if description is not None:
        document["description"] = description
    own_name = own.get("name")
    if wanted is None and isinstance(own_name, str) and folder.NAME_PATTERN.fullmatch(own_name) \
            and not os.path.lexists(os.path.join(backups.folder, own_name)):
        name = own_name
    else:
        name = wanted or folder.free_name(backups.folder, backups.local_now())
    files.describe(temp, {**document, "name": name})
    folder.fsync_path(temp)
    try:
        return folder.publish(temp, backups.folder, name, exactly=wanted is not None)
    except FileExistsError:
        raise Conflict(f"Une sauvegarde s'appelle déjà {wanted}.", code="backup_exists") from None
