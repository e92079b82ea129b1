"""The commands besides serving, one module per group; each `register`s its subcommands with
the parser of `__main__` and sets `run(args) -> exit status` on them."""

from __future__ import annotations

from . import backups, check, install, migration, settings, users

# In the order `--help` lists them (after serve and help).
COMMAND_MODULES = (backups, users, settings, check, install, migration)
