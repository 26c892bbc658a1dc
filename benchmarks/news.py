"""Facets, timeline and export speed on a built index (issue 10's targets).

Measures, on an existing searchcore index (e.g. the 1M synthetic expansion):

* **facets**: for ``--queries`` body words each matching about ``--fraction`` of the
  articles (document frequency in the first segment closest to it), the search
  ``search(q, limit=10, snippets=0)`` and the same with
  ``facets=["source", "month"]``, run alternately ``--repeats`` times per query
  after one warm-up (columns open once per searcher). Reported: the p50 of each over
  every run, and the p50 of what facets add (faceted minus plain, per query). The
  postings are memory-mapped arrays, nothing is cached per query, so every timed
  call runs the query as a new one would.
* **timeline**: p50 of ``timeline(q, by="month")`` over the same queries.
* **export**: articles per second of ``scan(q).encoded("jsonl")`` written to
  /dev/null (what ``searchcore export Q > /dev/null`` does, worker processes
  included), for ``*`` and for the first query, up to ``--export-limit`` articles
  each (0: all), and the peak resident memory (VmHWM) before and after.

Load matters on a shared machine: the load average at the start and the CPU time
of this process and of the export's worker processes are printed beside the
wall-clock figures.

Examples:
  python benchmarks/news.py /work/bench-data/x1m-index --export-limit 0
  python benchmarks/news.py INDEX --fraction 0.1 --queries 20 --json out/news.json
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import orjson

import searchcore
from searchcore.execution.postings import segment_postings


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def pick_queries(ix: searchcore.Index, fraction: float, count: int) -> list[str]:
    """``count`` alphabetic body words (4+ letters) whose document frequency in the
    first segment is closest to ``fraction`` of it (segments are alike in a
    synthetic expansion; a search then gives the real totals)."""
    reader, _ = ix.searcher().leaf_searchers()[0]
    body = segment_postings(reader.reader()).field("body")
    if body is None:
        raise SystemExit("the index has no body postings")
    df = np.diff(body.docoff)
    target = fraction * reader.reader().doc_count_all()
    picked: list[str] = []
    for i in np.argsort(np.abs(df - target), kind="stable").tolist():
        word = body.term(i).decode("utf-8", "replace")
        if len(word) > 3 and word.isalpha():
            picked.append(word)
            if len(picked) == count:
                break
    return picked


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process and of its finished children."""
    me, children = (resource.getrusage(resource.RUSAGE_SELF),
                    resource.getrusage(resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def export_rate(ix: searchcore.Index, query: str, limit: int) -> dict[str, Any]:
    """Export ``query`` as JSON Lines to /dev/null: articles, seconds, rate, CPU time
    (this process, and the worker processes, which have ended when it returns)."""
    started, (main, workers) = time.perf_counter(), cpu_seconds()
    scan = ix.scan(query)
    written = 0
    with open(os.devnull, "wb") as sink:
        chunks = scan.encoded("jsonl")
        for count, data in chunks:
            sink.write(data)
            written += count
            if limit and written >= limit:
                break
        chunks.close()                         # ends the worker processes
    seconds = time.perf_counter() - started
    main_after, workers_after = cpu_seconds()
    return {"query": query, "matches": len(scan), "articles": written, "seconds": seconds,
            "per_s": written / seconds, "main_cpu_s": main_after - main,
            "workers_cpu_s": workers_after - workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__[__doc__.index("Examples:"):])
    parser.add_argument("index", type=Path)
    parser.add_argument("--query", action="append",
                        help="A query to time (repeatable; default: --queries words).")
    parser.add_argument("--fraction", type=float, default=0.10)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--export-limit", type=int, default=200_000,
                        help="Articles per export (0: every match).")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    out: dict[str, Any] = {"index": str(args.index), "load_average": os.getloadavg()[0]}
    facets = ["source", "month"]
    with searchcore.open_index(args.index) as ix:
        out["documents"] = len(ix)
        queries = args.query or pick_queries(ix, args.fraction, args.queries)
        plain: list[float] = []
        faceted: list[float] = []
        added: list[float] = []
        lines: list[float] = []
        totals = []
        for query in queries:
            totals.append(ix.search(query, facets=facets).total)      # warm-up
            p = [timed(lambda: ix.search(query, limit=10, snippets=0))
                 for _ in range(args.repeats)]
            f = [timed(lambda: ix.search(query, limit=10, snippets=0, facets=facets))
                 for _ in range(args.repeats)]
            lines += [timed(lambda: ix.timeline(query, by="month")) for _ in range(args.repeats)]
            plain += p
            faceted += f
            added.append(statistics.median(f) - statistics.median(p))
        out["queries"] = dict(zip(queries, totals))
        out["match_fraction_p50"] = statistics.median(totals) / max(out["documents"], 1)
        out["search_p50_ms"] = statistics.median(plain)
        out["search_facets_p50_ms"] = statistics.median(faceted)
        out["facets_add_p50_ms"] = statistics.median(added)
        out["timeline_p50_ms"] = statistics.median(lines)
        out["peak_rss_mb_before_export"] = peak_rss_mb()
        out["export"] = [export_rate(ix, q, args.export_limit) for q in ("*", queries[0])]
        out["peak_rss_mb_after_export"] = peak_rss_mb()

    print(f"| index | {out['documents']:,} articles (load average {out['load_average']:.1f}) |")
    print("|---|---|")
    print(f"| queries | {len(queries)} words, p50 {out['match_fraction_p50']:.1%} of the "
          f"articles each |")
    print(f"| search p50 | {out['search_p50_ms']:.1f} ms |")
    print(f"| search + facets source, month p50 | {out['search_facets_p50_ms']:.1f} ms |")
    print(f"| facets add, p50 over the queries | {out['facets_add_p50_ms']:.1f} ms |")
    print(f"| timeline by month p50 | {out['timeline_p50_ms']:.1f} ms |")
    for e in out["export"]:
        print(f"| export `{e['query']}` to /dev/null | {e['per_s']:,.0f} articles/s "
              f"({e['articles']:,} of {e['matches']:,} in {e['seconds']:.1f} s; CPU "
              f"{e['main_cpu_s']:.1f} s here + {e['workers_cpu_s']:.1f} s in workers) |")
    print(f"| peak RSS before / after export | {out['peak_rss_mb_before_export']:.0f} / "
          f"{out['peak_rss_mb_after_export']:.0f} MB |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
