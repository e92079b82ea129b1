"""Named queries from `sql/<area>.sql` and the numbered migrations of `sql/migrations/`.

A query file is a series of blocks:

    -- name: missions_by_date
    -- Missions of one day, by start time.
    SELECT ... WHERE date_mission = :date_mission

Parameters are `:named`; values always travel as parameters, never inside the text.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache

from . import resources

_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Queries:
    """The named statements of one area; `queries.missions_by_date` is the SQL text."""

    def __init__(self, area: str, statements: dict[str, str]):
        self._area = area
        self._statements = statements

    def __getattr__(self, name: str) -> str:
        try:
            return self._statements[name]
        except KeyError:
            raise AttributeError(f"sql/{self._area}.sql has no query named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._statements)


def parse_queries(text: str, source: str = "<sql>") -> dict[str, str]:
    """Split a query file into {name: sql}; a duplicate or nameless block is an error."""
    statements: dict[str, str] = {}
    name = None
    body: list[str] = []

    def close() -> None:
        if name is None:
            if any(line.strip() and not line.strip().startswith("--") for line in body):
                raise ValueError(f"{source}: SQL before the first '-- name:' line")
            return
        sql = "\n".join(line for line in body if not line.strip().startswith("--")).strip()
        if not sql:
            raise ValueError(f"{source}: query {name!r} is empty")
        if name in statements:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        statements[name] = sql.rstrip(";").strip()

    for line in text.splitlines():
        match = _NAME_LINE.match(line.strip())
        if match:
            close()
            name, body = match.group(1), []
        else:
            body.append(line)
    close()
    return statements


@cache
def load(area: str) -> Queries:
    """The queries of `sql/<area>.sql`, read once."""
    source = f"sql/{area}.sql"
    return Queries(area, parse_queries(resources.read_text(source), source))


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, text) of every migration, in order; numbers must run 1, 2, 3..."""
    found = []
    for filename in resources.list_files("sql/migrations"):
        match = _MIGRATION_FILE.match(filename)
        if match:
            found.append((int(match.group(1)), filename, resources.read_text(f"sql/migrations/{filename}")))
    found.sort()
    for expected, (version, filename, _) in enumerate(found, start=1):
        if version != expected:
            raise ValueError(f"sql/migrations: expected migration {expected:04d}, found {filename}")
    return found


def split_statements(script: str) -> list[str]:
    """Cut a script into complete statements (triggers' BEGIN ... END stay whole)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.strip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement at the end of the script: {pending.strip()[:60]!r}")
    return statements
