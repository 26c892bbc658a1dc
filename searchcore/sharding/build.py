"""A sharded full rebuild on Dask: pieces -> spill files -> shards -> one manifest switch.

::

    lock write.lock -> gen-N.tmp/BUILD (a token) -> every worker probes the folder
      -> route_piece per piece (Dask tasks): articles into spill/pNNNNN-sKKK.jsonl
      -> build_shard per shard (Dask tasks): gen-N.tmp/shard-KKK/, an ordinary generation
      -> link_stories (one Dask task): gen-N.tmp/stories/, the stories across shards
      -> rename gen-N.tmp -> gen-N -> switch searchcore.json (os.replace) -> old set removed

As in :func:`searchcore.index.build.build_index`, nothing before the manifest switch
touches what readers look at, so a failure at any point (a task that fails, a
cluster that gives up, ``kill -9`` of this process) leaves the previous index live;
the folder of the abandoned build is removed here or by the next writer.

Why two task kinds instead of one task per shard reading everything: each shard
would then read and parse every source, and parsing is a large part of indexing.
Routing once and spilling costs one more write and read of the articles as JSON
lines, on the storage the shards are written to anyway.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping

import orjson

from searchcore.analysis import check_language
from searchcore.article import MAX_ARTICLE_CHARS
from searchcore.engine import DEFAULT_LOCK_TIMEOUT
from searchcore.errors import SearchcoreError
from searchcore.generations import new_generation
from searchcore.index.ingest import IngestSummary
from searchcore.index.progress import ProgressCallback, Throttle
from searchcore.sharding import tasks
from searchcore.sharding.cluster import check_shared_storage, cluster_errors, dask_client
from searchcore.sharding.partition import partition
from searchcore.sharding.routing import ROUTING, shard_name

#: Dask retries of a task that raised something unexpected (a worker's death is
#: handled separately by the scheduler's ``allowed-failures``).
TASK_RETRIES = 1


def build_sharded(sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
                  path: str | os.PathLike[str], *, shards: int,
                  scheduler: str | None = None, language: str | None = None,
                  workers: int | None = None, strict: bool = False,
                  progress: ProgressCallback | None = None, format: str | None = None,
                  csv_columns: Mapping[str, str | None] | None = None,
                  boilerplate: Iterable[str] | None = None,
                  max_chars: int = MAX_ARTICLE_CHARS,
                  lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                  errors: str | os.PathLike[str] | None = None) -> IngestSummary:
    """Rebuild the index at ``path`` as ``shards`` shards on a Dask cluster.

    ``scheduler``: the address of a running Dask scheduler (``tcp://host:8786``);
    ``None`` starts a LocalCluster of ``workers`` processes (default: one per core)
    for the build. Every other argument is that of
    :func:`searchcore.index.build.build_index`. The index folder must be on storage
    every worker shares (checked: :class:`~searchcore.errors.ClusterError`).
    """
    from searchcore.index.build import _check_target, _new_manifest, _source_list

    started = time.perf_counter()
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise SearchcoreError(f"shards must be a whole number of at least 1, not {shards!r}")
    path = Path(path).absolute()        # workers resolve it on their own machines
    source_list = _source_list(sources)
    pieces = partition(source_list, format)
    if language is not None:
        language = check_language(language)
    _check_target(path)
    path.mkdir(parents=True, exist_ok=True)
    options = {"csv_columns": csv_columns, "boilerplate": boilerplate,
               "max_chars": max_chars, "strict": strict}
    summary = IngestSummary()
    throttle = Throttle(progress, None)

    with new_generation(path, lock_timeout) as generation:
        existing = generation.existing
        lang = language or (existing["language"] if existing else "english")
        tmp = generation.folder
        token = uuid.uuid4().hex
        (tmp / tasks.TOKEN_FILE).write_text(token)
        with dask_client(scheduler, workers) as client, cluster_errors(scheduler):
            check_shared_storage(client, tmp, token)
            n_workers = len(client.scheduler_info().get("workers", {}))
            counts, timings = _run(client, pieces, shards, tmp, token, lang, options,
                                   summary, throttle, errors)
        shutil.rmtree(tmp / tasks.SPILL, ignore_errors=True)
        (tmp / tasks.TOKEN_FILE).unlink()
        count = sum(counts)
        summary.indexed = count
        manifest = _new_manifest(existing, lang, generation.name, count, source_list,
                                 summary, n_workers, time.perf_counter() - started)
        manifest["shards"] = {"count": shards, "routing": ROUTING,
                              "names": [shard_name(k) for k in range(shards)],
                              "documents": counts}
        manifest["build"]["scheduler"] = scheduler or "LocalCluster"
        manifest["build"].update(timings)
        generation.commit(manifest)
    summary.seconds = time.perf_counter() - started
    throttle.finish(summary.indexed)
    return summary


def _run(client: Any, pieces: list[Any], shards: int, tmp: Path, token: str, language: str,
         options: Mapping[str, Any], summary: IngestSummary, throttle: Throttle,
         errors: str | os.PathLike[str] | None) -> tuple[list[int], dict[str, Any]]:
    """Both task stages; returns the document count of each shard and the seconds each
    task took (``route_seconds`` per piece, ``shard_seconds`` per shard, and
    ``story_seconds``: linking the stories across shards), and the CPU seconds of
    each (``route_cpu``, ``shard_cpu``, ``story_cpu``: what a projection onto idle
    machines uses)."""
    from distributed import as_completed

    folder = str(tmp)
    routed = [client.submit(tasks.route_piece, number, piece, shards, folder, token,
                            options, errors is not None, key=f"route-{token}-{number}",
                            retries=TASK_RETRIES, pure=False)
              for number, piece in enumerate(pieces)]
    answers: dict[int, tuple[Any, ...]] = {}
    read = 0
    for future in as_completed(routed, loop=client.loop):
        answer = future.result()
        tasks.raise_answer(answer)
        answers[routed.index(future)] = answer
        read += answer[1].read
        throttle(read)
    sink = open(errors, "wb") if errors is not None else None
    try:
        for number in range(len(pieces)):          # in input order, as a one-process build
            part, records = answers[number][1:3]
            summary.merge(part)
            for record in records:
                sink.write(orjson.dumps(record) + b"\n")   # type: ignore[union-attr]
    finally:
        if sink is not None:
            sink.close()
            summary.errors_file = os.fspath(errors)        # type: ignore[arg-type]
    built = [client.submit(tasks.build_shard, k, len(pieces), folder, token, language,
                           key=f"shard-{token}-{k}", retries=TASK_RETRIES, pure=False)
             for k in range(shards)]
    counts = [0] * shards
    shard_seconds, shard_cpu = [0.0] * shards, [0.0] * shards
    for k, future in enumerate(built):
        answer = future.result()
        tasks.raise_answer(answer)
        counts[k] = answer[1]
        summary.duplicates += answer[2]
        shard_seconds[k], shard_cpu[k] = round(answer[3], 3), round(answer[4], 3)
    linked = client.submit(tasks.link_stories, folder, token,
                           [shard_name(k) for k in range(shards)], key=f"stories-{token}",
                           retries=TASK_RETRIES, pure=False).result()
    tasks.raise_answer(linked)
    ordered = [answers[n] for n in range(len(pieces))]
    return counts, {"route_seconds": [round(a[3], 3) for a in ordered],
                    "route_cpu": [round(a[4], 3) for a in ordered],
                    "shard_seconds": shard_seconds, "shard_cpu": shard_cpu,
                    "story_seconds": round(linked[2], 3), "story_cpu": round(linked[3], 3)}
