"""``ShardedIndex``: the :class:`~searchcore.Index` API over the shards of one generation.

``open_index`` returns one for a manifest with ``shards``. Each shard is opened as a
:class:`ShardIndex` -- an ordinary :class:`~searchcore.Index` over the folder
``gen-N/shard-KKK`` whose lock and manifest are the whole index's -- so everything a
generation has (searcher reuse, columns, stories, damage reports, writes) works per
shard unchanged; this class routes and merges:

* reads by id (``get``) and writes (``add``, ``delete``) go to the shard
  :func:`~searchcore.sharding.routing.shard_of` names, under the one ``write.lock``;
  after a write's shard commits, the stories across shards catch up
  (:mod:`searchcore.sharding.stories`), and ``copies`` reads them;
* ``search``, ``timeline``, ``scan`` fan out over every shard and merge
  (:mod:`searchcore.sharding.search`), ranking with statistics summed over shards;
* ``stats`` reports per shard and in total.

A reader holds one :class:`~searchcore.layout.ReaderGuard` on the generation folder
(not one per shard), so a rebuild removes the old set of shards only once no reader
holds any of it, and a reader follows a switch to the new set all at once.

Writes are committed shard by shard: an ``add`` whose articles route to three shards
makes three commits, so a reader that searches in between can see some of the batch
and not the rest (each shard's part is still all or nothing). A full rebuild is the
atomic way to change many articles at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from searchcore import layout
from searchcore.article import Article, normalize_article
from searchcore.engine import DEFAULT_LOCK_TIMEOUT, Index
from searchcore.errors import IndexFormatError, SearchcoreError
from searchcore.sharding import search as _search
from searchcore.sharding import stories
from searchcore.sharding.routing import ROUTING, shard_of

if TYPE_CHECKING:
    from searchcore.news.export import Scan
    from searchcore.query.request import SearchRequest
    from searchcore.news.timeline import Timeline


class ShardIndex(Index):
    """One shard: an :class:`Index` over ``gen-N/shard-KKK`` of the index at ``path``.

    It never follows a manifest switch itself (its :class:`ShardedIndex` does, for
    every shard at once) and never writes the manifest (the sharded index records
    the counts of all shards in one write).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], name: str) -> None:
        self.shard = name
        self._fixed_manifest = manifest
        #: The stories across shards of its generation; a ShardedIndex gives all its
        #: shards one (searchcore.sharding.stories.StateCache).
        self.collection_cache = stories.StateCache()
        super().__init__(path)

    def _read_manifest(self) -> dict[str, Any]:
        return self._fixed_manifest

    def _generation_dir(self) -> Path:
        return self.path / self._manifest["generation"] / self.shard

    def _reader_guard(self, folder: Path) -> layout.ReaderGuard | None:
        return None                              # the ShardedIndex guards the generation

    def _follow_switch(self) -> None:
        return

    def _record_count(self) -> None:
        return

    def __repr__(self) -> str:
        return f"<searchcore.ShardIndex {str(self.path)!r} {self._manifest['generation']}/{self.shard}>"


