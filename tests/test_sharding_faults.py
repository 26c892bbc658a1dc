"""Faults during a sharded build on a LocalCluster (processes, 2 workers).

* A worker SIGKILLed while it runs a task: Dask reruns the task elsewhere and the
  index equals the one an undisturbed build makes; with Dask's
  ``allowed-failures`` at 0 the build fails instead, with a ClusterError, and the
  live index is untouched.
* The scheduler killed mid-build (the process holding the LocalCluster, SIGKILLed
  with its workers): a ClusterError, the live index untouched, nothing left behind.

Every task sleeps ``SEARCHCORE_TEST_TASK_DELAY`` seconds first (a test hook of
searchcore.sharding.tasks) so there is a task running to kill.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed", reason="sharded builds need Dask (the [dask] extra)")

import searchcore
from searchcore import layout
from searchcore.errors import ClusterError
from searchcore.index.build import build_index
from searchcore.sharding import partition as partition_module
from searchcore.sharding import tasks

from conftest import BBC_FILE

pytestmark = pytest.mark.slow

DELAY = 1.5


def _snapshot(path: Path) -> list[list[tuple[int, str, str]]]:
    """Per shard, every live document's (number, id, title): what a build decides."""
    with searchcore.open_index(path) as ix:
        out = []
        for shard in ix.shards:
            reader = shard.searcher().reader()
            out.append([(n, reader.stored_fields(n)["id"], reader.stored_fields(n)["title"])
                        for n in reader.all_doc_ids()])
        return out


class Build(threading.Thread):
    """A sharded build running in the background; ``error`` is what it raised."""

    def __init__(self, path: Path, scheduler: str) -> None:
        super().__init__(daemon=True)
        self.path, self.scheduler = path, scheduler
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            build_index([BBC_FILE], self.path, shards=3, scheduler=self.scheduler)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            self.error = exc


def _running(client: Any, prefix: str, timeout: float = 60.0) -> str:
    """A worker address that is running a task whose key starts with ``prefix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(k).startswith(prefix) for k in keys):
                return worker
        time.sleep(0.05)
    raise AssertionError(f"no {prefix} task started")


@pytest.fixture()
def cluster(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(tasks.DELAY_ENV, str(DELAY))
    monkeypatch.setattr(partition_module, "PIECE_BYTES", 150_000)    # a few route tasks
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c, \
            distributed.Client(c, set_as_default=False) as client:
        yield c, client


def _kill(client: Any, worker: str) -> None:
    pids = client.run(os.getpid)
    os.kill(pids[worker], signal.SIGKILL)


def test_killed_workers_are_retried_and_the_index_is_the_same(tmp_path: Path, cluster) -> None:
    c, client = cluster
    reference = tmp_path / "reference"
    build_index([BBC_FILE], reference, shards=3, scheduler=c.scheduler_address)
    build = Build(tmp_path / "ix", c.scheduler_address)
    build.start()
    rng = random.Random(13)
    for stage in ("route-", "shard-"):                 # once while routing, once building
        worker = _running(client, stage)
        time.sleep(rng.uniform(0.0, DELAY))
        _kill(client, worker)
    build.join(120)
    assert not build.is_alive() and build.error is None, build.error
    assert _snapshot(tmp_path / "ix") == _snapshot(reference)
    assert not [p for p in (tmp_path / "ix").iterdir() if p.name.endswith(".tmp")]


def test_a_task_whose_workers_keep_dying_fails_the_build_cleanly(tmp_path: Path,
                                                                 cluster) -> None:
    c, client = cluster
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, workers=1)
    before = layout.read_manifest(path)
    client.run_on_scheduler(_no_second_chances)
    build = Build(path, c.scheduler_address)
    build.start()
    _kill(client, _running(client, "shard-"))
    build.join(120)
    assert isinstance(build.error, ClusterError), build.error
    assert "kept dying" in str(build.error)
    assert layout.read_manifest(path) == before
    assert sorted(p.name for p in path.iterdir()) == [before["generation"], "searchcore.json",
                                                       "write.lock"]
    with searchcore.open_index(path) as ix:
        assert len(ix) == 300


def _no_second_chances(dask_scheduler: Any) -> None:
    dask_scheduler.allowed_failures = 0


SCHEDULER_SCRIPT = textwrap.dedent("""
    import logging, sys, time
    from distributed import LocalCluster
    if __name__ == "__main__":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        print(cluster.scheduler_address, flush=True)
        time.sleep(600)
""")


def test_a_scheduler_that_dies_mid_build_leaves_the_live_index(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, workers=1)
    before = layout.read_manifest(path)
    script = tmp_path / "scheduler.py"
    script.write_text(SCHEDULER_SCRIPT)
    env = dict(os.environ, **{tasks.DELAY_ENV: "5"})
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://"), address
        build = Build(path, address)
        build.start()
        deadline = time.monotonic() + 60
        while not list(path.glob("gen-*.tmp/BUILD")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)                                  # tasks are running (sleeping) now
        os.killpg(proc.pid, signal.SIGKILL)              # the scheduler and its workers
        build.join(120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert not build.is_alive()
    assert isinstance(build.error, ClusterError), build.error
    assert "lost the connection" in str(build.error) or "failed during" in str(build.error)
    assert layout.read_manifest(path) == before
    assert sorted(p.name for p in path.iterdir()) == [before["generation"], "searchcore.json",
                                                       "write.lock"]
