"""The ingest stage: sources in, normalised articles (or skipped records) out.

>>> for item in iter_articles(["news.jsonl.gz", "archive/"]):   # doctest: +SKIP
...     if isinstance(item, Skipped):
...         print(item.message)       # news.jsonl.gz:12: broken JSON at column 7: ...
...     else:
...         index(item)               # a searchcore.article.Article

Readers (:mod:`.readers`) turn bytes into raw records with an origin; every raw
record then goes through :func:`searchcore.article.normalize_article`, the one path
every way into an index shares, so a record gets the same id and fields whether it
came through ``Index.add``, a JSONL file or a folder of text files. A bad record
never stops the stream: it comes out as a :class:`Skipped` with a message naming the
file, line, field and reason, unless ``strict=True`` asks to stop at the first one.

:class:`IngestSummary` counts what happened for the final report; duplicate ids
within a batch are resolved by the builder with :func:`dedupe_last_wins`.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import orjson

from searchcore.article import MAX_ARTICLE_CHARS, Article, normalize_article
from searchcore.errors import InvalidArticleError, SourceError
from searchcore.index.boilerplate import DEFAULT_BOILERPLATE, boilerplate_keys
from searchcore.index.readers import (FORMATS, count_lines, expand_sources,
                                      read_source)
from searchcore.index.records import RawRecord, Skipped
from searchcore.index.web.pool import resolve

__all__ = ["DEFAULT_BOILERPLATE", "FORMATS", "MAX_ARTICLE_CHARS", "MAX_MESSAGES",
           "IngestSummary", "Skipped", "count_records", "dedupe_last_wins", "error_record",
           "iter_articles"]

#: How many skip messages a summary keeps (the counts are always complete).
MAX_MESSAGES = 20

SourceLike = str | os.PathLike[str]

_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def iter_articles(sources: Iterable[SourceLike] | SourceLike, *, format: str | None = None,
                  csv_columns: Mapping[str, str | None] | None = None,
                  boilerplate: Iterable[str] | None = None,
                  max_chars: int = MAX_ARTICLE_CHARS, encoding_errors: str = "strict",
                  strict: bool = False, require_text: bool = True,
                  stdin: IO[bytes] | None = None,
                  now: datetime | None = None, workers: int = 1) -> Iterator[Article | Skipped]:
    """Normalised articles, and a :class:`Skipped` for each bad record, in order.

    ``sources``: paths of files or folders (walked recursively, sorted), ``"-"`` for
    standard input (``stdin`` replaces ``sys.stdin``'s bytes, e.g. in tests).
    ``format``: one of ``jsonl``, ``csv``, ``txt``, ``md`` for every source (default:
    from each file's extension; JSON Lines for standard input).
    ``csv_columns``: CSV header name -> article field, e.g. ``{"headline": "title"}``.
    ``boilerplate``: trailing lines removed from text articles (default
    :data:`~.boilerplate.DEFAULT_BOILERPLATE`; ``()`` keeps everything).
    ``max_chars``: title + body larger than this is skipped as ``too-large``.
    ``encoding_errors``: ``"strict"`` skips a record with invalid UTF-8;
    ``"replace"`` keeps it with U+FFFD in place of the bad bytes.
    ``strict``: raise :class:`~searchcore.errors.InvalidArticleError` at the first bad
    record instead of yielding it.
    ``require_text``: skip records with no title and no body (the default, as the
    bad-input rules say). ``False`` keeps such a record when it has its own id: an
    entry of a collection whose text was lost (Reuters-21578 has 2,535), findable by
    id, date or category. Without an id such a record is always skipped as ``empty``.

    ``workers``: processes that extract web pages (HTML files, WARC records) in
    parallel, results in input order (:mod:`.web.pool`); other formats ignore it.

    Raises :class:`~searchcore.errors.SourceError` before yielding anything when a
    source is missing, unreadable or of unknown format.
    """
    codecs.lookup_error(encoding_errors)           # LookupError for a typo, up front
    plan = expand_sources(sources, format)
    keys = boilerplate_keys(boilerplate)
    # A line or file this many bytes long cannot hold max_chars characters or fewer
    # (JSON escapes take at most 6 bytes a character); refuse it without parsing.
    max_bytes = 6 * max_chars + (1 << 20)
    read = (item for source in plan
            for item in read_source(source, csv_columns=csv_columns, boilerplate=keys,
                                    encoding_errors=encoding_errors, max_bytes=max_bytes,
                                    stdin=stdin, deferred=workers > 1))
    for item in resolve(read, workers) if workers > 1 else read:
        if type(item) is RawRecord:
            result = _normalize(item, max_chars, now, require_text)
        else:
            result = item
        if strict and type(result) is Skipped and not result.ignored:
            # The message already starts with the origin; the error adds it once.
            raise InvalidArticleError(result.message.removeprefix(f"{result.origin}: "),
                                      result.origin, result.field, result.reason)
        yield result


def _normalize(record: RawRecord, max_chars: int, now: datetime | None,
               require_text: bool) -> Article | Skipped:
    data = record.data
    if type(data) is not dict:
        kind = _JSON_TYPES.get(type(data), type(data).__name__)
        return Skipped.make(record.origin, "wrong-type",
                            f"expected a JSON object with article fields, got {kind} "
                            f"{_short(data)}")
    try:
        return normalize_article(data, origin=record.origin, max_chars=max_chars, now=now,
                                 require_text=require_text)
    except InvalidArticleError as exc:
        # str(exc) already starts with the origin.
        return Skipped(record.origin, exc.reason, f"{exc} ({exc.reason})", exc.field)


_ORIGIN_LINE = re.compile(r"(?P<file>.*):(?P<line>[0-9]+)")


def error_record(item: Skipped) -> dict[str, Any]:
    """One line of an ``--errors`` file: ``{"file", "line", "reason", "message", "field"}``.

    ``line`` is the 1-based line (the row's first line for CSV), or None for a source
    that is one record (a text file) or has no lines.
    """
    m = _ORIGIN_LINE.fullmatch(item.origin)
    file, line = (m.group("file"), int(m.group("line"))) if m else (item.origin, None)
    return {"file": file, "line": line, "reason": item.reason, "message": item.message,
            "field": item.field}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def count_records(sources: Iterable[SourceLike] | SourceLike,
                  format: str | None = None) -> int | None:
    """How many records ``sources`` hold, when that is cheap to know; else ``None``.

    Plain JSON Lines files are counted by newlines (blank lines included, so it can
    overcount slightly), text files count one each. Standard input, gzip and CSV
    (quoted fields may span lines) would need a full read: ``None``, and a progress
    display shows a rate without an ETA.
    """
    total = 0
    for source in expand_sources(sources, format):
        if source.format in ("txt", "md", "html") and source.path is not None:
            total += 1                           # one article a file, even gzipped
            continue
        if source.path is None or source.compressed or source.format != "jsonl":
            return None
        try:
            total += count_lines(source.path)
        except OSError:
            return None
    return total


def dedupe_last_wins(articles: Iterable[Article]) -> tuple[list[Article], int]:
    """``(articles with unique ids, number of duplicates dropped)``; the last one wins.

    The surviving article keeps the position of the first with its id, so the order
    is still deterministic; it is the same rule as ``Index.add``.
    """
    by_id: dict[str, Article] = {}
    count = 0
    for article in articles:
        if article.id in by_id:
            count += 1
        by_id[article.id] = article
    return list(by_id.values()), count


@dataclass
class IngestSummary:
    """Counts for the report at the end of an import.

    ``read`` counts records read (articles and skipped, not blank lines); the builder
    fills ``indexed``, ``duplicates`` and ``seconds``. ``messages`` keeps the first
    :data:`MAX_MESSAGES` skip messages; ``skipped`` counts all of them by reason.
    """

    read: int = 0
    indexed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)
    #: Text files that were not UTF-8: ``encoding -> [origins]`` (the first few), and
    #: ``encoding -> count`` (all).
    encodings: dict[str, int] = field(default_factory=dict)
    encoded_files: dict[str, list[str]] = field(default_factory=dict)
    #: Where every skipped record went as a JSON line (``--errors FILE``), if anywhere.
    errors_file: str | None = None
    errors_sink: IO[bytes] | None = field(default=None, repr=False, compare=False)

    def count(self, item: Article | Skipped) -> None:
        """Record one item from :func:`iter_articles`."""
        self.read += 1
        if type(item) is not Skipped:
            assumed = item.extra.get("encoding") if item.extra else None  # type: ignore[union-attr]
            if assumed:
                self.encodings[assumed] = self.encodings.get(assumed, 0) + 1
                files = self.encoded_files.setdefault(assumed, [])
                if len(files) < 3:
                    files.append(str(item.extra.get("path", "?")))  # type: ignore[union-attr]
        elif type(item) is Skipped:
            self.skipped[item.reason] = self.skipped.get(item.reason, 0) + 1
            if len(self.messages) < MAX_MESSAGES:
                self.messages.append(item.message)
            if self.errors_sink is not None:
                self.errors_sink.write(orjson.dumps(error_record(item)) + b"\n")

    @contextlib.contextmanager
    def errors_to(self, path: str | os.PathLike[str] | None) -> Iterator[None]:
        """Write every skipped record counted meanwhile to ``path`` as JSON lines."""
        if path is None:
            yield
            return
        try:
            sink = open(path, "wb")
        except OSError as exc:
            raise SourceError(f"cannot write the error list {os.fspath(path)!r}: "
                              f"{exc.strerror}") from None
        self.errors_file, self.errors_sink = os.fspath(path), sink
        try:
            with sink:
                yield
        finally:
            self.errors_sink = None

    def merge(self, other: "IngestSummary") -> None:
        """Add ``other``'s counts (e.g. from a worker process) to this summary."""
        self.read += other.read
        self.indexed += other.indexed
        self.duplicates += other.duplicates
        for reason, n in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + n
        for enc, n in other.encodings.items():
            self.encodings[enc] = self.encodings.get(enc, 0) + n
            files = self.encoded_files.setdefault(enc, [])
            files.extend(other.encoded_files.get(enc, [])[:3 - len(files)])
        self.messages.extend(other.messages[:MAX_MESSAGES - len(self.messages)])

    def track(self, items: Iterable[Article | Skipped]) -> Iterator[Article]:
        """Count every item of ``items`` and pass the articles on."""
        for item in items:
            self.count(item)
            if type(item) is not Skipped:
                yield item                             # type: ignore[misc]

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def docs_per_sec(self) -> float:
        """Indexed documents per second (0.0 before any time was recorded)."""
        return self.indexed / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return {"read": self.read, "indexed": self.indexed,
                "skipped": dict(sorted(self.skipped.items())),
                "skipped_total": self.skipped_total, "duplicates": self.duplicates,
                "seconds": round(self.seconds, 3),
                "docs_per_sec": round(self.docs_per_sec, 1),
                "messages": list(self.messages), "errors_file": self.errors_file,
                "assumed_encodings": dict(sorted(self.encodings.items()))}

    def format(self) -> str:
        """A few lines for people: totals, skips by reason, the first messages."""
        lines = [f"Read {self.read:,} records in {self.seconds:.1f} s: "
                 f"{self.indexed:,} indexed ({self.docs_per_sec:,.0f} docs/s), "
                 f"{self.skipped_total:,} skipped"
                 + (f", {self.duplicates:,} duplicate ids (the last one kept)."
                    if self.duplicates else ".")]
        for enc, n in sorted(self.encodings.items()):
            shown = ", ".join(self.encoded_files.get(enc, []))
            more = f", ... ({n - 3:,} more)" if n > 3 else ""
            lines.append(f"Not UTF-8, read as {enc}: {n:,} text file{'s' if n != 1 else ''} "
                         f"({shown}{more}); check their accents with `searchcore show ID`.")
        if self.skipped:
            reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(self.skipped.items()))
            lines.append(f"Skipped by reason: {reasons}")
            lines.extend(f"  {message}" for message in self.messages)
            hidden = self.skipped_total - len(self.messages)
            every = (f"every one in {self.errors_file!r}" if self.errors_file
                     else "--errors FILE lists every one")
            if hidden > 0:
                lines.append(f"  ... and {hidden:,} more ({every})")
            elif self.errors_file:
                lines.append(f"  (also in {self.errors_file!r})")
        return "\n".join(lines)

