"""What a sharded build runs on the Dask workers: three idempotent task kinds.

:func:`route_piece` reads one piece of the sources (:mod:`.partition`), normalises
its records exactly as an unsharded build does, and appends each article to the
spill file of its shard (:func:`~searchcore.sharding.routing.shard_of`), one JSON
line per article. :func:`build_shard` reads its shard's spill files in piece order
(input order) and writes the shard as an ordinary generation with the same writer
and batch rules as :func:`searchcore.index.build.build_index`. :func:`link_stories`
then links the stories of all shards' articles as one index's
(:mod:`searchcore.sharding.stories`).

Idempotent, so Dask may rerun either on another worker after a death: every file is
written under a unique temporary name and renamed into place at the end, so a rerun
overwrites a dead attempt's leftovers instead of adding to them. Every task first
checks the build's token file (``BUILD``): a task of an abandoned build that is
still running somewhere (its scheduler died, the client gave up) finds another
build's token, or none, and stops instead of writing into that build.

Expected failures (a bad record under ``strict``, an unreadable file) come back as
values, not exceptions, so Dask does not retry what would fail again; the client
raises them (:func:`raise_answer`).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping

import orjson

from searchcore import errors as _errors
from searchcore.article import Article
from searchcore.errors import InvalidArticleError, SearchcoreError
from searchcore.index.ingest import IngestSummary, error_record, iter_articles
from searchcore.index.readers import Source
from searchcore.index.records import Skipped
from searchcore.sharding.routing import shard_name, shard_of

SPILL = "spill"
TOKEN_FILE = "BUILD"
#: Tests only: seconds every task sleeps before it starts, so a test can kill a
#: worker while tasks are running.
DELAY_ENV = "SEARCHCORE_TEST_TASK_DELAY"


class StaleBuild(SearchcoreError):
    """This task belongs to a build that is no longer the one in its folder."""


def check_token(folder: Path, token: str) -> None:
    try:
        found = (folder / TOKEN_FILE).read_text().strip()
    except OSError:
        found = ""
    if found != token:
        raise StaleBuild(f"{str(folder)!r} no longer holds build {token}: this task of an "
                         "abandoned build stops")


def _delay() -> None:
    seconds = os.environ.get(DELAY_ENV)
    if seconds:
        time.sleep(float(seconds))


def spill_name(piece: int, shard: int) -> str:
    return f"p{piece:05d}-s{shard:03d}.jsonl"


def route_piece(number: int, piece: Source, shards: int, folder: str, token: str,
                options: Mapping[str, Any], want_errors: bool) -> tuple[Any, ...]:
    """Read piece ``number``; write its articles into per-shard spill files.

    Returns ``("ok", summary, error records, seconds, CPU seconds)`` or an expected failure
    (:func:`raise_answer`).
    """
    _delay()
    started, cpu = time.perf_counter(), time.process_time()
    root = Path(folder)
    try:
        check_token(root, token)
        spill = root / SPILL
        spill.mkdir(exist_ok=True)
        summary = IngestSummary()
        records: list[dict[str, Any]] = []
        attempt = uuid.uuid4().hex[:8]
        files: dict[int, Any] = {}
        dumps = orjson.dumps
        try:
            for item in iter_articles([piece], **options):
                summary.count(item)
                if type(item) is Skipped:
                    if want_errors:
                        records.append(error_record(item))   # type: ignore[arg-type]
                    continue
                k = shard_of(item.id, shards)                # type: ignore[union-attr]
                fh = files.get(k)
                if fh is None:
                    fh = files[k] = open(spill / f"{spill_name(number, k)}.{attempt}.tmp", "wb")
                fh.write(dumps(item.to_dict()))              # type: ignore[union-attr]
                fh.write(b"\n")
        finally:
            for fh in files.values():
                fh.close()
        check_token(root, token)
        for k in range(shards):
            tmp = spill / f"{spill_name(number, k)}.{attempt}.tmp"
            final = spill / spill_name(number, k)
            if k in files:
                os.replace(tmp, final)
            else:
                final.unlink(missing_ok=True)
        return ("ok", summary, records, time.perf_counter() - started,
                time.process_time() - cpu)
    except SearchcoreError as exc:
        return _failure(exc)


def read_spill(folder: Path, shard: int, pieces: int) -> Iterator[Article]:
    """The articles of ``shard``, in input order."""
    for number in range(pieces):
        path = folder / SPILL / spill_name(number, shard)
        if not path.exists():
            continue
        with open(path, "rb") as fh:
            for line in fh:
                data = orjson.loads(line)
                published = data["published"]
                data["published"] = (datetime.fromisoformat(published)
                                     if published is not None else None)
                yield Article(**data)


def build_shard(shard: int, pieces: int, folder: str, token: str,
                language: str) -> tuple[Any, ...]:
    """Write shard ``shard`` from its spill files as ``folder/shard-NNN``.

    Returns ``("ok", documents, duplicates, seconds, CPU seconds)`` or an expected
    failure. (CPU seconds: what the task costs on a machine nobody else loads.)
    """
    from whoosh import index as whoosh_index

    from searchcore.generations import fsync_tree
    from searchcore.index.build import _gc_paused, _write_generation
    from searchcore.index.progress import Throttle
    from searchcore.schema import build_schema

    _delay()
    started, cpu = time.perf_counter(), time.process_time()
    root = Path(folder)
    work = root / f"{shard_name(shard)}.{uuid.uuid4().hex[:8]}.part"
    try:
        check_token(root, token)
        work.mkdir()
        ix = whoosh_index.create_in(str(work), build_schema(language))
        summary = IngestSummary()
        with _gc_paused():
            count, _story_seconds = _write_generation(ix, read_spill(root, shard, pieces), 1,
                                                      summary, Throttle(None, None))
        ix.close()
        fsync_tree(work)
        check_token(root, token)
        final = root / shard_name(shard)
        if final.exists():         # an earlier attempt finished, but its answer was lost
            shutil.rmtree(final)
        os.rename(work, final)
        return ("ok", count, summary.duplicates, time.perf_counter() - started,
                time.process_time() - cpu)
    except SearchcoreError as exc:
        shutil.rmtree(work, ignore_errors=True)
        return _failure(exc)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def link_stories(folder: str, token: str, names: list[str]) -> tuple[Any, ...]:
    """Link the stories of every shard's articles as one index's
    (:func:`searchcore.sharding.stories.build`), into ``folder/stories``.

    Returns ``("ok", rows, seconds, CPU seconds)`` or an expected failure. Idempotent: each state
    file is written under a temporary name and renamed, and a rerun writes the next.
    """
    from searchcore.sharding import stories

    _delay()
    started, cpu = time.perf_counter(), time.process_time()
    root = Path(folder)
    try:
        check_token(root, token)
        found = stories.build(root, names)
        check_token(root, token)
        return ("ok", found.store.rows, time.perf_counter() - started,
                time.process_time() - cpu)
    except SearchcoreError as exc:
        return _failure(exc)


def _failure(exc: SearchcoreError) -> tuple[Any, ...]:
    if isinstance(exc, InvalidArticleError):
        message = str(exc).removeprefix(f"{exc.origin}: ") if exc.origin else str(exc)
        return ("invalid", message, exc.origin, exc.field, exc.reason)
    return ("error", type(exc).__name__, str(exc))


def raise_answer(answer: tuple[Any, ...]) -> None:
    """Raise the error a task answered with, as the class it was (if it is ours)."""
    if answer[0] == "invalid":
        raise InvalidArticleError(answer[1], answer[2], answer[3], answer[4])
    if answer[0] == "error":
        kind = getattr(_errors, answer[1], None)
        if not (isinstance(kind, type) and issubclass(kind, SearchcoreError)) or \
                kind in (_errors.IndexCorruptError, _errors.QuerySyntaxError,
                         _errors.QueryLimitError):
            kind = SearchcoreError
        raise kind(answer[2])
