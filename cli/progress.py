"""A progress callback for long ingests, drawn on standard error.

The ingestion stage calls ``progress(done, total)`` with the number of documents
handled so far and the total when it knows it (``None`` when it does not, e.g. for
standard input or gzip files it did not count). We draw click's progress bar when the
total is known, a counter with the rate when it is not, and nothing at all when
standard error is not a terminal (logs should not fill with carriage returns) or
with ``-q``; the final summary line is printed by the command either way.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import click

from searchcore.cli.options import is_tty

#: Seconds between redraws of the counter (the bar throttles itself).
REDRAW_INTERVAL = 0.1


class ProgressReporter:
    """Callable ``(done, total)`` that draws on ``stream``; use as a context manager."""

    def __init__(self, label: str, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and is_tty(self.stream)
        self._bar: Any = None
        self._bar_done = 0
        self._counter_drawn = False
        self._last_draw = 0.0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if total:
            if self._bar is None:
                self._clear_counter()
                self._bar = click.progressbar(length=total, label=self.label, file=self.stream,
                                              show_pos=True, show_eta=True, width=30)
                self._bar.__enter__()
            if self._bar.length != total:
                self._bar.length = total
            if done > self._bar_done:
                self._bar.update(done - self._bar_done)
                self._bar_done = done
            return
        now = time.monotonic()
        if now - self._last_draw < REDRAW_INTERVAL:
            return
        self._last_draw = now
        rate = done / max(now - self._started, 1e-6)
        self.stream.write(f"\r{self.label} {done:,} documents ({rate:,.0f}/s)\x1b[K")
        self.stream.flush()
        self._counter_drawn = True

    def _clear_counter(self) -> None:
        if self._counter_drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._counter_drawn = False

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        self._clear_counter()

    def __enter__(self) -> "ProgressReporter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
