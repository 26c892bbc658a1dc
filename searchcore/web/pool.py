"""Index objects shared safely by concurrent requests: each request borrows one.

An :class:`~searchcore.Index` keeps one whoosh searcher open and swaps it when a
commit or a rebuild lands; whoosh's readers and that swap are not safe to use from two
threads at once. So requests never share an Index at the same moment: the pool holds
``size`` of them, a request takes one for the length of its library call (on a worker
thread) and gives it back. Each Index follows generation switches on its own, holding a
shared lock on the generation it reads, so a rebuild never pulls files from under a
request (see ``searchcore.layout``).

``size`` is the number of library calls that run at once. On CPython the work is
mostly under the GIL, so more than the number of cores buys little; one Index per core
(the default) also overlaps the I/O of one request with the Python of another
(measured in ``benchmarks/serve_load.py``).
"""

from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import searchcore
from searchcore.engine import Index

#: How long a request waits for a free Index before answering 503.
BORROW_TIMEOUT = 30.0


class PoolBusy(Exception):
    """No Index became free within the timeout."""


class IndexPool:
    """Up to ``size`` open :class:`Index` objects over one path, lent one at a time."""

    def __init__(self, path: str | os.PathLike[str], size: int | None = None) -> None:
        self.path = Path(path)
        self.size = max(1, size or os.cpu_count() or 1)
        self._free: queue.LifoQueue[Index] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()
        self._all: list[Index] = []

    @contextmanager
    def borrow(self, timeout: float = BORROW_TIMEOUT) -> Iterator[Index]:
        """An Index for this thread alone until the block ends."""
        ix = self._take(timeout)
        try:
            yield ix
        finally:
            self._free.put(ix)

    def _take(self, timeout: float) -> Index:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._opened < self.size:
                self._opened += 1
                try:
                    ix = searchcore.open_index(self.path)
                except BaseException:
                    self._opened -= 1
                    raise
                self._all.append(ix)
                return ix
        try:
            return self._free.get(timeout=timeout)
        except queue.Empty:
            raise PoolBusy(f"all {self.size} index readers stayed busy for {timeout:g} s") from None

    def close(self) -> None:
        with self._lock:
            for ix in self._all:
                ix.close()
            self._all.clear()
            self._opened = 0
            self._free = queue.LifoQueue()
