"""Build memory: does a full build (and a big ``index add``) stay flat as the archive grows?

For each corpus size, ``searchcore.build_index`` runs with each worker count, then
tantivy and SQLite FTS5 build the same file, each in its own fresh process (this
script with ``--worker``). With ``--add FILE``, a second process then adds FILE's
articles (``searchcore.index.add_sources``, the path of ``searchcore index add``)
into the one-worker index, which also runs the merge an add triggers.

Figures per run:

* ``time`` and ``articles/s``: wall time of the build call (reading, parsing,
  writing, committing);
* ``peak RSS``: the largest single process's high-water mark (VmHWM of the process,
  reset at its start; ``ru_maxrss`` of its largest child, which includes the pages
  it shares with the parent);
* ``PSS sum``: the peak, sampled every 100 ms, of the proportional set size summed
  over the process and its workers (shared pages counted once overall): what the
  build costs the machine.

Corpora (``--sizes``): ``100k``, ``1m``, ``300k`` (``benchmarks/expand.py``, read
from ``--data``, default ``$SEARCHCORE_BENCH_DATA`` or ``benchmarks/out/corpora``,
made there if absent), or ``reuters`` / ``quick`` (2,000 Reuters articles).
Indexes go to ``--workdir`` and are deleted after each run (``--keep`` keeps the last).

Examples::

    python benchmarks/build_memory.py --sizes quick --workers 1 2
    python benchmarks/build_memory.py --data /work/bench-data --sizes 100k 1m \\
        --workers 1 2 --add /work/bench-data/x100k.jsonl

Prints a markdown table and writes JSON to ``--out`` (default
``benchmarks/out/build_memory-<sizes>.json``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import cpu_info, dir_size, load_engine  # noqa: E402
from speed import (TreeSampler, corpus_file, count_lines, peak_rss_mb,  # noqa: E402
                   reset_peak_rss)

PEERS = ("tantivy", "sqlite_fts5")


def measure(run: Any) -> dict[str, Any]:
    """Run ``run()`` (returns an article count); its wall time and memory peaks."""
    reset_peak_rss()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    with TreeSampler() as tree:
        count = run()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    return {"articles": count, "seconds": seconds,
            "articles_per_s": count / seconds if seconds else None,
            "cpu_seconds": cpu, "articles_per_cpu_s": count / cpu if cpu else None,
            "load_1min": os.getloadavg()[0],
            "peak_rss_mb": peak_rss_mb(), "pss_sum_mb": tree.peak / 1048576}


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the workers).

    On a shared machine, wall time measures the other jobs too; CPU time does not.
    """
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def worker(kind: str, docs: Path, target: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    """One measured run in this process: a searchcore build or add, or a peer's build."""
    if kind == "searchcore":
        from searchcore.index.build import build_index

        result = measure(lambda: build_index([str(docs)], target,
                                              workers=int(options["workers"])).indexed)
        result["engine"] = f"searchcore build, {options['workers']} worker(s)"
    elif kind == "searchcore-add":
        from searchcore.index.build import add_sources

        before = len(os.listdir(_live_generation(target)))
        result = measure(lambda: add_sources([str(docs)], target).indexed)
        result["engine"] = "searchcore index add"
        result["files_before"] = before
    else:
        engine = load_engine(kind, target)
        result = measure(lambda: engine.build_from_file(docs))
        result["engine"] = engine.describe()
        engine.close()
    result["index_mb"] = dir_size(target) / 1e6 if target.exists() else None
    return result


def _live_generation(index: Path) -> Path:
    manifest = orjson.loads((index / "searchcore.json").read_bytes())
    return index / manifest["generation"]


def run_worker(kind: str, docs: Path, target: Path, options: Mapping[str, Any],
               timeout: float) -> dict[str, Any]:
    """:func:`worker` in a fresh interpreter; its result, or the error."""
    result_path = target.with_name(target.name + ".result.json")
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--docs", str(docs),
           "--target", str(target), "--result", str(result_path),
           "--options", orjson.dumps(dict(options)).decode()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0 or not result_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    result = orjson.loads(result_path.read_bytes())
    result_path.unlink()
    return result


def replace_dir(built: Path, dest: Path) -> None:
    """Put ``built`` at ``dest`` with one rename; the old ``dest`` is removed after
    (readers that have it open keep their files until they close them)."""
    old = dest.with_name(f"{dest.name}.old-{os.getpid()}")
    if dest.exists():
        os.rename(dest, old)
    os.rename(built, dest)
    shutil.rmtree(old, ignore_errors=True)
    print(f"  kept {built.name} as {dest}", file=sys.stderr, flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| corpus | run | time | articles/s | articles per CPU-s | load | "
             "peak RSS (largest process) | PSS sum |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        r = row["result"]
        if "error" in r:
            lines.append(f"| {row['corpus']} | {row['run']} | error: {r['error']} | | | | | |")
            continue
        per_cpu = r.get("articles_per_cpu_s")
        lines.append(f"| {row['corpus']} | {row['run']} | {r['seconds']:.0f} s | "
                     f"{r['articles_per_s']:,.0f} | "
                     f"{'' if per_cpu is None else f'{per_cpu:,.0f}'} | "
                     f"{r.get('load_1min', float('nan')):.1f} | {r['peak_rss_mb']:,.0f} MB | "
                     f"{r['pss_sum_mb']:,.0f} MB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Wall time, rate and peak memory of full builds (and an add) at "
                    "several archive sizes, beside tantivy and SQLite FTS5.",
        epilog=__doc__.split("Examples::")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["100k"], metavar="SIZE",
                        help="quick reuters 100k 300k 1m (default: 100k)")
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2],
                        help="worker counts for searchcore (default: 1 2; none: peers only)")
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS,
                        help="peer engines built on the same file (default: both)")
    parser.add_argument("--add", type=Path, default=None, metavar="FILE",
                        help="after the 1-worker build, add FILE's articles into it")
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("SEARCHCORE_BENCH_DATA", HERE / "out")),
                        help="folder holding x100k.jsonl / x1m.jsonl (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=HERE / "out" / "work-build-memory",
                        help="where indexes are built (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the last index of each run")
    parser.add_argument("--keep-as", type=Path, default=None, metavar="DIR",
                        help="move the index built with default settings (workers = CPUs) "
                             "of the last size to DIR, replacing it in one rename (readers "
                             "never see a half-built index there)")
    parser.add_argument("--timeout", type=float, default=4 * 3600.0)
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args.worker, args.docs, args.target, orjson.loads(args.options))
        args.result.write_bytes(orjson.dumps(result))
        return 0

    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **cpu_info(),
        "argv": sys.argv[1:] if argv is None else argv, "runs": []}
    rows: list[dict[str, Any]] = []
    args.workdir.mkdir(parents=True, exist_ok=True)

    def record(corpus: str, run: str, result: dict[str, Any]) -> None:
        rows.append({"corpus": corpus, "run": run, "result": result})
        report["runs"].append(rows[-1])
        text = result.get("error") or (f"{result['seconds']:.0f} s, "
                                       f"{result['articles_per_s']:,.0f}/s, peak "
                                       f"{result['peak_rss_mb']:,.0f} MB, PSS "
                                       f"{result['pss_sum_mb']:,.0f} MB")
        print(f"  {corpus} {run}: {text}", file=sys.stderr, flush=True)

    for size in args.sizes:
        docs = (args.data / f"x{size}.jsonl" if (args.data / f"x{size}.jsonl").exists()
                else corpus_file(size, args.data))
        corpus = f"{size} ({count_lines(docs):,})"
        for workers in sorted(args.workers, reverse=True):     # 1 last: the add reuses it
            target = args.workdir / f"searchcore-{size}-{workers}w"
            shutil.rmtree(target, ignore_errors=True)
            record(corpus, f"searchcore, {workers} worker(s)",
                   run_worker("searchcore", docs, target, {"workers": workers}, args.timeout))
            if args.add is not None and workers == min(args.workers):   # the last one
                record(corpus, f"searchcore index add {args.add.name}",
                       run_worker("searchcore-add", args.add, target, {}, args.timeout))
            if (args.keep_as is not None and size == args.sizes[-1]
                    and workers == (os.cpu_count() or 1) and "error" not in rows[-1]["result"]):
                replace_dir(target, args.keep_as)
            elif not args.keep:
                shutil.rmtree(target, ignore_errors=True)
        for peer in args.peers:
            target = args.workdir / f"{peer}-{size}"
            shutil.rmtree(target, ignore_errors=True)
            record(corpus, peer, run_worker(peer, docs, target, {}, args.timeout))
            if not args.keep:
                shutil.rmtree(target, ignore_errors=True)
    print(table(rows))
    out = args.out or HERE / "out" / f"build_memory-{'-'.join(args.sizes)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"machine: {report['cpu']}, nproc {report['nproc']}; {report['date']}\nJSON: {out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
