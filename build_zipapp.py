#!/usr/bin/env python3
"""Build dist/tomatoplan.pyz: the server and all its dependencies in one runnable file.

Usage: python3 build_zipapp.py [--output dist/tomatoplan.pyz] [--cache build/cache]

Standard library only; runs on Python 3.9+ with the `venv` module (Debian/Ubuntu:
python3-venv) and access to PyPI on the first build. Steps:

1. download the files pinned in requirements.lock, checking their sha256
   (`pip download --require-hashes --no-deps`), into the cache; a rebuild whose files are
   all cached and intact asks no index at all (the same lock is the test environment's
   constraints: `pip install -e '.[test]' -c requirements.lock`);
2. pip runs in a throwaway venv in the cache holding the build tools pinned, with hashes,
   in build-requirements.lock (setuptools): no unpinned build backend is ever fetched;
3. aiohttp's sdist is built into a pure wheel with AIOHTTP_NO_EXTENSIONS=1 (cached);
   MarkupSafe's sdist gives only its pure-Python sources (it falls back to `_native.py`);
   every other dependency is a pure `py3-none-any` wheel, unpacked here;
4. the project (tomatoplan/*.py, sql/, templates/, static/, Swagger UI included under
   static/vendor/swagger-ui/) is added, with a root `__main__.py`;
5. the archive is written with sorted entries, fixed timestamps (1980-01-01, or
   SOURCE_DATE_EPOCH) and permissions, so the same sources and lock give the same bytes;
6. it is checked with `python3 -I tomatoplan.pyz --version`.

Nothing compiled (.so, .pyd, .c, .pyx, .pyc, .h, ...) goes into the archive.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from typing import Dict, List, NamedTuple, Optional, Tuple

ROOT = os.path.dirname(os.path.abspath(__file__))
LOCK_FILE = os.path.join(ROOT, "requirements.lock")
BUILD_LOCK_FILE = os.path.join(ROOT, "build-requirements.lock")
DEFAULT_OUTPUT = os.path.join(ROOT, "dist", "tomatoplan.pyz")
DEFAULT_CACHE = os.path.join(ROOT, "build", "cache")

SHEBANG = b"#!/usr/bin/env python3\n"
ROOT_MAIN = (
    b'"""Entry point of tomatoplan.pyz (written by build_zipapp.py)."""\n'
    b"import sys\n"
    b"\n"
    b"from tomatoplan.__main__ import main\n"
    b"\n"
    b"sys.exit(main())\n"
)
PROJECT_DATA_DIRS = ("sql", "templates", "static")

# Never shipped: compiled code, C/Cython sources, bytecode.
DROPPED_SUFFIXES = (
    ".so", ".pyd", ".dll", ".dylib", ".a", ".lib", ".o", ".obj", ".exe",
    ".c", ".cc", ".cpp", ".h", ".hpp", ".pyx", ".pxd", ".pxi", ".pyc", ".pyo",
)
DROPPED_DIST_INFO_FILES = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


# sdists of which only the pure-Python sources are taken: name -> source folder in the sdist.
PURE_SOURCE_SDISTS = {"markupsafe": "src/markupsafe"}
# sdists built into a wheel, with the environment that makes the build pure.
BUILT_SDISTS = {"aiohttp": {"AIOHTTP_NO_EXTENSIONS": "1"}}


class BuildError(Exception):
    pass


class Requirement(NamedTuple):
    name: str  # normalised (PEP 503)
    version: str
    hashes: Tuple[str, ...]  # sha256 hex digests


def log(message: str) -> None:
    print(f"[build_zipapp] {message}", flush=True)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_lock(path: str) -> List[Requirement]:
    """The pinned files of a lock: `name==version` lines, each with the sha256 of its one file.

    requirements.lock writes the hash in a comment (`name==version  # sha256:<hex>`) so that
    pip can also read it as a constraints file; build-requirements.lock uses pip's own
    `--hash=sha256:<hex>` options. Both forms are read here.
    """
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace("\\\n", " ")
    requirements = []
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(\s+--hash=sha256:[0-9a-f]{64})*$", line)
        if not match:
            raise BuildError(f"{path}: not an exact pin: {line!r}")
        hashes = tuple(re.findall(r"sha256:([0-9a-f]{64})", raw))
        if not hashes:
            raise BuildError(f"{path}: no sha256 for {match.group(1)}")
        requirements.append(Requirement(normalise(match.group(1)), match.group(2), hashes))
    if not requirements:
        raise BuildError(f"{path}: no requirement")
    return requirements


def hashed_requirements(requirements: List[Requirement], folder: str) -> str:
    """Write pip's hash-checking form of the requirements (`--require-hashes -r`); its path."""
    path = os.path.join(folder, "requirements-hashed.txt")
    with open(path, "w", encoding="utf-8") as handle:
        for req in requirements:
            hashes = " ".join(f"--hash=sha256:{digest}" for digest in req.hashes)
            handle.write(f"{req.name}=={req.version} {hashes}\n")
    return path


