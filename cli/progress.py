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

    def __init__(self, label: str, *, enabled: bool = True, stream: TextIO | None = None,
                 unit: str = "documents") -> None:
        self.label = label
        self.unit = unit
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
        elapsed = now - self._started
        # A rate over the first few milliseconds is noise ("84,072,247/s"): not shown.
        rate = f" ({done / elapsed:,.0f}/s)" if elapsed >= 0.5 else ""
        self.stream.write(f"\r{self.label} {done:,} {self.unit}{rate}\x1b[K")
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


class PhasedProgress:
    """Callable ``(phase, done, total)``: one :class:`ProgressReporter` per phase, each
    closed when the next begins (``index check``: each segment's documents, then its
    terms, whose number is not known before they are read)."""

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream
        self._phase: str | None = None
        self._reporter: ProgressReporter | None = None

    def __call__(self, phase: str, done: int, total: int | None = None, unit: str = "") -> None:
        if phase != self._phase:
            self.close()
            self._phase = phase
            self._reporter = ProgressReporter(phase, enabled=self.enabled, stream=self.stream,
                                              unit=unit or "documents")
        assert self._reporter is not None
        self._reporter(done, total)

    def close(self) -> None:
        if self._reporter is not None:
            self._reporter.close()
            self._reporter = None

    def __enter__(self) -> "PhasedProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
