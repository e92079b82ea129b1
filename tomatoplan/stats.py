"""Statistics and the activity log as readers see them: the data layer (no HTTP here)."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import time
from typing import AsyncIterator, Optional

from aiohttp import web

from . import __version__, clock, keys, sqlfiles
from .db import Database
from .permissions import visible_record

log = logging.getLogger(__name__)
QA = sqlfiles.load("activity")
QST = sqlfiles.load("stats")
QS = sqlfiles.load("sessions")

STATUTS = ("planifie", "en_cours", "termine", "annule")
EXPIRY_WINDOW_DAYS = 30
EXPIRING_LISTED = 50
RETENTION_PERIOD_SECONDS = 6 * 3600
PURGE_BATCH = 5000


def activity_out(line: dict, can_read_finance: bool) -> dict:
    """One activity line for the API; finance fields of the diff only for finance readers."""
    changes = json.loads(line["changes"]) if line.get("changes") else None
    if changes:
        for side in ("before", "after"):
            if isinstance(changes.get(side), dict):
                changes[side] = visible_record(changes[side], can_read_finance)
    return {
        "id": line["id"],
        "at": line["at"],
        "username": line["username"],
        "hostname": line["hostname"],
        "address": line["address"],
        "action": line["action"],
        "entity": line["entity"],
        "entity_id": line["entity_id"],
        "summary": line["summary"],
        "changes": changes,
    }


async def recent_activity(db: Database, filters: dict, *, can_read_finance: bool,
                          limit: int, offset: int) -> tuple[list[dict], int]:
    params = {"username": None, "action": None, "entity": None, "entity_id": None, "depuis": None,
              **filters, "limit": limit, "offset": offset}
    async with db.read() as session:
        lines = await session.fetch_all(QA.activity_page, params)
        total = await session.fetch_value(QA.activity_count, params)
    return [activity_out(line, can_read_finance) for line in lines], total


async def activity_by_user(db: Database, depuis: str, jusqu_a: str) -> list[dict]:
    """Per user: total and counts by action over [depuis, jusqu_a), busiest first."""
    async with db.read() as session:
        rows = await session.fetch_all(QA.activity_by_user, {"depuis": depuis, "jusqu_a": jusqu_a})
    per_user: dict[str, dict] = {}
    for row in rows:
        entry = per_user.setdefault(row["username"], {"username": row["username"], "total": 0,
                                                      "actions": {}})
        entry["actions"][row["action"]] = row["total"]
        entry["total"] += row["total"]
    return sorted(per_user.values(), key=lambda entry: (-entry["total"], entry["username"]))


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
    """Every figure of the dashboard, each from one indexed query, in one read snapshot."""
    monday, sunday = _week_bounds(today)
    jour = today.isoformat()
    horizon = (today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS)).isoformat()
    now = clock.now()
    async with db.read() as session:
        today_rows = await session.fetch_all(QST.missions_by_statut_between,
                                             {"debut": jour, "fin": jour})
        week_rows = await session.fetch_all(QST.missions_by_statut_between,
                                            {"debut": monday.isoformat(), "fin": sunday.isoformat()})
        unassigned = await session.fetch_value(QST.unassigned_missions_on, {"jour": jour})
        active_chauffeurs = await session.fetch_value(QST.active_chauffeurs_count)
        absent = await session.fetch_value(QST.absent_chauffeurs_on, {"jour": jour})
        expiry = {"debut": jour, "fin": horizon, "limit": EXPIRING_LISTED}
        expiring = await session.fetch_all(QST.expiring_competences, expiry)
        expiring_count = await session.fetch_value(QST.expiring_competences_count, expiry)
        voyages = await session.fetch_value(QST.active_voyages_count)
        users = await session.fetch_value(QST.active_users_count)
        sessions = await session.fetch_value(QS.active_sessions_count, {"now": clock.iso(now)})
        size = await session.fetch_value(QST.database_pages)
        backup = await session.fetch_one(QA.last_backup)
    try:
        wal_bytes = os.path.getsize(db.path + "-wal")
    except OSError:
        wal_bytes = 0
    monotonic_start, wall_start = started
    last_backup = None
    if backup:
        age = (now - clock.parse_iso(backup["at"])).total_seconds()
        last_backup = {"at": backup["at"], "ok": backup["action"] == "backup",
                       "summary": backup["summary"], "age_hours": round(age / 3600, 1)}
    return {
        "date": jour,
        "semaine": {"debut": monday.isoformat(), "fin": sunday.isoformat()},
        "missions": {
            "aujourd_hui": _by_statut(today_rows),
            "semaine": _by_statut(week_rows),
            "non_affectees_aujourd_hui": unassigned,
        },
        "chauffeurs": {
            "actifs": active_chauffeurs,
            "absents_aujourd_hui": absent,
            "disponibles_aujourd_hui": active_chauffeurs - absent,
        },
        "competences_expirant": {
            "jours": EXPIRY_WINDOW_DAYS,
            "total": expiring_count,
            "liste": expiring,
        },
        "voyages_actifs": voyages,
        "utilisateurs_actifs": users,
        "sessions_actives": sessions,
        "base": {"taille_octets": size, "wal_octets": wal_bytes},
        "derniere_sauvegarde": last_backup,
        "uptime_seconds": round(time.monotonic() - monotonic_start, 1),
        "demarre_le": clock.iso(wall_start),
        "version": __version__,
    }


async def purge_old_activity(db: Database, retention_days: int) -> int:
    """Delete activity older than the retention, in batches so writers are never held long."""
    if retention_days <= 0:
        return 0
    cutoff = clock.iso(clock.now() - datetime.timedelta(days=retention_days))
    purged = 0
    while True:
        async with db.write() as tx:
            _, count = await tx.execute(QA.purge_activity_before,
                                        {"cutoff": cutoff, "batch": PURGE_BATCH})
        purged += count
        if count < PURGE_BATCH:
            return purged
        await asyncio.sleep(0)


async def _retention_forever(app: web.Application) -> None:
    config = app[keys.CONFIG]
    while True:
        try:
            purged = await purge_old_activity(app[keys.DB], config.activity_retention_days)
            if purged:
                log.info("activity retention: purged %d lines older than %d days", purged,
                         config.activity_retention_days)
        except Exception:
            log.exception("activity retention purge failed")
        await asyncio.sleep(RETENTION_PERIOD_SECONDS)


async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
    task: Optional[asyncio.Task] = None
    if app[keys.CONFIG].activity_retention_days > 0:
        task = asyncio.create_task(_retention_forever(app))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
