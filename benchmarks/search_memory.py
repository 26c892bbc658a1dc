"""Search memory: peak resident memory of opening an index and running mixed queries.

Issue 9's target: on the 1M-article index, open + 200 queries with peak RSS at most
600 MB. The side index is memory-mapped, so a file's pages count in RSS only once
touched: what a search holds is what it reads (postings of its words, the columns it
needs) plus what it allocates. This script opens ``--index`` in a fresh process and
runs ``--queries`` queries, a fifth each of one word, an OR of three, an AND of two, a
two-word phrase and words within a month, top 10, without snippets except for the
OR queries' second half (``--no-snippets``: none). It prints VmHWM (the kernel's peak
RSS) and VmRSS after opening and after each kind, and with ``--tracemalloc`` the
largest Python/numpy allocations still held at the end.

Query words are drawn (``random.Random(--seed)``) from one segment's body term
dictionary by document frequency, read straight from its ``.npy`` files before the
index is opened (so choosing them costs the measured process nothing): rare (df
0.05-0.2% of the segment), mid (0.2-2%), common (2-20%). Phrases are two adjacent
words of the title of a hit of a previous query. Examples::

    python benchmarks/search_memory.py --index /work/bench-data/x1m-index
    python benchmarks/search_memory.py --index my-index --queries 50 --tracemalloc
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

BANDS = {"rare": (0.0005, 0.002), "mid": (0.002, 0.02), "common": (0.02, 0.2)}
KINDS = ("term", "or", "and", "phrase", "month")


def status() -> dict[str, float]:
    """VmHWM and VmRSS of this process, in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            out[key] = int(line.split()[1]) / 1024.0
    return out


def pick_words(index: Path, seed: int) -> dict[str, list[str]]:
    """Alphabetic body terms of one segment by document-frequency band."""
    gens = sorted(p for p in index.iterdir() if p.name.startswith("gen-") and p.is_dir())
    if not gens:
        raise SystemExit(f"no generation folder in {index}")
    docoffs = sorted(gens[-1].glob("*.spst_body_docoff.npy"))
    if not docoffs:
        raise SystemExit(f"no side postings in {gens[-1]}")
    stem = str(docoffs[0])[:-len("docoff.npy")]
    docoff = np.load(stem + "docoff.npy", mmap_mode="r")
    termoff = np.load(stem + "termoff.npy", mmap_mode="r")
    terms = np.load(stem + "terms.npy", mmap_mode="r")
    meta = Path(stem.replace("spst_body_", "spst_meta.json"))
    import orjson

    docs = orjson.loads(meta.read_bytes())["docs"]
    df = np.diff(np.asarray(docoff))
    words: dict[str, list[str]] = {}
    for band, (lo, hi) in BANDS.items():
        low, high = max(1.0, lo * docs), max(2.0, hi * docs)      # a small index: df 1
        ids = np.flatnonzero((df >= low) & (df < high))
        found = []
        for i in ids.tolist():
            word = bytes(terms[termoff[i]:termoff[i + 1]]).decode("utf-8", "replace")
            if word.isalpha() and len(word) >= 3:
                found.append(word)
        if not found:
            raise SystemExit(f"no words in band {band}")
        words[band] = found
    rng = random.Random(seed)
    return {band: [rng.choice(found) for _ in range(400)] for band, found in words.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240414)
    parser.add_argument("--no-snippets", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also list the largest allocations held at the end (slower)")
    parser.add_argument("--quick", action="store_true", help="20 queries")
    args = parser.parse_args(argv)
    n = 20 if args.quick else args.queries
    words = pick_words(args.index, args.seed)
    rng = random.Random(args.seed)
    pick = lambda band: words[band][rng.randrange(len(words[band]))]  # noqa: E731

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(12)
    import searchcore

    print(f"before open: {status()}", flush=True)
    t0 = time.perf_counter()
    ix = searchcore.open_index(args.index)
    ix.search(pick("mid"), limit=10, snippets=0, suggest=False)
    print(f"open + first query {time.perf_counter() - t0:.2f} s: {status()}", flush=True)
    titles: list[str] = []
    months: list[str] = []
    per_kind = max(1, n // len(KINDS))
    for kind in KINDS:
        t0 = time.perf_counter()
        for i in range(per_kind):
            snippets = 0
            if kind == "term":
                text = pick(("rare", "mid", "common")[i % 3])
            elif kind == "or":
                text = f"{pick('rare')} OR {pick('mid')} OR {pick('common')}"
                snippets = 0 if args.no_snippets or i < per_kind // 2 else 3
            elif kind == "and":
                text = f"{pick('common')} {pick('mid')}"
            elif kind == "phrase":
                title = titles[rng.randrange(len(titles))].split() if titles else []
                alpha = [w for w in title if w.isalpha()]
                text = f'"{alpha[0]} {alpha[1]}"' if len(alpha) >= 2 else pick("mid")
            else:
                month = months[rng.randrange(len(months))] if months else "1987-03"
                text = f"({pick('mid')} OR {pick('common')}) published:{month}"
            res = ix.search(text, limit=10, snippets=snippets, lenient=True, suggest=False,
                            exact_total=False)
            for hit in res.hits[:2]:
                if hit.title:
                    titles.append(hit.title)
                if hit.published is not None:
                    months.append(hit.published.strftime("%Y-%m"))
        print(f"{kind:7s} x{per_kind} {time.perf_counter() - t0:6.2f} s: {status()}", flush=True)
    print(f"peak RSS (VmHWM) {status()['VmHWM']:.0f} MB after open + {per_kind * len(KINDS) + 1} queries")
    if args.tracemalloc:
        import tracemalloc

        snapshot = tracemalloc.take_snapshot()
        print(f"traced now {tracemalloc.get_traced_memory()[0] / 1e6:.0f} MB, "
              f"peak {tracemalloc.get_traced_memory()[1] / 1e6:.0f} MB; largest held:")
        for stat in snapshot.statistics("traceback")[:8]:
            print(f"  {stat.size / 1e6:7.1f} MB  {stat.count} blocks")
            for line in stat.traceback.format()[-6:]:
                print("     ", line)
    ix.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