# ---------------------------------------------------------------- tools and downloads


def subprocess_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.update(extra or {})
    return env


def run(cmd: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> None:
    log("$ " + " ".join(cmd))
    result = subprocess.run(cmd, env=subprocess_env(env), cwd=cwd, check=False)
    if result.returncode != 0:
        raise BuildError(f"command failed with exit code {result.returncode}: {cmd[0]} ...")


def tool_python(cache: str) -> str:
    """Python of the throwaway build venv, created (and its tools installed) when needed."""
    venv_dir = os.path.join(cache, "venv-py{}.{}".format(*sys.version_info[:2]))
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    python = os.path.join(venv_dir, bin_dir, "python.exe" if os.name == "nt" else "python")
    stamp_path = os.path.join(venv_dir, "build-requirements.sha256")
    wanted = sha256_file(BUILD_LOCK_FILE)
    try:
        with open(stamp_path, encoding="ascii") as handle:
            if handle.read().strip() == wanted and os.path.exists(python):
                return python
    except OSError:
        pass
    if os.path.exists(venv_dir):
        shutil.rmtree(venv_dir)
    log(f"creating the build venv {venv_dir}")
    try:
        run([sys.executable, "-m", "venv", venv_dir])
    except BuildError:
        raise BuildError(
            "cannot create a venv with pip: on Debian/Ubuntu, apt-get install python3-venv"
        ) from None
    run([python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", BUILD_LOCK_FILE])
    with open(stamp_path, "w", encoding="ascii") as handle:
        handle.write(wanted + "\n")
    return python


def cached_files(requirements: List[Requirement], folder: str) -> Dict[str, str]:
    """name -> path of each locked file already in `folder` with the right sha256."""
    by_hash = {}
    if os.path.isdir(folder):
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if os.path.isfile(path):
                by_hash[sha256_file(path)] = path
    found = {}
    for req in requirements:
        for digest in req.hashes:
            if digest in by_hash:
                found[req.name] = by_hash[digest]
                break
    return found


def download(requirements: List[Requirement], cache: str) -> Dict[str, str]:
    folder = os.path.join(cache, "downloads")
    found = cached_files(requirements, folder)
    missing = [r.name for r in requirements if r.name not in found]
    if not missing:
        log(f"all {len(found)} locked files are in the cache ({folder})")
        return found
    log(f"downloading {len(missing)} locked file(s): {', '.join(missing)}")
    os.makedirs(folder, exist_ok=True)
    # A corrupt or foreign file of the same name would stop pip: clear what does not match.
    keep = set(found.values())
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if os.path.isfile(path) and path not in keep:
            os.remove(path)
    python = tool_python(cache)
    # --no-build-isolation: the sdists' metadata is prepared with the pinned setuptools
    # of the build venv instead of an unpinned one fetched into an isolated environment.
    run([python, "-m", "pip", "download", "--require-hashes", "--no-deps",
         "--no-build-isolation", "--dest", folder, "-r", hashed_requirements(requirements, cache)],
        env={"AIOHTTP_NO_EXTENSIONS": "1"})
    found = cached_files(requirements, folder)
    missing = [r.name for r in requirements if r.name not in found]
    if missing:
        raise BuildError(f"pip download did not give the locked files of: {', '.join(missing)}")
    return found


def build_wheel(name: str, sdist: str, cache: str) -> str:
    """A pure wheel built from a locked sdist, cached by the sdist's and the tools' hashes."""
    key = f"{sha256_file(sdist)[:16]}-{sha256_file(BUILD_LOCK_FILE)[:16]}"
    folder = os.path.join(cache, "wheels", f"{name}-{key}")
    wheels = sorted(f for f in os.listdir(folder) if f.endswith(".whl")) \
        if os.path.isdir(folder) else []
    if len(wheels) == 1:
        log(f"{name}: wheel built earlier ({wheels[0]})")
        return os.path.join(folder, wheels[0])
    python = tool_python(cache)
    os.makedirs(os.path.join(cache, "wheels"), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.join(cache, "wheels")) as tmp:
        out = os.path.join(tmp, "out")
        run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-cache-dir", "--wheel-dir", out, sdist], env=BUILT_SDISTS[name])
        built = sorted(os.listdir(out))
        if len(built) != 1 or not built[0].endswith("-py3-none-any.whl"):
            raise BuildError(f"{name}: expected one pure py3-none-any wheel, got {built}")
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.replace(out, folder)
    return os.path.join(folder, built[0])


# ---------------------------------------------------------------- archive contents


class Entries:
    """The archive's files: name -> bytes, refusing duplicates and unsafe names."""

    def __init__(self) -> None:
        self.files: Dict[str, bytes] = {}

    def add(self, name: str, data: bytes) -> None:
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
            raise BuildError(f"unsafe name in the archive: {name!r}")
        if name in self.files:
            raise BuildError(f"two files for the same archive entry: {name}")
        self.files[name] = data


def dropped(name: str) -> bool:
    parts = name.split("/")
    if "__pycache__" in parts or ".hash" in parts:
        return True
    if name.lower().endswith(DROPPED_SUFFIXES):
        return True
    return parts[0].endswith(".dist-info") and parts[-1] in DROPPED_DIST_INFO_FILES


def add_wheel(entries: Entries, path: str) -> None:
    if not path.endswith("-none-any.whl"):
        raise BuildError(f"not a pure wheel: {os.path.basename(path)}")
    with zipfile.ZipFile(path) as wheel:
        for info in wheel.infolist():
            name = info.filename
            if info.is_dir():
                continue
            if name.split("/", 1)[0].endswith(".data"):
                raise BuildError(f"{os.path.basename(path)}: .data folders are not supported")
            if not dropped(name):
                entries.add(name, wheel.read(info))


def add_pure_sources(entries: Entries, req: Requirement, sdist: str) -> None:
    """The pure-Python package of an sdist (no extension module) and a minimal dist-info."""
    src = PURE_SOURCE_SDISTS[req.name]
    package = posixpath.basename(src)
    dist_info = f"{req.name.replace('-', '_')}-{req.version}.dist-info"
    with tarfile.open(sdist, "r:*") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        top = members[0].name.split("/", 1)[0]

        def read(member: tarfile.TarInfo) -> bytes:
            handle = tar.extractfile(member)
            assert handle is not None
            with handle:
                return handle.read()

        names = {m.name: m for m in members}
        pkg_info = names.get(f"{top}/PKG-INFO")
        if pkg_info is None:
            raise BuildError(f"{req.name}: no PKG-INFO in {os.path.basename(sdist)}")
        metadata = read(pkg_info)
        entries.add(f"{dist_info}/METADATA", metadata)
        for license_file in re.findall(rb"^License-File: (.+?)\s*$", metadata, re.M):
            member = names.get(f"{top}/{license_file.decode()}")
            if member is not None:
                entries.add(f"{dist_info}/licenses/{license_file.decode()}", read(member))
        prefix = f"{top}/{src}/"
        taken = []
        for member in members:
            if member.name.startswith(prefix):
                rest = member.name[len(prefix):]
                if (rest.endswith(".py") or rest == "py.typed") and not dropped(rest):
                    entries.add(f"{package}/{rest}", read(member))
                    taken.append(rest)
        if "__init__.py" not in taken:
            raise BuildError(f"{req.name}: no {src}/__init__.py in {os.path.basename(sdist)}")


def skipped_source(name: str) -> bool:
    return (name.startswith(".") or name == "__pycache__" or name.endswith("~")
            or name.endswith((".pyc", ".pyo")))


def add_project(entries: Entries) -> None:
    def walk(folder: str, only_py: bool) -> None:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = sorted(d for d in dirnames if not skipped_source(d))
            for filename in sorted(filenames):
                if skipped_source(filename) or (only_py and not filename.endswith(".py")):
                    continue
                path = os.path.join(dirpath, filename)
                name = os.path.relpath(path, ROOT).replace(os.sep, "/")
                with open(path, "rb") as handle:
                    entries.add(name, handle.read())

    if not os.path.isfile(os.path.join(ROOT, "tomatoplan", "__init__.py")):
        raise BuildError("no tomatoplan/__init__.py next to build_zipapp.py")
    walk("tomatoplan", only_py=True)
    for folder in PROJECT_DATA_DIRS:
        walk(folder, only_py=False)
    entries.add("__main__.py", ROOT_MAIN)


def collect(requirements: List[Requirement], files: Dict[str, str], cache: str) -> Entries:
    entries = Entries()
    add_project(entries)
    for req in requirements:
        path = files[req.name]
        if path.endswith(".whl"):
            add_wheel(entries, path)
        elif req.name in BUILT_SDISTS:
            add_wheel(entries, build_wheel(req.name, path, cache))
        elif req.name in PURE_SOURCE_SDISTS:
            add_pure_sources(entries, req, path)
        else:
            raise BuildError(f"{req.name}: an sdist with no recipe here; lock a pure wheel")
    return entries


# ---------------------------------------------------------------- writing and checking


def archive_date_time() -> Tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return (1980, 1, 1, 0, 0, 0)
    stamp = time.gmtime(max(int(epoch), 315532800))  # zip dates start in 1980
    return tuple(stamp[:6])  # type: ignore[return-value]


def write_archive(entries: Entries, output: str) -> None:
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    date_time = archive_date_time()
    fd, tmp = tempfile.mkstemp(prefix=".tomatoplan-", suffix=".pyz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(SHEBANG)
            with zipfile.ZipFile(handle, "w") as archive:
                for name in sorted(entries.files):
                    info = zipfile.ZipInfo(name, date_time)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = 3  # Unix, so that the permissions below are read
                    info.external_attr = (0o100644 & 0xFFFF) << 16
                    archive.writestr(info, entries.files[name],
                                     compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        os.chmod(tmp, 0o755)  # noqa: S103 (an executable meant to be run by anyone)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def project_version() -> str:
    with open(os.path.join(ROOT, "tomatoplan", "__init__.py"), encoding="utf-8") as handle:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", handle.read(), re.M)
    if not match:
        raise BuildError("no __version__ in tomatoplan/__init__.py")
    return match.group(1)


def check_archive(entries: Entries, output: str) -> None:
    if "tomatoplan/__main__.py" not in entries.files:
        log("WARNING: no tomatoplan/__main__.py yet: the archive was not run")
        return
    cmd = [sys.executable, "-I", output, "--version"]
    log("$ " + " ".join(cmd))
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=subprocess_env(), timeout=120, check=False)
    text = result.stdout.decode("utf-8", "replace").strip()
    print(text, flush=True)
    if result.returncode != 0 or project_version() not in text:
        raise BuildError(f"the archive does not run: exit code {result.returncode}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="path of the archive (default: dist/tomatoplan.pyz)")
    parser.add_argument("--cache", default=DEFAULT_CACHE,
                        help="downloads, built wheels and the build venv (default: build/cache)")
    args = parser.parse_args(argv)
    output = os.path.abspath(args.output)
    cache = os.path.abspath(args.cache)
    started = time.monotonic()
    try:
        requirements = parse_lock(LOCK_FILE)
        parse_lock(BUILD_LOCK_FILE)
        files = download(requirements, cache)
        entries = collect(requirements, files, cache)
        write_archive(entries, output)
        check_archive(entries, output)
    except BuildError as exc:
        print(f"build_zipapp: error: {exc}", file=sys.stderr)
        return 1
    size = os.path.getsize(output)
    log(f"wrote {output}: {len(entries.files)} files, {size} bytes ({size / 1048576:.2f} MiB) "
        f"in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
