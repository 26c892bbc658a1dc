"""The library facade: ``create_index``, ``open_index`` and the :class:`Index` they return.

An :class:`Index` is a reader that can also write. It keeps one whoosh searcher open
(opening one costs several milliseconds; reusing it is what keeps query latency low)
and notices when a rebuild has switched the manifest to a new generation: the next
search moves to it, and until then the old generation stays readable because this
object holds a shared lock on it (see ``searchcore.layout``).
"""

from __future__ import annotations

import os
import time
from functools import partial
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing
from whoosh.searching import Searcher

from searchcore import layout
from searchcore.generations import new_generation
from searchcore.analysis import check_language
from searchcore.languages import normalize_language
from searchcore.article import Article, normalize_article, to_document
from searchcore.execution.columns import DocColumns, columns_for, write_missing
from searchcore.execution.display import display_fields
from searchcore.execution import pipeline as _pipeline
from searchcore.execution.pipeline import (aware as _aware, date_bounds as _date_bounds,
                                           filter_docnums, flatten, make_hit as _hit)
from searchcore.execution.words import register_index_words
from searchcore.whoosh_boundary.segments import index_segments, open_segment_reader, segment_count
from searchcore.errors import IndexFormatError, SearchcoreError
from searchcore.query.budget import QueryBudget, enforced
from searchcore.multilingual import document_text
from searchcore.query.alternatives import QueryLanguages, index_languages
from searchcore.query.parser import parse_query
from searchcore.query.request import SORTS as REQUEST_SORTS, SearchRequest
from searchcore.scoring.ranking import DEFAULT_RANKING, RankingConfig, weighting
from searchcore.results.types import Results
from searchcore.schema import build_schema
from searchcore.news import suggest as _suggest
from searchcore.whoosh_boundary.damage import (close_leaked_files, corrupt_error, is_damage,
                                                quiet_leaks, reports_damage)
from searchcore.news.facets import DEFAULT_FACET_LIMIT, check_facets
from searchcore.news.export import Scan, scan_articles

if TYPE_CHECKING:
    from searchcore.news.stories import StoryStore
    from searchcore.news.timeline import Timeline
    from searchcore.news.terms import SignificantTerms

SORTS = REQUEST_SORTS
DEFAULT_LOCK_TIMEOUT = 10.0
#: From this many articles, ``Index.add`` writes with the bulk writer (one segment).
FAST_WRITE_MIN = 100
#: After a bulk add, more segments than this are merged (whoosh's MERGE_SMALL policy).
MAX_SEGMENTS = 10
#: whoosh's posting pool for those merges, in its own estimate of MB (it spills sorted
#: runs to disk beyond it); the Python objects take about as much again.
MERGE_POOL_MB = 64


def analyzer_settings(language: str) -> dict[str, Any]:
    """What the manifest records about analysis: a different value means a rebuild."""
    return {"name": "NewsAnalyzer", "language": language, "stem": "snowball",
            "stopwords": "whoosh-snowball", "fold_accents": True}


def create_index(path: str | Path, language: str = "english") -> "Index":
    """Create an empty index at ``path`` (a new or empty directory) and open it."""
    path = Path(path)
    language = check_language(language)
    layout.ensure_creatable(path)
    path.mkdir(parents=True, exist_ok=True)
    with new_generation(path, lock_timeout=0, replace=False) as generation:
        whoosh_index.create_in(str(generation.folder), build_schema(language))
        generation.commit(layout.new_manifest(language, analyzer_settings(language),
                                              generation.name))
    return Index(path)


# Stories, collapse and "more like this" are imported when first used: a plain search
# (the cold CLI) needs none of them (minhash and its numpy.random, ~10% of the imports).
def _stories() -> Any:
    from searchcore.news import stories

    return stories


def _collapse() -> Any:
    from searchcore.news import collapse

    return collapse


def _similar() -> Any:
    from searchcore.news import similar

    return similar


