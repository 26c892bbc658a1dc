"""Sharded builds on Dask against one process, and sharded search against one index.

For a corpus (the synthetic expansions in /work/bench-data: x100k.jsonl, x1m.jsonl):

* wall time of ``build_index(workers=1)`` (one process) and of ``build_index(shards=N)``
  on a LocalCluster of ``--workers`` single-threaded processes, for each N;
* each sharded build's task times, wall and CPU (routing pieces, building shards,
  linking the stories across shards; recorded in the manifest by the build), and
  from them a projection of the same build on one more machine like this one: the
  routing tasks spread over twice the workers, the shard tasks packed longest first
  onto twice the workers, plus the one story-linking task and what the client did
  alone. From CPU times too: on a shared, loaded machine the wall times of tasks
  running side by side are inflated by whatever else runs;
* query p50/p95 (ms, snippets included) on the single index and on each sharded one,
  the same queries in the same order, after a warm-up pass.

Examples::

    python benchmarks/shards.py --docs /work/bench-data/x100k.jsonl --shards 4 8
    python benchmarks/shards.py --docs /work/bench-data/x1m.jsonl --shards 4 --no-single
    python benchmarks/shards.py --docs /work/bench-data/x1m.jsonl --shards 4 8 --no-single \
        --single-seconds 1064 --single-index /work/bench-data/stories-1m-index
    python benchmarks/shards.py --quick          # 5,000 articles of x100k, 2 and 4 shards
    python benchmarks/shards.py --shards 4 8 --query-only --remote   # queries on a --keep run

Heavy runs belong under ``flock /work/trees/bench.lock``. Indexes are built under
``--workdir`` and deleted afterwards unless ``--keep``. Prints a markdown table and
writes JSON to ``benchmarks/out/shards-<corpus>.json``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

QUERIES = ["oil", "oil prices", "government election", '"prime minister"', "market OR shares",
           "bank -interest", "title:football", "econom*", "profits^2 rise", "minister~",
           "(tax OR budget) labour", "published:>=1987-03 trade", "film", "world cup",
           "company said", "police", '"central bank"', "technology OR internet", "music",
           "strike"]


def build_seconds(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def query_times(path: Path, rounds: int, scheduler: str | None = None) -> dict[str, float]:
    """p50/p95 milliseconds of QUERIES on the index at ``path`` (warm: one pass first),
    on the workers of ``scheduler`` when given."""
    import searchcore
    from searchcore.query.budget import QueryBudget

    # No time limit: this measures the time (the default 1 s stops a slow fuzzy word).
    budget = QueryBudget(seconds=600)
    with searchcore.open_index(path, scheduler=scheduler) as ix:
        for q in QUERIES:
            ix.search(q, lenient=True, budget=budget)
        times = []
        for _ in range(rounds):
            for q in QUERIES:
                started = time.perf_counter()
                ix.search(q, lenient=True, budget=budget)
                times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}


def projection(build: dict[str, Any], workers: int, machines: int, cpu: bool = False) -> float:
    """Seconds the recorded build would take on ``machines`` machines of ``workers``:
    from the tasks' wall times, or (``cpu``) their CPU times -- what they take on
    machines nobody else loads. Linking the stories across shards is one task."""
    kind = "cpu" if cpu else "seconds"
    route, shard = build[f"route_{kind}"], build[f"shard_{kind}"]
    story = build.get(f"story_{kind}", 0.0)
    slots = workers * machines
    # What the tasks did not account for on the measured cluster: partitioning,
    # cluster start, the shared-storage probe, the switch.
    measured = (_makespan(build["route_seconds"], workers)
                + _makespan(build["shard_seconds"], workers) + build.get("story_seconds", 0.0))
    overhead = max(build["seconds"] - measured, 0.0)
    return overhead + _makespan(route, slots) + _makespan(shard, slots) + story


def _makespan(durations: list[float], slots: int) -> float:
    """Longest-first list scheduling of ``durations`` onto ``slots`` workers."""
    finish = [0.0] * max(slots, 1)
    heapq.heapify(finish)
    for d in sorted(durations, reverse=True):
        heapq.heappush(finish, heapq.heappop(finish) + d)
    return max(finish)


def query_only(args: argparse.Namespace, out: dict[str, Any]) -> int:
    """Query p50/p95 on the kept indexes: single, each sharded one in this process and
    (``--remote``) on a LocalCluster's workers."""
    import contextlib
    import logging

    with contextlib.ExitStack() as stack:
        scheduler = None
        if args.remote:
            from distributed import LocalCluster

            cluster = stack.enter_context(LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR))
            scheduler = cluster.scheduler_address
        print("| index | query p50 ms | p95 ms |\n|---|---|---|")
        for name in ["single"] + [f"shards-{n}" for n in args.shards]:
            path = args.workdir / name
            if not path.exists():
                continue
            runs = [(name, None)] + ([(f"{name} on workers", scheduler)]
                                     if scheduler and name != "single" else [])
            for label, where in runs:
                times = query_times(path, args.rounds, where)
                out["builds"][label] = times
                print(f"| {label} | {times['p50_ms']} | {times['p95_ms']} |", flush=True)
    target = Path(__file__).parent / "out" / f"shards-queries-{args.docs.stem}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="examples:\n  python benchmarks/shards.py --docs /work/bench-data/x100k.jsonl "
               "--shards 4 8\n  python benchmarks/shards.py --quick",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, default=Path("/work/bench-data/x100k.jsonl"))
    parser.add_argument("--shards", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="LocalCluster worker processes [default: one per core]")
    parser.add_argument("--no-single", action="store_true",
                        help="skip the one-process build (e.g. reuse another run's figure)")
    parser.add_argument("--single-seconds", type=float,
                        help="a one-process build time measured elsewhere, for the table")
    parser.add_argument("--single-index", type=Path,
                        help="with --no-single: time the queries on this existing index of "
                             "the same articles instead (e.g. a 1M index another benchmark "
                             "built; opened read-only)")
    parser.add_argument("--rounds", type=int, default=5, help="query passes timed")
    parser.add_argument("--workdir", type=Path, default=Path("/work/bench-data/shards-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    parser.add_argument("--quick", action="store_true",
                        help="5,000 articles of --docs, 2 and 4 shards")
    parser.add_argument("--query-only", action="store_true",
                        help="build nothing: time the queries on the indexes a --keep run "
                             "left in --workdir")
    parser.add_argument("--remote", action="store_true",
                        help="also time each sharded index's queries on a LocalCluster's "
                             "workers (open_index(scheduler=))")
    args = parser.parse_args(argv)

    import orjson

    from searchcore.index.build import build_index

    docs = args.docs
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.quick:
        small = args.workdir / "quick.jsonl"
        with open(docs, "rb") as src, open(small, "wb") as out:
            out.writelines(itertools.islice(src, 5000))
        docs, args.shards = small, [2, 4]
    out: dict[str, Any] = {"docs": str(docs), "workers": args.workers, "cpus": os.cpu_count(),
                           "builds": {}}
    single = args.workdir / "single"
    out["load_before"] = os.getloadavg()
    if args.query_only:
        return query_only(args, out)
    if not args.no_single:
        shutil.rmtree(single, ignore_errors=True)
        cpu = time.process_time()
        seconds = build_seconds(lambda: build_index(docs, single, workers=1))
        # One worker builds in this process: its CPU time is the build's on an idle machine.
        out["builds"]["single"] = {"seconds": round(seconds, 2),
                                   "cpu_s": round(time.process_time() - cpu, 1)}
        out["builds"]["single"].update(query_times(single, args.rounds))
        print(f"single process: {seconds:.1f} s", file=sys.stderr)
    elif args.single_seconds:
        out["builds"]["single"] = {"seconds": args.single_seconds, "measured": "elsewhere"}
    if args.no_single and args.single_index:
        entry = out["builds"].setdefault("single", {"measured": "elsewhere"})
        entry.update(query_times(args.single_index, args.rounds), index=str(args.single_index))
        print(f"single index queries: {json.dumps(entry)}", file=sys.stderr)
        _write(out, docs)
    for n in args.shards:
        path = args.workdir / f"shards-{n}"
        shutil.rmtree(path, ignore_errors=True)
        seconds = build_seconds(lambda: build_index(docs, path, shards=n, workers=args.workers))
        manifest = orjson.loads((path / "searchcore.json").read_bytes())
        build = dict(manifest["build"], seconds=seconds)
        entry = {"seconds": round(seconds, 2),
                 "route_tasks": len(build["route_seconds"]),
                 "route_task_s": round(sum(build["route_seconds"]), 1),
                 "shard_task_s": [round(s, 1) for s in build["shard_seconds"]],
                 "shard_task_cpu_s": [round(s, 1) for s in build["shard_cpu"]],
                 "story_link_s": build["story_seconds"], "story_link_cpu_s": build["story_cpu"],
                 "projected_1_machine_cpu_s": round(projection(build, args.workers, 1, True), 1),
                 "projected_2_machines_s": round(projection(build, args.workers, 2), 1),
                 "projected_2_machines_cpu_s": round(projection(build, args.workers, 2, True),
                                                     1)}
        entry.update(query_times(path, args.rounds))
        entry["load_after"] = os.getloadavg()
        out["builds"][f"shards-{n}"] = entry
        print(f"{n} shards: {seconds:.1f} s {json.dumps(entry)}", file=sys.stderr)
        _write(out, docs)            # a long run keeps what it measured so far
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(single, ignore_errors=True)

    print(f"\n{docs.name}, LocalCluster of {args.workers} workers on {os.cpu_count()} cores\n")
    print("| build | wall s | vs one process | from CPU: this machine idle | 2 machines "
          "(wall) | 2 machines (CPU) | story link s | query p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = out["builds"].get("single", {}).get("seconds")
    for name, b in out["builds"].items():
        ratio = f"{base / b['seconds']:.2f}x" if base and name != "single" else ""
        idle = b.get("projected_1_machine_cpu_s", b.get("cpu_s", ""))
        print(f"| {name} | {b['seconds']} | {ratio} | {idle} | "
              f"{b.get('projected_2_machines_s', '')} | {b.get('projected_2_machines_cpu_s', '')} | "
              f"{b.get('story_link_s', '')} | {b.get('p50_ms', '')} | {b.get('p95_ms', '')} |")
    print(f"\nwrote {_write(out, docs)}", file=sys.stderr)
    return 0


def _write(out: dict[str, Any], docs: Path) -> Path:
    target = Path(__file__).parent / "out" / f"shards-{docs.stem}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=2))
    return target


if __name__ == "__main__":
    sys.exit(main())
