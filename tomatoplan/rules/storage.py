"""What supervision sees of the disk under the database: the free space, and whether writes
are being refused for lack of it (then /health and the dashboard say so)."""

from __future__ import annotations

import os
import shutil
from typing import Optional

from ..base.db import Database


def free_bytes(path: str) -> Optional[int]:
    try:
        return shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    except OSError:
        return None


def storage(db: Database, free: Optional[int] = None, *, measured: bool = False) -> dict:
    """{"status": ok | full, "libre_octets", and since when and why when full}; `free` when
    the caller `measured` it already (/health, once a second)."""
    if not measured:
        free = free_bytes(db.path)
    if db.disk_full_since is not None:
        return {"status": "full", "libre_octets": free, "depuis": db.disk_full_since,
                "detail": "Espace disque insuffisant : les modifications sont refusées (507) "
                          "jusqu'à ce que de la place soit libérée."}
    return {"status": "ok", "libre_octets": free}
