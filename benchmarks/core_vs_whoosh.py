"""searchcore's library path against plain whoosh, same corpus, one run (issue 2).

Both sides index the same articles into the same field set and answer the same
queries; what differs is what searchcore adds on top of whoosh:

* **searchcore**: ``create_index`` + ``Index.add`` (validation, normalisation, NLTK
  tokenizer + Snowball stemmer + stop words, ``update_document`` by id), then
  ``Index.search(q, limit=10)`` (match all words, exact total, stored fields into
  typed hits) with ``snippets=0`` and with ``snippets=3``.
* **plain whoosh 2.7.4**: the equivalent schema (id, title, body, published,
  source, category) with ``StemmingAnalyzer`` on title and body, one writer,
  ``add_document``, ``commit``; a searcher with BM25F kept open, MultifieldParser
  over title+body (AND), ``searcher.search(q, limit=10)``, ``len(results)`` (the
  exact total) and ``hit.fields()`` for every hit; snippets = ``hit.highlights
  ("body", top=3)``.

Queries: 100 deterministic two-word queries (seed 20240414), two distinct content
words (3+ letters, not stop words) from one random article, so every query has a
hit. Each (engine, repeat) runs in a fresh process so no analyzer cache carries
over; repeats are interleaved and the table reports the median and the best.
Latencies are per query on a reused searcher, after 5 warm-up queries.

Targets (issue 2): indexing rate ratio searchcore/whoosh >= 1.0; query p50 ratio
<= 1.2. ``--profile`` writes cProfile dumps of searchcore's indexing and querying
to ``benchmarks/out/`` and prints the top functions.

Examples::

    python benchmarks/core_vs_whoosh.py                              # tests/data sample
    python benchmarks/core_vs_whoosh.py /work/shared/data/bbc-news/docs.jsonl --repeats 3
    python benchmarks/core_vs_whoosh.py --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from peers import cpu_info, read_docs, words  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "bbc-sample.jsonl"
SEED_FILE = ROOT / "tests" / "data" / "seed" / "000_08f5dd3932140497.txt"
SEED = 20240414


def sample_corpus() -> list[dict]:
    """tests/data: the 300 BBC articles plus the seed article (as tests/conftest.py reads it)."""
    docs = list(read_docs(SAMPLE))
    lines = [ln.strip() for ln in SEED_FILE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    docs.append({"id": "seed", "title": lines[0], "body": "\n\n".join(lines[1:-1]),
                 "published": "2024-04-14T00:00:00+00:00", "source": "Seed Wire",
                 "category": ["world"]})
    return docs


def load_corpus(path: Path | None) -> list[dict]:
    return sample_corpus() if path is None else list(read_docs(path))


def make_queries(docs: list[dict], count: int = 100, seed: int = SEED) -> list[str]:
    """``count`` two-word queries, both words from one article (so each has a hit)."""
    from whoosh.lang.stopwords import stoplists

    stop = set(stoplists["en"])
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        doc = docs[rng.randrange(len(docs))]
        content = sorted({w for w in words(f"{doc.get('title', '')} {doc.get('body', '')}")
                          if len(w) >= 3 and w.isalpha() and w not in stop})
        if len(content) >= 2:
            out.append(" ".join(rng.sample(content, 2)))
    return out


# -- the two sides ----------------------------------------------------------------------
class SearchcoreSide:
    name = "searchcore"

    def __init__(self) -> None:
        import searchcore  # noqa: F401 - import cost (NLTK) is reported apart, not as indexing

    def build(self, docs: list[dict], path: Path) -> None:
        import searchcore
        with searchcore.create_index(path) as ix:
            ix.add(docs)

    def open(self, path: Path) -> None:
        import searchcore
        self.ix = searchcore.open_index(path)

    def query(self, text: str, snippets: bool) -> int:
        return len(self.ix.search(text, limit=10, snippets=3 if snippets else 0).hits)

    def close(self) -> None:
        self.ix.close()


class WhooshSide:
    name = "whoosh"

    def __init__(self) -> None:
        import whoosh.fields, whoosh.index, whoosh.qparser  # noqa: F401,E401

    @staticmethod
    def schema():  # type: ignore[no-untyped-def]
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
        ana = StemmingAnalyzer()
        return Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=ana, stored=True),
                      body=TEXT(analyzer=ana, stored=True), published=DATETIME(stored=True),
                      source=TEXT(stored=True), category=KEYWORD(stored=True, commas=True))

    def build(self, docs: list[dict], path: Path) -> None:
        from whoosh import index
        path.mkdir(parents=True)
        ix = index.create_in(str(path), self.schema())
        writer = ix.writer()
        for doc in docs:
            fields = {"id": str(doc["id"]), "title": doc.get("title") or "",
                      "body": doc.get("body") or "", "source": doc.get("source") or ""}
            if doc.get("published"):
                fields["published"] = datetime.fromisoformat(doc["published"])
            category = doc.get("category")
            if category:
                fields["category"] = ",".join(category) if isinstance(category, list) else category
            writer.add_document(**fields)
        writer.commit()

    def open(self, path: Path) -> None:
        from whoosh import index, qparser, scoring
        ix = index.open_dir(str(path))
        self.searcher = ix.searcher(weighting=scoring.BM25F())
        self.parser = qparser.MultifieldParser(["title", "body"], ix.schema)

    def query(self, text: str, snippets: bool) -> int:
        results = self.searcher.search(self.parser.parse(text), limit=10)
        len(results)
        n = 0
        for hit in results:
            hit.fields()
            if snippets:
                hit.highlights("body", top=3)
            n += 1
        return n

    def close(self) -> None:
        self.searcher.close()


SIDES = {"searchcore": SearchcoreSide, "whoosh": WhooshSide}


def one_run(side_name: str, corpus: Path | None, profile_to: Path | None) -> dict[str, object]:
    """Build and query with one side in this process; the timings."""
    started = time.perf_counter()
    side = SIDES[side_name]()
    import_s = time.perf_counter() - started
    docs = load_corpus(corpus)
    queries = make_queries(docs)
    workdir = Path(tempfile.mkdtemp(prefix="sc-core-"))
    try:
        profiler = cProfile.Profile() if profile_to else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        side.build(docs, workdir / "ix")
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile_to) + ".index.prof")
        build_s = time.perf_counter() - started
        side.open(workdir / "ix")
        out: dict[str, object] = {"docs": len(docs), "build_s": build_s, "import_s": import_s,
                                  "docs_per_s": len(docs) / build_s}
        for snippets in (False, True):
            for q in queries[:5]:
                side.query(q, snippets)
            profiler = cProfile.Profile() if profile_to else None
            times = []
            for q in queries:
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                side.query(q, snippets)
                times.append((time.perf_counter() - t0) * 1000.0)
                if profiler:
                    profiler.disable()
            if profiler:
                profiler.dump_stats(f"{profile_to}.query{'-snippets' if snippets else ''}.prof")
            out["p50_snippets_ms" if snippets else "p50_ms"] = statistics.median(times)
        side.close()
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def top_functions(prof: Path, n: int = 12) -> str:
    buf = io.StringIO()
    pstats.Stats(str(prof), stream=buf).sort_stats("cumulative").print_stats(n)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Indexing docs/s and query p50 of searchcore vs plain whoosh (issue 2).",
        epilog=__doc__.split("Examples::")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=None,
                        help="docs.jsonl to index (default: tests/data BBC sample + seed)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="one run each")
    parser.add_argument("--profile", action="store_true",
                        help="also profile searchcore (cProfile) and print the top functions")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="default: %(default)s")
    parser.add_argument("--one", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:
        print(orjson.dumps(one_run(args.one, args.corpus, args.profile_to)).decode())
        return 0

    repeats = 1 if args.quick else args.repeats
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in SIDES}
    for _ in range(repeats):
        for name in SIDES:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--one", name]
            if args.corpus:
                cmd.append(str(args.corpus))
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                raise SystemExit(f"{name} run failed:\n{proc.stderr[-2000:]}")
            runs[name].append(orjson.loads(proc.stdout.strip().splitlines()[-1]))
    med = {name: {k: statistics.median(float(r[k]) for r in rs) for k in rs[0]}
           for name, rs in runs.items()}
    best = {name: {"docs_per_s": max(float(r["docs_per_s"]) for r in rs),
                   "p50_ms": min(float(r["p50_ms"]) for r in rs),
                   "p50_snippets_ms": min(float(r["p50_snippets_ms"]) for r in rs)}
            for name, rs in runs.items()}
    s, w = med["searchcore"], med["whoosh"]
    corpus = str(args.corpus or "tests/data (300 BBC + seed)")
    lines = [f"corpus: {corpus}, {int(s['docs'])} docs, 100 two-word AND queries, top 10; "
             f"median of {repeats} (best in brackets)", "",
             "| | searchcore | plain whoosh | ratio | target |", "|---|---|---|---|---|",
             f"| indexing docs/s | {s['docs_per_s']:,.0f} ({best['searchcore']['docs_per_s']:,.0f}) "
             f"| {w['docs_per_s']:,.0f} ({best['whoosh']['docs_per_s']:,.0f}) | "
             f"{s['docs_per_s'] / w['docs_per_s']:.2f}x | >= 1.0 |",
             f"| query p50 ms, no snippets | {s['p50_ms']:.2f} ({best['searchcore']['p50_ms']:.2f}) "
             f"| {w['p50_ms']:.2f} ({best['whoosh']['p50_ms']:.2f}) | "
             f"{s['p50_ms'] / w['p50_ms']:.2f}x | <= 1.2 |",
             f"| query p50 ms, 3 snippets | {s['p50_snippets_ms']:.2f} "
             f"({best['searchcore']['p50_snippets_ms']:.2f}) | {w['p50_snippets_ms']:.2f} "
             f"({best['whoosh']['p50_snippets_ms']:.2f}) | "
             f"{s['p50_snippets_ms'] / w['p50_snippets_ms']:.2f}x | <= 1.2 |",
             f"| import s (not in the rates) | {s['import_s']:.2f} | {w['import_s']:.2f} | "
             f"{s['import_s'] / w['import_s']:.1f}x | |"]
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "core_vs_whoosh.json").write_bytes(orjson.dumps(
        {**cpu_info(), "date": datetime.now().astimezone().isoformat(timespec="seconds"),
         "corpus": corpus, "runs": runs, "median": med, "best": best},
        option=orjson.OPT_INDENT_2))
    if args.profile:
        stem = args.out / "core_vs_whoosh-searchcore"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", "searchcore",
               "--profile-to", str(stem)] + ([str(args.corpus)] if args.corpus else [])
        subprocess.run(cmd, check=True, capture_output=True)
        for suffix in ("index", "query", "query-snippets"):
            prof = Path(f"{stem}.{suffix}.prof")
            print(f"\n## searchcore {suffix} profile ({prof})\n")
            print(top_functions(prof))
    return 0


if __name__ == "__main__":
    sys.exit(main())
