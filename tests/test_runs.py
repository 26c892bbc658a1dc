"""Runs (searchcore.execution.runs): a parallel build's segments searched as one.

On a real index built with two workers (two segments, one run): the executor over
the run must equal whoosh's matchers, and every search must return exactly what
the segments searched one by one return (ids, scores, totals). A damaged run file
is answered from the segments and reported by ``index check``; segments added
later follow the run, and a merge of its segments retires it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BBC_FILE, seed_article
from test_executor import FALLBACK, QUERIES, check_queries

import searchcore
from searchcore import layout
from searchcore.cli.main import cli
from searchcore.execution import blocks, runs
from searchcore.index.build import build_index

SEARCHES = QUERIES + ["gordon brown", "election OR economy OR football", "film award",
                      "title:blair", "music*"]


@pytest.fixture(scope="module")
def run_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two segments in one run; small blocks (16 postings and up, 8 a block), so that
    the run has block bounds to search and to damage."""
    path = tmp_path_factory.mktemp("runs") / "index"
    saved = blocks.MIN_DF, blocks.BLOCK
    blocks.MIN_DF, blocks.BLOCK = 16, 8
    try:
        build_index(BBC_FILE, path, workers=2)
    finally:
        blocks.MIN_DF, blocks.BLOCK = saved
    return path


def _members_file(path: Path) -> Path:
    (found,) = path.glob("gen-*/*.srun_members.json")
    return found


def _results(path: Path) -> list[tuple]:
    """Every search of SEARCHES (both matches, exact and pruned totals)."""
    out = []
    with searchcore.open_index(path) as ix:
        for text in SEARCHES:
            for match in ("all", "any"):
                for exact in (True, False):
                    r = ix.search(text, match=match, exact_total=exact, limit=10, snippets=0,
                                  lenient=True, suggest=False)
                    out.append((text, match, exact, r.total, r.total_is_exact,
                                [(h.id, h.score) for h in r.hits]))
    return out


def _without_run(path: Path, tmp_path: Path) -> Path:
    """A copy of the index at ``path`` with its run switched off (no members file)."""
    copy = tmp_path / "segments"
    shutil.copytree(path, copy)
    _members_file(copy).unlink()
    return copy


def test_a_parallel_build_searches_its_segments_as_one_run(run_index: Path) -> None:
    with searchcore.open_index(run_index) as ix:
        searcher = ix.searcher()
        segments = searcher.leaf_searchers()
        assert len(segments) == 2
        (leaf,) = runs.leaves(searcher)
        assert len(leaf.readers) == 2 and leaf.offset == 0
        assert leaf.postings.doc_count == len(ix)
        for match in ("all", "any"):
            assert check_queries(ix, QUERIES, match) == FALLBACK


@pytest.mark.parametrize("prune", [False, True])
def test_a_run_returns_what_its_segments_return(run_index: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               prune: bool) -> None:
    if prune:           # block-max and MaxScore even on these short lists
        from searchcore.execution import topk

        monkeypatch.setattr(topk, "WHOLE_BELOW", 0)
    segments = _without_run(run_index, tmp_path)
    with searchcore.open_index(segments) as ix:
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1, 1]
    assert _results(run_index) == _results(segments)


