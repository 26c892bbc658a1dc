"""One search, whatever the index is made of: plan -> execute per part -> merge -> present.

::

    SearchRequest (validated)          searchcore.query.request
      -> plan_search: the parsed query, the filters' bounds, facets, cursor, collapse
      -> execute, once per part (a set of segments: an index's searcher, or one
         shard's, scoring with the whole collection's statistics): the part's filter,
         then its first offset+limit matches in the final order, its total, its
         facet counts -- plain data (:class:`PartHits`), so a part may run on a
         Dask worker (:mod:`searchcore.sharding.remote`)
      -> merge: the parts' lists by (sort key, article id), the page cut from the
         merged list (stories collapsed over it), facet counts summed
      -> present: stored fields and snippets for the final page only, the cursor

:meth:`searchcore.Index.search` runs this with one part; a sharded index with one part
per shard. Because every part orders by the same key, ties by article id
(:mod:`searchcore.execution.order`), and scores with the same statistics, the merge of
several parts is the list one part holding every article would give.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from searchcore.dates import to_utc
from searchcore.errors import QuerySyntaxError
from searchcore.execution.columns import columns_for
from searchcore.execution.display import display_fields, display_page, record_datetime
from searchcore.execution.order import id_keys, sort_key
from searchcore.execution.search import allowed_docnums, rank
from searchcore.languages import normalize_language
from searchcore.news.export import make_cursor, page_after
from searchcore.news.facets import DEFAULT_FACET_LIMIT
from searchcore.news.matches import match_docnums, news_columns
from searchcore.query.alternatives import QueryLanguages
from searchcore.query.daterange import ACCEPTED_FORMATS, DateValueError, parse_period
from searchcore.query.parser import parse_query
from searchcore.query.request import SearchRequest
from searchcore.results.snippets import make_snippets
from searchcore.results.types import Copy, Hit, Results, new_hit
from searchcore.scoring.ranking import DEFAULT_RANKING, RankingConfig, weighting
from searchcore.scoring.stats import CollectionStats, StatsSearcher
from searchcore.execution.merge import FacetCounts, count_facets, merge_facets, merge_ranked

#: One ranked match: ``(sort key, article id bytes, part, docnum, score or None)``; the
#: key and id None when the plan has one part (nothing to merge: :func:`_keyed`).
Item = tuple[Any, "bytes | None", int, int, "float | None"]


# -- plan -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchPlan:
    """What every part runs: the request, its parsed query and the filters' bounds."""

    request: SearchRequest
    #: The parsed query (snippets are made from it) and its flattened form (what runs).
    query: Any
    flat: Any
    since: datetime | None = None
    until: datetime | None = None
    language: tuple[str, ...] | None = None
    facets: tuple[str, ...] = ()
    facet_limit: int = DEFAULT_FACET_LIMIT
    after: str | None = None
    collapse: bool = False
    #: How many parts run the plan (a story may span several: collapse then groups
    #: every part's matches after the merge).
    parts: int = 1
    #: Run on the side arrays (False: whoosh's matchers, the equivalence tests' reference).
    arrays: bool = True


def plan_search(request: SearchRequest, schema: Any, languages: QueryLanguages | None, *,
                language: str | Sequence[str] | None = None, facets: Sequence[str] = (),
                facet_limit: int = DEFAULT_FACET_LIMIT, after: str | None = None,
                collapse: bool = False, arrays: bool = True, parts: int = 1) -> SearchPlan:
    """Parse ``request``'s query (in ``languages``) and resolve its date filters."""
    ranking = request.ranking
    q = parse_query(request.query, schema, match=request.match, lenient=request.lenient,
                    field_weights=ranking.field_weights, now=request.now, languages=languages)
    since, until = date_bounds(request.since, request.until, request.now)
    codes = [language] if isinstance(language, str) else list(language or ())
    return SearchPlan(request=request, query=q, flat=flatten(q), since=since, until=until,
                      language=tuple(normalize_language(c) for c in codes) or None,
                      facets=tuple(facets), facet_limit=facet_limit, after=after,
                      collapse=collapse, arrays=arrays, parts=parts)