def open_index(path: str | Path, scheduler: str | None = None) -> "Index":
    """Open the index at ``path``; a clear error if there is none or it is unusable.

    A sharded index (built with ``shards=``) opens as a
    :class:`searchcore.sharding.index.ShardedIndex`, which has the same methods; with
    ``scheduler="tcp://HOST:PORT"`` its searches run each shard's part on that Dask
    cluster's workers (:mod:`searchcore.sharding.remote`), else in this process.
    """
    path = Path(path)
    if layout.read_manifest(path).get("shards") is not None:
        from searchcore.sharding.index import ShardedIndex

        return ShardedIndex(path, scheduler=scheduler)
    if scheduler:
        raise SearchcoreError(f"{str(path)!r} is not a sharded index: scheduler= runs the "
                              "shards of a sharded index on a Dask cluster; open it without")
    return Index(path)


def checked_request(query: str, *, facets: Sequence[str] | None, facet_limit: int,
                    after: str | None, collapse: bool, page: int,
                    **options: Any) -> tuple[tuple[str, ...], SearchRequest]:
    """``(facet names, request)``: every search argument checked before anything runs
    (:class:`~searchcore.errors.InvalidRequestError`, ``FacetError``)."""
    facet_names = check_facets(facets, facet_limit)
    if after is not None and page != 1:
        raise SearchcoreError("after= continues from a cursor: leave page at 1")
    return facet_names, SearchRequest.create(query, page=page, **options)


