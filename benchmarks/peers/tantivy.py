"""tantivy (Rust, via tantivy-py): the fast-engine reference point.

Schema: ``id`` (raw, stored), ``title`` and ``body`` (stored, ``en_stem``: simple
tokenizer, lower-case, Snowball English, long tokens removed; no stop words).
BM25 with tantivy's fixed k1=1.2, b=0.75; title boost 2.0 (the usual headline
boost; tantivy adds per-field scores, as whoosh does). The writer uses tantivy's own thread pool (``threads``
option, default 0 = tantivy decides), with a 256 MB heap, one commit at the end.
Snippets: ``SnippetGenerator`` on the body, rendered to HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import tantivy as tv

from peers import BaseEngine, month_bounds, published_of


class Engine(BaseEngine):
    name = "tantivy"
    unsupported: dict[str, str] = {}

    def __init__(self, path: str | Path, **options: object) -> None:
        super().__init__(path, **options)
        builder = tv.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        # For the month kind: tantivy's range query over an indexed, fast date field.
        builder.add_date_field("published", stored=False, indexed=True, fast=True)
        self.schema = builder.build()
        self.index: tv.Index | None = None
        self.searcher: tv.Searcher | None = None
        self.snippet_cache: dict[str, tv.SnippetGenerator] = {}

    def build(self, docs: Iterable[dict]) -> int:
        self.index = tv.Index(self.schema, path=str(self.path))
        writer = self.index.writer(heap_size=256_000_000,
                                   num_threads=int(self.options.get("threads", 0) or 0))
        count = 0
        for doc in docs:
            fields = {"id": str(doc["id"]), "title": doc.get("title") or "",
                      "body": doc.get("body") or ""}
            published = published_of(doc)
            if published is not None:
                fields["published"] = published
            writer.add_document(tv.Document(**fields))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    def open(self) -> None:
        self.index = tv.Index.open(str(self.path))
        self.index.reload()
        self.searcher = self.index.searcher()

    def _query(self, terms: list[str], mode: str) -> tv.Query:
        if mode == "phrase":
            text = '"' + " ".join(terms) + '"'
        else:
            text = " ".join(terms)
        return self.index.parse_query(text, ["title", "body"], field_boosts={"title": 2.0},
                                      conjunction_by_default=(mode == "all"))

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        query = self._query(terms, mode)
        if month is not None:
            start, end = month_bounds(month)
            query = tv.Query.boolean_query([
                (tv.Occur.Must, query),
                (tv.Occur.Must, tv.Query.range_query(self.schema, "published", tv.FieldType.Date,
                                                     start, end, include_upper=False))])
        hits = self.searcher.search(query, limit).hits
        generator = None
        if snippets:
            generator = tv.SnippetGenerator.create(self.searcher, query, self.schema, "body")
        out = []
        for score, address in hits:
            doc = self.searcher.doc(address)
            if generator is not None:
                generator.snippet_from_doc(doc).to_html()
            out.append((doc["id"][0], float(score)))
        return out

    def close(self) -> None:
        self.searcher = None
        self.index = None

    def describe(self) -> str:
        from importlib.metadata import version
        return f"tantivy-py {version('tantivy')}"
