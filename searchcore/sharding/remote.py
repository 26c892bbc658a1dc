"""A sharded search run on a Dask cluster's workers: dfs, then query, then fetch here.

``open_index(path, scheduler="tcp://head:8786")`` opens a sharded index whose searches
run each shard's part on the cluster (Elasticsearch's ``dfs_query_then_fetch`` in two
rounds of Dask tasks, one task per shard):

1. **dfs**: every shard's task returns its statistics for the query -- document
   counts, field lengths, the document frequency of every term of the query that
   the shard has (prefixes and wildcards expanded over its terms), and each fuzzy
   word's expansions (:func:`shard_statistics`). This process sums them into one
   :class:`~searchcore.scoring.stats.CollectionStats`, the numbers one index of
   every shard's articles would have.
2. **query**: every shard's task runs :func:`searchcore.execution.pipeline.execute`
   on its shard, scoring with those statistics, and returns its top hits as
   ``(sort key, article id, shard, docnum, score)``, its total and facet counts
   (:func:`search_shard`).
3. **fetch**: here, the parts' lists are merged and stored fields are read for the
   final page only (:func:`searchcore.execution.pipeline.run`), from this process's
   own view of the shards.

Each worker keeps the shards it has opened (:data:`_OPEN`, per process, keyed by
index path, generation and shard), so a search costs the task round trips and the
work, not opening an index; the task of shard ``k`` is sent to worker ``k mod n``
first, so each worker opens few shards. A worker holds a reader guard on the
generation it reads, and drops its shards of an older generation when asked for a
newer one (after a rebuild's switch).

Shared storage, again: the workers open the shards at the path this process uses,
so the index must be on storage every worker sees at that path. It is checked when
the index is opened (every worker reads the manifest and the shard folders) and a
shard a worker cannot read is a :class:`~searchcore.errors.ClusterError` naming it.

The same answers as the in-process sharded search, and as one index of the same
articles: the statistics are the same sums, and the parts run the same code.

The search's :class:`~searchcore.query.budget.QueryBudget` holds on the workers too:
each task gets the limits and the seconds the client had left when it sent them, so
a fuzzy word that expands past ``max_expansions`` or a query past its time limit
raises the same :class:`~searchcore.errors.QueryLimitError` (pickled whole) as one
index would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from searchcore import layout
from searchcore.errors import ClusterError, SearchcoreError
from searchcore.execution.pipeline import Part, PartHits, SearchPlan, execute
from searchcore.query import budget
from searchcore.query.budget import QueryBudget
from searchcore.query.fuzzy import WeightedFuzzyTerm
from searchcore.scoring.ranking import weighting
from searchcore.scoring.stats import CollectionStats, StatsSearcher, fuzzy_key
from searchcore.sharding.search import ShardSet
from searchcore.whoosh_boundary.terms import existing_terms, expanded_words

if TYPE_CHECKING:
    from searchcore.sharding.index import ShardedIndex, ShardIndex

_SHARED = ("a search on a Dask cluster opens each shard on a worker, so the index must be "
           "on storage that every worker and this process see at the same path (a shared "
           "filesystem)")


class RemoteParts(ShardSet):
    """A :class:`ShardSet` whose parts run on the workers of ``ix``'s Dask client."""

    def __init__(self, ix: "ShardedIndex", client: Any, scheduler: str, request: Any) -> None:
        super().__init__(ix, request.ranking, request.now)
        self.client = client
        self.scheduler = scheduler
        self.where = str(Path(ix.path).absolute())
        self.manifest = dict(ix._manifest)
        self.names = [shard.shard for shard in self.shards]

    def execute(self, plan: SearchPlan) -> list[PartHits]:
        client = self.client
        limits = _limits()
        workers = _workers(client)
        place = [dict(workers=[workers[k % len(workers)]], allow_other_workers=True)
                 if workers else {} for k in range(len(self.names))]
        stats = CollectionStats(documents=0, field_lengths={})
        if plan.request.sort == "relevance":
            # Round 1 (dfs): each shard's statistics for this query, summed here.
            found = _gather(client, self.scheduler, [
                client.submit(shard_statistics, self.where, self.manifest, name, plan.flat,
                              limits, pure=False, **place[k])
                for k, name in enumerate(self.names)])
            stats = combine(found)
        # Round 2 (query): each shard's top hits, scored with the collection's numbers.
        return _gather(client, self.scheduler, [
            client.submit(search_shard, self.where, self.manifest, name, k, plan, stats,
                          limits, pure=False, **place[k])
            for k, name in enumerate(self.names)])


