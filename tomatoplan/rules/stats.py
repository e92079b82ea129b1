"""The dashboard's figures: missions by status, chauffeurs free and absent, skills about to
expire, sessions, the database and the last backup.

The one home of `sql/stats.sql`; each figure comes from one indexed query, all in one read
snapshot (on a million missions the whole answer takes a few milliseconds).
"""

from __future__ import annotations

import datetime
import os
import time

from .. import __version__
from ..base import clock, sqlfiles
from ..base.db import Database, Session
from . import activity, sessions, storage
from .missions import STATUTS

Q = sqlfiles.load("stats")

EXPIRY_WINDOW_DAYS = 30
EXPIRING_LISTED = 50


def _week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def _by_statut(rows: list[dict]) -> dict:
    counts = {statut: 0 for statut in STATUTS}
    for row in rows:
        counts[row["statut"]] = row["total"]
    counts["total"] = sum(row["total"] for row in rows)
    return counts


async def dashboard(db: Database, *, today: datetime.date, started: tuple) -> dict:
    """Every figure of the dashboard, each from one indexed query, in one read snapshot
    (one trip to the database thread)."""
    monday, sunday = _week_bounds(today)
    jour = today.isoformat()
    horizon = (today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS)).isoformat()
    now = clock.now()
    async def figures(session: Session) -> dict:
        expiry = {"debut": jour, "fin": horizon, "limit": EXPIRING_LISTED}
        return {
            "today": await session.fetch_all(Q.missions_by_statut_between, {"debut": jour, "fin": jour}),
            "week": await session.fetch_all(Q.missions_by_statut_between,
                                            {"debut": monday.isoformat(), "fin": sunday.isoformat()}),
            "unassigned": await session.fetch_value(Q.unassigned_missions_on, {"jour": jour}),
            "chauffeurs": await session.fetch_value(Q.active_chauffeurs_count),
            "absent": await session.fetch_value(Q.absent_chauffeurs_on, {"jour": jour}),
            "expiring": await session.fetch_all(Q.expiring_competences, expiry),
            "expiring_count": await session.fetch_value(Q.expiring_competences_count, expiry),
            "voyages": await session.fetch_value(Q.active_voyages_count),
            "users": await session.fetch_value(Q.active_users_count),
            "sessions": await sessions.count_active(session, clock.iso(now)),
            "size": await session.fetch_value(Q.database_pages),
            "backup": await activity.last_backup(session),
        }

    found = await db.snapshot(figures)
    backup = found["backup"]
    try:
        wal_bytes = os.path.getsize(db.path + "-wal")
    except OSError:
        wal_bytes = 0
    monotonic_start, wall_start = started
    last_backup = None
    if backup:
        age = (now - clock.parse_iso(backup["at"])).total_seconds()
        last_backup = {"at": backup["at"], "ok": backup["action"] == "backup",
                       "name": backup["changes"].get("name"),
                       "trigger": backup["changes"].get("trigger"),
                       "summary": backup["summary"], "age_hours": round(age / 3600, 1)}
    return {
        "date": jour,
        "semaine": {"debut": monday.isoformat(), "fin": sunday.isoformat()},
        "missions": {
            "aujourd_hui": _by_statut(found["today"]),
            "semaine": _by_statut(found["week"]),
            "non_affectees_aujourd_hui": found["unassigned"],
        },
        "chauffeurs": {
            "actifs": found["chauffeurs"],
            "absents_aujourd_hui": found["absent"],
            "disponibles_aujourd_hui": found["chauffeurs"] - found["absent"],
        },
        "competences_expirant": {
            "jours": EXPIRY_WINDOW_DAYS,
            "total": found["expiring_count"],
            "liste": found["expiring"],
        },
        "voyages_actifs": found["voyages"],
        "utilisateurs_actifs": found["users"],
        "sessions_actives": found["sessions"],
        "base": {"taille_octets": found["size"], "wal_octets": wal_bytes, "disque": storage.storage(db)},
        "derniere_sauvegarde": last_backup,
        "uptime_seconds": round(time.monotonic() - monotonic_start, 1),
        "demarre_le": clock.iso(wall_start),
        "version": __version__,
    }
