"""What readers hand to the ingest stage: raw records and skipped ones.

A reader turns bytes into :class:`RawRecord` (a mapping of fields plus where it came
from) or, when the bytes cannot become a mapping at all (broken JSON, invalid UTF-8),
into :class:`Skipped`. Normalisation (``searchcore.article``) then turns raw records
into articles or more ``Skipped``. Both types live here so readers and the ingest
stage can share them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: ``data`` not yet validated, ``origin`` like ``"a.jsonl:12"``."""

    origin: str
    data: Mapping[str, Any] | Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """One bad record, left out of the index.

    ``origin`` is ``"path/file.jsonl:12"``, ``"path/a.txt"`` or ``"<stdin>:3"``;
    ``reason`` a short code counted in summaries (``broken-json``, ``invalid-utf8``,
    ``empty``, ``wrong-type``, ``bad-date``, ``too-large``, ``broken-csv``...);
    ``message`` the full sentence for people, naming file, line, field and reason;
    ``field`` the offending field when there is one. ``ignored`` marks a record that
    is not an article by design rather than bad input (a WARC request record, a 404
    page, an XML file that is not a feed): counted and reported like the others, but
    ``strict`` does not stop at it.
    """

    origin: str
    reason: str
    message: str
    field: str | None = None
    ignored: bool = False

    @classmethod
    def make(cls, origin: str, reason: str, detail: str,
             field: str | None = None, *, ignored: bool = False) -> "Skipped":
        """A ``Skipped`` whose message reads ``"origin: detail (reason)"``."""
        return cls(origin, reason, f"{origin}: {detail} ({reason})", field, ignored)
