"""What the news tools read: every match of a query, and the per-document columns.

Facets, timelines, significant terms and export all need the same two things: the
document numbers of *every* match of a query with its filters (not a page of them),
and a few per-document values (publication time, source, categories, authors,
language) to count or sort them by. This module is the one place that provides them,
so the tools above do not care where they come from:

* :func:`match_docnums` -- the sorted global document numbers of every live match;
* :func:`news_columns` -- :class:`NewsColumns`, numpy arrays over global document
  numbers, built once per reader and kept on it (a new commit brings a new reader).

Today both are answered from whoosh (``docs_for_query``, the ``published`` column
and one pass over the stored fields); the columnar side index of
``searchcore.execution`` is meant to answer them from memory-mapped arrays, and only
this module changes when it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq

from searchcore.scoring.ranking import UNDATED

#: whoosh stores a DATETIME as microseconds since ``datetime.min`` (0001-01-01);
#: numpy's datetime64 counts from 1970-01-01.
_EPOCH_FROM_MIN_US = 62135596800 * 1_000_000
NAT = np.datetime64("NaT", "us")


@dataclass(frozen=True)
class Labelled:
    """A single-valued column: ``codes[doc]`` indexes ``labels``; -1 means no value."""

    codes: np.ndarray            # int32 per global document number
    labels: tuple[str, ...]


@dataclass(frozen=True)
class MultiLabelled:
    """A multi-valued column in CSR form: doc ``d`` has ``values[offsets[d]:offsets[d+1]]``."""

    offsets: np.ndarray          # int64, one more than documents
    values: np.ndarray           # int32 codes into ``labels``
    labels: tuple[str, ...]


class NewsColumns:
    """Per-document values over global document numbers (deleted documents included).

    ``published`` (datetime64[us], NaT when undated) comes from whoosh's sortable
    column; the others need a pass over the stored fields, done on first use only.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._published: np.ndarray | None = None
        self._labelled: dict[str, Any] | None = None

    @property
    def published(self) -> np.ndarray:
        if self._published is None:
            self._published = _published(self._reader)
        return self._published

    def _column(self, name: str) -> Any:
        if self._labelled is None:
            self._labelled = _labelled(self._reader)
        return self._labelled[name]

    @property
    def source(self) -> Labelled:
        return self._column("source")

    @property
    def language(self) -> Labelled:
        return self._column("language")

    @property
    def category(self) -> MultiLabelled:
        """Lower-cased, as the ``category=`` filter compares them."""
        return self._column("category")

    @property
    def authors(self) -> MultiLabelled:
        return self._column("authors")


def match_docnums(searcher: Any, q: wq.Query, allowed: set[int] | None = None) -> np.ndarray:
    """Sorted global document numbers of every live document matching ``q`` and ``allowed``."""
    if allowed is not None and not allowed:
        return np.zeros(0, dtype=np.int64)
    if isinstance(q, wq.Every) and allowed is not None:
        docs = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs.sort()
        return docs
    docs = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
    docs.sort()
    if allowed is not None:
        keep = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs = docs[np.isin(docs, keep, assume_unique=True)]
    return docs


def news_columns(searcher: Any) -> NewsColumns:
    """The columns for ``searcher``'s reader, built on first use and cached on the reader."""
    reader = searcher.reader()
    columns = getattr(reader, "_searchcore_news_columns", None)
    if columns is None:
        columns = NewsColumns(reader)
        reader._searchcore_news_columns = columns
    return columns


class _Labeller:
    """Assigns dense codes to distinct strings in first-seen order."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.codes)
        return code

    def labels(self) -> tuple[str, ...]:
        return tuple(self.codes)


def _published(reader: Any) -> np.ndarray:
    count = reader.doc_count_all()
    published = np.full(count, NAT)
    if reader.has_column("published"):
        raw = np.fromiter((int(v) for v in reader.column_reader("published", translate=False)),
                          dtype=np.uint64, count=count)
        dated = raw != np.uint64(UNDATED)
        published[dated] = (raw[dated].astype(np.int64) - _EPOCH_FROM_MIN_US).astype("datetime64[us]")
    return published


def _labelled(reader: Any) -> dict[str, Any]:
    count = reader.doc_count_all()
    source, language = np.full(count, -1, np.int32), np.full(count, -1, np.int32)
    source_l, language_l, category_l, authors_l = _Labeller(), _Labeller(), _Labeller(), _Labeller()
    cat_lists: list[list[int]] = [[] for _ in range(count)]
    auth_lists: list[list[int]] = [[] for _ in range(count)]
    for docnum, fields in reader.iter_docs():
        if fields.get("source"):
            source[docnum] = source_l.code(fields["source"])
        if fields.get("language"):
            language[docnum] = language_l.code(fields["language"])
        cats = {category_key(c) for c in fields.get("category") or ()}
        cat_lists[docnum] = [category_l.code(c) for c in sorted(cats) if c]
        names = dict.fromkeys(a for a in fields.get("authors") or () if a)
        auth_lists[docnum] = [authors_l.code(a) for a in names]
    return {"source": Labelled(source, source_l.labels()),
            "language": Labelled(language, language_l.labels()),
            "category": _csr(cat_lists, category_l.labels()),
            "authors": _csr(auth_lists, authors_l.labels())}


def category_key(value: str) -> str:
    """A category as the index and the ``category=`` filter see it (see article.to_document)."""
    return value.replace(",", " ").strip().lower()


def _csr(lists: list[list[int]], labels: tuple[str, ...]) -> MultiLabelled:
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.fromiter((v for x in lists for v in x), dtype=np.int32, count=int(offsets[-1]))
    return MultiLabelled(offsets, values, labels)
