"""``kill -9`` a rebuild at several moments: the previous generation keeps answering.

Each case starts ``build_index`` in a subprocess, kills it (SIGKILL: no cleanup of any
kind runs), then checks that the index still opens on the old generation with exactly
the old results, and that the next build succeeds and removes the debris. The timed
kills need a build of several thousand documents to still be running; the pause points
stop the build where the test says, so they (and the rebuilds after each kill) use a
corpus a tenth of that size. Moments: after fixed delays (reading, writing with forked
workers) and at the pause points ``build.py`` offers tests just before the rename,
just before the manifest switch and just after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

import searchcore
from searchcore import layout
from searchcore.index.build import PAUSE_ENV, build_index

from conftest import BBC_FILE

#: Copies of the BBC fixture in the "new" corpus. Large enough that a two-worker build
#: on an idle machine still runs well past the longest kill delay below (8 copies,
#: 2,400 documents, finished within 1.2 s once the bulk writer got faster).
ROUNDS = 24
#: Copies in the small "new" corpus (pause points, and the rebuild after each kill).
SMALL_ROUNDS = 2
BBC_DOCS = sum(1 for line in BBC_FILE.read_bytes().splitlines() if line.strip())
SMALL_DOCS = SMALL_ROUNDS * BBC_DOCS

QUERIES = ["economy growth", "film OR music", '"prime minister"', "title:profit", "sport"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(old, big new, small new): the BBC fixture, and it repeated ROUNDS and
    SMALL_ROUNDS times with other ids."""
    folder = tmp_path_factory.mktemp("crash-corpus")
    lines = [orjson.loads(line) for line in BBC_FILE.read_bytes().splitlines() if line.strip()]
    made = []
    for name, rounds in (("big", ROUNDS), ("small", SMALL_ROUNDS)):
        new = folder / f"{name}.jsonl"
        with open(new, "wb") as fh:
            for round_ in range(rounds):
                for record in lines:
                    fh.write(orjson.dumps(dict(record, id=f"{record['id']}-r{round_}")) + b"\n")
        made.append(new)
    return BBC_FILE, made[0], made[1]


def _answers(path: Path) -> list[list[tuple[str, float]]]:
    with searchcore.open_index(path) as ix:
        return [[(h.id, h.score) for h in ix.search(q, limit=10, match="any", snippets=0).hits]
                for q in QUERIES]


def _start_build(source: Path, path: Path, pause: str | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if pause:
        env[PAUSE_ENV] = pause
    code = ("import sys; from searchcore.index.build import build_index; "
            "build_index(sys.argv[1], sys.argv[2], workers=2)")
    return subprocess.Popen([sys.executable, "-c", code, str(source), str(path)],
                            env=env, stderr=subprocess.PIPE, text=True)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=20)
    proc.stderr.close()


@pytest.fixture()
def live_index(tmp_path: Path, corpora) -> tuple[Path, list]:
    path = tmp_path / "index"
    build_index(corpora[0], path, workers=1)
    return path, _answers(path)


def _check_survived(path: Path, expected: list, corpora: tuple[Path, Path, Path]) -> None:
    assert layout.read_manifest(path)["generation"] == "gen-000001"
    assert _answers(path) == expected
    # The next build succeeds and leaves exactly one generation, no .tmp debris.
    summary = build_index(corpora[2], path, workers=2)
    assert summary.indexed == SMALL_DOCS
    names = sorted(p.name for p in path.iterdir() if p.name.startswith("gen-"))
    assert len(names) == 1 and not names[0].endswith(".tmp")
    assert layout.read_manifest(path)["generation"] == names[0]
    with searchcore.open_index(path) as ix:
        assert len(ix) == SMALL_DOCS


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 0.6, 1.2])
def test_kill_after_delay(live_index, corpora, delay: float) -> None:
    path, expected = live_index
    proc = _start_build(corpora[1], path)
    time.sleep(delay)
    assert proc.poll() is None, "the rebuild finished before the kill: enlarge ROUNDS"
    _kill(proc)
    _check_survived(path, expected, corpora)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["writing", "before-rename", "before-switch"])
def test_kill_at_pause_point(live_index, corpora, point: str) -> None:
    path, expected = live_index
    proc = _start_build(corpora[2], path, pause=point)
    line = proc.stderr.readline()
    assert line.strip() == f"searchcore-pause {point}", line
    if point != "writing":
        assert (path / "gen-000002").exists() or (path / "gen-000002.tmp").exists()
    _kill(proc)
    # A search right after the kill still sees the old generation.
    assert _answers(path) == expected
    _check_survived(path, expected, corpora)


@pytest.mark.slow
def test_kill_after_switch_serves_new_generation(live_index, corpora) -> None:
    path, expected = live_index
    proc = _start_build(corpora[2], path, pause="after-switch")
    assert proc.stderr.readline().strip() == "searchcore-pause after-switch"
    _kill(proc)
    assert layout.read_manifest(path)["generation"] == "gen-000002"
    with searchcore.open_index(path) as ix:
        assert len(ix) == SMALL_DOCS
    build_index(corpora[0], path, workers=1)
    assert _answers(path) == expected          # same data, same answers, new generation
    names = sorted(p.name for p in path.iterdir() if p.name.startswith("gen-"))
    assert names == ["gen-000003"]
