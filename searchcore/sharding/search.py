"""A search over every shard that answers as one index would (dfs_query_then_fetch).

::

    parse once -> statistics summed over shards (CollectionStats)
      -> per shard: filters, then the first offset+limit matches in the final order,
         scored with the collection's statistics (StatsSearcher), and the total
      -> merge by (sort key, article id) -> stored fields and snippets for the page only
      -> facets: counted over every shard's matches and merged (searchcore.sharding.merge)

Each shard is ranked by :func:`searchcore.execution.search.rank`, the function an
unsharded :meth:`searchcore.Index.search` ranks with, on a searcher whose ``idf``,
document frequencies and average field lengths are the whole collection's
(:mod:`searchcore.scoring.stats`): every document gets the score it would get in one
index of the same articles, and since ties are broken by article id
(:mod:`searchcore.execution.order`), the merged order is that index's order.

The statistics are gathered lazily here (a term's document frequency is summed over
the shard readers the first time a scorer asks), which gives exactly the numbers a
separate "dfs" round would, with no second pass over the query: every shard is open
in this process.

Not merged across shards: stories (each shard finds the copies among its own
articles, so ``collapse`` groups copies within a shard only) and ``suggestion``
(not computed on a sharded index).
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from searchcore.engine import _copy, _date_bounds, _hit, checked_request, flatten
from searchcore.execution.columns import columns_for
from searchcore.execution.order import id_keys, sort_key
from searchcore.execution.search import rank
from searchcore.news import collapse as _collapse
from searchcore.news.export import make_cursor, page_after
from searchcore.news.facets import DEFAULT_FACET_LIMIT
from searchcore.news.matches import match_docnums, news_columns
from searchcore.languages import normalize_language
from searchcore.query.alternatives import QueryLanguages, index_languages
from searchcore.query.budget import QueryBudget, enforced
from searchcore.query.parser import parse_query
from searchcore.query.request import SearchRequest
from searchcore.results.types import Results
from searchcore.scoring.ranking import RankingConfig, weighting
from searchcore.scoring.stats import StatsSearcher, combined_stats
from searchcore.sharding.merge import merge_facets, merge_ranked

if TYPE_CHECKING:
    from searchcore.sharding.index import ShardedIndex


class ShardSet:
    """One query's view of every shard: searchers that score with the collection's
    statistics, and each shard's filter."""

    def __init__(self, ix: "ShardedIndex", ranking: RankingConfig, now: datetime) -> None:
        self.shards = ix.live_shards()
        self.base = [shard.searcher() for shard in self.shards]
        schema = self.base[0].schema
        self.schema = schema
        readers = [b.reader() for b in self.base]
        self.stats = combined_stats(readers, [n for n in schema.names() if schema[n].scorable])
        model = weighting(ranking, now)
        self.searchers = [StatsSearcher(r, self.stats, model) for r in readers]

    def languages(self, language: str | Sequence[str] | None) -> QueryLanguages | None:
        """What :func:`~searchcore.query.alternatives.index_languages` says for one
        index holding every shard's languages."""
        codes = [language] if isinstance(language, str) else list(language or ())
        narrow = [normalize_language(c) for c in codes if c]
        present = tuple(sorted({code for base in self.base
                                for code in getattr(index_languages(base), "present", ())}))
        if narrow:
            return QueryLanguages(tuple(narrow), present)
        return QueryLanguages(("",) + present, present) if present else None

    def filters(self, source: Any, category: Any, since: Any, until: Any, language: Any,
                now: datetime) -> list[set[int] | None]:
        bounds = _date_bounds(since, until, now)
        return [shard._filter(base, source, category, *bounds, language=language)
                for shard, base in zip(self.shards, self.base)]

    def close(self) -> None:
        for searcher in self.searchers:
            searcher.close()                         # closereader=False: the shard's reader stays


