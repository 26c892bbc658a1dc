"""Speed: indexing rate, peak memory, index size and query latency, searchcore vs peers.

Each (corpus, engine) pair runs in its own fresh Python process (this script with
``--worker``), so peak memory is that engine's alone and no engine warms caches for
another. Peak memory ("peak MB") is the process's VmHWM during the build (reset at
start: a child inherits its parent's high-water mark), or, for an engine that forks
workers (searchcore's build_index), the peak sum of the process tree's PSS sampled
every 100 ms. The worker streams the corpus file into the engine (bm25s must hold it),
then opens one searcher and times every query on it, top 10:

* ``term``     one word                       (rotating rare / mid / common bands)
* ``or``       three words, any may match     (one per band)
* ``and``      two words, all must match      (one common, one mid)
* ``phrase``   two adjacent words from a real article (so at least one hit)
* ``snippets`` the ``or`` queries, each hit with highlighted fragments
* ``month``    two words (any may match) within one calendar month of ``published``,
               a month some sampled article was published in: each engine's own
               range query over an indexed date (tantivy: a fast date field; FTS5: an
               UNINDEXED column in the WHERE clause; whoosh: DATETIME + DateRange)

Query words are drawn deterministically (``random.Random(seed)``) from the corpus
itself: document frequencies are counted on an evenly strided sample of at most
20,000 articles, words of 3+ letters that are not English stop words; bands are
rare (df 0.05-0.2% of documents), mid (0.2-2%), common (2-20%). The query file goes
into ``benchmarks/out/`` next to the results. Five warm-up queries precede timing.

Corpora (``--sizes``): ``reuters`` (Reuters-21578), ``news`` (Reuters, 20 Newsgroups,
AG News test, BBC News together, about 50k, ids prefixed by corpus), ``100k`` and
``1m`` (``benchmarks/expand.py``, seed 20240414, written once to
``benchmarks/out/corpora/``). Engines whose indexing rate makes a size take too long
(``--slow-limit``, default 150k documents, for the stock-whoosh writers: plain whoosh,
and searchcore while ``build_index`` does not exist) are skipped and the reason is
printed. ``--repeats`` runs the engines interleaved (A B C A B C); the tables give
the median and the min in brackets. "search MB" is the peak resident memory of
opening the index and running every query (VmHWM reset after the build);
``--searchcore-index PATH`` searches an index built before instead of building one.

Page cache (``--page-cache``): an engine's files are, by default, as its build left
them, so an index built in the run is mostly in the page cache and one given with
``--searchcore-index`` is as found. That measures two engines in different states.
``warm`` reads every file of each engine's index once before it opens (all start
from the cache); ``cold`` drops the page cache before each engine opens (Linux, as
root: ``/proc/sys/vm/drop_caches``), so each reads its index from disk.

Examples::

    python benchmarks/speed.py --quick                      # 2,000 Reuters docs, ~1 min
    python benchmarks/speed.py                              # reuters, news, 100k
    python benchmarks/speed.py --sizes 1m --engines searchcore tantivy sqlite_fts5 bm25s
    python benchmarks/speed.py --sizes reuters --repeats 3
    python benchmarks/speed.py --sizes 1m --engines searchcore tantivy --page-cache cold \
        --searchcore-index ~/x1m-index

Prints markdown tables (absolute figures, then searchcore / peer ratios) and writes
JSON to ``benchmarks/out/speed*.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import (ENGINES, cpu_info, dir_size, load_engine, published_of, read_docs,  # noqa: E402
                   words)

SHARED_DATA = HERE.parent.parent / "shared" / "data"
NEWS_CORPORA = ("reuters21578", "20newsgroups-bydate", "ag-news-test", "bbc-news")
KINDS = ("term", "or", "and", "phrase", "snippets", "month")
BANDS = {"rare": (0.0005, 0.002), "mid": (0.002, 0.02), "common": (0.02, 0.2)}
SAMPLE_DOCS = 20_000
SEED = 20240414
SLOW_ENGINES_MSG = "stock whoosh writer (~300-900 docs/s here): {n:,} docs would take {m:.0f}+ min"


# -- corpora ----------------------------------------------------------------------------
def corpus_file(size: str, out: Path) -> Path:
    """The JSONL file for corpus ``size``, materialised under ``out/corpora`` if needed."""
    corpora = out / "corpora"
    corpora.mkdir(parents=True, exist_ok=True)
    if size == "reuters":
        return SHARED_DATA / "reuters21578" / "docs.jsonl"
    if size == "quick":
        path = corpora / "reuters-2000.jsonl"
        if not path.exists():
            _write(path, read_docs(SHARED_DATA / "reuters21578" / "docs.jsonl", 2000))
        return path
    if size == "news":
        path = corpora / "news.jsonl"
        if not path.exists():
            def merged():  # type: ignore[no-untyped-def]
                for name in NEWS_CORPORA:
                    for doc in read_docs(SHARED_DATA / name / "docs.jsonl"):
                        doc["id"] = f"{name}:{doc['id']}"
                        yield doc
            _write(path, merged())
        return path
    counts = {"100k": 100_000, "1m": 1_000_000, "300k": 300_000}
    if size not in counts:
        raise SystemExit(f"unknown size {size!r}; choose reuters, news, 100k, 300k, 1m")
    path = corpora / f"x{size}.jsonl"
    if not path.exists():
        from expand import expand, write_jsonl
        write_jsonl(expand([SHARED_DATA / n / "docs.jsonl" for n in NEWS_CORPORA],
                           counts[size], SEED), path)
    return path


def _write(path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        for doc in docs:
            handle.write(orjson.dumps(doc) + b"\n")
    tmp.replace(path)


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


# -- query sets -------------------------------------------------------------------------
def make_queries(path: Path, per_kind: int, seed: int = SEED) -> dict[str, list[list[str]]]:
    """Deterministic query words per kind, drawn from ``path``'s own vocabulary."""
    from whoosh.lang.stopwords import stoplists

    stop = set(stoplists["en"])
    total = count_lines(path)
    stride = max(1, total // SAMPLE_DOCS)
    df: Counter[str] = Counter()
    sample_docs: list[list[str]] = []
    months: list[str] = []
    for number, doc in enumerate(read_docs(path)):
        if number % stride:
            continue
        published = published_of(doc)
        if published is not None:
            months.append(published.strftime("%Y-%m"))
        tokens = words(f"{doc.get('title') or ''} {doc.get('body') or ''}")
        df.update({t for t in tokens if len(t) >= 3 and t.isalpha() and t not in stop})
        sample_docs.append(tokens)
    n = len(sample_docs)
    rng = random.Random(seed)
    bands = {}
    for band, (lo, hi) in BANDS.items():
        vocab = sorted(w for w, c in df.items() if lo * n <= c < hi * n)
        if not vocab:
            raise SystemExit(f"no words in df band {band!r} for {path}")
        bands[band] = vocab
    pick = lambda band: rng.choice(bands[band])  # noqa: E731
    order = ("rare", "mid", "common")
    queries: dict[str, list[list[str]]] = {
        "term": [[pick(order[i % 3])] for i in range(per_kind)],
        "or": [[pick("rare"), pick("mid"), pick("common")] for _ in range(per_kind)],
        "and": [[pick("common"), pick("mid")] for _ in range(per_kind)],
    }
    phrases = []
    ok = lambda w: len(w) >= 3 and w.isalpha() and w not in stop  # noqa: E731
    while len(phrases) < per_kind:
        tokens = sample_docs[rng.randrange(n)]
        if len(tokens) < 2:
            continue
        i = rng.randrange(len(tokens) - 1)
        if ok(tokens[i]) and ok(tokens[i + 1]):
            phrases.append([tokens[i], tokens[i + 1]])
    queries["phrase"] = phrases
    queries["snippets"] = queries["or"]
    # Words plus a month: [word, word, "YYYY-MM"] (the month last); none if undated.
    queries["month"] = [[pick("mid"), pick("common"), rng.choice(months)]
                        for _ in range(per_kind)] if months else []
    return queries


# -- the worker (one engine, one corpus, its own process) -------------------------------
def _has_children_usage() -> bool:
    """True if this process has forked workers that finished (their maxrss is counted)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0


def reset_peak_rss() -> None:
    """Forget the inherited peak: a child starts with its parent's high-water mark (kept
    across fork and exec), so without this every engine would report at least the
    parent's memory. Linux >= 4.0: writing 5 to clear_refs resets VmHWM."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), or of the largest child it forked,
    whichever is larger (see :class:`TreeSampler` for parallel builders)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return max(own, kids)


