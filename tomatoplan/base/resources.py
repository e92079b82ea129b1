"""Read the project's data files (SQL, templates, static) from a checkout or from the zipapp.

The same calls serve both: in a checkout the files sit beside the package; in
`tomatoplan.pyz` they sit at the archive's root and are read straight from it, nothing is
extracted to disk.
"""

from __future__ import annotations

import os
import posixpath
import threading
import zipfile
import zipimport
from typing import Optional

# This module is tomatoplan/base/resources.py; the data folders sit beside tomatoplan/.
_PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LOADER = globals().get("__loader__")

_zip_lock = threading.Lock()
_zip: Optional[zipfile.ZipFile] = None


class ResourceNotFound(FileNotFoundError):
    """No data file by that name in the checkout or the archive."""


def in_archive() -> bool:
    """True when the package runs from inside a zip archive (the built zipapp)."""
    return isinstance(_LOADER, zipimport.zipimporter)


def archive_path() -> Optional[str]:
    """Path of the zipapp on disk, or None in a checkout."""
    return _LOADER.archive if in_archive() else None  # type: ignore[union-attr]


def _archive_prefix() -> str:
    # zipimporter.prefix is "tomatoplan/base/" (or "sub/dir/tomatoplan/base/" in a nested
    # layout); the project's data folders sit next to the tomatoplan package.
    prefix = _LOADER.prefix.replace(os.sep, "/").rstrip("/")  # type: ignore[union-attr]
    return posixpath.dirname(posixpath.dirname(prefix))


def _open_archive() -> zipfile.ZipFile:
    global _zip
    with _zip_lock:
        if _zip is None:
            _zip = zipfile.ZipFile(archive_path())  # type: ignore[arg-type]
        return _zip


def clean_relpath(relpath: str) -> str:
    """Normalise a '/'-separated path inside the project; refuse anything leaving it."""
    if not relpath or "\\" in relpath or "\x00" in relpath or relpath.startswith("/"):
        raise ResourceNotFound(relpath)
    parts = relpath.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ResourceNotFound(relpath)
    return relpath


def read_bytes(relpath: str) -> bytes:
    """Contents of a data file, e.g. ``read_bytes("sql/missions.sql")``."""
    relpath = clean_relpath(relpath)
    if in_archive():
        name = posixpath.join(_archive_prefix(), relpath)
        try:
            return _open_archive().read(name)
        except KeyError:
            raise ResourceNotFound(relpath) from None
    path = os.path.join(_PROJECT_DIR, *relpath.split("/"))
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # absent, a folder, a name too long for the file system...
        raise ResourceNotFound(relpath) from None


def read_text(relpath: str) -> str:
    """Contents of a UTF-8 data file."""
    return read_bytes(relpath).decode("utf-8")


def list_files(relpath: str) -> list[str]:
    """Sorted names of the files directly inside a data folder (not its sub-folders)."""
    relpath = clean_relpath(relpath)
    if in_archive():
        folder = posixpath.join(_archive_prefix(), relpath) + "/"
        names = set()
        for name in _open_archive().namelist():
            if name.startswith(folder):
                rest = name[len(folder):]
                if rest and "/" not in rest:
                    names.add(rest)
        return sorted(names)
    path = os.path.join(_PROJECT_DIR, *relpath.split("/"))
    try:
        entries = os.listdir(path)
    except FileNotFoundError:
        raise ResourceNotFound(relpath) from None
    return sorted(e for e in entries if os.path.isfile(os.path.join(path, e)))
