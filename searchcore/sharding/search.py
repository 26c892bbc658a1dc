"""A search over every shard that answers as one index would (dfs_query_then_fetch).

::

    statistics summed over shards (CollectionStats)
      -> one part per shard, scored with them (StatsSearcher)
      -> searchcore.execution.pipeline: the plan, each part executed, the parts'
         top hits merged by (sort key, article id), stored fields for the page only

:class:`ShardSet` is a sharded index's :class:`~searchcore.execution.pipeline.Parts`:
every document of every shard gets the score it would get in one index of the same
articles (:mod:`searchcore.scoring.stats`), and since ties are broken by article id
(:mod:`searchcore.execution.order`), the merged order is that index's order.

The statistics are gathered lazily here (a term's document frequency is summed over
the shard readers the first time a scorer asks), which gives exactly the numbers a
separate "dfs" round would, with no second pass over the query: every shard is open
in this process. (:mod:`searchcore.sharding.remote` runs the parts on a cluster's
workers, and gathers the statistics a query needs first.)

"Did you mean" reads every shard as one index (``ShardedIndex._whole_searcher``: a
whoosh ``MultiReader`` of every shard's segments). ``collapse`` groups by the stories
across shards (:mod:`searchcore.sharding.stories`): a story's code is the same in
every shard.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from searchcore.execution.merge import merge_ranked
from searchcore.execution.pipeline import Part, Parts
from searchcore.languages import normalize_language
from searchcore.news import suggest as _suggest
from searchcore.news.matches import match_docnums, news_columns
from searchcore.query.alternatives import QueryLanguages, index_languages
from searchcore.query.request import SearchRequest
from searchcore.scoring.ranking import RankingConfig, weighting
from searchcore.scoring.stats import StatsSearcher, combined_stats
from searchcore.sharding import stories as _stories_across

if TYPE_CHECKING:
    from searchcore.sharding.index import ShardedIndex, ShardIndex


class ShardSet(Parts):
    """One query's view of every shard: a part per shard, scoring with the
    collection's statistics."""

    def __init__(self, ix: "ShardedIndex", ranking: RankingConfig, now: datetime) -> None:
        self.shards = ix.live_shards()
        self.base = [shard.searcher() for shard in self.shards]
        schema = self.base[0].schema
        readers = [b.reader() for b in self.base]
        self.stats = combined_stats(readers, [n for n in schema.names() if schema[n].scorable])
        model = weighting(ranking, now)
        self.searchers = [StatsSearcher(r, self.stats, model) for r in readers]
        super().__init__([Part(searcher, base, k, stories=_stories(shard, k, base))
                          for k, (shard, base, searcher)
                          in enumerate(zip(self.shards, self.base, self.searchers))],
                         languages=self.query_languages,
                         suggest=lambda text: _suggest.suggest(ix._whole_searcher(), text))

    def query_languages(self, language: str | Sequence[str] | None) -> QueryLanguages | None:
        """What :func:`~searchcore.query.alternatives.index_languages` says for one
        index holding every shard's languages."""
        codes = [language] if isinstance(language, str) else list(language or ())
        narrow = [normalize_language(c) for c in codes if c]
        present = tuple(sorted({code for base in self.base
                                for code in getattr(index_languages(base), "present", ())}))
        if narrow:
            return QueryLanguages(tuple(narrow), present)
        return QueryLanguages(("",) + present, present) if present else None

    def close(self) -> None:
        for searcher in self.searchers:
            searcher.close()                         # closereader=False: the shard's reader stays


def _stories(shard: "ShardIndex", number: int, base: Any) -> Any:
    """The story codes of shard ``number``'s documents (the stories across shards),
    for collapse."""
    return lambda: _stories_across.story_codes(shard, number, base)


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