class ShardedIndex(Index):
    """An open sharded index: the :class:`~searchcore.Index` methods, over every shard."""

    def __init__(self, path: Path, scheduler: str | None = None) -> None:
        self.path = Path(path)
        self._manifest = layout.read_manifest(self.path)
        self._manifest_stamp: tuple[int, int] | None = None
        self._guard: layout.ReaderGuard | None = None
        self.shards: list[ShardIndex] = []
        #: Run searches on the side arrays (False: whoosh's matchers, the reference).
        self.array_execution = True
        #: The Dask scheduler whose workers run the shards' parts of a search (None:
        #: this process), and its client (:mod:`searchcore.sharding.remote`).
        self.scheduler = scheduler
        self._dask: Any = None
        self._dask_stack: Any = None
        self._whole: tuple[tuple[Any, ...], Any] | None = None
        self._open_shards()
        if scheduler:
            from searchcore.sharding import remote

            try:
                self._dask, self._dask_stack = remote.connect(self, scheduler)
            except BaseException:
                self._close_shards()
                raise

    # -- opening, generations ---------------------------------------------------------
    def _open_shards(self) -> None:
        manifest = self._manifest
        info = manifest.get("shards")
        if not info:
            raise IndexFormatError(f"{str(self.path)!r} is not a sharded index")
        if info.get("routing") != ROUTING:
            raise IndexFormatError(
                f"index at {str(self.path)!r} routes ids by {info.get('routing')!r}, which "
                f"this searchcore does not know; upgrade searchcore or "
                + layout.REBUILD_HINT.format(path=self.path))
        guard = layout.ReaderGuard(self.path / manifest["generation"])
        opened: list[ShardIndex] = []
        cache = stories.StateCache()
        try:
            for name in info["names"]:
                opened.append(ShardIndex(self.path, manifest, name))
                opened[-1].collection_cache = cache
        except BaseException:
            for shard in opened:
                shard.close()
            guard.release()
            raise
        self._close_shards()
        self.shards, self._guard, self._stories_cache = opened, guard, cache
        self._manifest_stamp = self._stamp()

    def _close_shards(self) -> None:
        self._whole = None
        for shard in self.shards:
            shard.close()
        self.shards = []
        if self._guard is not None:
            self._guard.release()
            self._guard = None

    def _follow_switch(self) -> None:
        """Move to the new set of shards if a rebuild switched the manifest."""
        if self._stamp() == self._manifest_stamp:
            return
        manifest = layout.read_manifest(self.path)
        if manifest.get("shards") is None:
            raise SearchcoreError(
                f"the index at {str(self.path)!r} was rebuilt without shards; open it again")
        if manifest["generation"] != self._manifest["generation"]:
            self._manifest = manifest
            self._open_shards()
        else:
            self._manifest = manifest
            for shard in self.shards:
                shard._manifest = shard._fixed_manifest = manifest
            self._manifest_stamp = self._stamp()

    def live_shards(self) -> list[ShardIndex]:
        """The shards of the live generation (after following a rebuild's switch)."""
        self._follow_switch()
        if not self.shards:
            raise SearchcoreError("index is closed")
        return self.shards

    def shard_for(self, article_id: str) -> ShardIndex:
        """The shard that holds (or would hold) the article ``article_id``."""
        shards = self.live_shards()
        return shards[shard_of(str(article_id), len(shards))]

    @property
    def whoosh_index(self) -> Any:
        raise SearchcoreError(f"{str(self.path)!r} is a sharded index: it has one whoosh "
                              "index per shard (ix.shards[k].whoosh_index)")

    def searcher(self) -> Any:
        raise SearchcoreError(f"{str(self.path)!r} is a sharded index: it has one searcher "
                              "per shard (ix.shards[k].searcher())")

    def columns(self) -> Any:
        raise SearchcoreError(f"{str(self.path)!r} is a sharded index: columns are per shard "
                              "(ix.shards[k].columns())")

    def _whole_searcher(self) -> Any:
        """One whoosh searcher over every shard's segments (a ``MultiReader`` of them):
        document frequencies, counts and field lengths are the sums, so what reads the
        collection as one index -- ``similar``, significant terms, "did you mean" --
        answers as one index of the same articles would (ties by article id; what
        samples or picks "the first" article does so in shard order). Kept until a
        shard's searcher changes."""
        from whoosh.reading import MultiReader
        from whoosh.searching import Searcher

        from searchcore.scoring.ranking import DEFAULT_RANKING, weighting
        from searchcore.whoosh_boundary.segments import leaf_readers

        bases = tuple(shard.searcher() for shard in self.live_shards())
        if self._whole is not None and all(a is b for a, b in zip(self._whole[0], bases)) \
                and len(self._whole[0]) == len(bases):
            return self._whole[1]
        leaves = [reader for base in bases for reader, _ in leaf_readers(base)]
        searcher = Searcher(MultiReader(leaves), weighting=weighting(DEFAULT_RANKING),
                            closereader=False)
        self._whole = (bases, searcher)
        return searcher

    def _collection_stories(self) -> Any:
        """The stories across shards (None: an index built before them)."""
        self.live_shards()
        found = self._stories_cache.get(self._generation_dir(),
                                        self._manifest["shards"]["names"])
        return found if found.exists else None

    def _story_members(self, article_id: str) -> list[str]:
        """The ids of ``article_id``'s story in every shard (for an index built before
        the stories across shards, in its own shard)."""
        found = self._collection_stories()
        if found is None:
            return self.shard_for(article_id).stories().members(article_id)
        return found.store.members(str(article_id))

    def story_id(self, article_id: str) -> str | None:
        """:meth:`Index.story_id` across shards."""
        found = self._collection_stories()
        if found is None:
            return self.shard_for(article_id).story_id(article_id)
        return found.store.story_id(str(article_id))

    def _sync_stories(self) -> None:
        """After the shards' commits (under the write lock): the stories across shards."""
        stories.sync(self._generation_dir(), self._manifest["shards"]["names"])

    def stories(self) -> Any:
        raise SearchcoreError(f"{str(self.path)!r} is a sharded index: its stories are "
                              "searchcore.sharding.stories.CollectionStories; "
                              "ix.copies(ID) lists a story's articles")

    def close(self) -> None:
        self._close_shards()
        if self._dask_stack is not None:
            self._dask_stack.close()
            self._dask = self._dask_stack = None

    def __repr__(self) -> str:
        return (f"<searchcore.ShardedIndex {str(self.path)!r} {self._manifest.get('generation')} "
                f"{len(self.shards)} shards>")

    # -- writing ----------------------------------------------------------------------
    def add(self, articles: Iterable[Mapping[str, Any] | Article], *,
            timeout: float = DEFAULT_LOCK_TIMEOUT,
            progress: Any = None) -> int:
        """Add or replace (by id) ``articles``, each in the shard its id routes to.

        Validated first as :meth:`Index.add` does (one bad record: nothing written);
        then one commit per shard touched (see the module docstring).
        """
        batch: dict[str, Article] = {}
        for number, record in enumerate(articles, 1):
            article = normalize_article(record, origin=f"article #{number}")
            batch[article.id] = article
        if not batch:
            return 0
        with layout.write_lock(self.path, timeout):
            shards = self.live_shards()
            layout.mark_written(self.path)
            parts: dict[int, list[Article]] = {}
            for article in batch.values():
                parts.setdefault(shard_of(article.id, len(shards)), []).append(article)
            done = 0
            for k in sorted(parts):
                base = done
                shards[k]._add_locked(parts[k], None if progress is None
                                      else (lambda n, base=base: progress(base + n)))
                done += len(parts[k])
            self._sync_stories()
            self._record_count()
        return len(batch)

    def delete(self, ids: Iterable[str] | str, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Delete articles by id (each in its shard); how many existed and were deleted."""
        ids = [ids] if isinstance(ids, str) else [str(i) for i in ids]
        with layout.write_lock(self.path, timeout):
            shards = self.live_shards()
            layout.mark_written(self.path)
            parts: dict[int, list[str]] = {}
            for article_id in ids:
                parts.setdefault(shard_of(article_id, len(shards)), []).append(article_id)
            deleted = sum(shards[k]._delete_locked(shards[k]._id_queries(parts[k]))
                          for k in sorted(parts))
            self._sync_stories()
            self._record_count()
        return deleted

    def delete_by_query(self, query: str, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Delete every article matching ``query`` in every shard."""
        with layout.write_lock(self.path, timeout):
            shards = self.live_shards()
            layout.mark_written(self.path)
            deleted = sum(shard._delete_locked(shard._parsed_queries(query)) for shard in shards)
            self._sync_stories()
            self._record_count()
        return deleted

    def _record_count(self) -> None:
        """Store every shard's live count and the total in the manifest (under write_lock)."""
        manifest = layout.read_manifest(self.path)
        counts = []
        for shard in self.shards:
            with shard.whoosh_index.reader() as reader:
                counts.append(reader.doc_count())
        manifest["shards"] = dict(manifest["shards"], documents=counts)
        manifest["documents"] = sum(counts)
        layout.write_manifest(self.path, manifest)
        self._manifest = manifest
        for shard in self.shards:
            shard._manifest = shard._fixed_manifest = manifest
        self._manifest_stamp = self._stamp()

    # -- reading ----------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        return self.shard_for(str(article_id)).get(str(article_id))

    def __len__(self) -> int:
        return sum(len(shard) for shard in self.live_shards())

    def stats(self) -> dict[str, Any]:
        """:meth:`Index.stats` summed over shards, with each shard's own under ``shards``."""
        per_shard = [shard.stats() for shard in self.live_shards()]
        summed: dict[str, dict[str, int]] = {"sources": {}, "languages": {}}
        for stats in per_shard:
            for key, counts in summed.items():
                for name, n in stats[key].items():
                    counts[name] = counts.get(name, 0) + n
        ranges = [s["date_range"] for s in per_shard if s["date_range"]]
        total = dict(per_shard[0])
        total.update(
            path=str(self.path),
            documents=sum(s["documents"] for s in per_shard),
            deleted=sum(s["deleted"] for s in per_shard),
            # Distinct terms are not additive across shards: the largest is a lower bound.
            terms={name: max(s["terms"][name] for s in per_shard) for name in per_shard[0]["terms"]},
            size_bytes=sum(s["size_bytes"] for s in per_shard),
            segments=sum(s["segments"] for s in per_shard),
            **{key: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
               for key, counts in summed.items()},
            date_range=[min(r[0] for r in ranges), max(r[1] for r in ranges)] if ranges else None,
            generation=self._manifest["generation"],
            updated=self._manifest.get("updated"),
            shards=[{"name": shard.shard, "documents": s["documents"], "deleted": s["deleted"],
                     "terms": s["terms"], "size_bytes": s["size_bytes"],
                     "segments": s["segments"]}
                    for shard, s in zip(self.shards, per_shard)])
        return total


    # -- searching (searchcore.sharding.search) ----------------------------------------
    def _search_parts(self, request: "SearchRequest") -> _search.ShardSet:
        """:meth:`searchcore.Index.search` runs on one part per shard, scored with the
        collection's statistics (:class:`searchcore.sharding.search.ShardSet`), or
        on the workers of the Dask scheduler given to ``open_index``
        (:class:`searchcore.sharding.remote.RemoteParts`)."""
        if self._dask is not None:
            from searchcore.sharding.remote import RemoteParts

            return RemoteParts(self, self._dask, str(self.scheduler), request)
        return _search.ShardSet(self, request.ranking, request.now)

    def timeline(self, query: str, by: str = "month", **filters: Any) -> "Timeline":
        """:meth:`searchcore.Index.timeline` over every shard."""
        return _search.timeline(self, query, by, **filters)

    def scan(self, query: str, *, sort: str = "relevance",
             fields: Sequence[str] | str | None = None, **filters: Any) -> "Scan":
        """:meth:`searchcore.Index.scan` over every shard, in the order one index gives."""
        return _search.scan(self, query, sort=sort, fields=fields, **filters)
