"""Rules of the FastAPI reference (`fastapi_app.py`), as the real server has them: the
references and assignment checks of a mission, its activity-log row, If-Match, and the
dashboard's figures computed with ORM queries. Benchmark reference only, never shipped.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import time
from typing import Optional

from fastapi_models import (
    MISSION_FIELDS,
    Absence,
    ActivityLog,
    Chauffeur,
    Competence,
    LoginSession,
    Mission,
    User,
    Voyage,
    cents,
)
from sqlalchemy import distinct, func, select, text, true
from sqlalchemy.orm import Session

ACTOR = "REFERENCE"
STATUTS = ("planifie", "en_cours", "termine", "annule")
ONE_DAY = datetime.timedelta(days=1)


class Problem(Exception):
    """An RFC 9457 problem, shaped like the real server's errors."""

    def __init__(self, status: int, code: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def now_iso(moment: Optional[datetime.datetime] = None) -> str:
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def span(date_mission: str, debut: Optional[str], fin: Optional[str], day: datetime.date
         ) -> Optional[tuple[int, int]]:
    """Minutes from midnight of `day` a trip occupies (the real server's hours.span)."""
    if debut is None:
        return None
    offset = (datetime.date.fromisoformat(date_mission) - day).days * 1440
    start = offset + int(debut[:2]) * 60 + int(debut[3:])
    if fin is None:
        return start, start
    end = offset + int(fin[:2]) * 60 + int(fin[3:])
    return start, end + 1440 if end <= start else end


def overlaps(one: tuple[int, int], other: tuple[int, int]) -> bool:
    return one[0] == other[0] or (one[0] < other[1] and other[0] < one[1])


def diff(before: Optional[dict], after: Optional[dict]) -> dict:
    """{"before": {...}, "after": {...}} of the mission fields that changed (sorted, as logged)."""
    before = {key: before[key] for key in MISSION_FIELDS} if before else {}
    after = {key: after[key] for key in MISSION_FIELDS} if after else {}
    changed = [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    return {"before": {key: before[key] for key in changed if key in before},
            "after": {key: after[key] for key in changed if key in after}}


def references(db: Session, mission: dict, before: Optional[dict]) -> Optional[Voyage]:
    """The mission's voyage; 409 for a voyage or chauffeur that does not exist."""
    errors, voyage = [], None
    if mission["voyage_id"] is not None:
        voyage = db.get(Voyage, mission["voyage_id"])
        if voyage is None:
            errors.append({"field": "voyage_id", "code": "not_found",
                           "detail": f"Voyage {mission['voyage_id']} introuvable."})
    chauffeur_id = mission["chauffeur_id"]
    if (chauffeur_id is not None and (before is None or before["chauffeur_id"] != chauffeur_id)
            and db.get(Chauffeur, chauffeur_id) is None):
        errors.append({"field": "chauffeur_id", "code": "not_found",
                       "detail": f"Chauffeur {chauffeur_id} introuvable."})
    if errors:
        fields = ", ".join(sorted(error["field"] for error in errors))
        raise Problem(409, "reference_not_found", f"Introuvable : {fields}", errors=errors)
    return voyage


def assignment(db: Session, mission: dict, mission_id: Optional[int], force: bool) -> list:
    """Inactive, absent that day, or another live mission on the same slot: 409 unless `force`."""
    if mission["chauffeur_id"] is None or mission["statut"] == "annule":
        return []
    day = datetime.date.fromisoformat(mission["date_mission"])
    chauffeur = db.get(Chauffeur, mission["chauffeur_id"])
    name = f"{chauffeur.nom} {chauffeur.prenom}"
    problems = [] if chauffeur.actif else [{"code": "chauffeur_inactif", "detail": f"{name} est inactif."}]
    for absence in db.scalars(select(Absence).where(
            Absence.chauffeur_id == chauffeur.id, Absence.date_debut <= day.isoformat(),
            Absence.date_fin >= day.isoformat()).order_by(Absence.date_debut.desc(), Absence.id.desc())):
        problems.append({"code": "chauffeur_absent", "absence_id": absence.id,
                         "detail": f"{name} est absent du {absence.date_debut} au {absence.date_fin} "
                                   f"({absence.motif})."})
    slot = span(mission["date_mission"], mission["heure_debut"], mission["heure_fin"], day)
    if slot is not None:
        others = select(Mission).where(
            Mission.chauffeur_id == chauffeur.id, Mission.statut != "annule",
            Mission.date_mission.between((day - ONE_DAY).isoformat(), (day + ONE_DAY).isoformat()))
        if mission_id is not None:
            others = others.where(Mission.id != mission_id)
        for other in db.scalars(others.order_by(Mission.date_mission, Mission.heure_debut, Mission.id)):
            taken = span(other.date_mission, other.heure_debut, other.heure_fin, day)
            if taken is not None and overlaps(slot, taken):
                hours = (f"{other.heure_debut}-{other.heure_fin}" if other.heure_fin
                         else f"à {other.heure_debut}")
                problems.append({"code": "chevauchement", "mission_id": other.id,
                                 "detail": f"{name} a déjà la mission {other.id} le {other.date_mission} "
                                           f"({hours}, {other.destination}) sur le même créneau."})
    if problems and not force:
        raise Problem(409, "assignment_conflict", "Affectation refusée : "
                      + " ".join(problem["detail"] for problem in problems)
                      + " Passer outre : ?force=true (permission de modifier les voyages).",
                      problems=problems)
    return problems


def log_change(db: Session, address: str, action: str, verb: str, before: Optional[dict],
               after: dict, problems: list) -> None:
    """The activity-log row the real server writes with each change, in the same transaction."""
    changes = diff(before, after)
    if problems:
        changes["forced"] = problems
    driver = f", chauffeur {after['chauffeur_id']}" if after["chauffeur_id"] else ""
    forced = (" — affectation forcée malgré : " + " ; ".join(p["detail"] for p in problems)
              if problems else "")
    db.add(ActivityLog(
        at=now_iso(), user_id=None, username=ACTOR, hostname="",
        address=address, action=action, entity="mission",
        entity_id=after["id"], changes=json.dumps(changes, ensure_ascii=False, default=str),
        summary=f"{verb} de la mission {after['id']} du {after['date_mission']} "
                f"vers {after['destination']}{driver}{forced}",
        record=json.dumps(after, ensure_ascii=False, default=str)))


def store(mission: Mission, values: dict) -> None:
    for key in MISSION_FIELDS:
        if key not in ("prix", "cout"):
            setattr(mission, key, values[key])
    mission.prix_cents, mission.cout_cents = cents(values["prix"]), cents(values["cout"])
    mission.updated_at, mission.updated_by = now_iso(), ACTOR


def if_match(header: Optional[str]) -> Optional[int]:
    if header is None or header.strip() == "*":
        return None
    if not re.fullmatch(r'"[0-9]{1,18}"|[0-9]{1,18}', header.strip()):
        raise Problem(400, "bad_if_match",
                      'En-tête If-Match invalide : attendu l\'ETag reçu au GET, ex. "3".')
    return int(header.strip().strip('"'))


def stale(current: dict, expected: int) -> Problem:
    code = "unknown_version" if expected > current["version"] else "version_mismatch"
    return Problem(412, code, f"Version {expected} périmée (version actuelle {current['version']}).",
                   current=current)


def _by_statut(db: Session, debut: str, fin: str) -> dict:
    rows = db.execute(select(Mission.statut, func.count()).where(Mission.date_mission.between(debut, fin))
                      .group_by(Mission.statut)).all()
    counts = dict.fromkeys(STATUTS, 0)
    counts.update({statut: total for statut, total in rows})
    counts["total"] = sum(total for _, total in rows)
    return counts


def dashboard(db: Session, today: datetime.date, db_path: str, started: tuple, version: str) -> dict:
    """The real server's dashboard (rules/stats.py), one ORM query per figure, one snapshot."""
    monday = today - datetime.timedelta(days=today.weekday())
    sunday, jour = monday + datetime.timedelta(days=6), today.isoformat()
    horizon = (today + datetime.timedelta(days=30)).isoformat()
    now = datetime.datetime.now(datetime.timezone.utc)
    db.execute(text("BEGIN"))
    live_driver = (Competence.date_expiration.between(jour, horizon), Chauffeur.actif == true())
    expiring = db.execute(select(Competence.chauffeur_id, Chauffeur.nom, Chauffeur.prenom,
                                 Competence.skill_code, Competence.date_expiration)
                          .join_from(Competence, Chauffeur).where(*live_driver)
                          .order_by(Competence.date_expiration, Chauffeur.nom).limit(50))
    actifs = db.scalar(select(func.count()).select_from(Chauffeur).where(Chauffeur.actif == true()))
    absents = db.scalar(select(func.count(distinct(Absence.chauffeur_id)))
                        .join(Chauffeur, Chauffeur.id == Absence.chauffeur_id)
                        .where(Absence.date_debut <= jour, Absence.date_fin >= jour,
                               Chauffeur.actif == true()))
    backup = db.scalars(select(ActivityLog).where(ActivityLog.action.in_(("backup", "backup_failed")))
                        .order_by(ActivityLog.id.desc()).limit(1)).first()
    last_backup = None
    if backup is not None:
        changes = json.loads(backup.changes) if backup.changes else {}
        at = datetime.datetime.strptime(backup.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=now.tzinfo)
        last_backup = {"at": backup.at, "ok": backup.action == "backup", "name": changes.get("name"),
                       "trigger": changes.get("trigger"), "summary": backup.summary,
                       "age_hours": round((now - at).total_seconds() / 3600, 1)}
    try:
        wal_bytes = os.path.getsize(db_path + "-wal")
    except OSError:
        wal_bytes = 0
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(db_path))).free
    return {
        "date": jour,
        "semaine": {"debut": monday.isoformat(), "fin": sunday.isoformat()},
        "missions": {
            "aujourd_hui": _by_statut(db, jour, jour),
            "semaine": _by_statut(db, monday.isoformat(), sunday.isoformat()),
            "non_affectees_aujourd_hui": db.scalar(select(func.count()).select_from(Mission).where(
                Mission.date_mission == jour, Mission.chauffeur_id.is_(None), Mission.statut != "annule")),
        },
        "chauffeurs": {"actifs": actifs, "absents_aujourd_hui": absents,
                       "disponibles_aujourd_hui": actifs - absents},
        "competences_expirant": {
            "jours": 30,
            "total": db.scalar(select(func.count()).select_from(Competence).join(Chauffeur)
                               .where(*live_driver)),
            "liste": [row._asdict() for row in expiring],
        },
        "voyages_actifs": db.scalar(select(func.count()).select_from(Voyage).where(Voyage.actif == true())),
        "utilisateurs_actifs": db.scalar(select(func.count()).select_from(User).where(User.active == true())),
        "sessions_actives": db.scalar(select(func.count()).select_from(LoginSession).where(
            LoginSession.revoked_at.is_(None), LoginSession.expires_at > now_iso(now))),
        "base": {"taille_octets": db.scalar(text(
                     "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")),
                 "wal_octets": wal_bytes, "disque": {"status": "ok", "libre_octets": free}},
        "derniere_sauvegarde": last_backup,
        "uptime_seconds": round(time.monotonic() - started[0], 1),
        "demarre_le": now_iso(started[1]),
        "version": version,
    }
