"""Plain whoosh 2.7.4 as its documentation shows it: the baseline searchcore builds on.

StemmingAnalyzer (regex tokenizer, lower-case, English stop words, Porter stemmer
with an LRU cache), BM25F with whoosh's defaults (K1=1.2, B=0.75), one writer with
``add_document`` and the default ``limitmb=128``, MultifieldParser over title+body
(OrGroup for "any", AndGroup for "all"), highlights from ``hit.highlights`` with
whoosh's default ContextFragmenter, top 3 fragments of the body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import whoosh
from whoosh import index, qparser, scoring
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.query import And, DateRange

from peers import BaseEngine, month_bounds, published_of


def plain_schema() -> Schema:
    """id + stored title and body with StemmingAnalyzer, as a whoosh user writes it."""
    analyzer = StemmingAnalyzer()
    return Schema(id=ID(stored=True, unique=True),
                  title=TEXT(analyzer=analyzer, stored=True),
                  body=TEXT(analyzer=analyzer, stored=True),
                  published=DATETIME(stored=False))


class Engine(BaseEngine):
    name = "whoosh_plain"
    unsupported: dict[str, str] = {}

    def __init__(self, path: str | Path, **options: object) -> None:
        super().__init__(path, **options)
        self.searcher = None
        self.parsers: dict[str, qparser.QueryParser] = {}

    def build(self, docs: Iterable[dict]) -> int:
        ix = index.create_in(str(self.path), plain_schema())
        writer = ix.writer()
        count = 0
        for doc in docs:
            fields = {"id": str(doc["id"]), "title": doc.get("title") or "",
                      "body": doc.get("body") or ""}
            published = published_of(doc)
            if published is not None:       # whoosh stores naive UTC datetimes
                fields["published"] = published.replace(tzinfo=None)
            writer.add_document(**fields)
            count += 1
        writer.commit()
        ix.close()
        return count

    def open(self) -> None:
        ix = index.open_dir(str(self.path))
        self.searcher = ix.searcher(weighting=scoring.BM25F())
        for mode, group in (("any", qparser.OrGroup), ("all", qparser.AndGroup),
                            ("phrase", qparser.AndGroup)):
            self.parsers[mode] = qparser.MultifieldParser(["title", "body"], ix.schema,
                                                          group=group)

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        text = " ".join(terms)
        if mode == "phrase":
            text = f'"{text}"'
        query = self.parsers[mode].parse(text)
        if month is not None:
            start, end = (d.replace(tzinfo=None) for d in month_bounds(month))
            query = And([query, DateRange("published", start, end, endexcl=True)])
        results = self.searcher.search(query, limit=limit)
        out = []
        for hit in results:
            if snippets:
                hit.highlights("body", top=3)
            out.append((hit["id"], float(hit.score)))
        return out

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None

    def describe(self) -> str:
        return f"whoosh {whoosh.versionstring()}"
