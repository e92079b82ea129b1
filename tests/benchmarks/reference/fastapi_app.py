"""Benchmark reference: the seed's original design, FastAPI + SQLAlchemy 2 ORM + Pydantic v2.

    python fastapi_app.py --db PATH --port N [--host 127.0.0.1]

Built as a typical FastAPI tutorial app: a sync SQLAlchemy engine, one ORM `Session` per
request (a `yield` dependency), sync route functions (Starlette's thread pool), declarative
models and Pydantic response models (`fastapi_models.py`), served by uvicorn with uvloop and
httptools, one worker, no access log. Never shipped.

Honest on what matters: the same SQLite file the real server made (a copy), each connection in
WAL with `synchronous=FULL`, `foreign_keys` and `busy_timeout=5000`; each write one
`BEGIN IMMEDIATE` transaction with its activity-log row, as the real server writes; the same
queries' filters, order and limits, and the same answers (bare JSON arrays with the total in
`X-Total-Count`, missions as a finance reader sees them, ETag and If-Match, 412 on a stale
version, 409 on an assignment that clashes unless `?force=true`).

Differences, all in the reference's favour: no authentication, session or permission check
(`prix`/`cout` always shown), no access log, no live feed, no security headers; the author of
changes is `REFERENCE`; a voyage's required skills are not checked on assignment and
`/chauffeurs/disponibles` ignores `voyage_id` (the benchmark uses neither).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import time
from pathlib import Path
from typing import Annotated, Iterator, Optional

import uvicorn
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi_models import (
    Absence,
    AvailableChauffeur,
    Chauffeur,
    Mission,
    MissionIn,
    MissionOut,
    MissionPatch,
    mission_dict,
)
from fastapi_rules import (
    ACTOR,
    Problem,
    assignment,
    dashboard,
    if_match,
    log_change,
    references,
    stale,
    store,
)
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
           "PRAGMA busy_timeout = 5000")
DEFAULTS = {"origine": None, "voyage_id": None, "chauffeur_id": None, "vehicule": None,
            "heure_debut": None, "heure_fin": None, "statut": "planifie", "remarques": None,
            "prix": None, "cout": None}
ASSIGNMENT_FIELDS = ("chauffeur_id", "date_mission", "heure_debut", "heure_fin", "voyage_id")
CHAUFFEUR_KEYS = ("id", "nom", "prenom", "matricule", "telephone", "email", "actif", "notes",
                  "competences", "version", "created_at", "created_by", "updated_at", "updated_by")
INIT = Path(__file__).resolve().parents[3] / "tomatoplan" / "__init__.py"
# The dashboard names the real server's version, read from its source (the repository's).
VERSION = (re.findall(r'__version__ = "(.+)"', INIT.read_text()) if INIT.is_file() else []) or ["?"]

app = FastAPI(title="TomatoPlan benchmark reference (FastAPI + SQLAlchemy)")


@app.exception_handler(Problem)
def problem_response(request: Request, exc: Problem) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "status": exc.status, "code": exc.code,
                         "detail": exc.detail, **exc.extra},
                        status_code=exc.status, media_type="application/problem+json")


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


DB = Annotated[Session, Depends(get_db)]


def write_transaction(db: Session) -> None:
    """Take the write lock first, as the real server does (no read transaction upgraded)."""
    db.execute(text("BEGIN IMMEDIATE"))


def client(request: Request) -> str:
    return request.client.host if request.client else ""


def page_total(db: Session, rows: list, limit: int, offset: int, where: tuple) -> int:
    if (rows and len(rows) < limit) or (not rows and not offset):
        return offset + len(rows)
    return db.scalar(select(func.count()).select_from(Mission).where(*where))


@app.get("/health")
def health(db: DB) -> dict:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


@app.get("/missions/by-date/{date}", response_model=list[MissionOut])
def missions_by_date(date: datetime.date, response: Response, db: DB,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
                     offset: Annotated[int, Query(ge=0)] = 0) -> list[Mission]:
    where = (Mission.date_mission == date.isoformat(),)
    rows = db.scalars(select(Mission).where(*where).order_by(Mission.heure_debut, Mission.id)
                      .limit(limit).offset(offset)).all()
    response.headers["X-Total-Count"] = str(page_total(db, rows, limit, offset, where))
    return rows


@app.get("/missions", response_model=list[MissionOut])
def list_missions(response: Response, db: DB, date: Optional[datetime.date] = None,
                  date_debut: Optional[datetime.date] = None, date_fin: Optional[datetime.date] = None,
                  chauffeur_id: Optional[int] = None, voyage_id: Optional[int] = None,
                  statut: Optional[str] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[Mission]:
    """The real server's filters and defaults: all dates, by day then time, 100 (at most 1000)."""
    debut, fin = date_debut or datetime.date.min, date_fin or datetime.date.max
    if date is not None:
        if not debut <= date <= fin:
            response.headers["X-Total-Count"] = "0"
            return []
        debut = fin = date
    where = [Mission.date_mission.between(debut.isoformat(), fin.isoformat())]
    for column, value in ((Mission.chauffeur_id, chauffeur_id), (Mission.voyage_id, voyage_id),
                          (Mission.statut, statut)):
        if value is not None:
            where.append(column == value)
    rows = db.scalars(select(Mission).where(*where)
                      .order_by(Mission.date_mission, Mission.heure_debut, Mission.id)
                      .limit(limit).offset(offset)).all()
    response.headers["X-Total-Count"] = str(page_total(db, rows, limit, offset, tuple(where)))
    return rows


