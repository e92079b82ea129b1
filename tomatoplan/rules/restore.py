"""Bringing a backup back: restoring it into the live database, and importing one made elsewhere.

What a restore replaces: the planning (skills, chauffeurs with their skills and absences,
voyages, missions), copied from the backup into the open database in one write transaction,
checked against the backup's fingerprint before COMMIT. What it keeps: users, sessions, the
configuration and the activity log (which gains the line saying who restored what), so the
admin who restores is not locked out and the log keeps its whole story. Ids are never given
twice, also across a restore (the live id counters are kept). A backup of the state being
replaced is made first (trigger `avant_restauration`): a restore can itself be undone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from typing import Any, Optional

from ..base import clock
from ..base.db import Database
from ..base.errors import Conflict, ValidationFailed, invalid
from . import activity
from . import backup_files as files
from .activity import Actor
from .backups import Backups, reason_of

log = logging.getLogger(__name__)


async def import_file(backups: Backups, actor: Actor, temp: str, *, name: Optional[str] = None,
                      description: Optional[str] = None) -> dict:
    """Check a backup made elsewhere (uploaded into the temporary file `temp`) and list it
    under `name` (its own name by default, else a new one); 422 when it is not a usable
    TomatoPlan backup, 409 when the name is taken. The file is consumed either way."""
    try:
        if name is not None:
            _check_new_name(backups, name)
        async with backups.exclusive():
            found = await asyncio.to_thread(_check_import, backups, temp)
            document = {**(found["description"] or {}),
                        "imported_at": clock.now_iso(), "imported_by": actor.username,
                        "integrity": found["integrity"], "counts": found["counts"],
                        "schema_version": found["schema_version"],
                        "fingerprint": found["fingerprint"]}
            document.setdefault("trigger", "importee")
            document.setdefault("created_at", document["imported_at"])
            if description is not None:
                document["description"] = description
            own = document.get("name")
            final = await asyncio.to_thread(_publish_import, backups, temp, document, name, own)
    finally:
        files.remove_quietly(temp)
    imported = await backups.get(final)
    await activity.record_alone(backups.db, actor, "create", entity="backup", payload=imported,
                                summary=f"Import de la sauvegarde {final} ({imported['size']} octets)",
                                changes={"name": final, "trigger": imported["trigger"]})
    return imported

def _check_new_name(backups: Backups, name: str) -> None:
    if not files.NAME_PATTERN.fullmatch(name):
        raise ValidationFailed([invalid("name", "format", "Attendu backup_AAAAMMJJ_HHMMSS.db.")])
    if os.path.lexists(os.path.join(backups.folder, name)):
        raise Conflict(f"Une sauvegarde s'appelle déjà {name}.", code="backup_exists")

def _check_import(backups: Backups, temp: str) -> dict:
    try:
        files.make_single_file(temp)
        found = files.inspect(temp)
    except files.BackupFileError as exc:
        raise ValidationFailed([invalid("(corps)", "not_a_backup", f"Sauvegarde refusée : {exc}.")],
                               detail=f"Sauvegarde refusée : {exc}.") from None
    if found["integrity"] != "ok":
        raise ValidationFailed([invalid("(corps)", "damaged",
                                        f"Sauvegarde endommagée : {found['integrity']}.")],
                               detail="Sauvegarde endommagée (integrity_check).")
    if found["schema_version"] > backups.db.schema_version:
        raise ValidationFailed([invalid("(corps)", "newer_schema", _newer(found["schema_version"],
                                                                          backups.db.schema_version))],
                               detail=_newer(found["schema_version"], backups.db.schema_version))
    return found

def _publish_import(backups: Backups, temp: str, document: dict, wanted: Optional[str],
                    own: Any) -> str:
    """Name an imported file: `wanted` exactly, else its own name if free, else a new one."""
    if wanted is None and isinstance(own, str) and files.NAME_PATTERN.fullmatch(own) \
            and not os.path.lexists(os.path.join(backups.folder, own)):
        name = own
    else:
        name = wanted or files.free_name(backups.folder, backups.local_now())
    files.describe(temp, {**document, "name": name})
    files.fsync_path(temp)
    try:
        return files.publish(temp, backups.folder, name, exactly=wanted is not None)
    except FileExistsError:
        raise Conflict(f"Une sauvegarde s'appelle déjà {wanted}.", code="backup_exists") from None

# --- restoring -------------------------------------------------------------------------

async def restore(backups: Backups, actor: Actor, name: str) -> dict:
    """Put the planning of backup `name` in place of the live one (see the module's
    docstring), after a backup of the current state; the report of what was done."""
    path = backups.path_of(name)
    async with backups.exclusive():
        try:
            found = await asyncio.to_thread(files.inspect, path)
        except files.BackupFileError as exc:
            raise Conflict(f"Sauvegarde {name} inutilisable ({exc}) : restauration refusée.",
                           code="backup_damaged") from None
        if found["integrity"] != "ok":
            raise Conflict(f"Sauvegarde {name} endommagée ({found['integrity']}) : restauration "
                           "refusée.", code="backup_damaged")
        if found["schema_version"] > backups.db.schema_version:
            raise Conflict(_newer(found["schema_version"], backups.db.schema_version),
                           code="backup_newer_schema")
        before = await backups.make(actor, f"Avant la restauration de {name}", "avant_restauration")
        started = time.monotonic()
        work = files.temp_path(backups.folder, "restauration")
        try:
            await asyncio.to_thread(shutil.copyfile, path, work)
            # An older backup gets the migrations of this server before it is read.
            migrated = Database(work, synchronous="OFF", readers=1)
            await migrated.open()
            await migrated.close()
            expected = await asyncio.to_thread(files.fingerprint_file, work)
            async with backups.db.write(attach=(files.ATTACHED, work)) as tx:
                await files.replace_planning(tx)
                restored = await files.live_fingerprint(tx)
                if restored != expected:
                    raise files.BackupFileError("l'empreinte du planning restauré diffère de "
                                                "celle de la sauvegarde")
                seconds = round(time.monotonic() - started, 1)
                report = {"name": name, "before": before["name"], "counts": found["counts"],
                          "fingerprint": restored, "seconds": seconds,
                          "schema_version": found["schema_version"]}
                await activity.record(
                    tx, actor, "restore", entity="backup", record=report,
                    summary=f"Restauration de la sauvegarde {name} (état précédent gardé dans "
                            f"{before['name']}, {seconds} s)",
                    changes={"name": name, "before": before["name"]})
        except files.BackupFileError as exc:
            await _restore_failed(backups, actor, name, str(exc))
            raise Conflict(f"Restauration de {name} annulée, rien n'a changé : {exc}.",
                           code="restore_failed") from None
        except Exception as exc:
            await _restore_failed(backups, actor, name, reason_of(exc))
            raise
        finally:
            files.remove_quietly(work)
    log.info("restored backup %s in %.1f s (previous state in %s)", name, seconds, before["name"])
    return report

async def _restore_failed(backups: Backups, actor: Actor, name: str, reason: str) -> None:
    log.error("restore of %s failed: %s", name, reason)
    await activity.record_alone(backups.db, actor, "restore_failed", entity="backup",
                                summary=f"Échec de la restauration de {name} : {reason}",
                                changes={"name": name, "error": reason})


def _newer(theirs: int, ours: int) -> str:
    return (f"Sauvegarde d'une version plus récente du serveur (schéma {theirs}, ce serveur : "
            f"{ours}) : mettez tomatoplan.pyz à jour pour la restaurer.")
