"""The Dask client of a sharded build, and what its failures mean to a user.

``scheduler=None`` starts a :class:`distributed.LocalCluster` (one single-threaded
worker process per core: index writing is CPU-bound Python, so threads would share
one GIL) and closes it afterwards; ``scheduler="tcp://host:8786"`` uses an existing
cluster and leaves it running. Dask is an optional dependency (``pip install
'searchcore[dask]'``); without it a sharded build says so.

Failures: a worker that dies mid-task is Dask's to handle (it reschedules the task on
another worker, up to ``distributed.scheduler.allowed-failures`` times, then raises
``KilledWorker``); our tasks are idempotent, so a rerun gives what an undisturbed
run gives. Everything Dask raises when it gives up -- ``KilledWorker``, futures
cancelled because the scheduler went away, a scheduler that cannot be reached -- is
turned into :class:`~searchcore.errors.ClusterError` by :func:`cluster_errors`.

Shared storage: workers write the shards straight into the index folder, so the
folder must be the same path on every worker and on this machine (a shared
filesystem). :func:`check_shared_storage` has every worker read a token file this
process wrote and write one back, and fails clearly when either side cannot see the
other's file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any, Iterator

from searchcore.errors import ClusterError, SearchcoreError

#: How long to wait for a given scheduler to answer before giving up.
CONNECT_TIMEOUT = 30.0
BUILD_OUTCOME = "the build was abandoned and the live index is unchanged"
INSTALL_HINT = "sharded builds need Dask distributed: pip install 'searchcore[dask]'"


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A connected ``distributed.Client``; a LocalCluster of ``workers`` processes
    (default one per core) when no ``scheduler`` address is given."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SearchcoreError(INSTALL_HINT) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}; "
                               "is `dask scheduler` running there?") from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close()
        return
    n = max(1, int(workers or os.cpu_count() or 1))
    # ":0": the scheduler's HTTP endpoints on a free port (8787 may be another cluster's).
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@contextlib.contextmanager
def cluster_errors(scheduler: str | None, during: str = "the build",
                   outcome: str = BUILD_OUTCOME) -> Iterator[None]:
    """Turn Dask's ways of giving up into :class:`ClusterError` naming what happened
    ``during`` the work and its ``outcome``."""
    from distributed import KilledWorker

    where = f"the Dask scheduler at {scheduler!r}" if scheduler else "the local Dask cluster"
    try:
        yield
    except KilledWorker as exc:
        raise ClusterError(
            f"the workers running {exc.task!r} kept dying (each died mid-task, up to Dask's "
            f"distributed.scheduler.allowed-failures times); {outcome}. "
            f"Last worker: {exc.last_worker}") from None
    except (concurrent.futures.CancelledError, asyncio.CancelledError) as exc:
        raise ClusterError(f"lost the connection to {where} during {during} ({exc}); "
                           f"{outcome}") from None
    except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
        if isinstance(exc, SearchcoreError):
            raise
        raise ClusterError(f"{where} failed during {during}: {type(exc).__name__}: {exc}; "
                           f"{outcome}") from None


def check_shared_storage(client: Any, folder: Path, token: str) -> None:
    """Fail unless every worker reads ``folder/BUILD`` (holding ``token``) and this
    process sees the file each worker writes back."""
    answers = client.run(probe_folder, str(folder), token)
    for worker, answer in sorted(answers.items()):
        problem, written = answer
        if problem:
            raise ClusterError(
                f"Dask worker {worker} cannot use the index folder {str(folder)!r}: "
                f"{problem}. A sharded build writes its shards from the workers, so the "
                "index must be on storage that every worker and this process see at the "
                "same path (a shared filesystem)")
        if not (folder / written).exists():
            raise ClusterError(
                f"Dask worker {worker} wrote {written!r} into {str(folder)!r} but this "
                "process cannot see it: the worker writes to another disk. A sharded "
                "index must be on storage shared by every worker and this process")
        (folder / written).unlink()


def probe_folder(folder: str, token: str) -> tuple[str | None, str]:
    """Runs on a worker: ``(problem or None, name of the file written)``."""
    try:
        found = (Path(folder) / "BUILD").read_text()
    except OSError as exc:
        return f"cannot read {folder}/BUILD ({exc.strerror})", ""
    if found.strip() != token:
        return f"{folder}/BUILD belongs to another build (another folder at this path)", ""
    name = f"probe-{socket.gethostname()}-{os.getpid()}"
    try:
        (Path(folder) / name).write_text(token)
    except OSError as exc:
        return f"cannot write into {folder} ({exc.strerror})", ""
    return None, name
