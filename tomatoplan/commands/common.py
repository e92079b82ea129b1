"""What every command shares: the server's configuration and logs, one French line on failure,
and the exit codes: 0 done; 1 failed, whatever the cause (a database that cannot be used
included); 2 configuration invalid, as for the server. A command is run by hand, never under
systemd, so it needs none of the codes by which the server tells systemd what a restart
cannot fix (3 database, 4 port: `tomatoplan.__main__`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, Awaitable, Callable, Optional, TypeVar

from ..base.config import Config, ConfigError, load_config, prepare_folders
from ..base.db import Database, DatabaseError
from ..base.errors import ApiError
from ..base.logs import setup_logging

EXIT_FAILED = 1
EXIT_CONFIG = 2
Command = Callable[[argparse.Namespace], int]
Result = TypeVar("Result")


def on_database(config: Config, operation: Callable[[Database], Awaitable[Result]]) -> Result:
    """Open the configured database (checked and migrated, as the server does), run
    `operation` on it, close it. A database that does not exist yet is created, and the command
    says where: run from the wrong folder, it would otherwise seem to have worked."""
    if not os.path.exists(config.database_path):
        print(f"tomatoplan: aucune base à {os.path.abspath(config.database_path)} : une nouvelle "
              "base y est créée (les commandes se lancent depuis le dossier du service, celui de "
              "son .env)", file=sys.stderr)

    async def run() -> Result:
        db = Database(config.database_path, synchronous=config.sqlite_synchronous, readers=1)
        await db.open()
        try:
            return await operation(db)
        finally:
            await db.close()

    return asyncio.run(run())


def failed(detail: str, status: int = EXIT_FAILED) -> int:
    print(f"tomatoplan: {detail}", file=sys.stderr)
    return status


def refused(exc: ApiError) -> int:
    """A refusal of the rules, as the API would say it: the detail, and each bad field's own."""
    lines = [f"{error['field']} : {error['detail']}" for error in getattr(exc, "errors", None) or []]
    return failed("\n  ".join([exc.detail, *lines]))


def checked_config(prepare: bool = True) -> tuple[Optional[Config], int]:
    """The server's configuration (.env of the working folder, then the environment) with its
    folders ready (`prepare`; else only read): (config, 0), or (None, 2) after saying in one
    line why it cannot be used."""
    try:
        config = load_config()
        if prepare:
            prepare_folders(config)
    except ConfigError as exc:
        return None, failed(f"configuration invalide : {exc}", EXIT_CONFIG)
    return config, 0


def configured(run: Callable[[Config, argparse.Namespace], Any], *, read_only: bool = False) -> Command:
    """A command on the server's configuration and its database: warnings to server.log and
    stderr; a configuration that cannot be used is exit 2, a database that cannot be, exit 1
    (not the server's 3: see above). `read_only` (check): no folder created, no log written."""
    def command(args: argparse.Namespace) -> int:
        config, status = checked_config(prepare=not read_only)
        if config is None:
            return status
        setup_logging("WARNING", None if read_only else config.log_dir)
        try:
            return run(config, args)
        except DatabaseError as exc:
            return failed(str(exc))
    return command
