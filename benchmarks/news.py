"""Facets, timeline and export speed on a built index (issue 10's targets).

Measures, on an existing searchcore index (build it first, e.g. from the 1M
synthetic expansion):

* **facets**: p50 of ``search(q, limit=10)`` with and without
  ``facets=["source", "month"]``, for a query chosen to match about ``--fraction``
  of the articles (the word whose document frequency is closest), after one warm-up
  (columns are opened once per searcher). The difference is what facets add. The
  postings are the side index's memory-mapped arrays (nothing is decoded or cached
  per query), so every timed call reads them as a new query would.
* **timeline**: p50 of ``timeline(q, by="month")`` for the same query.
* **export**: articles per second of ``scan("*")`` serialised as JSON Lines to
  /dev/null (what ``searchcore export '*' > /dev/null`` does), for up to
  ``--export-limit`` articles, and the peak resident memory (VmHWM) before/after.

Examples:
  python benchmarks/news.py /work/bench-data/facets-1m
  python benchmarks/news.py INDEX --fraction 0.1 --repeats 15 --json out/news.json
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import orjson

import searchcore
from searchcore.news.export import jsonl_lines


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def pick_query(ix: searchcore.Index, fraction: float) -> tuple[str, int]:
    """The body word whose document frequency is closest to ``fraction`` of the index."""
    reader = ix.searcher().reader()
    target = fraction * reader.doc_count()
    best, best_df = "", 0
    for word, info in reader.iter_field("body"):
        df = info.doc_frequency()
        if abs(df - target) < abs(best_df - target) and len(word) > 3:
            text = word.decode() if isinstance(word, bytes) else word
            if text.isalpha():
                best, best_df = text, df
    return best, best_df


def timed(fn, repeats: int, before=None) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeats):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__[__doc__.index("Examples:"):])
    parser.add_argument("index", type=Path)
    parser.add_argument("--query", help="The query (default: a word matching --fraction).")
    parser.add_argument("--fraction", type=float, default=0.10)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--export-limit", type=int, default=200_000)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    out: dict = {"index": str(args.index)}
    with searchcore.open_index(args.index) as ix:
        out["documents"] = len(ix)
        query = args.query
        if query is None:
            query, _ = pick_query(ix, args.fraction)
        out["query"] = query
        ix.search(query, facets=["source", "month"])           # warm-up: open the columns
        cold = None
        plain = timed(lambda: ix.search(query, limit=10, snippets=0), args.repeats, cold)
        faceted = timed(lambda: ix.search(query, limit=10, snippets=0,
                                          facets=["source", "month"]), args.repeats, cold)
        res = ix.search(query, limit=10, snippets=0, facets=["source", "month"])
        out["matches"] = res.total
        out["search_p50_ms"] = statistics.median(plain)
        out["search_facets_p50_ms"] = statistics.median(faceted)
        out["facets_add_p50_ms"] = out["search_facets_p50_ms"] - out["search_p50_ms"]
        out["timeline_p50_ms"] = statistics.median(
            timed(lambda: ix.timeline(query, by="month"), args.repeats, cold))
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        written = 0
        with open(os.devnull, "wb") as sink:
            for line in jsonl_lines(ix.scan("*", sort="newest")):
                sink.write(line)
                written += 1
                if written >= args.export_limit:
                    break
        seconds = time.perf_counter() - started
        out["export_articles"] = written
        out["export_per_s"] = written / seconds
        out["peak_rss_mb_before_export"] = rss_before
        out["peak_rss_mb_after_export"] = peak_rss_mb()

    print(f"| index | {out['documents']:,} articles |\n|---|---|")
    print(f"| query | `{query}`: {out['matches']:,} matches "
          f"({out['matches'] / max(out['documents'], 1):.1%}) |")
    print(f"| search p50 | {out['search_p50_ms']:.1f} ms |")
    print(f"| search + facets source, month p50 | {out['search_facets_p50_ms']:.1f} ms "
          f"(adds {out['facets_add_p50_ms']:.1f} ms) |")
    print(f"| timeline by month p50 | {out['timeline_p50_ms']:.1f} ms |")
    print(f"| export to /dev/null | {out['export_per_s']:,.0f} articles/s "
          f"({out['export_articles']:,} articles, newest first) |")
    print(f"| peak RSS before / after export | {out['peak_rss_mb_before_export']:.0f} / "
          f"{out['peak_rss_mb_after_export']:.0f} MB |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
