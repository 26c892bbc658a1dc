"""Time a cold ``searchcore search WORD``: a new process per search, median of N.

The array-layer issue's target is a cold CLI search on the Reuters index in at most
0.3 s of wall time. Each round starts a fresh ``searchcore search --index IX WORD``
(a different word each time, so nothing is cached between them but the OS's page
cache), and the table gives the median and the spread beside two floors measured in
the same run: ``python -c pass`` (the interpreter) and ``python -c "import numpy"``
(the one import an array engine cannot skip). It then prints where the imports go
(``python -X importtime``, the biggest cumulative modules).

Bytecode: a user's installed package has its ``.pyc`` files (pip compiles them; an
editable install writes them on first import). Where ``PYTHONDONTWRITEBYTECODE`` is
set (this development machine sets it), an editable install never gets them and every
run compiles searchcore from source, about 0.4 s more: this benchmark first runs one
search with that variable unset, so the cache exists, as it does for a user.

    python benchmarks/cold_start.py --index /path/to/reuters-index
    python benchmarks/cold_start.py                      # builds Reuters into a temp dir
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REUTERS = HERE.parent.parent / "shared" / "data" / "reuters21578" / "docs.jsonl"
WORDS = ("oil", "bank", "wheat", "dollar", "tokyo", "merger", "coffee", "strike",
         "shares", "export", "gold", "opec")


def _searchcore_command() -> list[str]:
    """The installed console script beside this interpreter, else ``-m``."""
    script = Path(sys.executable).with_name("searchcore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "searchcore.cli.main"]


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _rounds(make: "list[list[str]]", env: dict[str, str]) -> list[float]:
    return [_wall(command, env) for command in make]


def _summary(times: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def _top_imports(command: list[str], env: dict[str, str], count: int = 12) -> list[tuple[str, float]]:
    """The biggest imports (three levels deep at most) of one run, by cumulative ms."""
    argv = command[1:] if command[0] == sys.executable else command
    run = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         check=True)
    rows = []
    for line in run.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue                                   # the header, or other output
        name = parts[2].rstrip()
        if (len(name) - len(name.lstrip())) // 2 <= 3:
            rows.append((name.strip(), int(parts[1]) / 1000))
    rows.sort(key=lambda row: -row[1])
    return rows[:count]


def _build_reuters(folder: Path) -> Path:
    if not REUTERS.exists():
        raise SystemExit(f"no --index given and {REUTERS} is missing")
    import searchcore

    searchcore.build_index(REUTERS, folder / "ix")
    return folder / "ix"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="a Reuters index (built if omitted)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="cold-start-"))
    try:
        index = args.index or _build_reuters(scratch)
        env = dict(os.environ)
        writing = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base = _searchcore_command()
        searches = [[*base, "search", "--index", str(index), WORDS[i % len(WORDS)]]
                    for i in range(args.rounds)]
        _wall(searches[0], writing)                    # writes the bytecode cache
        _wall(searches[0], writing)                    # and warms the page cache
        rows = {
            "python -c pass": _summary(_rounds([[sys.executable, "-c", "pass"]] * args.rounds, writing)),
            "python -c 'import numpy'": _summary(_rounds(
                [[sys.executable, "-c", "import numpy"]] * args.rounds, writing)),
            "searchcore search WORD": _summary(_rounds(searches, writing)),
        }
        load = os.getloadavg()
        print(f"cold CLI search, {args.rounds} rounds, load average {load[0]:.2f}")
        print(f"{'':42} {'median':>8} {'min':>8} {'max':>8}")
        for name, row in rows.items():
            print(f"{name:42} {row['median_s']:8.3f} {row['min_s']:8.3f} {row['max_s']:8.3f}")
        print("\nlargest imports (cumulative ms, one run):")
        imports = _top_imports(searches[0], writing)
        for name, ms in imports:
            print(f"  {ms:8.1f}  {name}")
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"load": load, "rounds": rows,
                                            "imports_ms": imports}, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
