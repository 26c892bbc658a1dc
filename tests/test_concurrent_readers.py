"""Readers during rebuilds and adds: never an error, never a half-built state.

Two reader processes search in a loop while the main process rebuilds the index twice
and adds a batch. Every answer must come from a complete generation: the total is
one of the counts the index ever had, and no search raises. A regression test for
the stress run (13,341 searches from 4 readers, no error) now that readers go
through the safe unpickler, the budget and the damage reporting.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from searchcore.index.build import add_sources, build_index

from conftest import BBC_FILE

READER = textwrap.dedent("""
    import sys, time, orjson, searchcore
    index, stop, out = sys.argv[1:4]
    seen, errors, searches = set(), [], 0
    with searchcore.open_index(index) as ix:
        while True:
            try:
                seen.add(ix.search("*", limit=1, snippets=0).total)
                ix.search("film OR music", limit=5)
                searches += 2
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            try:
                open(stop).close()
                break
            except FileNotFoundError:
                pass
    open(out, "wb").write(orjson.dumps({"seen": sorted(seen), "errors": errors[:5],
                                        "searches": searches}))
""")


@pytest.mark.slow
def test_readers_see_only_whole_generations(tmp_path: Path) -> None:
    lines = [line for line in BBC_FILE.read_bytes().splitlines() if line.strip()]
    first = tmp_path / "first.jsonl"
    first.write_bytes(b"\n".join(lines[:200]) + b"\n")
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(b"\n".join(orjson.dumps(dict(orjson.loads(line), id=f"x{n}"))
                                 for n, line in enumerate(lines[:40])) + b"\n")
    index = tmp_path / "ix"
    build_index([first], index, workers=1)
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(index), str(stop),
                                 str(tmp_path / f"out{n}.json")]) for n in range(2)]
    try:
        build_index([BBC_FILE], index, workers=1)            # 300
        add_sources([extra], index)                          # 340
        build_index([first], index, workers=2)               # 200 again
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
    allowed = {200, 300, 340}
    for n in range(2):
        report = orjson.loads((tmp_path / f"out{n}.json").read_bytes())
        assert report["errors"] == [], report["errors"]
        assert report["searches"] > 0
        assert set(report["seen"]) <= allowed, report["seen"]