class TreeSampler:
    """Peak of (this process + all its children) proportional set size (PSS: shared
    pages split between the processes sharing them), sampled every 100 ms while the
    engine builds: the figure for parallel builders, whose workers' RSS would count
    the pages they share with the parent copy-on-write once per process. Needs
    psutil (else 0)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                procs = [me, *me.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_full_info().pss for p in procs))
            except (psutil.Error, AttributeError):
                pass
            self._stop.wait(0.1)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def prepare_page_cache(mode: str, folder: Path) -> None:
    """Put an engine's index files in the page-cache state ``mode`` asks for (see the
    module's notes): ``as-built`` leaves them, ``warm`` reads each file once,
    ``cold`` writes back dirty pages and drops every clean one."""
    if mode == "warm":
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                with open(path, "rb") as fh:
                    while fh.read(1 << 24):
                        pass
    elif mode == "cold":
        os.sync()
        try:
            DROP_CACHES.write_text("3\n")
        except OSError as exc:
            raise SystemExit(f"--page-cache cold needs to write {DROP_CACHES} "
                             f"(Linux, as root): {exc}") from None


def worker(engine_name: str, docs: Path, queries_path: Path, workdir: Path,
           options: Mapping[str, object], page_cache: str = "as-built") -> dict[str, object]:
    reset_peak_rss()
    engine = load_engine(engine_name, workdir, **options)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    with TreeSampler() as tree:
        count = engine.build_from_file(docs)
    build_s = time.perf_counter() - started
    own_peak = peak_rss_mb()
    tree_mb = tree.peak / 1048576
    # Forked builders: the sampled PSS of the process tree (a child's maxrss counts
    # inherited pages, and only the largest child); single-process engines: VmHWM.
    peak = tree_mb if tree_mb and _has_children_usage() else own_peak
    size = engine.size_bytes()
    prepare_page_cache(page_cache, engine.index_folder())
    # Open + every query: the searching process's own peak, apart from the build's.
    reset_peak_rss()
    engine.open()
    queries = orjson.loads(queries_path.read_bytes())
    latency: dict[str, object] = {}
    for kind in KINDS:
        mode = {"or": "any", "snippets": "any", "term": "any", "and": "all",
                "phrase": "phrase", "month": "any"}[kind]
        reason = engine.unsupported.get(kind if kind in ("snippets", "month") else mode)
        if not reason and not queries.get(kind):
            reason = "the corpus has no publication dates"
        if reason:
            latency[kind] = {"skipped": reason}
            continue
        snippets = kind == "snippets"
        # The month kind's last element is the month; every other kind is all words.
        split = [(q[:-1], q[-1]) if kind == "month" else (q, None) for q in queries[kind]]
        for terms, month in split[:5]:
            engine.search(terms, mode, 10, snippets, month=month)
        times, hits = [], 0
        for terms, month in split:
            t0 = time.perf_counter()
            hits += len(engine.search(terms, mode, 10, snippets, month=month))
            times.append((time.perf_counter() - t0) * 1000.0)
        times.sort()
        latency[kind] = {"p50_ms": statistics.median(times),
                         "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))],
                         "queries": len(times), "mean_hits": hits / len(times)}
    query_peak = peak_rss_mb()
    result = {"engine": engine.describe(), "docs": count, "build_s": build_s,
              "query_peak_rss_mb": query_peak,
              "docs_per_s": count / build_s if build_s else None, "peak_rss_mb": peak,
              "maxrss_mb": own_peak, "tree_sampled_mb": tree_mb,
              "rss_before_build_mb": rss_before, "index_mb": size / 1e6,
              "page_cache": page_cache, "latency": latency}
    engine.close()
    return result


def run_worker(engine: str, docs: Path, queries_path: Path, workdir: Path,
               options: Mapping[str, object], timeout: float,
               page_cache: str = "as-built") -> dict[str, object]:
    """Run :func:`worker` in a fresh interpreter; its JSON result, or the error."""
    import shutil

    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / engine
    shutil.rmtree(target, ignore_errors=True)
    result_path = workdir / f"{engine}.result.json"
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--docs", str(docs),
           "--queries-file", str(queries_path), "--workdir", str(target), "--result",
           str(result_path), "--options", orjson.dumps(dict(options)).decode(),
           "--page-cache", page_cache]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    finally:
        shutil.rmtree(target, ignore_errors=True)
    if proc.returncode != 0 or not result_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    return orjson.loads(result_path.read_bytes())


# -- reporting --------------------------------------------------------------------------
def summarise(runs: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Median and min over repeats of each figure (runs without error only)."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0].get("error", "no runs")}
    out: dict[str, object] = {"engine": ok[0]["engine"], "docs": ok[0]["docs"], "runs": len(ok)}
    for key in ("docs_per_s", "build_s", "peak_rss_mb", "index_mb", "query_peak_rss_mb"):
        values = [float(r.get(key) or 0.0) for r in ok]
        out[key] = statistics.median(values)
        out[key + "_best"] = max(values) if key == "docs_per_s" else min(values)
    latency: dict[str, object] = {}
    for kind in KINDS:
        entries = [r["latency"][kind] for r in ok]  # type: ignore[index]
        if "skipped" in entries[0]:
            latency[kind] = entries[0]
            continue
        latency[kind] = {stat: statistics.median(e[stat] for e in entries)
                         for stat in ("p50_ms", "p95_ms", "mean_hits")}
        latency[kind]["p50_min_ms"] = min(e["p50_ms"] for e in entries)
    out["latency"] = latency
    return out


def tables(corpus: str, summary: Mapping[str, Mapping[str, object]]) -> str:
    lines = [f"### {corpus}", "",
             "| engine | docs | docs/s | build s | peak MB | search MB | index MB | "
             + " | ".join(f"{k} p50/p95 ms" for k in KINDS) + " |",
             "|" + "---|" * (7 + len(KINDS))]
    for name, s in summary.items():
        if "error" in s or "skipped" in s:
            lines.append(f"| {name} | {s.get('skipped') or s.get('error')} |" + " |" * (6 + len(KINDS)))
            continue
        cells = []
        for kind in KINDS:
            lat = s["latency"][kind]  # type: ignore[index]
            cells.append("–" if "skipped" in lat else f"{lat['p50_ms']:.2f} / {lat['p95_ms']:.2f}")
        runs = int(s["runs"])  # type: ignore[arg-type]
        rate = f"{s['docs_per_s']:,.0f}" + (f" ({s['docs_per_s_best']:,.0f})" if runs > 1 else "")
        lines.append(f"| {s['engine']} | {s['docs']:,} | {rate} | {s['build_s']:.1f} | "
                     f"{s['peak_rss_mb']:.0f} | {s['query_peak_rss_mb']:.0f} | "
                     f"{s['index_mb']:.1f} | " + " | ".join(cells) + " |")
    ours = summary.get("searchcore")
    if ours and "latency" in ours:
        lines += ["", "searchcore / peer (indexing: rate ratio, >1 = searchcore faster; "
                  "queries: p50 ratio, <1 = searchcore faster)", "",
                  "| peer | indexing | " + " | ".join(KINDS) + " | index size | peak RSS |",
                  "|" + "---|" * (4 + len(KINDS))]
        for name, s in summary.items():
            if name == "searchcore" or "latency" not in s:
                continue
            cells = []
            for kind in KINDS:
                a, b = ours["latency"][kind], s["latency"][kind]  # type: ignore[index]
                cells.append("–" if "skipped" in a or "skipped" in b
                             else f"{a['p50_ms'] / b['p50_ms']:.2f}x")
            lines.append(f"| {name} | {ours['docs_per_s'] / s['docs_per_s']:.2f}x | "
                         + " | ".join(cells) + f" | {ours['index_mb'] / s['index_mb']:.2f}x | "
                         f"{ours['peak_rss_mb'] / s['peak_rss_mb']:.2f}x |")
    skipped = [f"- {n}: {s['skipped']}" for n, s in summary.items() if "skipped" in s]
    errors = [f"- {n}: {s['error']}" for n, s in summary.items() if "error" in s]
    if skipped or errors:
        lines += ["", *skipped, *errors]
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------
def slow_reason(engine: str, docs: int, limit: int) -> str | None:
    """Why ``engine`` is skipped at this size, or None to run it."""
    if docs <= limit:
        return None
    if engine == "whoosh_plain":
        return SLOW_ENGINES_MSG.format(n=docs, m=docs / 900 / 60)
    if engine == "searchcore":
        sys.path.insert(0, str(HERE))
        from peers.searchcore import fast_builder
        if fast_builder() is None:
            return SLOW_ENGINES_MSG.format(n=docs, m=docs / 900 / 60) + \
                " (searchcore.index.build not available yet)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Indexing rate, peak memory, index size and query latency of searchcore "
                    "and peer engines, each in its own process.",
        epilog=__doc__.split("Examples::")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=None, metavar="SIZE",
                        help="corpora: reuters news 100k 300k 1m (default: reuters news 100k)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES,
                        metavar="ENGINE", help=f"default: {' '.join(ENGINES)}")
    parser.add_argument("--queries", type=int, default=None,
                        help="queries per kind (default 100; 20 with --quick)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="interleaved runs per engine; tables show the median (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="first 2,000 Reuters articles, 20 queries per kind (~1 min)")
    parser.add_argument("--slow-limit", type=int, default=150_000,
                        help="skip stock-whoosh-writer engines above this many docs "
                             "(default %(default)s)")
    parser.add_argument("--searchcore-index", type=Path, default=None, metavar="PATH",
                        help="search this existing searchcore index of the corpus instead "
                             "of building one (e.g. a 1M index built once)")
    parser.add_argument("--page-cache", choices=("as-built", "warm", "cold"), default="as-built",
                        help="each engine's index files before it opens: as its build left "
                             "them, all read once, or all dropped (see the notes; default "
                             "%(default)s)")
    parser.add_argument("--workers", type=int, default=None,
                        help="workers for searchcore.build_index (default: its own)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds before one engine run is abandoned (default %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "out",
                        help="folder for JSON, query sets and corpora (default: %(default)s)")
    # internal: one engine in this process
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args.worker, args.docs, args.queries_file, args.workdir,
                        orjson.loads(args.options), args.page_cache)
        args.result.write_bytes(orjson.dumps(result))
        return 0

    sizes = args.sizes or (["quick"] if args.quick else ["reuters", "news", "100k"])
    per_kind = args.queries or (20 if args.quick else 100)
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **cpu_info(),
            "argv": sys.argv[1:] if argv is None else argv, "queries_per_kind": per_kind,
            "repeats": args.repeats, "page_cache": args.page_cache,
            "python": sys.version.split()[0]}
    report: dict[str, object] = {**meta, "corpora": {}}
    out_md = []
    for size in sizes:
        docs = corpus_file(size, args.out)
        total = count_lines(docs)
        queries = make_queries(docs, per_kind)
        qpath = args.out / f"queries-{size}.json"
        qpath.write_bytes(orjson.dumps(queries, option=orjson.OPT_INDENT_2))
        runs: dict[str, list[dict[str, object]]] = {e: [] for e in args.engines}
        skipped = {e: r for e in args.engines if (r := slow_reason(e, total, args.slow_limit))}
        for repeat in range(args.repeats):
            for engine in args.engines:
                if engine in skipped:
                    continue
                options: dict[str, object] = {}
                if engine == "searchcore" and args.workers:
                    options["workers"] = args.workers
                if engine == "searchcore" and args.searchcore_index:
                    options["index"] = str(args.searchcore_index.resolve())
                result = run_worker(engine, docs, qpath, args.out / "work" / size, options,
                                    args.timeout, args.page_cache)
                runs[engine].append(result)
                print(f"  {size} #{repeat + 1} {engine}: "
                      + (result.get("error") or f"{result['docs_per_s']:,.0f} docs/s, "
                         f"{result['peak_rss_mb']:.0f} MB"), file=sys.stderr, flush=True)
        summary = {e: ({"skipped": skipped[e]} if e in skipped else summarise(runs[e]))
                   for e in args.engines}
        report["corpora"][size] = {"file": str(docs), "docs": total,  # type: ignore[index]
                                   "summary": summary, "runs": runs}
        out_md.append(tables(f"{size} ({total:,} docs)", summary))
        print(out_md[-1] + "\n", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "speed-quick" if args.quick else "speed-" + "-".join(sizes)
    path = args.out / f"{stem}.json"
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"machine: {meta['cpu']}, nproc {meta['nproc']}; page cache {meta['page_cache']}; "
          f"{meta['date']}\nJSON: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