class Index:
    """An open searchcore index. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._manifest = self._read_manifest()
        if self._manifest.get("shards") is not None and type(self) is Index:
            raise IndexFormatError(f"{str(self.path)!r} is a sharded index: open it with "
                                   "searchcore.open_index()")
        self._whoosh: whoosh_index.Index | None = None
        self._searcher: Searcher | None = None
        self._guard: layout.ReaderGuard | None = None
        self._manifest_stamp: tuple[int, int] | None = None
        self._folder_stamp: tuple[int, int] | None = None
        #: ``(generation, its folder as a string)`` for :meth:`_folder_changed`.
        self._folder_name: tuple[str, str] | None = None
        #: Run searches on the side arrays (False: whoosh's matchers, the reference).
        self.array_execution = True
        self._story_store: StoryStore | None = None
        self._story_stamp: tuple[int, int, int] | None = None
        self._open_generation()

    # -- opening, generations ---------------------------------------------------------
    def _read_manifest(self) -> dict[str, Any]:
        return layout.read_manifest(self.path)

    def _reader_guard(self, folder: Path) -> layout.ReaderGuard | None:
        """The shared lock that keeps ``folder`` from being removed while we read it."""
        return layout.ReaderGuard(folder)

    def _open_generation(self) -> None:
        generation = self._manifest["generation"]
        gen_dir = self._generation_dir()
        guard = self._reader_guard(gen_dir)
        try:
            ix = whoosh_index.open_dir(str(gen_dir))
        except Exception as exc:  # noqa: BLE001 - whoosh raises many types here
            if guard is not None:
                guard.release()
            close_leaked_files(exc)
            if is_damage(exc):
                raise corrupt_error(exc, self.path, generation) from None
            raise IndexFormatError(f"cannot open generation {generation!r} of {str(self.path)!r}: "
                                   f"{exc}; " + layout.REBUILD_HINT.format(path=self.path)) from None
        self._close_generation()
        register_index_words(ix)          # words it has seen need no stemmer (no NLTK)
        self._whoosh, self._guard = ix, guard
        self._story_store = None
        self._story_stamp = None
        self._manifest_stamp = self._stamp()

    def _close_generation(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._whoosh is not None:
            self._whoosh.close()
            self._whoosh = None
        if self._guard is not None:
            self._guard.release()
            self._guard = None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            # os.stat on a string: pathlib's joins and stat were 5% of a one-word search.
            st = os.stat(os.path.join(self.path, layout.MANIFEST_NAME))
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _follow_switch(self) -> None:
        """Move to a new generation if a rebuild switched the manifest since we looked."""
        if self._stamp() == self._manifest_stamp:
            return
        manifest = layout.read_manifest(self.path)
        if manifest["generation"] != self._manifest["generation"]:
            self._manifest = manifest
            self._open_generation()
        else:
            self._manifest = manifest
            self._manifest_stamp = self._stamp()

    def refresh(self) -> None:
        """Move to the live generation now if a rebuild switched it (searches do this
        by themselves); the manifest is then the live one."""
        self._follow_switch()

    @property
    def whoosh_index(self) -> whoosh_index.Index:
        """The live generation's whoosh index (for advanced use and our own tools)."""
        self._follow_switch()
        if self._whoosh is None:
            raise SearchcoreError("index is closed")
        return self._whoosh

    @property
    def language(self) -> str:
        return str(self._manifest["language"])

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._manifest)

    @reports_damage
    def searcher(self) -> Searcher:
        """A current searcher, reused across calls and refreshed after commits."""
        ix = self.whoosh_index
        if self._searcher is not None and self._folder_changed() \
                and not self._searcher.up_to_date():
            # Not whoosh's refresh(): its reader reuse keys segments by generation but
            # looks them up by segment id, so it reuses nothing and leaves all but one
            # of the old segment readers (and their open files) unclosed.
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            with quiet_leaks():
                self._searcher = ix.searcher(weighting=weighting(DEFAULT_RANKING))
        return self._searcher

    def _folder_changed(self) -> bool:
        """Has the generation folder changed since we last asked (a commit writes a new
        table of contents there)? whoosh's ``up_to_date`` lists the folder: 1.5 ms a
        search; a stat is microseconds."""
        generation = self._manifest["generation"]
        folder = self._folder_name
        if folder is None or folder[0] != generation:      # a string: pathlib's joins
            folder = self._folder_name = (generation, os.fspath(self._generation_dir()))
        try:
            st = os.stat(folder[1])
        except OSError:
            return True
        stamp = (st.st_mtime_ns, st.st_ino)
        changed = stamp != self._folder_stamp
        self._folder_stamp = stamp
        return changed

    def close(self) -> None:
        self._close_generation()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<searchcore.Index {str(self.path)!r} {self._manifest.get('generation')}>"

    # -- writing ----------------------------------------------------------------------
    @reports_damage
    def add(self, articles: Iterable[Mapping[str, Any] | Article], *,
            timeout: float = DEFAULT_LOCK_TIMEOUT,
            progress: Callable[[int], None] | None = None) -> int:
        """Add or replace (by id) ``articles``; returns how many were written.

        Every record is validated first: one bad record raises
        :class:`~searchcore.errors.InvalidArticleError` and nothing is written. Then
        the batch is written under the index lock and committed in one step, so a
        reader sees all of it or none of it. Duplicate ids in the batch: the last
        wins. ``progress(done)`` is called as documents are written. For large
        imports that skip bad records, use ``searchcore.index`` instead.
        """
        batch: dict[str, Article] = {}
        for number, record in enumerate(articles, 1):
            article = normalize_article(record, origin=f"article #{number}")
            batch[article.id] = article          # duplicate ids: the last one wins
        if not batch:
            return 0
        with layout.write_lock(self.path, timeout):
            self._follow_switch()
            layout.mark_written(self.path)
            self._add_locked(list(batch.values()), progress)
            self._record_count()
        return len(batch)

    def _add_locked(self, articles: Sequence[Article],
                    progress: Callable[[int], None] | None) -> None:
        """Write ``articles`` (unique ids) and their stories; the caller holds write_lock."""
        ix = self.whoosh_index
        # Stories first, for the generation the commit makes (news/stories.py).
        staged = _stories().stage_add(ix, [(a.id, a.body) for a in articles])
        try:
            _write_batch(ix, articles, progress)
        except BaseException:
            staged.discard()
            raise
        _stories().finish_write(ix, staged)

    def delete(self, ids: Iterable[str] | str, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Delete articles by id; returns how many existed and were deleted."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        return self._delete(self._id_queries(ids), timeout)

    def delete_by_query(self, query: str, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Delete every article matching ``query`` (the search syntax, match="all")."""
        return self._delete(self._parsed_queries(query), timeout)

    @staticmethod
    def _id_queries(ids: Iterable[str]) -> list[wq.Query]:
        return [wq.Term("id", str(i)) for i in ids]

    def _parsed_queries(self, query: str) -> list[wq.Query]:
        return [parse_query(query, self.whoosh_index.schema, match="all")]

    def _delete(self, queries: Sequence[wq.Query], timeout: float) -> int:
        with layout.write_lock(self.path, timeout):
            self._follow_switch()
            layout.mark_written(self.path)       # a delete's commit may merge segments
            deleted = self._delete_locked(queries)
            self._record_count()
        return deleted

    def _delete_locked(self, queries: Sequence[wq.Query]) -> int:
        """Delete what ``queries`` match, with their stories; the caller holds write_lock."""
        writer = self.whoosh_index.writer()
        try:
            with writer.searcher() as searcher:
                gone = {searcher.stored_fields(n)["id"] for q in queries
                        for n in searcher.docs_for_query(q)}
            deleted = sum(writer.delete_by_query(q) for q in queries)
            staged = _stories().stage_delete(self.whoosh_index, gone, writer.generation)
        except BaseException:
            writer.cancel()
            raise
        try:
            writer.commit()
        except BaseException:
            staged.discard()
            raise
        write_missing(self.whoosh_index)     # a delete's commit may merge segments
        _stories().finish_write(self.whoosh_index, staged)
        return deleted

    def _record_count(self) -> None:
        """Store the live document count in the manifest (caller holds write_lock)."""
        manifest = layout.read_manifest(self.path)
        with self._whoosh.reader() as reader:  # type: ignore[union-attr]
            manifest["documents"] = reader.doc_count()
        layout.write_manifest(self.path, manifest)
        self._manifest = manifest
        self._manifest_stamp = self._stamp()

    def _generation_dir(self) -> Path:
        return self.path / self._manifest["generation"]

    # -- stories ----------------------------------------------------------------------
    def stories(self) -> StoryStore:
        """The stories of the current searcher's documents (reloaded when they change)."""
        return self._stories_for(self.searcher())

    def _stories_for(self, searcher: Searcher) -> StoryStore:
        """The story state written for ``searcher``'s whoosh generation."""
        folder = self._generation_dir()
        gen = searcher.reader().generation()
        # Every state is a new file in the folder: while the folder is unchanged (a
        # stat, not choose_state's listing of thousands of names: 2 ms a search at
        # 1M) the state for this generation is the one loaded.
        try:
            st = folder.stat()
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_ino, gen)
        except OSError:
            stamp = None
        store = self._story_store
        if store is not None and stamp is not None and stamp == self._story_stamp:
            return store
        found = _stories().choose_state(folder, gen)
        if store is None or store.version != (found[0] if found else 0):
            store = self._story_store = _stories().StoryStore.load(folder, toc=gen)
        self._story_stamp = stamp
        return store

    def story_id(self, article_id: str) -> str | None:
        """The id of ``article_id``'s story (the article that leads it), None if
        there is no such article."""
        return self.stories().story_id(str(article_id))

    def _story_members(self, article_id: str) -> list[str]:
        """The ids of ``article_id``'s story (empty if unknown)."""
        return self.stories().members(article_id)

    def copies(self, article_id: str) -> list[Article]:
        """Every article of ``article_id``'s story, itself included, in id order.

        Empty if there is no such article.
        """
        members = self._story_members(str(article_id)) or [str(article_id)]
        found = (self.get(m) for m in members)
        return [a for a in found if a is not None]

    # -- reading ----------------------------------------------------------------------
    @reports_damage
    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        fields = self.searcher().document(id=str(article_id))
        return None if fields is None else stored_to_article(fields)

    def _whole_searcher(self) -> Searcher:
        """The searcher over every article (a sharded index: over every shard), for
        what reads the whole collection as one: similar, significant terms."""
        return self.searcher()

    @reports_damage
    def columns(self) -> DocColumns:
        """Per-document columns of the current searcher (searchcore.execution.columns)."""
        return columns_for(self.searcher())

    @reports_damage
    def __len__(self) -> int:
        return self.searcher().doc_count()

    @reports_damage
    @enforced
    def search(self, query: str, *, limit: int = 10, page: int = 1, sort: str = "relevance",
               match: str = "all", lenient: bool = False, source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None,
               since: datetime | str | None = None, until: datetime | str | None = None,
               language: str | Sequence[str] | None = None,
               ranking: RankingConfig | None = None, snippets: int = 3,
               exact_total: bool = True, now: datetime | None = None,
               facets: Sequence[str] | None = None,
               facet_limit: int = DEFAULT_FACET_LIMIT,
               budget: QueryBudget | None = None, collapse: bool = False,
               suggest: bool = True, after: str | None = None) -> Results:
        """Search; see the README for the query language.

        ``suggest``: set ``Results.suggestion`` when a query word is absent from the
        index or far rarer than a close neighbour (:mod:`searchcore.news.suggest`).
        ``collapse=True``: one hit per story (the best-ranked copy), the story's other
        matching copies in ``hit.copies``; ``total`` counts stories and
        ``total_articles`` articles (both lower bounds when pruned, as below); with
        ``after`` the stories after the cursor's.

        ``source``/``category``/``since``/``until``/``language`` filter without
        changing scores (``language`` takes codes or names: ``"de"``, ``"German"``).
        ``sort`` is ``relevance``, ``newest`` or ``oldest``. ``snippets`` is the
        maximum number of fragments per hit (0 for none). ``lenient=True`` never
        raises on syntax: what cannot be parsed is read as plain words. ``facets``
        names counts over every match to return in ``Results.facets``
        (:mod:`searchcore.news.facets`), at most ``facet_limit`` values each. ``budget``
        bounds the query's length, clauses, expansions, results and time
        (:class:`~searchcore.query.budget.QueryBudget`; over one: ``QueryLimitError``).
        ``after``: a ``Results.next_cursor``; the page is then the ``limit`` hits
        after it (``page`` must stay 1), however deep (:mod:`searchcore.news.export`).
        Ties (equal scores or dates) are ordered by article id
        (:mod:`searchcore.execution.order`). ``exact_total=False`` lets an OR query
        sorted by relevance skip what cannot make the page (MaxScore,
        :mod:`searchcore.execution.topk`; the same hits and scores): ``total`` is then
        a lower bound, ``total_is_exact`` False. Facets, ``after`` and date sorts
        count every match regardless.
        """
        started = time.perf_counter()
        facet_names, request = checked_request(
            query, facets=facets, facet_limit=facet_limit, after=after, collapse=collapse,
            limit=limit, page=page, sort=sort, match=match, lenient=lenient, source=source,
            category=category, since=since, until=until, ranking=ranking, snippets=snippets,
            exact_total=exact_total, now=now)
        parts = self._search_parts(request)
        try:
            plan = _pipeline.plan_search(
                request, parts.schema, parts.languages(language), language=language,
                facets=facet_names, facet_limit=facet_limit, after=after, collapse=collapse,
                arrays=self.array_execution, parts=len(parts.parts))
            return _pipeline.run(plan, parts.parts, started, found=parts.execute(plan),
                                 suggestion=partial(parts.suggest, query) if suggest else None)
        finally:
            parts.close()

    def _search_parts(self, request: SearchRequest) -> _pipeline.Parts:
        """What :meth:`search` runs on: this index's searcher, one part."""
        base = self.searcher()
        return _pipeline.Parts(
            [_pipeline.Part(_pipeline.scoring_searcher(base, request.ranking, request.now), base,
                            stories=lambda: _collapse().story_codes(base, self._stories_for(base)))],
            languages=partial(_query_languages, base),
            suggest=lambda text: _suggest.suggest(base, text))

    @reports_damage
    def similar(self, article_id: str | None = None, *, text: str | None = None,
                limit: int = 10, page: int = 1, source: str | Sequence[str] | None = None,
                category: str | Sequence[str] | None = None,
                since: datetime | str | None = None, until: datetime | str | None = None,
                snippets: int = 3, now: datetime | None = None) -> Results:
        """Articles like ``article_id`` (or like ``text``): more like this.

        The query is the seed's most distinctive terms (:mod:`searchcore.news.similar`);
        the seed and every copy of its story are never returned. Filters and paging
        as in :meth:`search`. ``Results.query`` lists the terms used.
        """
        started = time.perf_counter()
        if (article_id is None) == (text is None):
            raise SearchcoreError("similar() needs an article id or text (one of them)")
        if limit < 1 or page < 1:
            raise SearchcoreError(f"limit and page must be at least 1 (got limit={limit}, page={page})")
        now = now or datetime.now(timezone.utc)
        searcher = self._whole_searcher()
        excluded: set[str] = set()
        if article_id is not None:
            seed = self.get(str(article_id))
            if seed is None:
                raise SearchcoreError(f"no article with id {str(article_id)!r} in {str(self.path)!r}")
            # The seed's words as it was analysed (its language's stems and tags).
            text = document_text(f"{seed.title}\n\n{seed.body}", seed.language)
            excluded = set(self._story_members(seed.id)) | {seed.id}
        terms = _similar().distinctive_terms(searcher, text or "", in_index=article_id is not None)
        label = "more like this: " + " ".join(t for t, _ in terms)
        q = _similar().like_query(terms, DEFAULT_RANKING.field_weights)
        allowed = self._filter(searcher, source, category, *_date_bounds(since, until, now))
        if not terms or (allowed is not None and not allowed):
            return Results(query=label, total=0, page=page, limit=limit,
                           elapsed_ms=(time.perf_counter() - started) * 1000.0)
        offset = (page - 1) * limit
        found, total, exact = _similar().rank_similar(searcher, q, allowed, excluded, offset,
                                                      limit)
        analyzer = searcher.schema["body"].analyzer
        hits = [_hit(rank, score, searcher.stored_fields(docnum) if snippets
                     else display_fields(searcher, docnum), q, analyzer, snippets)
                for rank, (docnum, score) in enumerate(found, offset + 1)]
        return Results(query=label, total=total, page=page, limit=limit,
                       elapsed_ms=(time.perf_counter() - started) * 1000.0, hits=tuple(hits),
                       total_is_exact=exact)

    def _match_set(self, query: str, *, match: str = "all", lenient: bool = False,
                   source: str | Sequence[str] | None = None,
                   category: str | Sequence[str] | None = None,
                   since: datetime | str | None = None, until: datetime | str | None = None,
                   now: datetime | None = None, language: str | Sequence[str] | None = None,
                   ) -> tuple[Searcher, wq.Query, set[int] | None]:
        """``(searcher, parsed query, allowed)``: what the news tools need to find every match."""
        now = now or datetime.now(timezone.utc)
        searcher = self._whole_searcher()
        q = parse_query(query, searcher.schema, match=match, lenient=lenient,
                        field_weights=DEFAULT_RANKING.field_weights, now=now,
                        languages=_query_languages(searcher, language))
        return searcher, flatten(q), self._filter(searcher, source, category,
                                                  *_date_bounds(since, until, now),
                                                  language=language)

    @reports_damage
    def timeline(self, query: str, by: str = "month", **filters: Any) -> "Timeline":
        """How many matches per ``by`` (day, week, month, year); see :mod:`searchcore.news.timeline`.

        ``filters``: ``match``, ``lenient``, ``source``, ``category``, ``language``,
        ``since``, ``until``, ``now``, as in :meth:`search`.
        """
        from searchcore.news.timeline import timeline

        return timeline(query, by, *self._match_set(query, **filters))

    @reports_damage
    def significant_terms(self, query: str, *, limit: int = 20, sample: int = 1000,
                          min_count: int = 3, phrases: bool = True,
                          **filters: Any) -> "SignificantTerms":
        """Words and two-word phrases typical of the matches against the whole index.

        See :mod:`searchcore.news.terms` (log-likelihood, surface forms, sampling);
        ``filters`` as in :meth:`search`.
        """
        from searchcore.news.terms import significant_terms

        return significant_terms(query, *self._match_set(query, **filters), limit=limit,
                                 sample=sample, min_count=min_count, phrases=phrases)

    @reports_damage
    def scan(self, query: str, *, sort: str = "relevance",
             fields: Sequence[str] | str | None = None, **filters: Any) -> "Scan":
        """Every match of ``query`` as an article dict, in ``sort`` order, one at a time.

        The keys are those of ``searchcore show --json`` (``Article.to_dict()``), or
        only ``fields``; ``filters`` as in :meth:`search` (``match``, ``source``, ...).
        Memory stays flat however many match (see :mod:`searchcore.news.export`);
        ``len()`` of the returned iterator is how many it yields.
        """
        return scan_articles(*self._match_set(query, **filters), sort=sort, fields=fields)

    def _filter(self, searcher: Searcher, source: str | Sequence[str] | None,
                category: str | Sequence[str] | None, since: datetime | None,
                until: datetime | None,
                language: str | Sequence[str] | None = None) -> set[int] | None:
        """The document numbers the filters allow, or None when there are none
        (:func:`searchcore.execution.pipeline.filter_docnums`)."""
        return filter_docnums(searcher, source, category, since, until, language)

    @reports_damage
    def stats(self) -> dict[str, Any]:
        """Documents, terms, size on disk, sources, date range, the articles' languages
        (``languages``) and the analysis's default (``language``), format version."""
        # Sources and dates come from the per-document columns, not the stored
        # articles: reading every article took 1.9 s on Reuters (19k) for two facts.
        import numpy as np

        from searchcore.execution.columns import columns_for

        searcher = self.searcher()
        reader = searcher.reader()
        gen_dir = self._generation_dir()
        size = sum(p.stat().st_size for p in gen_dir.iterdir() if p.is_file())
        cols = columns_for(searcher)

        def tally(coded: Any) -> dict[str, int]:
            """Live documents per value of a coded column, most first ("": none)."""
            codes = coded.codes[cols.live]
            counts = np.bincount(codes[codes >= 0], minlength=len(coded.vocab))
            found = {name: int(n) for name, n in zip(coded.vocab, counts) if n}
            if (codes < 0).any():
                found[""] = int((codes < 0).sum())
            return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

        published = cols.published_us[cols.live & cols.dated]
        dates = ([_EPOCH + timedelta(microseconds=int(published.min())),
                  _EPOCH + timedelta(microseconds=int(published.max()))]
                 if len(published) else [])
        terms = {name: sum(1 for _ in reader.lexicon(name)) for name in ("title", "body")}
        return {
            "path": str(self.path), "documents": reader.doc_count(),
            "deleted": reader.doc_count_all() - reader.doc_count(),
            "terms": terms, "size_bytes": size, "segments": segment_count(self.whoosh_index),
            "sources": tally(cols.source), "languages": tally(cols.language),
            "date_range": [dates[0].isoformat(), dates[1].isoformat()] if dates else None,
            "language": self.language, "format_version": self._manifest["format_version"],
            "generation": self._manifest["generation"], "created": self._manifest.get("created"),
            "updated": self._manifest.get("updated"), "analyzer": self._manifest.get("analyzer"),
        }


def _write_batch(ix: whoosh_index.Index, articles: Sequence[Article],
                 progress: Callable[[int], None] | None) -> None:
    """Replace-or-add ``articles`` (unique ids) in ``ix`` and commit once.

    Big batches go through the bulk writer (:func:`_write_bulk`). Small batches use
    whoosh's writer, whose commit also merges small segments; after a bulk add,
    :func:`_merge_smallest` runs once there are more than ``MAX_SEGMENTS``, so many
    adds do not pile up segments (each costs a little on every query).

    A bulk add of several batches (segments) writes their run
    (:func:`searchcore.execution.runs.write_added_run`), searched as one segment.

    Segments are written as separate files, not whoosh's compound file: opening a
    compound segment copies every part of it into memory (``BufferFile`` wraps the
    mmap in a ``BytesIO``), 4.4 GB for a 1M-article index; separate files are read
    from the page cache on demand.
    """
    from searchcore.execution import runs

    before: set[str] | None = None
    if len(articles) >= FAST_WRITE_MIN:
        before = runs.segment_ids(ix)
        _write_bulk(ix, articles, progress)
        if len(_to_merge(index_segments(ix))) > 1:
            ix.writer(limitmb=MERGE_POOL_MB, compound=False).commit(mergetype=_merge_smallest)
    else:
        # A larger in-memory posting pool avoids spilling sorted runs to disk.
        writer = ix.writer(limitmb=256, compound=False)
        try:
            for done, article in enumerate(articles, 1):
                writer.update_document(**to_document(article))
                if progress is not None:
                    progress(done)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    write_missing(ix)          # columns of segments whoosh's writer made (or merged)
    if before is not None:     # a segment per batch: searched as one, as a build's are
        runs.write_added_run(ix, before)


def _write_bulk(ix: whoosh_index.Index, articles: Sequence[Article],
                progress: Callable[[int], None] | None) -> None:
    """Write ``articles`` with :class:`~searchcore.index.fastwriter.FastWriter`, commit once.

    Several times faster than whoosh's writer, with identical postings and scores.
    The ids they replace are looked up with one searcher and deleted first, instead
    of whoosh's searcher-per-document ``update_document``. A writer holds its
    segment's postings in memory, so the batch is written as one segment per
    :data:`~searchcore.index.build.CHUNK_DOCS` articles (the build's batches), all
    listed by the one commit: memory follows the chunk, not the batch.
    """
    from searchcore.index.build import batch_bounds
    from searchcore.index.fastwriter import FastWriter
    from searchcore.index.heap import release_free_memory
    from searchcore.index.parallel import write_range

    writer = FastWriter(ix, compound=False)           # holds whoosh's lock until commit
    try:
        with writer.searcher() as searcher:
            stale = [n for a in articles for n in searcher.document_numbers(id=a.id)]
        for docnum in stale:
            writer.delete_document(docnum)
        bounds = batch_bounds(articles)
        earlier = []
        for start, end in bounds[:-1]:
            earlier.append(write_range(ix, articles, start, end,
                                       None if progress is None else _offset(progress, start)))
            release_free_memory()          # the chunk's postings (index/heap.py)
        add = writer.add_document
        for done in range(bounds[-1][0], len(articles)):
            add(**to_document(articles[done]))
            if progress is not None:
                progress(done + 1)
    except BaseException:
        writer.cancel()
        raise
    # whoosh appends the writer's own segment (the last chunk) after these.
    writer.commit(mergetype=lambda _writer, segments: segments + earlier)


def _query_languages(searcher: Searcher,
                     language: str | Sequence[str] | None) -> QueryLanguages | None:
    """The languages to analyse a query in: the index's, or those ``language=`` keeps."""
    codes = [language] if isinstance(language, str) else list(language or ())
    return index_languages(searcher, [normalize_language(c) for c in codes if c])


def _offset(progress: Callable[[int], None], base: int) -> Callable[[int], None]:
    return lambda done: progress(base + done)


def _merge_smallest(writer: writing.SegmentWriter, segments: list[Any]) -> list[Any]:
    """Merge policy: fold the segments :func:`_to_merge` picks into the writer's one."""
    smallest = _to_merge(segments)
    for segment in smallest:
        reader = open_segment_reader(writer, segment)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg not in smallest]


