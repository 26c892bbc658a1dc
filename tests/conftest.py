"""Shared fixtures: the small on-disk corpus every core test searches.

The seed article plus 300 BBC News articles (tests/data, with citation), indexed once
per session into a real index directory. Tests that need the big corpora use
``shared_data``: ``$SEARCHCORE_SHARED_DATA``, else ../shared/data beside the clone;
they skip with a reason when it is absent (a user's clone has no ../shared).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import orjson
import pytest

import searchcore

DATA = Path(__file__).parent / "data"
SEED_FILE = DATA / "seed" / "000_08f5dd3932140497.txt"
BBC_FILE = DATA / "bbc-sample.jsonl"
#: Where the big corpora are: ``$SEARCHCORE_SHARED_DATA``, else ``../shared/data``
#: beside the clone (developer and CI machines).
SHARED_DATA_ENV = "SEARCHCORE_SHARED_DATA"


def shared_data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$SEARCHCORE_SHARED_DATA`` if set, else ../shared/data beside the clone."""
    given = environ.get(SHARED_DATA_ENV, "").strip()
    return Path(given).expanduser() if given else Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED_DATA = shared_data_dir()
SEED_PUBLISHED = "2024-04-14T00:00:00+00:00"


def seed_article() -> dict:
    """The seed as an article dict: headline, paragraphs, boilerplate line removed."""
    lines = [ln.strip() for ln in SEED_FILE.read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln]
    assert lines[-1] == "Leave a Comment"
    return {"id": "seed", "title": lines[0], "body": "\n\n".join(lines[1:-1]),
            "published": SEED_PUBLISHED, "source": "Seed Wire", "category": ["world"]}


def bbc_articles() -> list[dict]:
    return [orjson.loads(line) for line in BBC_FILE.read_bytes().splitlines() if line.strip()]


@pytest.fixture()
def prune_small_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    """MaxScore and block-max even where the lists are short: ``topk.WHOLE_BELOW``
    scores an OR or a word of few postings whole (faster there), and the small test
    indexes must exercise the pruning."""
    from searchcore.execution import topk

    monkeypatch.setattr(topk, "WHOLE_BELOW", 0)


@pytest.fixture(scope="session")
def news_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of an index holding the seed and the 300 BBC articles (built once)."""
    path = tmp_path_factory.mktemp("news") / "index"
    with searchcore.create_index(path) as ix:
        ix.add(bbc_articles() + [seed_article()])
    return path


@pytest.fixture()
def news_index(news_index_path: Path):
    """The shared news index, opened read-only for one test."""
    with searchcore.open_index(news_index_path) as ix:
        yield ix


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The big corpora (see SHARED_DATA), or skip: only some machines have them."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present (only developer and CI clones have it; "
                    f"set ${SHARED_DATA_ENV} to the folder holding bbc-news/, reuters21578/ ...)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_corpus_index(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """``get(name) -> (path, summary)``: the shared corpus ``name`` built with
    ``build_index(workers=2)`` once per session (the corpus tests, the sharded
    comparisons and the facet checks read the same index; none of them writes it)."""
    from searchcore.index.build import build_index

    built: dict[str, tuple[Path, object]] = {}

    def get(name: str) -> tuple[Path, object]:
        if name not in built:
            path = tmp_path_factory.mktemp(f"shared-{name}") / "index"
            built[name] = (path, build_index(shared_data / name / "docs.jsonl", path,
                                             workers=2))
        return built[name]

    return get


@pytest.fixture(scope="module")
def cluster():
    """One Dask LocalCluster (2 single-threaded worker processes) for a test module:
    starting one costs seconds. Skips where Dask (the [dask] extra) is absent."""
    import logging

    distributed = pytest.importorskip("distributed",
                                      reason="sharded builds need Dask (the [dask] extra)")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as running:
        yield running
