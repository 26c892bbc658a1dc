"""The benchmark scripts stay runnable: --help works, and the evaluation helper and the
corpus expander give the right answers on toy input. No timings here (see benchmarks/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = ("quality.py", "speed.py", "core_vs_whoosh.py", "expand.py", "extraction.py",
           "serve_load.py", "news.py", "stories.py", "shards.py", "search_memory.py")


@pytest.fixture(scope="module")
def bench_path():
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script: str) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / script), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:")
    assert f"python benchmarks/{script}" in proc.stdout       # the examples are shown


def test_evaluate_toy_qrels(bench_path) -> None:
    pytest.importorskip("ir_measures")
    from quality import evaluate

    qrels = {"q1": {"d1": 1, "d3": 1}, "q2": {"d9": 2}}
    run = {"q1": {"d1": 3.0, "d2": 2.0, "d3": 1.0}, "q2": {}}
    scores = evaluate(run, qrels, ["P@1", "R@100", "AP@100", "nDCG@10"])
    # q1: P@1 = 1, R = 1, AP = (1/1 + 2/3) / 2; q2 returned nothing and counts 0.
    assert scores["P@1"] == pytest.approx(0.5)
    assert scores["R@100"] == pytest.approx(0.5)
    assert scores["AP@100"] == pytest.approx((1 + 2 / 3) / 2 / 2)
    assert 0 < scores["nDCG@10"] < 0.5


def test_qrels_and_queries_readers(bench_path, tmp_path: Path) -> None:
    from quality import read_qrels, read_queries

    (tmp_path / "q.tsv").write_text("1\tWhat is (BM25)?\n2\tsecond query\n", encoding="utf-8")
    (tmp_path / "qrels.txt").write_text("1 0 d1 1\n1 0 d2 0\n", encoding="utf-8")
    assert read_queries(tmp_path / "q.tsv") == {"1": "What is (BM25)?", "2": "second query"}
    assert read_qrels(tmp_path / "qrels.txt") == {"1": {"d1": 1, "d2": 0}}


def test_query_words_drop_syntax(bench_path) -> None:
    from peers import words

    assert words('"Bank of America": (rates) -cut AND_x') == ["bank", "of", "america", "rates",
                                                               "cut", "and", "x"]


def test_expander_is_deterministic_and_real(bench_path, tmp_path: Path) -> None:
    import orjson
    from expand import expand

    source = tmp_path / "docs.jsonl"
    paras = [f"Paragraph {i} about central banks and interest rates, long enough." for i in range(6)]
    source.write_bytes(b"\n".join(orjson.dumps(
        {"id": str(i), "title": f"T{i}", "body": "\n\n".join(paras[i:i + 3])}) for i in range(4)))
    first = list(expand([source], 20, seed=7))
    assert first == list(expand([source], 20, seed=7))
    assert [d["id"] for d in first] == [f"x{n:07d}" for n in range(1, 21)]
    for doc in first:
        assert set(doc["body"].split("\n\n")) <= set(paras)
        assert doc["title"] in {"T0", "T1", "T2", "T3"}
        assert doc["published"].startswith(tuple(str(y) for y in range(1987, 2025)))


def test_extraction_scoring_follows_the_benchmark(bench_path) -> None:
    from extraction import page_scores, score

    true = "one two three four five six"          # 3 shingles
    assert page_scores(true, true) == (1.0, 1.0)
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("", true) == (0.0, 0.0)
    # Both predicted shingles are true ones; 2 of the 3 true shingles found.
    assert page_scores("one two three four five", true) == pytest.approx((1.0, 2 / 3))
    assert page_scores("zero One two three four five", true) == pytest.approx((2 / 3, 2 / 3))
    result = score([(true, true), ("", true)])
    assert (result["precision"], result["recall"], result["f1"]) == (0.5, 0.5, 0.5)


def test_search_memory_runs_on_a_small_index(news_index_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "search_memory.py"), "--index",
                           str(news_index_path), "--quick"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "peak RSS (VmHWM)" in proc.stdout and "after open + 21 queries" in proc.stdout