def _limits() -> tuple[QueryBudget, bool, str, float] | None:
    """The budget of the search in progress, for a worker: ``(budget, lenient, query,
    seconds left)``, None outside a search."""
    spend = budget.current()
    if spend is None:
        return None
    return (spend.budget, spend.lenient, spend.query,
            max(spend.deadline - time.perf_counter(), 0.0))


@contextlib.contextmanager
def _within(limits: tuple[QueryBudget, bool, str, float] | None) -> Iterator[None]:
    """On a worker: charge the client's budget, with the seconds it had left."""
    if limits is None:
        yield
        return
    chosen, lenient, query, seconds = limits
    with budget.spending(dataclasses.replace(chosen, seconds=seconds), lenient, query):
        yield


def combine(parts: Sequence[dict[str, Any]]) -> CollectionStats:
    """One collection's statistics from each shard's :func:`shard_statistics`."""
    frequencies: dict[tuple[str, bytes], int] = {}
    lengths: dict[str, float] = {}
    expansions: dict[tuple[str, str, int, int], set[str]] = {}
    for part in parts:
        for term, df in part["frequencies"].items():
            frequencies[term] = frequencies.get(term, 0) + df
        for name, length in part["field_lengths"].items():
            lengths[name] = lengths.get(name, 0) + length
        for key, words in part["expansions"].items():
            expansions.setdefault(key, set()).update(words)
    return CollectionStats(
        documents=sum(p["documents"] for p in parts), field_lengths=lengths,
        frequencies=frequencies, lookup=None, live=sum(p["live"] for p in parts),
        expansions={key: tuple(sorted(words)) for key, words in expansions.items()})


# -- what runs on the workers ---------------------------------------------------------------

#: Per worker process: ``(index path, generation, shard) -> (ShardIndex, its searcher)``.
_OPEN: dict[tuple[str, str, str], "ShardIndex"] = {}
#: Per worker process: ``(index path, generation) -> the reader guard held on it``.
_GUARDS: dict[tuple[str, str], layout.ReaderGuard] = {}
_LOCK = threading.Lock()


def open_shard(path: str, manifest: dict[str, Any], name: str) -> "ShardIndex":
    """The shard ``name`` of generation ``manifest['generation']``, opened once per
    worker process; shards of other generations of the same index are closed."""
    from searchcore.sharding.index import ShardIndex

    generation = manifest["generation"]
    key = (path, generation, name)
    with _LOCK:
        shard = _OPEN.get(key)
        if shard is not None:
            return shard
        for (p, g, n) in list(_OPEN):
            if p == path and g != generation:
                _OPEN.pop((p, g, n)).close()
        for (p, g) in list(_GUARDS):
            if p == path and g != generation:
                _GUARDS.pop((p, g)).release()
        try:
            if (path, generation) not in _GUARDS:
                _GUARDS[(path, generation)] = layout.ReaderGuard(Path(path) / generation)
            shard = ShardIndex(Path(path), manifest, name)
        except (OSError, SearchcoreError) as exc:
            raise ClusterError(_unreadable(path, generation, name, exc)) from None
        _OPEN[key] = shard
        return shard