@app.post("/missions", status_code=201, response_model=MissionOut)
def create_mission(body: MissionIn, request: Request, response: Response, db: DB,
                   force: bool = False) -> Mission:
    given = body.api_values()
    mission = {**DEFAULTS, **given}
    write_transaction(db)
    voyage = references(db, mission, None)
    if voyage is not None:
        for key in ("destination", "origine"):
            if key not in given:
                mission[key] = getattr(voyage, key)
        if "heure_debut" not in given and "heure_fin" not in given:
            mission["heure_debut"], mission["heure_fin"] = voyage.heure_debut, voyage.heure_fin
        if not mission["destination"]:
            raise Problem(409, "reference_not_found", f"Le voyage {voyage.code} n'a pas de destination.")
    problems = assignment(db, mission, None, force)
    created = Mission()
    store(created, mission)
    created.created_at, created.created_by = created.updated_at, ACTOR
    db.add(created)
    db.flush()  # the id, and version 1 (the mapper's version counter)
    log_change(db, client(request), "create", "Création", None, mission_dict(created), problems)
    db.commit()
    response.headers["ETag"] = f'"{created.version}"'
    response.headers["Location"] = f"/missions/{created.id}"
    return created


@app.put("/missions/{mission_id}", response_model=MissionOut)
def update_mission(mission_id: int, body: MissionPatch, request: Request, response: Response, db: DB,
                   force: bool = False,
                   if_match_header: Annotated[Optional[str], Header(alias="If-Match")] = None) -> Mission:
    expected = if_match(if_match_header)
    write_transaction(db)
    mission = db.get(Mission, mission_id)
    if mission is None:
        raise Problem(404, "mission_not_found", f"Mission {mission_id} introuvable.")
    current = mission_dict(mission)
    if expected is not None and expected != mission.version:
        raise stale(current, expected)
    changes = body.api_values()
    if any(current[key] != value for key, value in changes.items()):
        after = {**current, **changes}
        if after["heure_fin"] is not None and after["heure_debut"] is None:
            raise Problem(409, "conflicts_with_stored", "Incohérent avec l'enregistrement stocké : heure_fin")
        references(db, after, current)
        revived = current["statut"] == "annule" and after["statut"] != "annule"
        problems = []
        if revived or any(after[key] != current[key] for key in ASSIGNMENT_FIELDS):
            problems = assignment(db, after, mission_id, force)
        store(mission, after)
        try:
            db.flush()  # UPDATE ... WHERE id = ? AND version = ?
        except StaleDataError:
            raise stale(current, current["version"]) from None
        log_change(db, client(request), "update", "Modification", current, mission_dict(mission), problems)
        db.commit()
    response.headers["ETag"] = f'"{mission.version}"'
    return mission


@app.get("/chauffeurs/disponibles/{date}", response_model=list[AvailableChauffeur])
def available_chauffeurs(date: datetime.date, response: Response, db: DB, tous: bool = False) -> list[dict]:
    """Every chauffeur with its skills, the day's absences and live assigned missions, then the
    reasons (inactive, absent) worked out in Python, as the real server does without a voyage."""
    day = date.isoformat()
    db.execute(text("BEGIN"))  # one snapshot for the three reads, as the real server
    everyone = db.scalars(select(Chauffeur).options(selectinload(Chauffeur.competences))
                          .order_by(Chauffeur.nom, Chauffeur.prenom, Chauffeur.id)).all()
    away: dict[int, list] = {}
    for absence in db.scalars(select(Absence).where(Absence.date_debut <= day, Absence.date_fin >= day)
                              .order_by(Absence.date_debut, Absence.id)):
        away.setdefault(absence.chauffeur_id, []).append(absence)
    busy: dict[int, list] = {}
    for mission in db.scalars(select(Mission).where(
            Mission.date_mission == day, Mission.chauffeur_id.is_not(None), Mission.statut != "annule")
            .order_by(Mission.heure_debut, Mission.id)):
        busy.setdefault(mission.chauffeur_id, []).append(mission)
    found = []
    for chauffeur in everyone:
        name = f"{chauffeur.nom} {chauffeur.prenom}"
        problems = ([] if chauffeur.actif else
                    [{"code": "chauffeur_inactif", "detail": f"{name} est inactif."}])
        problems += [{"code": "chauffeur_absent", "absence_id": absence.id,
                      "detail": f"{name} est absent du {absence.date_debut} au {absence.date_fin} "
                                f"({absence.motif})."} for absence in away.get(chauffeur.id, [])]
        if problems and not tous:
            continue
        found.append({**{key: getattr(chauffeur, key) for key in CHAUFFEUR_KEYS},
                      "disponible": not problems, "raisons": problems,
                      "missions": busy.get(chauffeur.id, [])})
    response.headers["X-Total-Count"] = str(len(found))
    return found


@app.get("/stats/dashboard")
def stats_dashboard(request: Request, response: Response, db: DB,
                    date: Optional[datetime.date] = None) -> dict:
    response.headers["Cache-Control"] = "no-store"
    return dashboard(db, date or datetime.date.today(), request.app.state.db_path,
                     request.app.state.started, VERSION[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file made by the real server (a copy)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    if not os.path.isfile(args.db):
        parser.error(f"no database file {args.db!r}")
    engine = create_engine(f"sqlite:///{args.db}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def durability(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    app.state.db_path = args.db
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.started = (time.monotonic(), datetime.datetime.now(datetime.timezone.utc))
    uvicorn.run(app, host=args.host, port=args.port, loop="uvloop", http="httptools", workers=1,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
