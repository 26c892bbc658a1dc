"""What the news tools read: every match of a query, and the per-document columns.

Facets, timelines, significant terms and export all need the same two things: the
document numbers of *every* match of a query with its filters (not a page of them),
and a few per-document values (publication time, source, categories, authors,
language) to count or sort them by. This module is the one place that provides them,
so the tools above do not care where they come from:

* :func:`match_docnums` -- the sorted global document numbers of every live match;
* :func:`news_columns` -- :class:`NewsColumns`, numpy arrays over global document
  numbers, built once per reader and kept on it (a new commit brings a new reader).

Both come from the execution layer (:mod:`searchcore.execution.columns`: the
memory-mapped per-segment columns, and the array executor's
:func:`~searchcore.execution.search.matching_docnums`, with whoosh's matchers for a
form the executor does not run), adapted here to what
the news tools count: categories lower-cased as the ``category=`` filter compares
them, dates as numpy ``datetime64``. Authors have no column there yet; they are read
from the stored fields once per searcher, only when an ``authors`` facet is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq

from searchcore.execution import columns as execution
from searchcore.execution.search import matching_docnums

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
    """Per-document values over global document numbers (deleted documents included)."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._columns = execution.columns_for(searcher)
        self._cache: dict[str, Any] = {}

    def _cached(self, name: str, make: Any) -> Any:
        value = self._cache.get(name)
        if value is None:
            value = self._cache[name] = make()
        return value

    @property
    def published(self) -> np.ndarray:
        """datetime64[us], NaT when undated."""
        def make() -> np.ndarray:
            us = self._columns.published_us
            return np.where(us == execution.NO_DATE, NAT, us.astype("datetime64[us]"))
        return self._cached("published", make)

    @property
    def source(self) -> Labelled:
        return self._cached("source", lambda: Labelled(np.asarray(self._columns.source.codes),
                                                       self._columns.source.vocab))

    @property
    def language(self) -> Labelled:
        return self._cached("language", lambda: Labelled(np.asarray(self._columns.language.codes),
                                                         self._columns.language.vocab))

    @property
    def category(self) -> MultiLabelled:
        """Lower-cased, as the ``category=`` filter compares them, each once per document."""
        return self._cached("category", lambda: _folded_categories(self._columns.category))

    @property
    def authors(self) -> MultiLabelled:
        return self._cached("authors", lambda: _authors(self._searcher.reader()))


def match_docnums(searcher: Any, q: wq.Query, allowed: set[int] | None = None) -> np.ndarray:
    """Sorted global document numbers of every live document matching ``q`` and ``allowed``."""
    if allowed is not None and not allowed:
        return np.zeros(0, dtype=np.int64)
    if isinstance(q, wq.Every) and allowed is not None:
        docs = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs.sort()
        return docs
    if isinstance(q, wq.Every):
        docs = execution.live_docnums(execution.columns_for(searcher))
    else:
        docs = matching_docnums(searcher, q)
        if docs is None:
            docs = execution.match_docnums(searcher, q)
    if allowed is not None:
        keep = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs = docs[np.isin(docs, keep, assume_unique=True)]
    return docs


def news_columns(searcher: Any) -> NewsColumns:
    """The columns of ``searcher``, made on first use and kept on it (one per commit)."""
    columns = getattr(searcher, "_searchcore_news_columns", None)
    if columns is None:
        columns = NewsColumns(searcher)
        searcher._searchcore_news_columns = columns
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


def _folded_categories(column: Any) -> MultiLabelled:
    """The category column with values folded by :func:`category_key`, deduplicated per doc."""
    keys = [category_key(v) for v in column.vocab]
    vocab = tuple(sorted(set(keys) - {""}))
    index = {v: i for i, v in enumerate(vocab)}
    remap = np.array([index.get(k, -1) for k in keys] + [-1], dtype=np.int32)
    offsets = np.asarray(column.offsets, dtype=np.int64)
    codes = remap[np.asarray(column.codes)]
    if len(vocab) == len(column.vocab):
        return MultiLabelled(offsets, codes, vocab)
    # Two spellings became one (or one became empty): keep each code once per document.
    docs = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    keep = codes >= 0
    pairs = np.unique(docs[keep] * (len(vocab) + 1) + codes[keep])
    docs, codes = pairs // (len(vocab) + 1), (pairs % (len(vocab) + 1)).astype(np.int32)
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(np.bincount(docs, minlength=len(offsets) - 1), out=new_offsets[1:])
    return MultiLabelled(new_offsets, codes, vocab)


def _authors(reader: Any) -> MultiLabelled:
    """Authors per document from one pass over the stored fields."""
    labeller = _Labeller()
    lists: list[list[int]] = [[] for _ in range(reader.doc_count_all())]
    for docnum, fields in reader.iter_docs():
        names = dict.fromkeys(a for a in fields.get("authors") or () if a)
        lists[docnum] = [labeller.code(a) for a in names]
    return _csr(lists, labeller.labels())


def category_key(value: str) -> str:
    """A category as the index and the ``category=`` filter see it (see article.to_document)."""
    return value.replace(",", " ").strip().lower()


def _csr(lists: list[list[int]], labels: tuple[str, ...]) -> MultiLabelled:
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.fromiter((v for x in lists for v in x), dtype=np.int32, count=int(offsets[-1]))
    return MultiLabelled(offsets, values, labels)
