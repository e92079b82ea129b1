"""What supervision sees of the backups: /health says "degraded" when the nightly backup (or
its copy on the second disk) failed, or is late."""

from __future__ import annotations

import datetime

from ..base import clock
from ..base.db import OneTrip
from . import activity
from .backups import Backups

# /health says "degraded" when the last automatic backup is older than this.
AUTO_BACKUP_MAX_AGE = datetime.timedelta(hours=26)


# --- what supervision sees -------------------------------------------------------------

async def health(backups: Backups, started: datetime.datetime) -> dict:
    """{"status": ok | degraded | disabled, ...}: degraded when the last automatic backup
    (or its copy) failed, or is older than 26 hours (or none after 26 hours of uptime)."""
    if not backups.config.auto_backup_enabled:
        return {"status": "disabled", "detail": "Sauvegarde automatique désactivée."}
    last = await activity.last_backup(OneTrip(backups.db), trigger="auto")
    failure = backups.last_auto_failure
    if failure is not None and (last is None or failure["at"] > last["at"]):
        return {"status": "degraded", "last": {"at": failure["at"], "ok": False,
                                               "name": failure.get("name"),
                                               "summary": failure["summary"]},
                "detail": "La dernière sauvegarde automatique a échoué."}
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
