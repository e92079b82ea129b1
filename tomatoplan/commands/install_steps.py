"""The installer's steps on files, folders and commands: each one compares what is there with
what is wanted, changes only what differs, and says so in one line (`inchangé` when nothing).

With `root`, every path is taken inside that folder (a tree for tests or a package) and
nothing is run; with `dry_run`, nothing is written nor run, only said.
"""

from __future__ import annotations

import difflib
import os
import stat
import subprocess
import sys
import tempfile
from typing import Optional, Sequence, TextIO

Owner = Optional[tuple]  # (uid, gid), or None: leave ownership as it comes

# state -> (what was done, what would be done with --dry-run)
STATES = {
    "created": ("créé", "à créer"),
    "copied": ("copié", "à copier"),
    "updated": ("mis à jour", "à mettre à jour"),
    "fixed": ("droits corrigés", "droits à corriger"),
    "unchanged": ("inchangé", "inchangé"),
    "removed": ("supprimé", "à supprimer"),
    "absent": ("déjà absent", "déjà absent"),
    "ran": ("fait", "à faire"),
}
CHANGES = ("created", "copied", "updated", "fixed", "removed", "ran")


class InstallError(Exception):
    """The installation cannot go on; the message says why, in French."""


class Steps:
    def __init__(self, root: Optional[str], dry_run: bool, out: TextIO = sys.stdout):
        self.root = os.path.abspath(root) if root else None
        self.dry_run = dry_run
        self.out = out
        self.changed = False

    def host_path(self, path: str) -> str:
        """Where `path` (as the installed service sees it) is on this machine."""
        return os.path.join(self.root, path.lstrip("/")) if self.root else path

    def say(self, state: str, what: str) -> str:
        done, planned = STATES[state]
        print(f"  {planned if self.dry_run else done:<18} {what}", file=self.out)
        self.changed = self.changed or state in CHANGES
        return state

    def note(self, text: str) -> None:
        print(f"  {'':<18} {text}", file=self.out)

    # -------------------------------------------------------------- folders and files

    def folder(self, path: str, mode: int, owner: Owner, fix: bool = True) -> str:
        """The folder exists: created with that mode and owner when missing. An existing one
        is given them only with `fix` (a folder the installer owns); otherwise it is left as
        it is, and said with its own mode."""
        real = self.host_path(path)
        if not os.path.lexists(real):
            if not self.dry_run:
                self._make_parents(real)
                os.mkdir(real, mode)
                self._set(real, mode, owner)
            return self.say("created", f"{path} ({mode:04o})")
        if not os.path.isdir(real) or os.path.islink(real):
            raise InstallError(f"{real} existe et n'est pas un dossier")
        if fix:
            return self._fix(real, mode, owner, f"{path} ({mode:04o})")
        return self.say("unchanged", f"{path} ({stat.S_IMODE(os.lstat(real).st_mode):04o})")

    def data_folders(self, folders: Sequence[str], owned: Sequence[str], owner: Owner,
                     user: str) -> list:
        """The folders the server writes; returns those given to the service (0700, its own):
        the ones created now and the installer's own (`owned`). Any other existing folder may
        be shared, or the system's: left as it is, with a note if `user` may not write there."""
        given = []
        for folder in folders:
            if folder in owned or not os.path.lexists(self.host_path(folder)):
                self.folder(folder, 0o700, owner)
                given.append(folder)
            else:
                self.folder(folder, 0o700, owner, fix=False)
                if not self.writable_by(folder, owner):
                    self.note(f"{folder} existait : ni ses droits ni son propriétaire ne sont "
                              f"changés, le compte {user} doit pouvoir y écrire")
        return given

    def writable_by(self, path: str, owner: Owner) -> bool:
        """Whether the account `owner` may create files in the folder, as its owner, group and
        mode say (supplementary groups and ACLs unseen); False when the account is unknown."""
        if owner is None:
            return False
        info = os.stat(self.host_path(path))
        if info.st_uid == owner[0]:
            needed = stat.S_IWUSR | stat.S_IXUSR
        elif info.st_gid == owner[1]:
            needed = stat.S_IWGRP | stat.S_IXGRP
        else:
            needed = stat.S_IWOTH | stat.S_IXOTH
        return info.st_mode & needed == needed

    def file(self, path: str, content: bytes, mode: int, owner: Owner, *, keep: bool = False,
             detail: str = "", new_state: str = "created", show: bool = False) -> str:
        """The file holds `content` with that mode and owner, replaced atomically when it
        differs; `keep`: an existing file's content is never touched (only its rights);
        `show`: with `dry_run`, the text that would be written (or how it would change)."""
        real = self.host_path(path)
        what = f"{path} ({mode:04o}{', ' + detail if detail else ''})"
        before = b""
        if os.path.lexists(real):
            if not os.path.isfile(real) or os.path.islink(real):
                raise InstallError(f"{real} existe et n'est pas un fichier")
            before = b"" if keep else read_bytes(real)
            if keep or before == content:
                return self._fix(real, mode, owner, f"{path} ({mode:04o})")
            state = "updated"
        else:
            state = new_state
        if not self.dry_run:
            self._make_parents(real)
            _write_atomically(real, content, mode, owner)
        state = self.say(state, what)
        if self.dry_run and show:
            self._show(before.decode("utf-8", "replace"), content.decode("utf-8"))
        return state

    def _show(self, before: str, after: str) -> None:
        lines = after.splitlines() if not before else list(difflib.unified_diff(
            before.splitlines(), after.splitlines(), "actuel", "nouveau", lineterm=""))
        print("\n".join(f"    | {line}" for line in lines), file=self.out)

    def remove(self, path: str) -> str:
        real = self.host_path(path)
        if not os.path.lexists(real):
            return self.say("absent", path)
        if not self.dry_run:
            os.unlink(real)
        return self.say("removed", path)

    def _fix(self, real: str, mode: int, owner: Owner, what: str) -> str:
        info = os.lstat(real)
        if stat.S_IMODE(info.st_mode) == mode and (owner is None or
                                                   (info.st_uid, info.st_gid) == owner):
            return self.say("unchanged", what)
        if not self.dry_run:
            self._set(real, mode, owner)
        return self.say("fixed", what)

    @staticmethod
    def _set(real: str, mode: int, owner: Owner) -> None:
        if owner is not None:
            os.chown(real, *owner)
        os.chmod(real, mode)

    @staticmethod
    def _make_parents(real: str) -> None:
        """Missing parent folders, 0755 whatever the umask (as /opt or /etc/systemd are)."""
        missing = []
        parent = os.path.dirname(real)
        while not os.path.isdir(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(missing):
            os.mkdir(folder)
            os.chmod(folder, 0o755)  # noqa: S103 (a path to the service's files: traversable)

    # -------------------------------------------------------------- commands

    def run(self, argv: Sequence[str], what: str = "") -> str:
        """Run a command that changes the system (never with `root`; said with `dry_run`)."""
        assert self.root is None, "nothing is run in a --root tree"
        if not self.dry_run:
            # The installer's own commands (useradd, systemctl): no input from elsewhere.
            result = subprocess.run(list(argv), capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode != 0:
                said = (result.stderr or result.stdout).strip().splitlines()
                raise InstallError(f"{' '.join(argv)} a échoué (code {result.returncode})"
                                   + (f" : {said[-1]}" if said else ""))
        return self.say("ran", what or " ".join(argv))

    @staticmethod
    def ask(argv: Sequence[str]) -> bool:
        """A question to the system that changes nothing (systemctl is-active...): run even
        with `dry_run`; False when the command fails or is missing."""
        try:
            result = subprocess.run(list(argv), capture_output=True, check=False,  # noqa: S603
                                    timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _write_atomically(path: str, content: bytes, mode: int, owner: Owner) -> None:
    """Write beside it, flush to disk, then rename over it: a reader (or systemd, or a crash)
    sees the old file or the new one, never half of one."""
    folder = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            if owner is not None:
                os.fchown(handle.fileno(), *owner)
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
