"""Facet counts over every match of a query: who reported it, and when.

Two kinds, as Elasticsearch's ``terms`` and ``date_histogram`` aggregations:

* **value facets** (``source``, ``category``, ``language``, ``authors``): the most
  frequent values first, ties by value, at most ``limit`` of them; ``other`` counts
  what fell outside the list (for the multi-valued ``category`` and ``authors``, the
  value occurrences outside it), ``missing`` the matches with no value at all;
* **date facets** (``year``, ``month``, ``week``, ``day``, in UTC; ISO weeks are
  written ``1987-W11``): every bucket from the first to the last dated match in time
  order, the empty ones too, so a chart of them has no silent gaps; ``missing``
  counts the undated matches (never dropped silently), ``other`` is always 0.

Counts are exact and cover every match with its filters, not only the page shown. A
value fed back as a filter gives its count as the new total: ``category`` values are
lower-cased as the ``category=`` filter compares them, and a date bucket is a period
``since``/``until`` accept (:func:`bucket_period` for weeks).

Counting is numpy over the columns of :mod:`searchcore.news.matches`: a gather and a
``bincount``, linear in the number of matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, Sequence

import numpy as np

from searchcore.errors import SearchcoreError
from searchcore.news.matches import (DATE_UNITS, NO_UNIT, Labelled, MultiLabelled, NewsColumns,
                                     date_units, match_docnums, news_columns)

VALUE_FACETS = ("source", "category", "language", "authors")
DATE_FACETS = ("year", "month", "week", "day")
FACETS = VALUE_FACETS + DATE_FACETS
DEFAULT_FACET_LIMIT = 10
#: More date buckets than this is an error (a day facet over centuries of bad dates).
MAX_DATE_BUCKETS = 100_000


class FacetError(SearchcoreError):
    """An unknown facet name or a bad facet limit."""


@dataclass(frozen=True)
class FacetBucket:
    """One value (or date bucket) and how many matches have it."""

    value: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


@dataclass(frozen=True)
class Facet:
    """The buckets of one facet; iterate it for the buckets."""

    name: str
    buckets: tuple[FacetBucket, ...]
    other: int = 0               # matches (value facets: occurrences) outside the buckets
    missing: int = 0             # matches without a value (date facets: undated)

    def __iter__(self) -> Iterator[FacetBucket]:
        return iter(self.buckets)

    def __len__(self) -> int:
        return len(self.buckets)

    def __getitem__(self, index: int) -> FacetBucket:
        return self.buckets[index]

    @property
    def is_date(self) -> bool:
        return self.name in DATE_FACETS

    def counts(self) -> dict[str, int]:
        """``{value: count}`` in bucket order."""
        return {b.value: b.count for b in self.buckets}

    def to_dict(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.buckets]

    def stats(self) -> dict[str, int]:
        return {"other": self.other, "missing": self.missing}


def check_facets(names: Sequence[str] | str | None, limit: int) -> tuple[str, ...]:
    """The requested facet names, validated (a string is one name)."""
    if not names:
        return ()
    names = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in names if n not in FACETS]
    if unknown:
        raise FacetError(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACETS)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise FacetError(f"facet_limit must be a whole number of at least 1, not {limit!r}")
    return tuple(dict.fromkeys(names))


def compute_facets(columns: NewsColumns, docs: np.ndarray, names: Sequence[str],
                   limit: int = DEFAULT_FACET_LIMIT) -> dict[str, Facet]:
    """The facets ``names`` over the matches ``docs`` (global document numbers)."""
    out: dict[str, Facet] = {}
    for name in check_facets(names, limit):
        if name in DATE_FACETS:
            out[name] = units_facet(columns.date_units(name)[docs], name)
        else:
            out[name] = value_facet(getattr(columns, name), docs, name, limit)
    return out


def value_facet(column: Labelled | MultiLabelled, docs: np.ndarray, name: str,
                limit: int) -> Facet:
    """Most frequent values first (ties by value), at most ``limit``."""
    if isinstance(column, Labelled):
        codes = column.codes[docs]
        present = codes[codes >= 0]
        missing = int(len(codes) - len(present))
    else:
        starts, ends = column.offsets[docs], column.offsets[docs + 1]
        lengths = ends - starts
        missing = int(np.count_nonzero(lengths == 0))
        total = int(lengths.sum())
        # Position of every value of every matching document, without a Python loop.
        firsts = np.cumsum(lengths) - lengths
        where = np.arange(total, dtype=np.int64) - np.repeat(firsts - starts, lengths)
        present = column.values[where]
    counts = np.bincount(present, minlength=len(column.labels))
    seen = np.flatnonzero(counts)
    ranked = sorted(seen.tolist(), key=lambda c: (-counts[c], column.labels[c]))
    buckets = tuple(FacetBucket(column.labels[c], int(counts[c])) for c in ranked[:limit])
    other = int(sum(counts[c] for c in ranked[limit:]))
    return Facet(name, buckets, other=other, missing=missing)


def date_facet(published: np.ndarray, by: str) -> Facet:
    """Every ``by`` bucket from the first to the last dated time in ``published``."""
    if by not in DATE_FACETS:
        raise FacetError(f"unknown date bucket {by!r}; use one of {', '.join(DATE_FACETS)}")
    return units_facet(date_units(published, by), by)


def units_facet(units: np.ndarray, by: str) -> Facet:
    """Every bucket from the first to the last of ``units`` (:func:`date_units`), counted."""
    dated = units[units != NO_UNIT]
    missing = int(len(units) - len(dated))
    if not len(dated):
        return Facet(by, (), missing=missing)
    first, last = int(dated.min()), int(dated.max())
    if last - first + 1 > MAX_DATE_BUCKETS:
        raise FacetError(f"a {by} facet from {_label(first, by)} to {_label(last, by)} would have "
                         f"{last - first + 1:,} buckets; use a coarser one (year, month, week)")
    counts = np.bincount(dated - first, minlength=last - first + 1)
    labels = _labels(first, last, by)
    return Facet(by, tuple(FacetBucket(v, int(c)) for v, c in zip(labels, counts.tolist())),
                 missing=missing)


def _labels(first: int, last: int, by: str) -> list[str]:
    if by == "week":
        return [_label(u, by) for u in range(first, last + 1)]
    span = np.arange(first, last + 1).astype(f"datetime64[{DATE_UNITS[by]}]")
    return [str(s) for s in np.datetime_as_string(span, unit=DATE_UNITS[by])]


def _label(unit: int, by: str) -> str:
    if by == "week":
        monday = date(1970, 1, 1) + timedelta(days=unit * 7 - 3)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"
    return str(np.datetime64(unit, DATE_UNITS[by]))


def bucket_period(value: str, by: str) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the bucket labelled ``value`` (``1987-W11``, ``1987-03``...).

    The inverse of the labels: what to pass as ``since``/``until`` to narrow a search to
    one bucket (``until`` is inclusive, so pass ``end - 1 microsecond``).
    """
    try:
        if by == "week":
            year, week = value.split("-W")
            start = datetime.fromisocalendar(int(year), int(week), 1)
            end = start + timedelta(days=7)
        else:
            start = np.datetime64(value, DATE_UNITS[by]).astype("datetime64[us]").item()
            end = (np.datetime64(value, DATE_UNITS[by]) + 1).astype("datetime64[us]").item()
    except (ValueError, KeyError) as exc:
        raise FacetError(f"{value!r} is not a {by} bucket: {exc}") from None
    return start.replace(tzinfo=timezone.utc), end.replace(tzinfo=timezone.utc)


def facets_for(searcher: Any, q: Any, allowed: set[int] | None, names: Sequence[str],
               limit: int = DEFAULT_FACET_LIMIT) -> dict[str, Facet]:
    """The facets ``names`` of every match of the parsed query ``q`` within ``allowed``.

    The hook ``Index.search`` calls; nothing is computed when no facet is asked for.
    """
    if not names:
        return {}
    docs = match_docnums(searcher, q, allowed) if q is not None else np.zeros(0, np.int64)
    return compute_facets(news_columns(searcher), docs, names, limit)