def _to_merge(segments: list[Any]) -> list[Any]:
    """The segments a bulk add folds into one: over :data:`MAX_SEGMENTS`, the smallest,
    leaving ``MAX_SEGMENTS // 2``, but never more than
    :data:`~searchcore.index.build.CHUNK_DOCS` documents at once (fewer than two: none).

    whoosh's MERGE_SMALL only merges segments below Fibonacci sizes, so equal-sized
    bulk segments (many adds of a few hundred articles) would never merge.

    The bound: what a merge holds grows with the segment it makes (whoosh's posting
    pool, then the side arrays :func:`~searchcore.execution.columns.write_missing`
    builds for it), so a merged segment is at most a build batch, and a full build's
    segments (a batch each) are not merged again. Folding a 1M-article build's 16
    smallest segments into one after a 12k add grew past 1.3 GB; now the add's
    segment waits for the next small one.
    """
    from searchcore.index.build import CHUNK_DOCS

    if len(segments) <= MAX_SEGMENTS:
        return []
    smallest: list[Any] = []
    docs = 0
    for segment in sorted(segments, key=lambda seg: seg.doc_count_all()):
        if len(segments) - len(smallest) <= MAX_SEGMENTS // 2:
            break
        docs += segment.doc_count_all()
        if docs > CHUNK_DOCS:
            break
        smallest.append(segment)
    return smallest if len(smallest) > 1 else []


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def stored_to_article(fields: Mapping[str, Any]) -> Article:
    """Rebuild an :class:`Article` from whoosh's stored fields."""
    return Article(**stored_to_dict(fields))


def stored_to_dict(fields: Mapping[str, Any]) -> dict[str, Any]:
    """whoosh's stored fields as ``Article.to_dict()`` would give them, without the Article."""
    get = fields.get
    return {"id": fields["id"], "title": get("title", ""), "body": get("body", ""),
            "published": _aware(get("published")), "source": get("source", ""),
            "url": get("url", ""), "authors": list(get("authors") or ()),
            "category": list(get("category") or ()), "language": get("language", ""),
            "extra": dict(get("extra") or {})}
