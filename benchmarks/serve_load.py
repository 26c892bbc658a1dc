"""Load on `searchcore serve` over loopback: latency and errors, idle and during rebuilds.

Starts ``searchcore serve`` as its own process on 127.0.0.1 (never another address)
over a Reuters-21578 index, then runs phases of ``--clients`` concurrent clients (one
thread and one keep-alive HTTP connection each) for ``--duration`` seconds, each phase
also bounded by ``--max-requests``:

* ``idle``: nothing else happens;
* ``rebuild``: full rebuilds of the same index (``searchcore index build``, one after
  another until the phase ends) run while the clients search; the server must follow
  each generation switch without failing a request.

The requests are a fixed mix of what the page and programs send: word, OR, phrase,
date-sorted and filtered searches, searches with facets (when the library has them),
page 2, and whole articles by id. Each answer must be HTTP 200 with the expected
JSON; anything else (status, exception, timeout) is an error. ``--readers`` lists the
server's reader-pool sizes to compare on the idle phase (1 = one Index behind a lock;
the default is one per core). Results: a table, and JSON in ``benchmarks/out/``.

    flock /work/trees/bench.lock python benchmarks/serve_load.py
    python benchmarks/serve_load.py --duration 5 --clients 4 --quick   # a smoke run
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "data" / "reuters21578" / "docs.jsonl"
HOST = "127.0.0.1"          # loopback only, by design: there is no option to change it

QUERIES = ["oil", "opec oil prices", '"interest rates"', "coffee OR cocoa", "bank",
           "trade deficit", "wheat", "gold", "dollar yen", '"money supply"', "sugar",
           "crude OR petroleum", "bundesbank", "tax", "merger acquisition", "copper",
           "earnings profit", "grain exports", "shipping", "inflation"]


def searchcore_exe() -> str:
    beside = Path(sys.executable).with_name("searchcore")
    return str(beside) if beside.exists() else (shutil.which("searchcore") or "searchcore")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def request_mix(ids: list[str], facets: bool) -> list[str]:
    """The fixed list of request paths the clients cycle through (shuffled per client)."""
    paths = []
    for n, q in enumerate(QUERIES):
        qq = urllib.parse.quote(q)
        paths.append(f"/api/search?q={qq}")
        if n % 4 == 0:
            paths.append(f"/api/search?q={qq}&sort=newest")
        if n % 4 == 1:
            paths.append(f"/api/search?q={qq}&page=2")
        if n % 4 == 2:
            paths.append(f"/api/search?q={qq}&since=1987-03&until=1987-04")
        if n % 4 == 3 and facets:
            paths.append(f"/api/search?q={qq}&facet=source&facet=category&facet=month")
    paths += [f"/api/articles/{urllib.parse.quote(i, safe='')}" for i in ids]
    return paths


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Server:
    """``searchcore serve`` in a child process on a free loopback port."""

    def __init__(self, index: Path, readers: int | None) -> None:
        self.port = free_port()
        args = [searchcore_exe(), "serve", "--index", str(index), "--host", HOST,
                "--port", str(self.port), "--log-level", "warning"]
        if readers:
            args += ["--readers", str(readers)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/healthz")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("searchcore serve did not start: " + self.output())
                time.sleep(0.2)

    def get(self, path: str) -> dict[str, Any]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.output()


def run_phase(server: Server, paths: list[str], clients: int, duration: float,
              max_requests: int, seed: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    budget = [max_requests]

    def client(number: int) -> None:
        order = paths[:]
        random.Random(seed + number).shuffle(order)
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        i = 0
        while time.monotonic() < stop_at:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path = order[i % len(order)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                took = time.perf_counter() - started
                ok = response.status == 200 and (b'"hits"' in body or b'"id"' in body)
                problem = None if ok else f"{response.status} {path}: {body[:200]!r}"
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                took = time.perf_counter() - started
                problem = f"{type(exc).__name__} {path}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
            with lock:
                latencies.append(took * 1000.0)
                if problem:
                    errors.append(problem)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    return {"requests": len(latencies), "errors": len(errors), "error_samples": errors[:5],
            "seconds": round(wall, 1), "rps": round(len(latencies) / wall, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p90_ms": round(percentile(latencies, 90), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies, default=float("nan")), 1)}


def build(corpus: Path, index: Path, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([searchcore_exe(), "index", "build", str(corpus), "--index",
                             str(index), "--workers", str(workers), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the index is built (default: a temporary folder)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase")
    parser.add_argument("--readers", default="default,1",
                        help="reader-pool sizes for idle phases, comma separated "
                             "('default' = one per core); the first also runs the rebuild phase")
    parser.add_argument("--build-workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="index only the first 3,000 records (a smoke run)")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus} (Reuters-21578 docs.jsonl from ../shared/data)")
    if not 1 <= args.clients <= 200 or not 0 < args.duration <= 600:
        sys.exit("--clients must be 1..200 and --duration at most 600 s")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="serve-load-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus
    if args.quick:
        corpus = work / "quick.jsonl"
        with open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
            for n, line in enumerate(src):
                if n >= 3000:
                    break
                dst.write(line)
    index = work / "index"
    started = time.monotonic()
    first = build(corpus, index, args.build_workers)
    if first.wait() != 0:
        sys.exit("build failed: " + first.stderr.read().decode(errors="replace"))  # type: ignore[union-attr]
    build_s = time.monotonic() - started

    sizes = [None if r.strip() == "default" else int(r) for r in args.readers.split(",")]
    out: dict[str, Any] = {"corpus": str(args.corpus), "quick": args.quick,
                           "clients": args.clients, "duration_s": args.duration,
                           "build_s": round(build_s, 1), "cpus": os.cpu_count(), "phases": []}
    for n, readers in enumerate(sizes):
        server = Server(index, readers)
        try:
            health = server.get("/healthz")
            hits = server.get("/api/search?q=*&limit=50&snippets=0")["hits"]
            paths = request_mix([h["id"] for h in hits], health["features"].get("facets", False))
            label = f"readers={readers or os.cpu_count()}"
            server.get(paths[0])                 # warm: the first search opens the readers
            phase = run_phase(server, paths, args.clients, args.duration, args.max_requests, n)
            out["phases"].append({"phase": "idle", "readers": label, **phase})
            if n == 0:
                gen_before = server.get("/healthz")["generation"]
                stop_at = time.monotonic() + args.duration
                rebuilds: list[float] = []
                result: dict[str, Any] = {}

                def rebuild_loop() -> None:
                    while time.monotonic() < stop_at:
                        t0 = time.monotonic()
                        proc = build(corpus, index, args.build_workers)
                        if proc.wait() != 0:
                            result["build_error"] = proc.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
                            return
                        rebuilds.append(time.monotonic() - t0)

                builder = threading.Thread(target=rebuild_loop)
                builder.start()
                phase = run_phase(server, paths, args.clients, args.duration,
                                  args.max_requests, 100 + n)
                builder.join()
                gen_after = server.get("/healthz")["generation"]
                out["phases"].append({"phase": "rebuild", "readers": label, **phase,
                                      "rebuilds_finished": len(rebuilds),
                                      "rebuild_s": [round(r, 1) for r in rebuilds],
                                      "generations": [gen_before, gen_after], **result})
        finally:
            log = server.stop()
        if "Traceback" in log:
            out.setdefault("server_tracebacks", []).append(log)

    print(f"{'phase':8} {'readers':10} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'errors':>6}")
    for p in out["phases"]:
        print(f"{p['phase']:8} {p['readers']:10} {p['requests']:>9} {p['rps']:>7} {p['p50_ms']:>7} "
              f"{p['p90_ms']:>7} {p['p99_ms']:>7} {p['max_ms']:>7} {p['errors']:>6}")
        if p["phase"] == "rebuild":
            print(f"         rebuilds finished during the phase: {p['rebuilds_finished']} "
                  f"({p['rebuild_s']} s), generation {p['generations'][0]} -> {p['generations'][1]}")
        for sample in p["error_samples"]:
            print("         error:", sample)
    results = HERE / "out"
    results.mkdir(exist_ok=True)
    target = results / f"serve_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps(out, indent=2))
    print(f"(initial build {build_s:.1f} s; JSON in {target})")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
