"""One generation transaction: how every write that makes a new generation goes live.

``create_index``, ``build_index`` and the sharded build all follow the same steps, and
each step is here once:

1. take the index's write lock (a second writer waits, then fails clearly);
2. read the live manifest and delete debris of earlier crashed builds;
3. make ``gen-N.tmp/`` and let the caller write the whole generation into it;
4. ``commit(manifest)``: fsync every file, rename ``gen-N.tmp`` to ``gen-N``, fsync
   the index folder, then switch the manifest (an atomic rename of its own);
5. delete the old generation once no reader holds it.

A crash (or SIGKILL) before step 4's manifest switch leaves the old generation live
and exactly as it was; the next transaction removes the debris. Readers always see
one whole generation: the manifest names it. Adds do not make a generation (they
append segments through whoosh's own atomic table of contents), so they take only the
write lock; see ``Index.add``.

Tests stop a build at named points (``SEARCHCORE_TEST_PAUSE_AT``) and kill it there.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from searchcore import layout
from searchcore.errors import IndexFormatError, IndexNotFoundError

#: Environment variable naming the point where a test wants the writer to stop.
PAUSE_ENV = "SEARCHCORE_TEST_PAUSE_AT"
PAUSE_POINTS = ("writing", "before-rename", "before-switch", "after-switch")


@dataclass
class NewGeneration:
    """A generation being written: where to write it and what is live meanwhile."""

    index: Path
    name: str
    #: The live manifest (None for a new index, or one a rebuild must replace).
    existing: dict[str, Any] | None
    committed: bool = field(default=False)

    @property
    def folder(self) -> Path:
        """Where the caller writes the generation (renamed to ``name`` on commit)."""
        return self.index / f"{self.name}.tmp"

    def commit(self, manifest: dict[str, Any]) -> None:
        """Make the written generation durable, then live (``manifest`` names it)."""
        if manifest.get("generation") != self.name:
            raise ValueError(f"the manifest names {manifest.get('generation')!r}, "
                             f"not the generation written ({self.name!r})")
        fsync_tree(self.folder)
        pause("before-rename")
        os.rename(self.folder, self.index / self.name)
        fsync_dir(self.index)
        pause("before-switch")
        layout.write_manifest(self.index, manifest)
        self.committed = True
        pause("after-switch")


@contextmanager
def new_generation(path: Path, lock_timeout: float, *,
                   replace: bool = True) -> Iterator[NewGeneration]:
    """Write a new generation of the index at ``path`` (which must exist as a folder).

    ``replace=False`` (``create_index``) refuses a folder that already holds an index.
    Leaving the block without ``commit`` (an exception, a strict-mode error) removes
    the half-written folder and leaves the live generation as it was.
    """
    with layout.write_lock(path, lock_timeout):
        if replace:
            existing = existing_manifest(path)
        else:
            layout.ensure_creatable(path)
            existing = None
        layout.remove_stale(path, existing["generation"] if existing else "")
        generation = NewGeneration(path, layout.next_generation(path), existing)
        generation.folder.mkdir()
        try:
            yield generation
        finally:
            if not generation.committed:
                shutil.rmtree(generation.folder, ignore_errors=True)
        if generation.committed:
            layout.remove_stale(path, generation.name)


def existing_manifest(path: Path) -> dict[str, Any] | None:
    """The live manifest, or None for a new index or one a rebuild must replace.

    A damaged, too old or too new manifest (or one naming a missing generation) is
    exactly what the error messages tell people to fix with a rebuild, so a rebuild
    proceeds and writes a fresh one.
    """
    try:
        return layout.read_manifest(path)
    except (IndexNotFoundError, IndexFormatError):
        return None


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` (shards are subfolders) to disk, then the folders."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            fsync_tree(entry)
        elif entry.is_file():
            fd = os.open(entry, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename is durable only then); best effort where the
    filesystem cannot fsync a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pause(point: str) -> None:
    """Test hook: stop at ``point`` when ``SEARCHCORE_TEST_PAUSE_AT`` names it."""
    if os.environ.get(PAUSE_ENV) == point:
        sys.stderr.write(f"searchcore-pause {point}\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get("SEARCHCORE_TEST_PAUSE_SECONDS", "60")))
