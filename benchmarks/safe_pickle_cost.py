"""What the allowlisting Unpickler costs per query (searchcore.whoosh_boundary.safe_pickle).

Runs the same queries on one index twice in one process, alternating rounds: with
whoosh's plain ``pickle`` loads and with the safe ones, and prints the mean and
median milliseconds per query of each kind and the difference. Queries are drawn
from the corpus as ``benchmarks/speed.py`` draws them (term, or, and, phrase), each
with snippets (stored fields of the top 10 are unpickled; phrases unpickle positions).

    python benchmarks/safe_pickle_cost.py --index /path/to/index --docs docs.jsonl
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import searchcore  # noqa: E402 - installs the safe loads
import whoosh.codec.whoosh3  # noqa: E402
import whoosh.columns  # noqa: E402
import whoosh.compat  # noqa: E402
import whoosh.filedb.structfile  # noqa: E402
import whoosh.formats  # noqa: E402
from searchcore.whoosh_boundary import safe_pickle  # noqa: E402
from speed import make_queries  # noqa: E402

MODULES = (whoosh.compat, whoosh.codec.whoosh3, whoosh.columns, whoosh.formats)


def use(safe: bool) -> None:
    for module in MODULES:
        module.loads = safe_pickle.loads if safe else pickle.loads
    whoosh.filedb.structfile.load_pickle = safe_pickle.load if safe else pickle.load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--docs", type=Path, required=True, help="the corpus the index holds")
    parser.add_argument("--per-kind", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    queries = make_queries(args.docs, args.per_kind)
    times: dict[tuple[str, bool], list[float]] = {}
    with searchcore.open_index(args.index) as ix:
        for kind in ("term", "or", "and", "phrase"):
            texts = [" ".join(q) if kind != "phrase" else f'"{" ".join(q)}"'
                     for q in queries[kind]]
            if kind == "or":
                texts = [" OR ".join(q) for q in queries[kind]]
            for _ in range(args.rounds):
                for safe in (False, True):
                    use(safe)
                    for text in texts:
                        ix.search(text, limit=10)   # warm the page cache
                        started = time.perf_counter()
                        ix.search(text, limit=10)
                        times.setdefault((kind, safe), []).append(
                            (time.perf_counter() - started) * 1000.0)
    use(True)
    print(f"{'kind':8} {'plain ms':>10} {'safe ms':>10} {'diff ms':>10} {'diff %':>8}")
    for kind in ("term", "or", "and", "phrase"):
        plain = statistics.mean(times[(kind, False)])
        safe = statistics.mean(times[(kind, True)])
        print(f"{kind:8} {plain:10.3f} {safe:10.3f} {safe - plain:10.3f} "
              f"{100 * (safe - plain) / plain:7.1f}%")
    data = pickle.dumps({"id": "x", "title": "t" * 40, "body": "b" * 2000}, 2)
    n = 100_000
    started = time.perf_counter()
    for _ in range(n):
        pickle.loads(data)
    plain_us = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        safe_pickle.loads(data)
    safe_us = (time.perf_counter() - started) / n * 1e6
    print(f"one stored document: pickle.loads {plain_us:.2f} us, safe {safe_us:.2f} us")


if __name__ == "__main__":
    main()
