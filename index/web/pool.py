"""Page extraction in worker processes, results in input order, memory bounded.

Extracting a page's article (trafilatura, htmldate, language detection) costs tens
of milliseconds, a hundred times what indexing the text costs, so a build of pages or
a WARC is as fast as its extraction. The readers therefore hand over a
:class:`PageJob` (the page's bytes and what is known about it) instead of extracting
in line, and :func:`resolve` runs the jobs in ``workers`` forked processes.

Why this shape: results come back in input order (a build must not depend on
timing: ids, duplicate resolution and document numbers follow the input), and at
most :data:`WINDOW_PER_WORKER` jobs per worker are in flight, so a multi-gigabyte
WARC is never read ahead into memory (``Pool.imap`` would queue the whole input).
Items that are not jobs (skips, feed entries) pass through in their place.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from searchcore.index.records import RawRecord, Skipped

__all__ = ["PageJob", "WINDOW_PER_WORKER", "resolve"]

#: Jobs in flight per worker: enough to keep every worker busy, few enough to bound
#: memory to a few pages per worker.
WINDOW_PER_WORKER = 8


@dataclass(frozen=True)
class PageJob:
    """One page to extract: :func:`searchcore.index.web.html.html_record`'s arguments."""

    data: bytes
    origin: str
    url: str = ""
    content_type: str | None = None
    fallback_date: str = ""
    extra: dict[str, Any] | None = field(default=None)

    def run(self) -> RawRecord | Skipped:
        from searchcore.index.web.html import html_record
        return html_record(self.data, self.origin, url=self.url,
                           content_type=self.content_type,
                           fallback_date=self.fallback_date, extra=self.extra)


def _run(job: PageJob) -> RawRecord | Skipped:
    return job.run()


def resolve(items: Iterable[Any], workers: int = 1) -> Iterator[Any]:
    """``items`` with every :class:`PageJob` replaced by its record, in order."""
    if workers <= 1 or not hasattr(os, "fork"):
        for item in items:
            yield item.run() if type(item) is PageJob else item
        return
    iterator = iter(items)
    # Start the pool only once there is a page to extract: a JSONL build never pays.
    pending: deque[Any] = deque()
    for item in iterator:
        if type(item) is PageJob:
            pending.append(item)
            break
        yield item
    if not pending:
        return
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers)
    try:
        window: deque[Any] = deque([pool.apply_async(_run, (pending.popleft(),))])
        limit = workers * WINDOW_PER_WORKER
        for item in iterator:
            window.append(pool.apply_async(_run, (item,)) if type(item) is PageJob
                          else _Ready(item))
            while len(window) > limit:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()
    finally:
        pool.terminate()
        pool.join()


class _Ready:
    """A finished item queued among pending results, to keep the order."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def get(self) -> Any:
        return self.item
