"""Time a full build of Reuters-21578: plain whoosh vs searchcore's build_index.

Each variant runs in its own fresh Python process, in the same run, interleaved over
``--rounds`` rounds; the table reports each variant's fastest round (the machine may
be shared) and the peak memory of its process tree:

* ``plain-whoosh``: stock whoosh 2.7.4 writer (default ``limitmb``), one process;
  schema ``id`` ID, ``title``/``body`` TEXT with ``StemmingAnalyzer``, stored fields
  (the usual "whoosh out of the box" baseline; searched with BM25F).
* ``searchcore-w1``: ``searchcore.build_index(..., workers=1)`` — the full searchcore
  schema (NLTK Snowball analysis, dates, sources, categories), fast writer.
* ``searchcore-w2``: the same with 2 forked workers.

Docs/s counts records read per second of wall time, including start-up, reading and
normalising the JSON, and the commit. Peak memory, sampled every 20 ms (psutil) over
the process and its children: the sum of RSS (counts pages shared copy-on-write with
forked workers once per process, so it overstates) and the sum of PSS (shared pages
split between sharers: the memory really used); also the largest single process. Results go to ``benchmarks/out/build_reuters-<time>.json``.

    python benchmarks/build_reuters.py                 # full corpus, 3 rounds
    python benchmarks/build_reuters.py --quick         # first 3,000 records, 1 round
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "data" / "reuters21578" / "docs.jsonl"
VARIANTS = ("plain-whoosh", "searchcore-w1", "searchcore-w2")

PLAIN = r"""
import sys, orjson, warnings
warnings.simplefilter("ignore")
from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
corpus, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = Schema(id=ID(stored=True, unique=True),
                title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                published=STORED, source=STORED)
ix = index.create_in(out, schema)
writer = ix.writer()
n = 0
with open(corpus, "rb") as fh:
    for line in fh:
        if limit and n >= limit:
            break
        rec = orjson.loads(line)
        n += 1
        writer.add_document(id=str(rec.get("id", n)), title=rec.get("title") or "",
                            body=rec.get("body") or "", published=rec.get("published"),
                            source=rec.get("source"))
writer.commit()
print(n)
"""

SEARCHCORE = r"""
import sys, warnings
warnings.simplefilter("ignore")
from searchcore.index.build import build_index
corpus, out, limit, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
summary = build_index(corpus, out, workers=workers)
print(summary.read)
"""


def _tree_memory(pid: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, largest RSS) over ``pid`` and its children.

    Forked workers share the parent's pages copy-on-write: RSS counts those once per
    process (an overestimate), PSS splits them between the sharers (the real use).
    """
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0, 0, 0
    rss = pss = largest = 0
    for p in procs:
        try:
            info = p.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            largest = max(largest, info.rss)
        except psutil.Error:
            pass
    return rss, pss, largest


def run_variant(name: str, corpus: Path, limit: int, workdir: Path) -> dict:
    out = workdir / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if name == "plain-whoosh":
        cmd = [sys.executable, "-c", PLAIN, str(corpus), str(out), str(limit)]
    else:
        cmd = [sys.executable, "-c", SEARCHCORE, str(corpus), str(out / "index"), str(limit),
               name.removeprefix("searchcore-w")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = peak_pss = peak_one = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss, peak_one
        while not stop.is_set():
            rss, pss, one = _tree_memory(proc.pid)
            peak, peak_pss, peak_one = max(peak, rss), max(peak_pss, pss), max(peak_one, one)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        import psutil  # noqa: F401

        sampler.start()
    except ImportError:
        pass
    stdout, _ = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    if sampler.is_alive():
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    docs = int(stdout.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"variant": name, "docs": docs, "seconds": round(seconds, 3),
            "docs_per_sec": round(docs / seconds, 1),
            "cpu_seconds": round(after.ru_utime - before.ru_utime
                                 + after.ru_stime - before.ru_stime, 3),
            "peak_tree_rss_mb": round(peak / 2**20, 1) if peak else None,
            "peak_tree_pss_mb": round(peak_pss / 2**20, 1) if peak_pss else None,
            "max_process_rss_mb": round(peak_one / 2**20, 1) if peak_one else None,
            "index_mb": round(size / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help="JSON Lines corpus (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="first 3,000 records and one round (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of {', '.join(VARIANTS)}")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="folder for the JSON")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"corpus {str(args.corpus)!r} not found")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown!r}")
    corpus = args.corpus
    rounds = 1 if args.quick else args.rounds
    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        if args.quick:
            corpus = Path(tmp) / "quick.jsonl"
            with open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
                for _, line in zip(range(3000), src):
                    dst.write(line)
        runs: list[dict] = []
        for round_ in range(rounds):
            for name in variants:
                result = run_variant(name, corpus, 0, Path(tmp) / "work")
                result["round"] = round_ + 1
                runs.append(result)
                print(f"round {round_ + 1} {name}: {result['seconds']:.2f} s, "
                      f"{result['docs_per_sec']:,.0f} docs/s, "
                      f"peak RSS {result['peak_tree_rss_mb']} MB, "
                      f"PSS {result['peak_tree_pss_mb']} MB", file=sys.stderr)
    best = {}
    for name in variants:
        mine = [r for r in runs if r["variant"] == name]
        fastest = min(mine, key=lambda r: r["seconds"])
        best[name] = dict(fastest,
                          peak_tree_rss_mb=max((r["peak_tree_rss_mb"] or 0) for r in mine) or None,
                          peak_tree_pss_mb=max((r["peak_tree_pss_mb"] or 0) for r in mine) or None)
    base = best.get("plain-whoosh")
    print(f"\nBuild of {corpus.name} ({best[variants[0]]['docs']:,} records), fastest of "
          f"{rounds} round(s), load average {os.getloadavg()[0]:.1f}\n")
    print("| variant | seconds | docs/s | x plain whoosh | peak RSS sum MB | peak PSS sum MB "
          "| largest process MB | index MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in variants:
        r = best[name]
        ratio = f"{base['seconds'] / r['seconds']:.2f}" if base else "-"
        print(f"| {name} | {r['seconds']:.2f} | {r['docs_per_sec']:,.0f} | {ratio} | "
              f"{r['peak_tree_rss_mb']} | {r['peak_tree_pss_mb']} | "
              f"{r['max_process_rss_mb']} | {r['index_mb']} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = args.out / f"build_reuters-{stamp}.json"
    target.write_text(json.dumps({"corpus": str(args.corpus), "quick": args.quick,
                                  "rounds": rounds, "load_average": os.getloadavg(),
                                  "best": best, "runs": runs}, indent=2))
    print(f"\nwrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