def _keyed(searcher: Any, ranked: list[tuple[int, float | None]], sort: str,
           shard: int) -> list[tuple[Any, bytes, int, int, float | None]]:
    """``(sort key, id, shard, docnum, score)`` per ranked match, in the same order."""
    if not ranked:
        return []
    docs = np.fromiter((d for d, _ in ranked), dtype=np.int64, count=len(ranked))
    if sort == "relevance":
        keys = sort_key(sort, np.array([s for _, s in ranked], dtype=np.float64), None)
    else:
        keys = sort_key(sort, None, columns_for(searcher).published_us[docs])
    ids = id_keys(searcher)[docs]
    return [(k, i, shard, int(d), s) for k, i, d, (_, s) in
            zip(keys.tolist(), ids.tolist(), docs.tolist(), ranked)]


@enforced
def search(ix: "ShardedIndex", query: str, *, limit: int = 10, page: int = 1,
           sort: str = "relevance", match: str = "all", lenient: bool = False,
           source: str | Sequence[str] | None = None,
           category: str | Sequence[str] | None = None,
           since: datetime | str | None = None, until: datetime | str | None = None,
           language: str | Sequence[str] | None = None, ranking: RankingConfig | None = None,
           snippets: int = 3, exact_total: bool = True, now: datetime | None = None,
           facets: Sequence[str] | None = None, facet_limit: int = DEFAULT_FACET_LIMIT,
           budget: QueryBudget | None = None, collapse: bool = False, suggest: bool = True,
           after: str | None = None) -> Results:
    """:meth:`searchcore.Index.search` over every shard of ``ix`` (see the module docstring)."""
    started = time.perf_counter()
    facet_names, request = checked_request(
        query, facets=facets, facet_limit=facet_limit, after=after, collapse=collapse,
        limit=limit, page=page, sort=sort, match=match, lenient=lenient, source=source,
        category=category, since=since, until=until, ranking=ranking, snippets=snippets,
        exact_total=exact_total, now=now)
    ranking, now = request.ranking, request.now
    shards = ShardSet(ix, ranking, now)
    try:
        q = parse_query(query, shards.schema, match=match, lenient=lenient,
                        field_weights=ranking.field_weights, now=now,
                        languages=shards.languages(language))
        flat = flatten(q)
        allowed = shards.filters(source, category, since, until, language, now)
        offset = (page - 1) * limit
        copies: dict[tuple[int, int], list[tuple[int, int]]] = {}
        total_articles = None
        if all(a is not None and not a for a in allowed):
            page_items: list[tuple[int, int, float | None]] = []
            total = 0
        elif after is not None:
            parts, total, offset = [], 0, 0
            for k, searcher in enumerate(shards.searchers):
                if allowed[k] is not None and not allowed[k]:
                    continue
                before, found, count = page_after(searcher, flat, allowed[k], sort, after, limit)
                parts.append(_keyed(searcher, found, sort, k))
                total += count
                offset += before
            page_items = [(s, d, score) for _, _, s, d, score in
                          itertools.islice(merge_ranked(parts), limit)]
        elif collapse:
            page_items, copies, total, total_articles = _collapsed(shards, flat, allowed, sort,
                                                                   offset, limit)
        else:
            parts, total = [], 0
            for k, searcher in enumerate(shards.searchers):
                if allowed[k] is not None and not allowed[k]:
                    continue
                found, count, _ = rank(searcher, flat, allowed[k], sort, offset + limit)
                parts.append(_keyed(searcher, found, sort, k))
                total += count
            page_items = [(s, d, score) for _, _, s, d, score in
                          itertools.islice(merge_ranked(parts), offset, offset + limit)]
        analyzer = shards.schema["body"].analyzer
        hits = []
        for position, (k, docnum, score) in enumerate(page_items, offset + 1):
            fields = shards.base[k].stored_fields(docnum)       # the final page only
            hits.append(_hit(position, score if sort == "relevance" else None, fields, q,
                             analyzer, snippets,
                             copies=tuple(_copy(shards.base[c].stored_fields(d))
                                          for c, d in copies[(k, docnum)])
                             if collapse else None))
        # Matching needs no scores: the shards' own long-lived searchers (their
        # columns are kept on them).
        facet_counts = (merge_facets(
            [(news_columns(base), match_docnums(base, flat, allowed[k]))
             for k, base in enumerate(shards.base)], facet_names, facet_limit)
            if facet_names else {})
        last = offset + len(page_items)
        cursor = None
        if page_items and not collapse and last < total:
            k, docnum, score = page_items[-1]
            cursor = make_cursor(shards.searchers[k], sort, docnum, score, hits[-1].id)
        return Results(query=query, total=total, page=page, limit=limit,
                       elapsed_ms=(time.perf_counter() - started) * 1000.0, hits=tuple(hits),
                       total_is_exact=True, facets=facet_counts, next_cursor=cursor,
                       total_articles=total_articles, suggestion=None)
    finally:
        shards.close()


