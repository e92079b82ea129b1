"""A backups folder: the names of backups, temporary files, durable naming, verified copies.

Files only, no SQL (what is inside a backup is `backup_files`). A file is written under a
hidden temporary name, synced, then given its name by a hard link: atomic, and never over an
existing file, even another process's written in the same second.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import re
import sqlite3
from typing import Optional

# backup_20240115_120000.db, and _1, _2... when two backups fall in the same second.
NAME_PATTERN = re.compile(r"backup_([0-9]{8})_([0-9]{6})(?:_([0-9]{1,3}))?\.db")
TEMP_PREFIX = ".tmp-"
COPY_CHUNK = 1024 * 1024
# Errors of a file system that cannot make hard links (some network shares).
NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV)


def fsync_path(path: str) -> None:
    """Flush a file, or a folder's entries, to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(folder: str, purpose: str) -> str:
    """A hidden name in `folder` that no listing takes for a backup."""
    return os.path.join(folder, f"{TEMP_PREFIX}{purpose}-{os.getpid()}-{os.urandom(4).hex()}.db")


def remove_quietly(path: str) -> None:
    """Remove a file and the journal files SQLite may have left beside it."""
    for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
        with contextlib.suppress(OSError):  # absent, or its folder is gone or is not one
            os.remove(leftover)


def remove_temps(folder: str) -> int:
    """Remove every temporary file of the folder (the caller holds the folder's lock, so no
    backup is being written); how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.listdir(folder):
            if entry.startswith(TEMP_PREFIX):
                remove_quietly(os.path.join(folder, entry))
                removed += 1
    return removed


def new_name(moment: datetime.datetime, taken: int = 0) -> str:
    """backup_YYYYMMDD_HHMMSS.db for a local time, with _N after it when N names are taken."""
    base = moment.strftime("backup_%Y%m%d_%H%M%S")
    return f"{base}.db" if taken == 0 else f"{base}_{taken}.db"


def free_name(folder: str, moment: datetime.datetime) -> str:
    """The first backup name of `moment` no file of `folder` has."""
    for taken in range(1000):
        name = new_name(moment, taken)
        if not os.path.lexists(os.path.join(folder, name)):
            return name
    raise FileExistsError(errno.EEXIST, "no free backup name", os.path.join(folder, new_name(moment)))


def _moment_of(name: str) -> datetime.datetime:
    found = NAME_PATTERN.fullmatch(name)
    if found is None:
        return datetime.datetime.now()
    return datetime.datetime.strptime(found.group(1) + found.group(2), "%Y%m%d%H%M%S")


def _link(temp: str, target: str) -> None:
    """Give `temp` the path `target`, never replacing a file; FileExistsError if taken."""
    try:
        os.link(temp, target)
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        # No hard links here: an exclusive creation reserves the name, then the rename fills it.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
        os.replace(temp, target)
        return
    os.remove(temp)


def publish(temp: str, folder: str, name: str, *, exactly: bool = False) -> str:
    """Give a synced temporary file its name in `folder`, never over an existing file; the name
    given: `name`, or when it is taken the next free name of its second (another process was
    quicker), or FileExistsError if `exactly`."""
    while True:
        try:
            _link(temp, os.path.join(folder, name))
        except FileExistsError:
            if exactly:
                raise
            name = free_name(folder, _moment_of(name))
            continue
        fsync_path(folder)
        return name


def copy_verified(source: str, folder: str, name: str) -> str:
    """Copy a backup into another folder (another disk): written under a temporary name,
    synced, read back and compared byte for byte (sha256), then named (the next free name if
    `name` is taken there, e.g. by another server sharing the folder). The name given."""
    temp = temp_path(folder, "copie")
    try:
        written = hashlib.sha256()
        with open(source, "rb") as reader, open(temp, "xb") as writer:
            for block in iter(lambda: reader.read(COPY_CHUNK), b""):
                writer.write(block)
                written.update(block)
            writer.flush()
            os.fsync(writer.fileno())
        read_back = hashlib.sha256()
        with open(temp, "rb") as reader:
            for block in iter(lambda: reader.read(COPY_CHUNK), b""):
                read_back.update(block)
        if read_back.digest() != written.digest():
            raise OSError(errno.EIO, "la copie relue diffère de la sauvegarde", temp)
        return publish(temp, folder, name)
    finally:
        remove_quietly(temp)


def existing(folder: str, name: str) -> Optional[str]:
    """The path of backup `name` when it is a regular file of `folder` (a link is not one)."""
    path = os.path.join(folder, name)
    try:
        return path if os.lstat(path).st_mode & 0o170000 == 0o100000 else None
    except OSError:
        return None


def reason_of(exc: BaseException) -> str:
    """What went wrong, in words an admin can act on."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "disque plein"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"dossier non accessible en écriture ({exc.filename or ''})".replace(" ()", "")
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            return f"{exc.filename or 'le dossier'} n'est pas un dossier"
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc.strerror or exc)
    if isinstance(exc, sqlite3.Error) and "full" in str(exc):
        return "disque plein"
    return str(exc) or type(exc).__name__