def test_a_damaged_run_is_answered_from_its_segments_and_reported(run_index: Path,
                                                                  tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(run_index, damaged)
    (docs,) = damaged.glob("gen-*/*.srun.spst_body_docs.npy")
    size = docs.stat().st_size
    with open(docs, "r+b") as fh:            # document numbers out of range, mid-file
        fh.seek(size // 2)
        fh.write(b"\xff" * 512)
    (bounds,) = damaged.glob("gen-*/*.srun.spbk_body_bounds.npy")
    with open(bounds, "r+b") as fh:          # NaN bounds
        fh.seek(bounds.stat().st_size // 2)
        fh.write(b"\xff" * 1024)
    assert _results(damaged) == _results(run_index)
    result = CliRunner().invoke(cli, ["index", "check", "--index", str(damaged), "-q"])
    assert result.exit_code == 1, result.output
    assert "run of 2 segments" in result.output and "postings of body" in result.output
    assert "block bounds of body" in result.output
    clean = CliRunner().invoke(cli, ["index", "check", "--index", str(run_index), "-q"])
    assert clean.exit_code == 0, clean.output


def test_segments_added_after_a_build_follow_its_run(run_index: Path, tmp_path: Path) -> None:
    path = tmp_path / "added"
    shutil.copytree(run_index, path)
    with searchcore.open_index(path) as ix:
        ix.add([seed_article()])                 # one more segment, after the run's two
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [2, 1]
        assert ix.get("seed") is not None
        for match in ("all", "any"):
            assert check_queries(ix, QUERIES + ["dangerous OR opposition"], match) == FALLBACK


def test_a_merge_of_its_segments_retires_the_run(run_index: Path, tmp_path: Path) -> None:
    path = tmp_path / "merged"
    shutil.copytree(run_index, path)
    with searchcore.open_index(path) as ix:
        ix.whoosh_index.writer().commit(optimize=True)     # whoosh merges them into one
    with searchcore.open_index(path) as ix:
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1]
        assert not list(path.glob("gen-*/*.srun*"))          # gone with its first segment
        for match in ("all", "any"):
            assert check_queries(ix, QUERIES, match) == FALLBACK


def test_a_run_missing_a_file_is_not_used(run_index: Path, tmp_path: Path) -> None:
    path = tmp_path / "missing"
    shutil.copytree(run_index, path)
    (tf,) = path.glob("gen-*/*.srun.spst_title_tf.npy")
    tf.unlink()
    with searchcore.open_index(path) as ix:
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1, 1]
    assert _results(path) == _results(run_index)
    result = CliRunner().invoke(cli, ["index", "check", "--index", str(path), "-q"])
    assert result.exit_code == 1, result.output
    assert "postings of title are missing" in result.output and "not used" in result.output


def test_postings_are_stored_narrow_and_a_version_1_index_reads_as_before(
        run_index: Path, tmp_path: Path) -> None:
    """Version 2 stores frequencies, position offsets and positions in the narrowest
    type that holds them (the run's too); an index written before (version 1: every
    part wide) is read as it is: the same results, its run used, nothing converted
    from whoosh, and ``index check`` content with it."""
    import numpy as np
    import orjson

    from searchcore.execution import postings

    files = {part: sorted(run_index.glob(f"gen-*/*.spst_body_{part}.npy"))
             for part in ("tf", "posoff", "pos")}
    assert all(len(found) == 3 for found in files.values())     # two segments and the run
    narrow = {"tf": np.uint8, "posoff": np.uint32, "pos": np.uint16}
    for part, found in files.items():
        assert {np.load(f, mmap_mode="r").dtype for f in found} == {np.dtype(narrow[part])}
    old = tmp_path / "version1"
    shutil.copytree(run_index, old)
    for path in old.glob("gen-*/*.spst_*.npy"):
        for part in ("tf", "posoff", "pos"):
            if path.name.endswith(f"_{part}.npy"):
                np.save(path, np.load(path).astype(postings.STORAGE_TYPES[part][-1]))
    for meta in old.glob("gen-*/*.spst_meta.json"):
        data = orjson.loads(meta.read_bytes())
        assert data["version"] == postings.POSTINGS_VERSION == 2
        meta.write_bytes(orjson.dumps({**data, "version": 1}))
    manifest = old / layout.MANIFEST_NAME         # as the code of format 5 wrote it
    manifest.write_bytes(orjson.dumps(orjson.loads(manifest.read_bytes()) | {"format_version": 5}))
    assert np.load(next(old.glob("gen-*/*.srun.spst_body_tf.npy"))).dtype == np.float32
    assert _results(old) == _results(run_index)
    with searchcore.open_index(old) as ix:
        (leaf,) = runs.leaves(ix.searcher())
        assert len(leaf.readers) == 2
        assert ix.search('"prime minister"', snippets=0).hits
        assert leaf.postings._on_disk and leaf.postings._converted == {}
    result = CliRunner().invoke(cli, ["index", "check", "--index", str(old), "-q"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(manifest.read_bytes())["format_version"] == 5     # reads change nothing
    # A write adds version 2 lists a reader of format 5 cannot read: marked 6 first,
    # so that such a reader asks to be upgraded (tests/test_engine.py) instead.
    with searchcore.open_index(old) as ix:
        ix.add([{"id": "late", "title": "Late news", "body": "A quokka on the lawn."}])
        assert [h.id for h in ix.search("quokka", snippets=0).hits] == ["late"]
    assert orjson.loads(manifest.read_bytes())["format_version"] == layout.FORMAT_VERSION == 6


def test_a_damaged_run_list_is_repaired_one_term_at_a_time(run_index: Path,
                                                           tmp_path: Path) -> None:
    """A list of the run that fails its checks is answered from its members' lists of
    the same term, that term only: the field is not merged in memory (at 1M the body
    took seconds and a gigabyte). Words and phrases over the damaged lists return
    what the undamaged index returns."""
    import numpy as np

    from searchcore.execution.postings import STORAGE_TYPES

    damaged = tmp_path / "damaged"
    shutil.copytree(run_index, damaged)
    with searchcore.open_index(run_index) as ix:
        (leaf,) = runs.leaves(ix.searcher())
        body = leaf.postings.field("body")
        analyzer = ix.whoosh_index.schema["body"].analyzer
        words = {w: body.find(next(t.text for t in analyzer(w)).encode())
                 for w in ("minister", "prime", "election")}
        assert min(words.values()) >= 0
        spans = {w: (int(body.docoff[i]), int(body.docoff[i + 1])) for w, i in words.items()}
    searches = ["minister", '"prime minister"', "election", "prime minister election"]

    def results(path: Path) -> list:
        with searchcore.open_index(path) as ix:
            return [[(h.id, h.score) for h in ix.search(q, limit=20, snippets=0,
                                                       suggest=False).hits] for q in searches]

    (docs_file,) = damaged.glob("gen-*/*.srun.spst_body_docs.npy")
    docs = np.load(docs_file)
    lo, hi = spans["election"]
    docs[lo:hi] = docs[lo:hi][::-1]                      # not ascending
    np.save(docs_file, docs)
    (posoff_file,) = damaged.glob("gen-*/*.srun.spst_body_posoff.npy")
    posoff = np.load(posoff_file)
    assert posoff.dtype == STORAGE_TYPES["posoff"][0]
    lo, hi = spans["minister"]
    assert hi - lo > 2
    (pos_file,) = damaged.glob("gen-*/*.srun.spst_body_pos.npy")
    posoff[lo + 1:hi] = len(np.load(pos_file, mmap_mode="r")) + 5   # past the positions
    np.save(posoff_file, posoff)
    assert results(damaged) == results(run_index)
    with searchcore.open_index(damaged) as ix:
        (leaf,) = runs.leaves(ix.searcher())
        for q in searches:
            ix.search(q, limit=20, snippets=0, suggest=False)
        assert leaf.postings._converted == {}            # no field merged whole
        repaired = {(name, i) for name, i in leaf.postings._terms_repaired}
        assert repaired == {("body", words["election"]), ("body", words["minister"])}


def test_a_big_add_searches_its_batches_as_one_run(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``Index.add`` of several build batches writes a segment per batch and then their
    run: searched as one segment, with what the segments one by one return. An add
    of one batch writes no run (nothing to join)."""
    from conftest import bbc_articles
    from test_columns import dated

    from searchcore.index import build

    articles = dated(bbc_articles())
    monkeypatch.setattr(build, "CHUNK_DOCS", 60)       # a batch every 60 articles
    path = tmp_path / "added"
    with searchcore.create_index(path) as ix:
        ix.add(articles[:50])                          # one batch: no run
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1]
        ix.add(articles[50:])                          # 250 = 4 x 60 + 10: five batches
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1, 5]
        for match in ("all", "any"):
            assert check_queries(ix, QUERIES, match) == FALLBACK
    assert _results(path) == _results(_without_run(path, tmp_path))


KILLED_WHILE_WRITING_THE_RUN = """
import os, signal, sys
from searchcore.execution import runs
from searchcore.index import build
import searchcore
sys.path.insert(0, {tests!r})
from conftest import bbc_articles

build.CHUNK_DOCS = 60
appended = runs.NpyAppender.append
def append_then_die(self, values):
    appended(self, values)
    os.kill(os.getpid(), signal.SIGKILL)       # no cleanup of any kind runs
runs.NpyAppender.append = append_then_die
with searchcore.open_index({path!r}) as ix:
    ix.add(bbc_articles()[50:])
"""


def test_a_writer_killed_while_writing_a_run_leaves_nothing_behind(tmp_path: Path) -> None:
    """``kill -9`` of an add while it writes its run (after its commit): the add's
    articles are searchable (segment by segment, no run), and the next write removes
    the half-written temporaries the killed process left in the live generation."""
    import signal
    import subprocess
    import sys

    from conftest import bbc_articles

    path = tmp_path / "index"
    with searchcore.create_index(path) as ix:
        ix.add(bbc_articles()[:50])
    script = KILLED_WHILE_WRITING_THE_RUN.format(tests=str(Path(__file__).parent),
                                                 path=str(path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = list(path.glob("gen-*/.*.tmp"))
    assert left, "the killed writer left temporaries"
    with searchcore.open_index(path) as ix:
        assert len(ix) == 300
        assert [len(leaf.readers) for leaf in runs.leaves(ix.searcher())] == [1] * 6
        assert ix.search("football", snippets=0).hits
        ix.add([seed_article()])                      # the next writer
    assert not list(path.glob("gen-*/.*.tmp"))
    with searchcore.open_index(path) as ix:
        assert len(ix) == 301 and ix.get("seed") is not None