def date_bounds(since: datetime | str | None, until: datetime | str | None,
                now: datetime) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` in naive UTC for the ``since``/``until`` filters.

    Strings use the query language's date values (``2024-04``, ``now-7d``, ...) read as
    whole periods: ``since`` starts where its period starts, ``until`` runs to the end
    of its period, so ``until="2024-03-31"`` includes that whole day.
    """
    def bound(value: datetime | str | None, name: str, side: int) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            instant = to_utc(value).replace(tzinfo=None)
            return instant if side == 0 else instant + timedelta(microseconds=1)
        try:
            return parse_period(str(value), now)[side]
        except DateValueError as exc:
            raise QuerySyntaxError(f"{name} {value!r}: {exc}; accepted: {ACCEPTED_FORMATS}",
                                   str(value)) from None

    start, end = bound(since, "since", 0), bound(until, "until", 1)
    if start is not None and end is not None and end <= start:
        raise QuerySyntaxError(f"since {since!r} is after until {until!r}: no date is in "
                               "between", str(since))
    return start, end


def flatten(q: wq.Query) -> wq.Query:
    """Splice nested ``Or``/``And`` of the same kind into one (``(a|b)|(c|d)`` -> ``a|b|c|d``).

    whoosh runs one flat union much faster than a tree of them. Unlike whoosh's
    ``normalize()``, repeated words stay repeated: a query that says "information"
    twice weighs it twice, as Lucene's BooleanQuery does (``normalize()`` dropped
    CISI's nDCG@10 from 0.38 to 0.32).
    """
    if isinstance(q, (wq.Or, wq.And)) and type(q) in (wq.Or, wq.And):
        children: list[wq.Query] = []
        for child in q.subqueries:
            child = flatten(child)
            if type(child) is type(q) and child.boost == 1.0:
                children.extend(child.subqueries)
            else:
                children.append(child)
        return type(q)(children, boost=q.boost)
    if isinstance(q, wq.BinaryQuery):
        return q.__class__(flatten(q.a), flatten(q.b))
    if isinstance(q, wq.Not):
        return wq.Not(flatten(q.query), boost=q.boost)
    return q


def filter_docnums(searcher: Any, source: str | Sequence[str] | None,
                   category: str | Sequence[str] | None, since: datetime | None,
                   until: datetime | None,
                   language: str | Sequence[str] | None = None) -> set[int] | None:
    """The document numbers the filters allow, or None when there are none.

    Computed once per search on the arrays (source and category postings, the
    ``published`` column), as a set for whoosh's FilterCollector and the facets.
    """
    schema = searcher.schema
    queries = []
    if source:
        names = [source] if isinstance(source, str) else list(source)
        options = []
        for name in names:
            words = [t.text for t in schema["source"].analyzer(name)]
            options.append(wq.Phrase("source", words) if len(words) > 1
                           else wq.Term("source", words[0]) if words else wq.NullQuery)
        queries.append(wq.Or(options))
    if category:
        cats = [category] if isinstance(category, str) else list(category)
        queries.append(wq.Or([wq.Term("category", c.strip().lower()) for c in cats]))
    if language:
        codes = [language] if isinstance(language, str) else list(language)
        queries.append(wq.Or([wq.Term("language", normalize_language(c)) for c in codes]))
    allowed = allowed_docnums(searcher, queries, since, until)
    return None if allowed is None else set(allowed.tolist())


# -- execute (per part) -------------------------------------------------------------------------

@dataclass
class Part:
    """One set of segments searched as a unit: an index's, or one shard's.

    ``base`` is the index's long-lived searcher (stored fields, columns and caches are
    kept on it); ``searcher`` scores, over the same reader, with the request's
    weighting and (for a shard) the collection's statistics (:func:`scoring_searcher`).
    ``stories`` gives each document's story code, for ``collapse``: a code >= 0
    names the same story in every part of a search (the stories across shards,
    :mod:`searchcore.sharding.stories`), a negative one a document alone.
    """

    searcher: Any
    base: Any
    number: int = 0
    stories: Callable[[], np.ndarray] | None = None


@dataclass(frozen=True)
class PartHits:
    """What one part found: plain data, so it can come back from another process."""

    #: The first offset+limit matches in order (``collapse``: each story's first match).
    items: list[Item]
    #: Matching articles.
    total: int
    exact: bool = True
    #: ``after=``: how many of this part's matches (stories) come before the page.
    before: int = 0
    #: ``collapse``: per item, its story's other matching documents, in order.
    copies: list[list[int]] = field(default_factory=list)
    #: ``collapse``: matching stories.
    stories: int = 0
    #: ``collapse`` over several parts: every match with its keys and story code
    #: (a :class:`searchcore.news.collapse.PartMatches`).
    matches: Any = None
    facets: FacetCounts | None = None


def scoring_searcher(base: Any, ranking: RankingConfig, now: datetime,
                     stats: CollectionStats | None = None) -> Any:
    """The searcher that scores a request on ``base``'s reader: ``base`` itself for the
    default ranking, else one with the request's weighting; with the collection's
    ``stats`` (a shard) a :class:`~searchcore.scoring.stats.StatsSearcher`."""
    if stats is not None:
        return StatsSearcher(base.reader(), stats, weighting(ranking, now))
    if ranking is DEFAULT_RANKING:
        return base
    return Searcher(base.reader(), weighting=weighting(ranking, now), closereader=False)


def execute(part: Part, plan: SearchPlan) -> PartHits:
    """Run ``plan`` on one part: its filter, its ranked matches, its facet counts."""
    r = plan.request
    searcher, flat = part.searcher, plan.flat
    allowed = filter_docnums(part.base, r.source, r.category, plan.since, plan.until,
                             plan.language)

    def facets() -> FacetCounts | None:
        # Counted after the ranking: with the default weighting it ran on part.base,
        # which keeps the match set it found, so the query is not run again.
        return (count_facets(news_columns(part.base), match_docnums(part.base, flat, allowed),
                             plan.facets) if plan.facets else None)

    if allowed is not None and not allowed:
        # whoosh 2.7.4 treats an empty filter set as "no filter" when counting.
        return PartHits([], 0, facets=facets())
    if plan.collapse:
        return _collapsed(part, plan, allowed, facets)
    if plan.after is not None:
        before, found, total = page_after(searcher, flat, allowed, r.sort, plan.after, r.limit)
        return PartHits(_keyed(searcher, found, r.sort, part.number, plan.parts > 1), total,
                        before=before,
                        facets=facets())
    # Facets count every match: the total must agree with them (no pruning).
    found, total, exact = rank(searcher, flat, allowed, r.sort, r.offset + r.limit,
                               r.exact_total or bool(plan.facets), arrays=plan.arrays)
    return PartHits(_keyed(searcher, found, r.sort, part.number, plan.parts > 1), total, exact,
                    facets=facets())


def _collapsed(part: Part, plan: SearchPlan, allowed: set[int] | None,
               facets: Callable[[], FacetCounts | None]) -> PartHits:
    """The part's first stories (:func:`searchcore.news.collapse.collapse_part`;
    imported when asked: a plain search needs no stories)."""
    from searchcore.news import collapse

    r = plan.request
    codes = part.stories() if part.stories is not None else collapse.story_codes(part.base)
    if plan.parts > 1:
        every = collapse.part_matches(part.searcher, codes, plan.flat, allowed, r.sort,
                                      part.number, plan.arrays,
                                      r.limit if plan.after is not None else r.offset + r.limit,
                                      plan.after)
        return PartHits([], every.matched, matches=every, facets=facets())
    # Facets count every match: the totals must agree with them (no pruning).
    found = collapse.collapse_part(
        part.searcher, part.base, codes, plan.flat, allowed, r.sort,
        r.limit if plan.after is not None else r.offset + r.limit,
        exact_total=r.exact_total or bool(plan.facets), arrays=plan.arrays, after=plan.after)
    return PartHits(_keyed(part.searcher, found.shown, r.sort, part.number, plan.parts > 1),
                    found.articles, found.exact, before=found.before, copies=found.copies,
                    stories=found.stories, facets=facets())


def _keyed(searcher: Any, ranked: list[tuple[int, float | None]], sort: str,
           part: int, merged: bool) -> list[Item]:
    """``(sort key, id, part, docnum, score)`` per ranked match, in the same order.
    Not ``merged`` with other parts' (the plan has one part): its order is the page's,
    and the keys, which only order a merge, are left None (a fifth of presenting)."""
    if not ranked:
        return []
    if not merged:
        return [(None, None, part, d, s) for d, s in ranked]
    docs = np.fromiter((d for d, _ in ranked), dtype=np.int64, count=len(ranked))
    if sort == "relevance":
        keys = sort_key(sort, np.array([s for _, s in ranked], dtype=np.float64), None)
    else:
        keys = sort_key(sort, None, columns_for(searcher).published_us[docs])
    ids = id_keys(searcher)[docs]
    return [(k, i, part, int(d), s) for k, i, d, (_, s) in
            zip(keys.tolist(), ids.tolist(), docs.tolist(), ranked)]


# -- merge ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Merged:
    """The final page as ``(part, docnum, score)``, its copies, totals, facets."""

    page: list[tuple[int, int, float | None]]
    offset: int
    total: int
    exact: bool
    copies: dict[tuple[int, int], list[tuple[int, int]]]
    total_articles: int | None
    facets: dict[str, Any]


def merge(plan: SearchPlan, found: Sequence[PartHits]) -> Merged:
    """The page one index of every part's articles would show."""
    r = plan.request
    facets = (merge_facets([f.facets for f in found if f.facets is not None], plan.facets,
                           plan.facet_limit) if plan.facets else {})
    total = sum(f.total for f in found)
    exact = all(f.exact for f in found)
    ranked = merge_ranked([f.items for f in found])
    start = 0 if plan.after is not None else r.offset
    if plan.collapse and plan.parts > 1:
        # A story may have copies in several parts (a code >= 0 is one story in
        # every part): grouped over every part's matches.
        from searchcore.news.collapse import group_parts

        stories, count, before = group_parts([f.matches for f in found if f.matches],
                                             r.sort, start + r.limit, plan.after)
        page = [(p, d, s) for p, d, s, _ in stories[start:]]
        copies = {(p, d): others for p, d, _, others in stories[start:]}
        return Merged(page, before if plan.after is not None else r.offset, count, True,
                      copies, total, facets)
    if plan.collapse:
        # One part: its items are its stories' first matches, in order.
        page = [(p, d, s) for _, _, p, d, s in itertools.islice(ranked, start, start + r.limit)]
        shown = set((p, d) for p, d, _ in page)
        copies = {(f.items[i][2], f.items[i][3]): [(f.items[i][2], c) for c in others]
                  for f in found for i, others in enumerate(f.copies)
                  if (f.items[i][2], f.items[i][3]) in shown}
        offset = sum(f.before for f in found) if plan.after is not None else r.offset
        return Merged(page, offset, sum(f.stories for f in found), exact, copies, total,
                      facets)
    if plan.after is not None:
        page = [(p, d, s) for _, _, p, d, s in itertools.islice(ranked, r.limit)]
        return Merged(page, sum(f.before for f in found), total, True, {}, None, facets)
    page = [(p, d, s) for _, _, p, d, s in
            itertools.islice(ranked, r.offset, r.offset + r.limit)]
    return Merged(page, r.offset, total, exact, {}, None, facets)


# -- present ----------------------------------------------------------------------------------

def present(plan: SearchPlan, merged: Merged, bases: Sequence[Any], started: float,
            suggestion: str | None = None) -> Results:
    """:class:`Results` for the merged page: stored fields (display records when no
    snippet is asked for) read for its hits only, from each hit's part."""
    r = plan.request
    snippets = r.snippets
    relevance = r.sort == "relevance"
    hits = []
    shown = _page_fields(merged.page, bases, snippets)
    for position, (p, docnum, score) in enumerate(merged.page, merged.offset + 1):
        fields = shown[(p, docnum)]
        copies = (tuple(make_copy(display_fields(bases[c], d))
                        for c, d in merged.copies[(p, docnum)]) if plan.collapse else None)
        # The part's body analyzer makes the snippets (a schema lookup: only for them).
        analyzer = bases[p].schema["body"].analyzer if snippets else None
        hits.append(make_hit(position, score if relevance else None, fields, plan.query,
                             analyzer, snippets, copies=copies))
    last = merged.offset + len(merged.page)
    cursor = None
    if merged.page and (last < merged.total or not merged.exact):
        p, docnum, score = merged.page[-1]
        cursor = make_cursor(bases[p], r.sort, docnum, score, hits[-1].id)
    return Results(query=r.query, total=merged.total, page=r.page, limit=r.limit,
                   elapsed_ms=(time.perf_counter() - started) * 1000.0, hits=tuple(hits),
                   total_is_exact=merged.exact, facets=merged.facets, next_cursor=cursor,
                   total_articles=merged.total_articles, suggestion=suggestion)


def _page_fields(page: Sequence[tuple[int, int, float | None]], bases: Sequence[Any],
                 snippets: int) -> dict[tuple[int, int], Mapping[str, Any]]:
    """The stored fields of the page's hits by ``(part, docnum)``. Without snippets a
    hit needs no body: the display records (read part by part), not whoosh's zlib'd
    stored fields (a third of a one-word search)."""
    if snippets:
        return {(p, d): bases[p].stored_fields(d) for p, d, _ in page}
    by_part: dict[int, list[int]] = {}
    for p, d, _ in page:
        by_part.setdefault(p, []).append(d)
    return {(p, d): fields for p, docs in by_part.items()
            for d, fields in zip(docs, display_page(bases[p], docs, raw=True))}


def make_hit(rank: int, score: float | None, fields: Mapping[str, Any], q: wq.Query,
             analyzer: Any, snippets: int, copies: tuple[Copy, ...] | None = None) -> Hit:
    """One result from a document's stored fields (snippets of ``q``'s matches), or
    its display record as kept (``published`` in epoch microseconds)."""
    get = fields.get
    published = get("published")
    authors, category = get("authors"), get("category")
    return new_hit(
        rank, fields["id"], float(score) if score is not None else None, get("title", ""),
        record_datetime(published) if type(published) is int else aware(published),
        get("source", ""), get("url", ""),
        tuple(authors) if authors else (), tuple(category) if category else (),
        tuple(make_snippets(q, fields, analyzer, max_fragments=snippets)) if snippets else (),
        copies)


def make_copy(fields: Mapping[str, Any]) -> Copy:
    return Copy(id=fields["id"], source=fields.get("source", ""),
                published=aware(fields.get("published")), title=fields.get("title", ""))


def aware(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) datetime as an aware one."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Parts:
    """The parts one search runs on, and what only the whole index answers: the
    languages to parse the query in, the spelling suggestion. ``execute`` runs the
    plan on every part here; :class:`searchcore.sharding.remote.RemoteParts` runs it
    on a Dask cluster's workers."""

    def __init__(self, parts: Sequence[Part], *,
                 languages: Callable[[Any], QueryLanguages | None],
                 suggest: Callable[[str], str | None] | None = None,
                 close: Callable[[], None] | None = None) -> None:
        self.parts = list(parts)
        self.schema = self.parts[0].base.schema
        self.languages = languages
        self._suggest = suggest
        self._close = close

    def execute(self, plan: SearchPlan) -> list[PartHits]:
        return [execute(part, plan) for part in self.parts]

    def suggest(self, text: str) -> str | None:
        return self._suggest(text) if self._suggest is not None else None

    def close(self) -> None:
        if self._close is not None:
            self._close()


def run(plan: SearchPlan, parts: Sequence[Part], started: float,
        suggestion: Callable[[], str | None] | None = None,
        found: Sequence[PartHits] | None = None) -> Results:
    """The whole search over local ``parts`` (or what they ``found`` elsewhere)."""
    if found is None:
        found = [execute(part, plan) for part in parts]
    return present(plan, merge(plan, found), [p.base for p in parts], started,
                   suggestion() if suggestion is not None else None)
