"""Progress reporting for imports: a throttled ``progress(done, total)`` callback.

The builder knows how many documents it has written many thousand times a second;
a terminal needs to hear it about ten times a second. :class:`Throttle` sits in
between so callers (the CLI's progress bar, a batch job's logger) get few calls and
never slow the build down.

The callback receives ``done`` (documents processed so far) and ``total`` (records
the sources hold, from :func:`searchcore.index.ingest.count_records`, or ``None``
when that is not cheap to know: then show a rate without an ETA). The last call
always has the final count.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

#: ``progress(done, total)``; ``total`` is ``None`` when unknown.
ProgressCallback = Callable[[int, Optional[int]], None]

#: Seconds between two calls at most ten times a second.
DEFAULT_INTERVAL = 0.1


class Throttle:
    """Forward ``done`` counts to ``callback`` at most once per ``interval`` seconds."""

    def __init__(self, callback: ProgressCallback | None, total: int | None,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.callback = callback
        self.total = total
        self.interval = interval
        self.done = 0
        self._last = float("-inf")

    def __call__(self, done: int, *, force: bool = False) -> None:
        """Report ``done`` if enough time passed since the last report (or ``force``)."""
        self.done = done
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            total = self.total
            if total is not None and done > total:
                total = done          # an estimate that fell short: never show >100%
            self.callback(done, total)

    def finish(self, done: int) -> None:
        """The final report, always delivered."""
        self(done, force=True)
