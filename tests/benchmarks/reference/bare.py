"""Benchmark reference: the bare stack of the real server, aiohttp + aiosqlite, and nothing else.

    python bare.py --db PATH --port N [--host 127.0.0.1] [--readers 4] [--c-extensions]

No authentication, no logging, no validation, no middleware: what is left is the cost of the
stack itself, so the real server can be measured against it on the same data. Never shipped.

- `GET /hello`: `{"status": "ok"}` without touching the database (the floor under /health).
- `GET /missions/by-date/{date}`: the day's missions read as rows by one statement and built
  into dicts in Python, then `json.dumps` (what a plain aiohttp app would do).
- `GET /json/missions/by-date/{date}`: the same answer built by SQLite (`json_group_array`
  over the `mission_documents` view), sent as it comes: the ceiling of this stack.

Both answer what the real server answers (`GET /missions/by-date/{date}` for a role that reads
the finance fields): a bare JSON array of the mission documents, the number of missions of the
day in `X-Total-Count`, `?limit=` (default 2000) and `?offset=`, the same query, order and
window count. The durability is the real server's: WAL, `synchronous=FULL`, `busy_timeout`,
and as many reader connections (4).

The zipapp ships aiohttp, multidict, yarl, propcache and frozenlist as pure Python; this app
runs them the same way (their `*_NO_EXTENSIONS` switches) unless `--c-extensions` is given.
aiohttp is imported only once that is decided, hence the imports inside the functions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

import aiosqlite
from reference_money import amount_text

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA query_only = ON",
)
PURE_PYTHON_SWITCHES = ("AIOHTTP_NO_EXTENSIONS", "MULTIDICT_NO_EXTENSIONS", "YARL_NO_EXTENSIONS",
                        "PROPCACHE_NO_EXTENSIONS", "FROZENLIST_NO_EXTENSIONS")
DEFAULT_LIMIT = 1000
HELLO = '{"status": "ok"}'

# The day's missions as rows, with the number of missions of the day (counted on the index
# apart, as the real server's query has it: it pays for the same count).
DAY_ROWS = """
SELECT id, date_mission, destination, origine, voyage_id, chauffeur_id, vehicule,
       heure_debut, heure_fin, statut, remarques, prix_cents, cout_cents, version,
       created_at, created_by, updated_at, updated_by, day.total_count
  FROM missions, (SELECT count(*) AS total_count FROM missions WHERE date_mission = ?1) AS day
 WHERE date_mission = ?1
 ORDER BY heure_debut, id
 LIMIT ?2 OFFSET ?3
"""

# The dicts route's rows carry the day's count; a page past the end has none, and asks it alone.
DAY_COUNT = "SELECT count(*) FROM missions WHERE date_mission = ?"

# The real server's `missions_by_date` (sql/missions.sql) for a finance reader.
DAY_PAGE = """
SELECT json_group_array(json(document)) AS page,
       (SELECT count(*) FROM missions WHERE date_mission = ?1) AS total_count
  FROM (SELECT document
          FROM mission_documents
         WHERE date_mission = ?1
         ORDER BY heure_debut, id
         LIMIT ?2 OFFSET ?3)
"""




class Readers:
    """A few connections, each statement on an idle one (the real server's reader pool)."""

    def __init__(self, path: str, count: int):
        self.path, self.count = path, count
        self.idle: asyncio.Queue = asyncio.Queue()
        self.conns: list = []

    async def open(self) -> None:
        for _ in range(self.count):
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in PRAGMAS:
                await conn.execute(pragma)
            self.conns.append(conn)
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()

    async def rows(self, sql: str, params: tuple) -> list:
        conn = await self.idle.get()
        try:
            return list(await conn.execute_fetchall(sql, params))
        finally:
            self.idle.put_nowait(conn)


def paging(query) -> tuple[int, int]:
    return int(query.get("limit", DEFAULT_LIMIT)), int(query.get("offset", 0))


def build_app(db_path: str, readers: int):
    from aiohttp import web

    pool = Readers(db_path, readers)

    async def database(app):
        await pool.open()
        yield
        await pool.close()

    async def hello(request):
        return web.Response(text=HELLO, content_type="application/json")

    async def day_total(day: str, offset: int) -> int:
        return (await pool.rows(DAY_COUNT, (day,)))[0][0] if offset else 0

    async def missions_python(request):
        day = request.match_info["date"]
        limit, offset = paging(request.query)
        rows = await pool.rows(DAY_ROWS, (day, limit, offset))
        items = [{
            "id": row[0], "date_mission": row[1], "destination": row[2], "origine": row[3],
            "voyage_id": row[4], "chauffeur_id": row[5], "vehicule": row[6],
            "heure_debut": row[7], "heure_fin": row[8], "statut": row[9], "remarques": row[10],
            "prix": amount_text(row[11]), "cout": amount_text(row[12]), "version": row[13],
            "created_at": row[14], "created_by": row[15], "updated_at": row[16],
            "updated_by": row[17],
        } for row in rows]
        total = rows[0][18] if rows else await day_total(day, offset)
        return web.Response(text=json.dumps(items, ensure_ascii=False), content_type="application/json",
                            headers={"X-Total-Count": str(total)})

    async def missions_json(request):
        day = request.match_info["date"]
        limit, offset = paging(request.query)
        page, total = (await pool.rows(DAY_PAGE, (day, limit, offset)))[0]
        return web.Response(text=page, content_type="application/json",
                            headers={"X-Total-Count": str(total)})

    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_get("/hello", hello)
    app.router.add_get("/missions/by-date/{date}", missions_python)
    app.router.add_get("/json/missions/by-date/{date}", missions_json)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file made by the real server (a copy)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--readers", type=int, default=4, help="reader connections (real server: 4)")
    parser.add_argument("--c-extensions", action="store_true",
                        help="use the compiled extensions of aiohttp and its helpers (the zipapp does not)")
    args = parser.parse_args()
    if not os.path.isfile(args.db):
        parser.error(f"no database file {args.db!r}")
    if not args.c_extensions:
        for switch in PURE_PYTHON_SWITCHES:
            os.environ[switch] = "1"
    from aiohttp import web

    web.run_app(build_app(args.db, args.readers), host=args.host, port=args.port,
                access_log=None, print=None)


if __name__ == "__main__":
    main()
