"""The index directory on disk: manifest, generations, locks.

::

    myindex/
      searchcore.json     manifest (orjson): format, version, language, live generation
      write.lock          held (fcntl) by whoever writes: add, delete, rebuild
      gen-000001/         a complete whoosh index (segments + TOC)
        readers.lock      shared-locked by every open reader of this generation
      gen-000002.tmp/     a rebuild in progress; never read; removed if left by a crash

Why generations: a full rebuild writes a fresh ``gen-N`` beside the live one and
then switches the manifest with ``os.replace`` — an atomic rename, so a reader sees
either the old manifest or the new one, never half of each. A crash (even ``kill
-9``) before the rename leaves the old generation live and a ``.tmp`` folder that the
next writer removes. Readers that opened the old generation keep their files; old
generations are deleted only once no reader holds ``readers.lock`` on them.

Why our own ``write.lock`` on top of whoosh's: whoosh's lock lives *inside* a
generation, so an incremental ``add`` into gen-1 would not see a rebuild writing
gen-2, and its batch would vanish at the switch. One lock over the whole directory
serialises them: the second writer waits up to its timeout, then gets
:class:`~searchcore.errors.IndexLockedError` naming this file.

Whoosh's table of contents is a pickle, and opening an index runs it: open only
indexes you (or your own jobs) built.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson

from searchcore.errors import (IndexExistsError, IndexFormatError, IndexLockedError,
                               IndexNotFoundError)

MANIFEST_NAME = "searchcore.json"
WRITE_LOCK_NAME = "write.lock"
READERS_LOCK_NAME = "readers.lock"
FORMAT_NAME = "searchcore-index"
#: Bump when the schema, analyzer output or layout changes incompatibly.
#: 2: numbers and names tokenised whole ("1.5", "1,000" = "1000", "AT&T").
#: 3: each article analysed in its own language (tagged terms ``de:olpreis``), CJK
#:    and Thai runs as character bigrams (searchcore.multilingual).
#: 4: a generation may hold shards (``shard-NNN/`` folders, the manifest's ``shards``);
#:    unsharded indexes of format 3 are still read as they are.
#: 5: stories by leader (news/leaders.py; story files' STORE_VERSION 3): formats 3 and
#:    4 are still searched, and their stories ask for a rebuild when used.
#: 6: side postings of format 2 (narrow types: searchcore.execution.postings'
#:    POSTINGS_VERSION 2). A reader of format 5 takes them for missing and converts
#:    whoosh's postings in memory on every open (seconds a search at 1M articles):
#:    it is told to upgrade instead. Format 5 is read as it is; a write marks it 6
#:    first (:func:`mark_written`).
FORMAT_VERSION = 6
#: Oldest format version this code can still read.
MIN_FORMAT_VERSION = 3
#: Formats an add or delete of this code turns into FORMAT_VERSION by what it writes
#: (nothing else differs): marked so before the write (:func:`mark_written`).
UPGRADED_ON_WRITE = frozenset({5})
GENERATION_PREFIX = "gen-"

REBUILD_HINT = "rebuild it with `searchcore index build SOURCE... --index {path}`"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def manifest_path(path: Path) -> Path:
    return path / MANIFEST_NAME


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check the manifest of the index at ``path``.

    Raises IndexNotFoundError (nothing there), IndexFormatError (foreign, damaged,
    too old or too new), each saying what to do.
    """
    mpath = manifest_path(path)
    try:
        raw = mpath.read_bytes()
    except FileNotFoundError:
        if path.is_dir() and any(path.iterdir()):
            raise IndexFormatError(
                f"{str(path)!r} is not a searchcore index (no {MANIFEST_NAME}); "
                "choose an empty or new directory") from None
        raise IndexNotFoundError(
            f"no index at {str(path)!r}; create one with `searchcore index build SOURCE... "
            f"--index {path}`") from None
    except OSError as exc:
        raise IndexFormatError(f"cannot read {str(mpath)!r}: {exc.strerror}") from None
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise IndexFormatError(f"{str(mpath)!r} is damaged (not JSON); "
                               + REBUILD_HINT.format(path=path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexFormatError(f"{str(mpath)!r} is not a searchcore manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise IndexFormatError(
            f"index at {str(path)!r} has format version {version!r}, newer than this "
            f"searchcore reads ({FORMAT_VERSION}); upgrade searchcore")
    if version < MIN_FORMAT_VERSION:
        raise IndexFormatError(
            f"index at {str(path)!r} has format version {version}, older than this "
            f"searchcore reads ({MIN_FORMAT_VERSION}); " + REBUILD_HINT.format(path=path))
    check_manifest_fields(path, manifest)
    return manifest


#: The manifest fields searchcore reads, and the type each must have.
MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "generation": str, "language": str, "analyzer": dict, "documents": int,
    "created": str, "updated": str, "shards": dict,
}
_GENERATION_NAME = re.compile(rf"{GENERATION_PREFIX}[0-9]{{6,}}")


def check_manifest_fields(path: Path, manifest: dict[str, Any]) -> None:
    """Reject a manifest whose fields have the wrong type or whose generation is not
    a generation folder of this index.

    The manifest is input like any file in the folder: a ``generation`` of
    ``"../../elsewhere"``, an absolute path or a ``gen-`` symlink out of the folder
    would make searchcore open (and ``index check`` vouch for) another index.
    """
    mpath = manifest_path(path)
    for name, kind in MANIFEST_TYPES.items():
        value = manifest.get(name)
        if name not in ("generation", "language", "documents") and value is None:
            continue                            # optional fields
        if not isinstance(value, kind) or isinstance(value, bool) or (
                name == "documents" and value < 0):
            raise IndexFormatError(
                f"{str(mpath)!r} is damaged: {name!r} is {value!r}, not a "
                f"{'non-negative integer' if kind is int else kind.__name__}; "
                + REBUILD_HINT.format(path=path))
    generation = manifest["generation"]
    if not _GENERATION_NAME.fullmatch(generation):
        raise IndexFormatError(
            f"{str(mpath)!r} is damaged: generation {generation!r} is not a generation "
            f"folder name ({GENERATION_PREFIX}NNNNNN); " + REBUILD_HINT.format(path=path))
    gen_dir = path / generation
    if not gen_dir.is_dir():
        raise IndexFormatError(f"index at {str(path)!r} names a missing generation "
                               f"{generation!r}; " + REBUILD_HINT.format(path=path))
    if gen_dir.resolve().parent != path.resolve():
        raise IndexFormatError(
            f"generation {generation!r} of {str(path)!r} is a link to "
            f"{str(gen_dir.resolve())!r}, outside the index folder; "
            + REBUILD_HINT.format(path=path))
    if manifest.get("shards") is not None:
        check_shards(path, manifest["shards"], gen_dir)


_SHARD_NAME = re.compile(r"shard-[0-9]{3,}")


def check_shards(path: Path, shards: dict[str, Any], gen_dir: Path) -> None:
    """Reject a ``shards`` entry that does not name shard folders inside the generation."""
    mpath = manifest_path(path)
    names, count = shards.get("names"), shards.get("count")
    documents = shards.get("documents")
    if (not isinstance(names, list) or not names or not isinstance(count, int)
            or count != len(names) or not all(isinstance(n, str) and _SHARD_NAME.fullmatch(n)
                                              for n in names)
            or not isinstance(documents, list) or len(documents) != count
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                       for d in documents)):
        raise IndexFormatError(f"{str(mpath)!r} is damaged: 'shards' is {shards!r}; "
                               + REBUILD_HINT.format(path=path))
    for name in names:
        shard_dir = gen_dir / name
        if not shard_dir.is_dir() or shard_dir.is_symlink():
            raise IndexFormatError(f"index at {str(path)!r} names a missing shard "
                                   f"{gen_dir.name}/{name}; " + REBUILD_HINT.format(path=path))


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (write a temp file, fsync, rename)."""
    manifest = dict(manifest, updated=utc_now())
    tmp = path / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, manifest_path(path))
    with contextlib.suppress(OSError):
        dirfd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


def mark_written(path: Path) -> None:
    """Before this code writes segments into the index at ``path`` (under its write
    lock): an index of a format in :data:`UPGRADED_ON_WRITE` is marked
    FORMAT_VERSION, so that an older searchcore, which could not read what is about
    to be written, says so rather than reading it slowly. Marked first: a write that
    then fails leaves an index this code reads, merely marked newer."""
    manifest = read_manifest(path)
    if manifest.get("format_version") in UPGRADED_ON_WRITE:
        write_manifest(path, manifest | {"format_version": FORMAT_VERSION})


def new_manifest(language: str, analyzer: dict[str, Any], generation: str) -> dict[str, Any]:
    now = utc_now()
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "language": language,
            "analyzer": analyzer, "generation": generation, "documents": 0,
            "created": now, "updated": now}


def ensure_creatable(path: Path) -> None:
    """Raise IndexExistsError if ``path`` already holds an index or other files."""
    if manifest_path(path).exists():
        raise IndexExistsError(f"an index already exists at {str(path)!r}; open it with "
                               "open_index() or remove the directory first")
    if path.exists() and not path.is_dir():
        raise IndexExistsError(f"{str(path)!r} exists and is not a directory")


def generation_name(number: int) -> str:
    return f"{GENERATION_PREFIX}{number:06d}"


def next_generation(path: Path) -> str:
    """A name greater than every generation present, finished or not."""
    numbers = [0]
    for entry in path.iterdir() if path.is_dir() else ():
        name = entry.name.removesuffix(".tmp")
        if name.startswith(GENERATION_PREFIX) and name[len(GENERATION_PREFIX):].isdigit():
            numbers.append(int(name[len(GENERATION_PREFIX):]))
    return generation_name(max(numbers) + 1)


@contextlib.contextmanager
def write_lock(path: Path, timeout: float = 10.0) -> Iterator[None]:
    """Hold the index-wide writer lock; wait up to ``timeout`` seconds for it."""
    lock_file = path / WRITE_LOCK_NAME
    fd = open_lock_file(lock_file, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"the index is locked by another writer ({str(lock_file)!r} is held); "
                        f"waited {timeout:g}s. Try again when it finishes") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)          # closing the descriptor releases the lock


def open_lock_file(lock_file: Path, flags: int) -> int:
    """Open a lock file without following links; a descriptor on a plain file.

    A ``write.lock`` symlinked (or hard-linked) to another file would otherwise get
    that file truncated and overwritten with our pid.
    """
    try:
        fd = os.open(lock_file, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IndexFormatError(f"lock file {str(lock_file)!r} is a symbolic link; "
                                   "remove it (searchcore never makes one)") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        os.close(fd)
        raise IndexFormatError(f"lock file {str(lock_file)!r} is not a plain file of its "
                               "own (a hard link or a device); remove it")
    return fd


class ReaderGuard:
    """A shared lock on one generation, held while a reader uses it.

    A reader must not need to write: on a read-only folder (a mounted archive, no
    write permission) an existing ``readers.lock`` is opened read-only (``flock``
    works on it), and without one the generation is read unguarded -- nobody can
    rebuild a folder that cannot be written, so nothing can delete it under us.
    """

    def __init__(self, generation_dir: Path) -> None:
        lock_file = generation_dir / READERS_LOCK_NAME
        self._fd: int | None = None
        try:
            self._fd = open_lock_file(lock_file, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            try:
                self._fd = open_lock_file(lock_file, os.O_RDONLY)
            except FileNotFoundError:
                return
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def remove_stale(path: Path, live: str) -> list[str]:
    """Delete unfinished rebuilds and old generations no reader holds. Call under write_lock.

    Returns the names removed.
    """
    removed = []
    for entry in sorted(path.iterdir()):
        if not entry.name.startswith(GENERATION_PREFIX) or entry.name == live:
            continue
        if entry.name.endswith(".tmp"):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
            continue
        lock = entry / READERS_LOCK_NAME
        try:
            fd = open_lock_file(lock, os.O_RDWR | os.O_CREAT)
        except (OSError, IndexFormatError):
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)      # a reader still has it open: keep it for now
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
        finally:
            os.close(fd)
    return removed