def _unreadable(path: str, generation: str, name: str, exc: BaseException) -> str:
    where = os.path.join(path, generation, name)
    return (f"Dask worker {_worker_name()} cannot read the shard {where!r} "
            f"({type(exc).__name__}: {exc}); {_SHARED}")


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def shard_statistics(path: str, manifest: dict[str, Any], name: str, flat: Any,
                     limits: tuple[QueryBudget, bool, str, float] | None = None
                     ) -> dict[str, Any]:
    """Runs on a worker: the shard's numbers for ``flat`` (see the module docstring),
    expanding prefix and fuzzy words within the search's budget (``limits``)."""
    with _within(limits):
        return _shard_statistics(path, manifest, name, flat)


def _shard_statistics(path: str, manifest: dict[str, Any], name: str,
                      flat: Any) -> dict[str, Any]:
    base = open_shard(path, manifest, name).searcher()
    reader = base.reader()
    schema = base.schema
    scorable = [n for n in schema.names() if schema[n].scorable]
    terms = existing_terms(flat, reader)
    expansions = {}
    for leaf in flat.leaves():
        if isinstance(leaf, WeightedFuzzyTerm):
            expansions[fuzzy_key(leaf)] = tuple(expanded_words(leaf, reader))
    return {"documents": reader.doc_count_all(), "live": reader.doc_count(),
            "field_lengths": {n: reader.field_length(n) for n in scorable},
            "frequencies": {t: reader.doc_frequency(*t) for t in terms},
            "expansions": expansions}


def search_shard(path: str, manifest: dict[str, Any], name: str, number: int,
                 plan: SearchPlan, stats: CollectionStats,
                 limits: tuple[QueryBudget, bool, str, float] | None = None) -> PartHits:
    """Runs on a worker: ``plan`` on shard ``name``, scored with ``stats``, within the
    search's budget (``limits``: the time the client had left, the expansion limits)."""
    from searchcore.sharding import stories

    shard = open_shard(path, manifest, name)
    base = shard.searcher()
    r = plan.request
    searcher = StatsSearcher(base.reader(), stats, weighting(r.ranking, r.now))
    try:
        with _within(limits):
            return execute(Part(searcher, base, number,
                                stories=lambda: stories.story_codes(shard, number, base)),
                           plan)
    finally:
        searcher.close()


def probe_shards(path: str, generation: str, names: Sequence[str]) -> str | None:
    """Runs on every worker when the index is opened: None, or what it cannot read."""
    try:
        manifest = layout.read_manifest(Path(path))
    except (OSError, SearchcoreError) as exc:
        return f"cannot read the index at {path!r} ({exc})"
    if manifest.get("generation") != generation:
        return None                           # switched meanwhile: the next search says
    for name in names:
        folder = Path(path) / generation / name
        if not folder.is_dir():
            return f"cannot see the shard folder {str(folder)!r}"
    return None


# -- the client -------------------------------------------------------------------------------

def connect(ix: "ShardedIndex", scheduler: str) -> tuple[Any, contextlib.ExitStack]:
    """Connect ``ix`` to the Dask scheduler at ``scheduler`` and check that every
    worker sees its shards: ``(client, what closes the connection)``."""
    from searchcore.sharding.cluster import cluster_errors, dask_client

    stack = contextlib.ExitStack()
    try:
        client = stack.enter_context(dask_client(scheduler))
        with cluster_errors(scheduler, "the open", "the index was not opened"):
            answers = client.run(probe_shards, str(Path(ix.path).absolute()),
                                 ix._manifest["generation"], ix._manifest["shards"]["names"])
        for worker, problem in sorted(answers.items()):
            if problem:
                raise ClusterError(f"Dask worker {worker} {problem}; {_SHARED}")
        if not answers:
            raise ClusterError(f"the Dask scheduler at {scheduler!r} has no workers")
    except BaseException:
        stack.close()
        raise
    return client, stack


def _workers(client: Any) -> list[str]:
    return sorted(client.scheduler_info().get("workers", {}))


def _gather(client: Any, scheduler: str, futures: list[Any]) -> list[Any]:
    from searchcore.sharding.cluster import cluster_errors

    with cluster_errors(scheduler, "a search", "the search was not finished"):
        return list(client.gather(futures))