def _collapsed(shards: ShardSet, flat: Any, allowed: list[set[int] | None], sort: str,
               offset: int, limit: int) -> tuple[list[tuple[int, int, float | None]],
                                                 dict[tuple[int, int], list[tuple[int, int]]],
                                                 int, int]:
    """Stories collapsed over the merged ranking: each shard's story codes kept apart,
    document numbers made global by adding each shard's base."""
    parts, codes, bases = [], [], []
    base = code_base = 0
    for k, searcher in enumerate(shards.searchers):
        bases.append(base)
        story = _collapse.story_codes(searcher)
        own = story >= 0
        codes.append(np.where(own, story + code_base,
                              -1 - (np.arange(len(story), dtype=np.int64) + base)))
        code_base += int(story[own].max()) + 1 if own.any() else 0
        if allowed[k] is None or allowed[k]:
            found, _, _ = rank(searcher, flat, allowed[k], sort, None)
            parts.append([(key, i, kk, d + base, s)
                          for key, i, kk, d, s in _keyed(searcher, found, sort, k)])
        base += searcher.doc_count_all()
    merged = [(d, s) for _, _, _, d, s in merge_ranked(parts)]
    grouped = _collapse.collapse(merged, np.concatenate(codes) if codes else np.zeros(0, np.int64),
                                 offset, limit)

    def local(gdoc: int) -> tuple[int, int]:
        k = int(np.searchsorted(bases, gdoc, side="right")) - 1
        return k, gdoc - bases[k]

    page = []
    copies: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for gdoc, score, others in grouped.page:
        k, d = local(gdoc)
        page.append((k, d, score))
        copies[(k, d)] = [local(o) for o in others]
    return page, copies, grouped.total_stories, grouped.total_articles


def timeline(ix: "ShardedIndex", query: str, by: str, **filters: Any) -> Any:
    """:meth:`searchcore.Index.timeline` over every shard: one date count over all matches."""
    from searchcore.news.facets import date_facet
    from searchcore.news.timeline import Timeline, check_by

    check_by(by)
    published, total = [], 0
    for shard in ix.live_shards():
        searcher, flat, allowed = shard._match_set(query, **filters)
        docs = match_docnums(searcher, flat, allowed)
        published.append(news_columns(searcher).published[docs])
        total += len(docs)
    facet = date_facet(np.concatenate(published), by)
    return Timeline(query=query, by=by, buckets=facet.buckets, total=total,
                    undated=facet.missing)


def scan(ix: "ShardedIndex", query: str, *, sort: str = "relevance",
         fields: Sequence[str] | str | None = None, **filters: Any) -> Any:
    """:meth:`searchcore.Index.scan` over every shard, merged into one index's order."""
    from searchcore.engine import stored_to_dict
    from searchcore.news.export import ARTICLE_FIELDS, Scan, check_fields, ordered_matches
    from searchcore.whoosh_boundary.stored_fields import stored_fields_getter

    keep = check_fields(fields)
    shards = ShardSet(ix, RankingConfig(), filters.get("now") or SearchRequest.create("").now)
    parts, total = [], 0
    for k, shard in enumerate(shards.shards):
        _, flat, allowed = shard._match_set(query, **filters)
        docs, primary, ties = ordered_matches(shards.searchers[k], flat, allowed, sort)
        parts.append(zip(primary.tolist(), ties.tolist(), itertools.repeat(k), docs.tolist()))
        total += len(docs)

    getters = [stored_fields_getter(base) for base in shards.base]
    everything = keep == ARTICLE_FIELDS

    def articles() -> Any:
        try:
            for _, _, k, docnum in merge_ranked(parts):
                article = stored_to_dict(getters[k](docnum))
                yield article if everything else {name: article[name] for name in keep}
        finally:
            shards.close()

    return Scan(articles(), total)
