"""Logging: a rotating `server.log` in the log folder, and stderr (journald under systemd)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from typing import Optional

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_FORMAT = '%a "%r" %s %b %Tfs "%{User-Agent}i"'
_HANDLER_MARK = "_tomatoplan_handler"


def setup_logging(level: str, log_dir: Optional[str], stderr: bool = True) -> None:
    """Send every logger to server.log (10 MiB x 5) and stderr at `level`; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
            os.path.join(log_dir, "server.log"), maxBytes=10 * 1024 * 1024, backupCount=5,
            encoding="utf-8", errors="backslashreplace"))
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
