"""whoosh's ``FileStorage.create`` without the reference cycle that kept whole batches alive.

The bug (whoosh 2.7.4, ``filedb/filestore.py``): when the folder already exists,
``create()`` catches the ``OSError`` of ``os.makedirs`` and keeps it in a local
(``e = sys.exc_info()[1]``). The exception holds its traceback, the traceback holds
the ``create`` frame, the frame holds ``e``: a cycle. Through ``frame.f_back`` the
cycle also holds every caller's frame and so their locals. Every ``SegmentWriter``
calls ``storage.temp_storage("MAIN.tmp").create()``, and that folder exists from the
second writer of a build on, so each batch of a build left behind its writer (term
index buckets, column buffers) *and* the caller's list of articles. Reference
counting cannot free a cycle; the build pauses the cyclic collector (see
:mod:`searchcore.index.build`), so a 1M-article build grew to 4.4 GB.

:func:`install` replaces the method with one that does the same thing with
``exist_ok=True`` (no exception, no cycle). ``tests/test_build_memory.py`` checks
that stock whoosh still has the cycle, so the workaround can go once it is fixed.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from whoosh.filedb.filestore import FileStorage

__all__ = ["install", "stock_create"]

#: whoosh's own method, kept for the test that shows the bug is still there.
stock_create = FileStorage.create


def _create(self: Any) -> Any:
    """``FileStorage.create``: make the folder if needed; refuse a non-folder."""
    dirpath = os.path.abspath(self.folder)
    try:
        os.makedirs(dirpath, exist_ok=True)
    except FileExistsError:                 # a file is in the way: reported below
        pass
    if not os.path.isdir(dirpath):
        e = IOError(f"{dirpath!r} is not a directory")
        e.errno = errno.ENOTDIR
        raise e
    return self


def install() -> None:
    """Use the cycle-free ``create`` for every whoosh ``FileStorage`` (idempotent)."""
    FileStorage.create = _create  # type: ignore[method-assign]
