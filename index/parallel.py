"""Write one batch of articles as whoosh segments, in forked worker processes.

Why fork and contiguous ranges: whoosh numbers documents by segment order, and
BM25F statistics (document frequencies, field length totals) are sums over
segments. If worker *k* writes articles ``[a_k, a_{k+1})`` as its own segment and the
parent lists the segments in that order in one table of contents, every document
gets the number it would get in a one-process build, every statistic is the same
sum, and so every score and every tie order is identical. (whoosh's own
``MpWriter`` deals documents out round-robin, which reorders ties; merging the
segments afterwards re-derives field lengths from their one-byte quantised form,
which changes scores.)

Ranges are balanced by text size, not by count, so the workers finish together.
Workers inherit the batch through ``fork`` (no pickling of articles), send back only
their segment object through a pipe, and report progress through a shared counter.
A worker dies with its parent (``PR_SET_PDEATHSIG`` on Linux), so ``kill -9`` of a
build leaves no orphan writing into the unfinished generation.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import selectors
import signal
import struct
import sys
import traceback
from typing import Any, Callable, Sequence

from searchcore.article import Article, to_document
from searchcore.errors import SearchcoreError
from searchcore.index.fastwriter import FastWriter

#: Below this many articles per worker, forking costs more than it saves.
MIN_DOCS_PER_WORKER = 64
# Per-document overhead (stored fields, ids, dates) in "characters" for balancing.
_DOC_OVERHEAD = 200
_COUNTER = struct.Struct("q")


def split_ranges(articles: Sequence[Article], parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, end)`` ranges of about equal text size."""
    n = len(articles)
    parts = max(1, min(parts, n))
    sizes = [len(a.title) + len(a.body) + _DOC_OVERHEAD for a in articles]
    total = sum(sizes)
    bounds = [0]
    running = 0
    k = 1
    for i, size in enumerate(sizes):
        running += size
        while k < parts and running >= total * k / parts and len(bounds) == k:
            bounds.append(i + 1)
            k += 1
    while len(bounds) < parts:
        bounds.append(n)
    bounds.append(n)
    ranges = [(bounds[j], bounds[j + 1]) for j in range(parts)]
    return [r for r in ranges if r[1] > r[0]]


def write_range(ix: Any, articles: Sequence[Article], start: int, end: int,
                report: Callable[[int], None] | None = None) -> Any:
    """Write ``articles[start:end]`` as one new segment of ``ix``; return the segment."""
    # Separate files, not a compound file: whoosh copies a compound segment into
    # memory when it opens it (see searchcore.engine._write_batch).
    writer = FastWriter(ix, _lk=False, compound=False)
    try:
        add = writer.add_document
        for i in range(start, end):
            add(**to_document(articles[i]))
            if report is not None and not (i - start) & 63:
                report(i - start)
        segment = writer.finish_segment()
    except BaseException:
        writer.abandon()
        raise
    if report is not None:
        report(end - start)
    return segment


def write_segments(ix: Any, articles: Sequence[Article], workers: int,
                   on_progress: Callable[[int], None] | None = None) -> list[Any]:
    """Write ``articles`` as one segment per worker, in order; return the segments.

    ``on_progress(done)`` is called with the number of articles written so far
    (from the parent, throttling is the caller's business).
    """
    if not articles:
        return []
    parts = min(workers, max(1, len(articles) // MIN_DOCS_PER_WORKER))
    if parts <= 1 or not hasattr(os, "fork"):
        return [write_range(ix, articles, 0, len(articles), on_progress)]
    ranges = split_ranges(articles, parts)
    counters = mmap.mmap(-1, _COUNTER.size * len(ranges))
    children: list[tuple[int, int]] = []          # (pid, read fd)
    try:
        for k, (start, end) in enumerate(ranges):
            rfd, wfd = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:                           # pragma: no cover - child process
                os.close(rfd)
                _child(ix, articles, start, end, wfd, counters, k)
            os.close(wfd)
            children.append((pid, rfd))
        results = _collect(children, counters, len(ranges), on_progress)
    except BaseException:
        for pid, _ in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise
    finally:
        for pid, rfd in children:
            try:
                os.close(rfd)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        counters.close()
    return results


def _child(ix: Any, articles: Sequence[Article], start: int, end: int, wfd: int,
           counters: mmap.mmap, slot: int) -> None:  # pragma: no cover - runs in a child
    """Worker body: write one segment, send it (or the error) to the parent, exit."""
    status = 1
    try:
        _die_with_parent()
        # Drop inherited descriptors (the parent's write.lock, readers' locks, test
        # runners' pipes): only the parent may hold the index lock.
        os.closerange(3, wfd)
        os.closerange(wfd + 1, 1 << 16)
        gc.disable()

        def report(done: int) -> None:
            _COUNTER.pack_into(counters, slot * _COUNTER.size, done)

        try:
            payload = pickle.dumps(("ok", write_range(ix, articles, start, end, report)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}\n"
                                             f"{traceback.format_exc()}"))
        view = memoryview(payload)
        while view:
            view = view[os.write(wfd, view):]
        status = 0
    finally:
        os._exit(status)


def _die_with_parent() -> None:  # pragma: no cover - runs in a child
    """Ask Linux to SIGKILL this worker when the parent dies (best effort)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)              # PR_SET_PDEATHSIG
        if os.getppid() == 1:                      # the parent died before prctl
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _collect(children: list[tuple[int, int]], counters: mmap.mmap, parts: int,
             on_progress: Callable[[int], None] | None) -> list[Any]:
    """Read every child's answer, reporting progress while they work."""
    buffers: dict[int, bytearray] = {rfd: bytearray() for _, rfd in children}
    open_fds = set(buffers)
    with selectors.DefaultSelector() as sel:
        for rfd in open_fds:
            sel.register(rfd, selectors.EVENT_READ)
        while open_fds:
            for key, _ in sel.select(timeout=0.05):
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    buffers[key.fd] += chunk
                else:
                    sel.unregister(key.fd)
                    open_fds.discard(key.fd)
            if on_progress is not None:
                on_progress(sum(_COUNTER.unpack_from(counters, k * _COUNTER.size)[0]
                                for k in range(parts)))
    segments = []
    for k, (pid, rfd) in enumerate(children):
        data = bytes(buffers[rfd])
        if not data:
            _, status = os.waitpid(pid, 0)
            raise SearchcoreError(f"index worker {k + 1} (pid {pid}) died without an "
                                  f"answer (wait status {status})")
        kind, value = pickle.loads(data)
        if kind != "ok":
            raise SearchcoreError(f"index worker {k + 1} failed: {value}")
        segments.append(value)
    ids = [s.segment_id() for s in segments]
    if len(set(ids)) != len(ids):
        raise SearchcoreError(f"index workers produced clashing segment ids {ids!r}")
    return segments
