"""Full rebuilds and incremental imports of a searchcore index.

:func:`build_index` — a full rebuild, safe to run under live readers::

    lock write.lock  ->  write gen-N.tmp/ (fast writer, forked workers)
        ->  fsync  ->  rename gen-N.tmp -> gen-N  ->  switch searchcore.json (os.replace)
        ->  unlock after removing old generations no reader holds

(the generation transaction of :mod:`searchcore.generations`, shared with
``create_index`` and the sharded build).

Every step before the manifest switch touches only ``gen-N.tmp``/``gen-N``, which no
reader looks at, so a crash or ``kill -9`` at any moment leaves the previous
generation live and searchable; the next build (or writer) removes the debris.
Readers that opened the old generation keep it (they hold ``readers.lock`` on it) until
they move on; see :mod:`searchcore.layout`.

Language: an existing index keeps its language unless ``language=`` is given (then the
rebuild switches it); a new index defaults to English.

Speed: documents are written by :class:`~searchcore.index.fastwriter.FastWriter` with
the garbage collector paused (the build allocates millions of small objects that
never form cycles; gc passes over them cost as much as the indexing), split over
``workers`` forked processes per batch (:mod:`searchcore.index.parallel`). Batches of
at most :data:`CHUNK_DOCS` documents / :data:`CHUNK_CHARS` characters bound memory;
each batch adds one segment per worker, in input order, so documents, statistics and
scores are exactly those of a one-process whoosh build.

Duplicate ids: the last record wins and keeps the first one's place (the rule of
``Index.add`` and :func:`~searchcore.index.ingest.dedupe_last_wins`). When the two
records fall in different batches (more than :data:`CHUNK_DOCS` apart), the earlier
copy is marked deleted instead, as whoosh's ``update_document`` would do; its terms
then still count in document frequencies, like after any incremental update.

:func:`add_sources` — incremental add/replace by id into the live generation, under
the same lock, committed by whoosh in one step (all of the batch or none of it).
Deleting by id or query is :meth:`searchcore.Index.delete` /
:meth:`~searchcore.Index.delete_by_query`.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
from whoosh import index as whoosh_index

from searchcore import layout
from searchcore.generations import PAUSE_ENV, PAUSE_POINTS, new_generation, pause  # noqa: F401 (tests stop builds at PAUSE_POINTS)
from searchcore.analysis import check_language, clear_term_caches
from searchcore.article import MAX_ARTICLE_CHARS, Article
from searchcore.engine import DEFAULT_LOCK_TIMEOUT, analyzer_settings, create_index, open_index
from searchcore.errors import IndexFormatError, SearchcoreError
from searchcore.index.ingest import (IngestSummary, Skipped, count_records, dedupe_last_wins,
                                     iter_articles)
from searchcore.execution.columns import write_extra_column, write_missing
from searchcore.execution.runs import write_build_run
from searchcore.whoosh_boundary.bulk_segment import commit_segments
from searchcore.index.heap import release_free_memory
from searchcore.index.idtable import IdTable
from searchcore.index.parallel import write_segments
from searchcore.index.progress import ProgressCallback, Throttle
from searchcore.news.minhash import forget_words
from searchcore.news.stories import ROW_COLUMN
from searchcore.news.stories_build import StoryBuilder
from searchcore.schema import build_schema

__all__ = ["CHUNK_CHARS", "CHUNK_DOCS", "add_sources", "batch_bounds", "build_index"]

#: Most documents written per batch (one segment per worker per batch).
CHUNK_DOCS = 50_000
#: Most characters of title + body per batch: bounds memory for long articles.
CHUNK_CHARS = 60_000_000

def build_index(sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
                path: str | os.PathLike[str], *, language: str | None = None,
                workers: int | None = None, strict: bool = False,
                progress: ProgressCallback | None = None, format: str | None = None,
                csv_columns: Mapping[str, str | None] | None = None,
                boilerplate: Iterable[str] | None = None,
                max_chars: int = MAX_ARTICLE_CHARS,
                lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                errors: str | os.PathLike[str] | None = None,
                shards: int | None = None, scheduler: str | None = None) -> IngestSummary:
    """Rebuild the index at ``path`` from ``sources``; switch to it atomically.

    Creates the index (and the directory) if there is none. Bad records are skipped
    and counted in the returned summary; with ``strict=True`` the first one raises
    :class:`~searchcore.errors.InvalidArticleError` and the index is left exactly as
    it was. ``workers`` defaults to the number of CPUs. ``progress(done, total)`` is
    called at most ten times a second. Raises
    :class:`~searchcore.errors.IndexLockedError` if another writer holds the index
    for longer than ``lock_timeout`` seconds. ``errors`` names a file that receives
    every skipped record as a JSON line (:func:`searchcore.index.ingest.error_record`);
    the summary keeps only the first few messages.

    ``shards=N`` builds a sharded index on a Dask cluster instead (``scheduler``: a
    running scheduler's address, else a LocalCluster of ``workers`` processes); see
    :func:`searchcore.sharding.build.build_sharded`.
    """
    if shards is not None:
        from searchcore.sharding.build import build_sharded

        return build_sharded(sources, path, shards=shards, scheduler=scheduler,
                             language=language, workers=workers, strict=strict,
                             progress=progress, format=format, csv_columns=csv_columns,
                             boilerplate=boilerplate, max_chars=max_chars,
                             lock_timeout=lock_timeout, errors=errors)
    if scheduler is not None:
        raise SearchcoreError("scheduler= runs a sharded build: give shards= too")
    started = time.perf_counter()
    path = Path(path)
    workers = max(1, int(workers or os.cpu_count() or 1))
    source_list = _source_list(sources)
    if language is not None:
        language = check_language(language)
    _check_target(path)
    path.mkdir(parents=True, exist_ok=True)
    summary = IngestSummary()
    throttle = Throttle(progress, count_records(source_list, format) if progress else None)

    with summary.errors_to(errors), new_generation(path, lock_timeout) as generation:
        existing = generation.existing
        lang = language or (existing["language"] if existing else "english")
        ix = whoosh_index.create_in(str(generation.folder), build_schema(lang))
        items = iter_articles(source_list, format=format, csv_columns=csv_columns,
                              boilerplate=boilerplate, max_chars=max_chars,
                              strict=strict, workers=workers)
        with _gc_paused():
            count, story_seconds = _write_generation(ix, items, workers, summary, throttle)
        ix.close()
        manifest = _new_manifest(existing, lang, generation.name, count, source_list,
                                 summary, workers, time.perf_counter() - started)
        manifest["build"]["story_seconds"] = story_seconds
        generation.commit(manifest)
    summary.indexed = count
    summary.seconds = time.perf_counter() - started
    throttle.finish(count)
    return summary


def add_sources(sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
                path: str | os.PathLike[str], *, strict: bool = False,
                progress: ProgressCallback | None = None, format: str | None = None,
                csv_columns: Mapping[str, str | None] | None = None,
                boilerplate: Iterable[str] | None = None,
                max_chars: int = MAX_ARTICLE_CHARS,
                lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                language: str | None = None,
                errors: str | os.PathLike[str] | None = None) -> IngestSummary:
    """Add or replace (by id) the articles of ``sources`` in the live index at ``path``.

    The whole batch is read and validated first (bad records skipped and counted,
    or with ``strict=True`` the first one raises and nothing is written), then
    written by :meth:`searchcore.Index.add` under the index lock and committed in
    one step: a reader sees all of the batch or none of it. Creates the index (in
    ``language``, default English) if there is none. ``errors``: as for
    :func:`build_index`, a file for every skipped record.
    """
    started = time.perf_counter()
    path = Path(path)
    source_list = _source_list(sources)
    summary = IngestSummary()
    items = iter_articles(source_list, format=format, csv_columns=csv_columns,
                          boilerplate=boilerplate, max_chars=max_chars, strict=strict)
    with summary.errors_to(errors):
        articles, summary.duplicates = dedupe_last_wins(summary.track(items))
    throttle = Throttle(progress, len(articles))
    if not layout.manifest_path(path).exists():
        _check_target(path)
        try:
            create_index(path, language or "english").close()
        except SearchcoreError:
            if not layout.manifest_path(path).exists():   # not a concurrent creation
                raise
    with open_index(path) as ix, _gc_paused():
        ix.add(articles, timeout=lock_timeout, progress=throttle)
    summary.indexed = len(articles)
    summary.seconds = time.perf_counter() - started
    throttle.finish(len(articles))
    return summary


# -- the build itself ---------------------------------------------------------------

def _write_generation(ix: Any, items: Iterator[Article | Skipped], workers: int,
                      summary: IngestSummary, throttle: Throttle) -> tuple[int, dict[str, float]]:
    """Write every article into ``ix`` (a fresh whoosh index); return the live count and
    the seconds the stories took (signing, linking).

    Kept for the whole build, per article: its id's hash and document number
    (:class:`~searchcore.index.idtable.IdTable`, 24 bytes) and, until the stories are
    linked at the end, its shingle count (:mod:`searchcore.news.stories_build`);
    everything else is one batch's and freed with it.
    """
    segments: list[Any] = []
    stories = StoryBuilder(Path(ix.storage.folder))   # signatures spilled per batch
    seen = IdTable()                   # id hash -> global docnum, for earlier batches
    stale: list[int] = []              # global docnums replaced by a later batch
    batch: dict[str, Article] = {}
    chars = 0
    written = 0
    paused = False

    def flush() -> None:
        nonlocal batch, chars, written, paused
        articles = list(batch.values())
        batch = {}
        chars = 0
        if not paused:
            paused = True
            pause("writing")
        base = written
        segments.extend(write_segments(ix, articles, workers,
                                       lambda done: throttle(base + done)))
        replaced = seen.add([a.id for a in articles], base)
        summary.duplicates += len(replaced)
        stale.extend(replaced)
        stories.add_batch([(a.id, a.body) for a in articles])
        written += len(articles)
        del articles
        # The collector is paused for speed inside a batch, not across batches: one
        # pass here frees any cycle a batch left (none today; one whoosh cycle used
        # to keep every batch's writer and articles, 4.4 GB at 1M) in milliseconds.
        gc.collect()
        # And what the batch freed goes back to the system, not kept by malloc under
        # the survivors (index/heap.py): the next batch, the forked workers and the
        # story linking at the end then start from the live memory only.
        release_free_memory()

    for item in items:
        summary.count(item)
        if type(item) is Skipped:
            continue
        article: Article = item                    # type: ignore[assignment]
        if article.id in batch:
            summary.duplicates += 1
        batch[article.id] = article
        chars += len(article.title) + len(article.body)
        if len(batch) >= CHUNK_DOCS or chars >= CHUNK_CHARS:
            flush()
    if batch:
        flush()
    del seen
    _delete_global(segments, stale)
    # The word caches the batches filled (bounded, but ~80 MB at 100k articles and
    # more at 1M) are of no use to the linking: free them before it allocates.
    clear_term_caches()
    forget_words()
    release_free_memory()
    # The stories are saved for the generation the commit makes, before it; and the
    # generation only goes live at the manifest switch after both.
    stories.finish(stale, toc=ix.latest_generation() + 1)
    release_free_memory()                  # the linking's arrays, before the commit's
    _commit(ix, segments)
    write_extra_column(ix, ROW_COLUMN, np.arange(written))     # docnum == story row
    return written - len(stale), {"sign": round(stories.sign_seconds, 3),
                                  "link": round(stories.link_seconds, 3),
                                  "sign_cpu": round(stories.sign_cpu, 3),
                                  "link_cpu": round(stories.link_cpu, 3),
                                  "links": stories.links}


def batch_bounds(articles: Sequence[Article]) -> list[tuple[int, int]]:
    """``(start, end)`` ranges of at most :data:`CHUNK_DOCS` articles / :data:`CHUNK_CHARS`
    characters (at least one article each): the batches a big ``Index.add`` writes."""
    bounds = []
    start = chars = 0
    for i, article in enumerate(articles):
        chars += len(article.title) + len(article.body)
        if i + 1 - start >= CHUNK_DOCS or chars >= CHUNK_CHARS:
            bounds.append((start, i + 1))
            start, chars = i + 1, 0
    if start < len(articles) or not bounds:
        bounds.append((start, len(articles)))
    return bounds


def _delete_global(segments: list[Any], docnums: list[int]) -> None:
    """Mark global document numbers deleted in the segments that hold them."""
    if not docnums:
        return
    starts = []
    base = 0
    for segment in segments:
        starts.append(base)
        base += segment.doc_count_all()
    import bisect

    for docnum in docnums:
        k = bisect.bisect_right(starts, docnum) - 1
        segments[k].delete_document(docnum - starts[k])


def _commit(ix: Any, segments: list[Any]) -> None:
    """Write the table of contents listing ``segments`` (in order) and tidy up."""
    commit_segments(ix, segments)
    write_missing(ix)          # the bulk writer wrote them; this only fills gaps
    # The segments' side postings merged into one run: searched as one segment
    # (searchcore.execution.runs; 2 segments on Reuters with two workers, 40 at 1M).
    write_build_run(ix)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (the build creates no cycles worth it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- layout helpers -----------------------------------------------------------------

def _source_list(sources: Any) -> list[Any]:
    if isinstance(sources, (str, os.PathLike)):
        return [sources]
    return list(sources)


def _check_target(path: Path) -> None:
    """Refuse a path that is a file or a folder of someone else's files."""
    if path.exists() and not path.is_dir():
        raise IndexFormatError(f"{str(path)!r} exists and is not a directory")
    if layout.manifest_path(path).exists() or not path.is_dir():
        return
    foreign = [p.name for p in path.iterdir() if not _ours(p.name)]
    if foreign:
        raise IndexFormatError(
            f"{str(path)!r} is not a searchcore index and not empty (it holds "
            f"{foreign[0]!r}); choose an empty or new directory")


def _ours(name: str) -> bool:
    return (name == layout.WRITE_LOCK_NAME or name.startswith(layout.GENERATION_PREFIX)
            or name.startswith(f".{layout.MANIFEST_NAME}."))


def _new_manifest(existing: dict[str, Any] | None, language: str, generation: str,
                  count: int, sources: list[Any], summary: IngestSummary, workers: int,
                  seconds: float) -> dict[str, Any]:
    manifest = dict(existing) if existing else layout.new_manifest(
        language, analyzer_settings(language), generation)
    manifest.pop("shards", None)           # a sharded build sets its own
    manifest.update(
        format=layout.FORMAT_NAME, format_version=layout.FORMAT_VERSION,
        language=language, analyzer=analyzer_settings(language), generation=generation,
        documents=count, built=layout.utc_now(),
        build={"read": summary.read, "indexed": count, "skipped": dict(summary.skipped),
               "duplicates": summary.duplicates, "workers": workers,
               "seconds": round(seconds, 3)},
        sources=[_source_digest(s) for s in sources])
    return manifest


def _source_digest(source: Any) -> dict[str, Any]:
    """Where a build's input came from, and a SHA-256 of it, for the manifest."""
    if not isinstance(source, (str, os.PathLike)) or str(source) == "-":
        return {"path": str(source)}
    p = Path(source)
    if p.is_file():
        return {"path": str(p.resolve()), "bytes": p.stat().st_size,
                "sha256": _file_sha256(p)}
    if p.is_dir():
        digest = hashlib.sha256()
        files = sorted(f for f in p.rglob("*") if f.is_file())
        for f in files:
            digest.update(f"{f.relative_to(p).as_posix()}\0{_file_sha256(f)}\n".encode())
        return {"path": str(p.resolve()), "files": len(files), "sha256": digest.hexdigest()}
    return {"path": str(p)}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


