"""How coverage of a query rose and fell: match counts per day, week, month or year.

A timeline is the date facet of :mod:`searchcore.news.facets` over every match (the
same buckets and the same counts as ``search(q, facets=["month"])``), as a value
of its own with the forms people take it in: ``to_dict()`` (the CLI's ``--json``),
``to_csv()``, text bars (:mod:`searchcore.news.render`) and an SVG or PNG chart
(:mod:`searchcore.news.plot`).

``total`` counts every match; ``undated`` those without a date, which are in no
bucket, so ``sum(counts) + undated == total``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq

from searchcore.news.facets import DATE_FACETS, FacetBucket, FacetError, units_facet
from searchcore.news.matches import match_docnums, news_columns

BUCKETS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class Timeline:
    """Match counts per period, every period from the first match to the last."""

    query: str
    by: str
    buckets: tuple[FacetBucket, ...]
    total: int
    undated: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "by": self.by,
                "buckets": [b.to_dict() for b in self.buckets],
                "total": self.total, "undated": self.undated}

    def to_csv(self) -> str:
        """``value,count`` rows with a header (undated matches are not a row)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.by, "count"])
        writer.writerows((b.value, b.count) for b in self.buckets)
        return out.getvalue()


def check_by(by: str) -> str:
    if by not in DATE_FACETS:
        raise FacetError(f"timeline by {by!r}: use one of {', '.join(BUCKETS)}")
    return by


def timeline(query: str, by: str, searcher: Any, q: wq.Query,
             allowed: set[int] | None) -> Timeline:
    """The timeline of the parsed query ``q`` within ``allowed`` (see ``Index.timeline``)."""
    check_by(by)
    docs = match_docnums(searcher, q, allowed)
    facet = units_facet(news_columns(searcher).date_units(by)[docs], by)
    return Timeline(query=query, by=by, buckets=facet.buckets, total=len(docs),
                    undated=facet.missing)
