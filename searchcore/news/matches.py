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
them, dates as numpy ``datetime64``. Authors have no column there: they are read once
per searcher, only when an ``authors`` facet is asked for, from each segment's
display records (:mod:`searchcore.execution.display`; whoosh's stored fields for a
segment without them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import orjson
from whoosh import query as wq

from searchcore.distinct import distinct
from searchcore.execution import columns as execution
from searchcore.execution.display import segment_display
from searchcore.execution.search import matching_docnums, remembered_matches
from searchcore.whoosh_boundary import segments as boundary

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

    def date_units(self, by: str) -> np.ndarray:
        """Each document's ``by`` bucket number (:func:`date_units`), :data:`NO_UNIT` when undated.

        Computed once per searcher: numpy's calendar conversion of a million dates
        to months takes longer than a whole faceted search, a gather and a
        ``bincount`` over these takes a millisecond.
        """
        return self._cached(f"units-{by}", lambda: date_units(self.published, by))

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
        return self._cached("authors", lambda: _authors(self._searcher))


#: The bucket number of an undated document in :meth:`NewsColumns.date_units`.
NO_UNIT = np.iinfo(np.int64).min
#: numpy datetime units of the year, month and day buckets.
DATE_UNITS = {"year": "Y", "month": "M", "day": "D"}


def date_units(published: np.ndarray, by: str) -> np.ndarray:
    """Bucket numbers of datetime64 values: years, months or days since 1970, ISO weeks
    since the week of 1969-12-29; :data:`NO_UNIT` for NaT."""
    undated = np.isnat(published)
    if by == "week":
        days = published.astype("datetime64[D]").astype(np.int64)
        units = (days + 3) // 7         # 1970-01-01 was a Thursday: +3 lands on Monday
    else:
        units = published.astype(f"datetime64[{DATE_UNITS[by]}]").astype(np.int64)
    units[undated] = NO_UNIT
    return units


def match_docnums(searcher: Any, q: wq.Query, allowed: set[int] | None = None) -> np.ndarray:
    """Sorted global document numbers of every live document matching ``q`` and ``allowed``."""
    if allowed is not None and not allowed:
        return np.zeros(0, dtype=np.int64)
    known = remembered_matches(searcher, q, allowed)
    if known is not None:                     # the search that asks for facets ranked them
        return known
    # Exactly ``*``: ``FieldPresent`` (``title:*``) is a subclass of Every, and matches less.
    if type(q) is wq.Every and allowed is not None:
        docs = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs.sort()
        return docs
    if type(q) is wq.Every:
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
    pairs = distinct(docs[keep] * (len(vocab) + 1) + codes[keep])
    docs, codes = pairs // (len(vocab) + 1), (pairs % (len(vocab) + 1)).astype(np.int32)
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(np.bincount(docs, minlength=len(offsets) - 1), out=new_offsets[1:])
    return MultiLabelled(new_offsets, codes, vocab)


def _authors(searcher: Any) -> MultiLabelled:
    """Authors per document (each name once), segment by segment in document order."""
    labeller = _Labeller()
    lists: list[list[int]] = []
    for reader, _ in boundary.leaf_readers(searcher):
        for names in _segment_authors(reader):
            lists.append([labeller.code(a) for a in dict.fromkeys(a for a in names or () if a)])
    return _csr(lists, labeller.labels())


def _segment_authors(reader: Any) -> Iterator[Any]:
    """Each document's author list: from the small display records when the segment
    has them (a million in seconds), else from whoosh's stored fields (zlib'd pickles
    with the whole body)."""
    display = segment_display(reader)
    if display.blob is None or display.offsets is None:
        for fields in boundary.all_stored_fields(reader):
            yield fields.get("authors")
        return
    # Read whole (the records are read a slice at a time otherwise: execution.display).
    blob, offsets = np.asarray(display.blob).tobytes(), np.asarray(display.offsets).tolist()
    loads = orjson.loads
    for start, end in zip(offsets, offsets[1:]):
        yield loads(blob[start:end]).get("authors")


def category_key(value: str) -> str:
    """A category as the index and the ``category=`` filter see it (see article.to_document)."""
    return value.replace(",", " ").strip().lower()


def _csr(lists: list[list[int]], labels: tuple[str, ...]) -> MultiLabelled:
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.fromiter((v for x in lists for v in x), dtype=np.int32, count=int(offsets[-1]))
    return MultiLabelled(offsets, values, labels)
