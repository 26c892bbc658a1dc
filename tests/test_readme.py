"""README.md as a new user reads it: the first block, and every example on the demo index.

A new user pastes the first block, then tries the examples on the index the demo
built. Each command of the "Command line" section runs here through the CLI, in
order, against that index (the ``index`` examples on a fresh ``my-index`` folder);
each query of the "Query language" table runs against it too and must find something.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchcore
from searchcore.cli.demo_cmd import build_sample_index
from searchcore.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def first_block() -> list[str]:
    block = README[README.index("```sh\n") + 6:]
    return [line.split("  #")[0].strip() for line in block[:block.index("```")].splitlines()]


def test_first_block_makes_a_venv_first_and_is_what_ci_runs():
    venv, install, tests = first_block()
    assert venv.startswith("python3 -m venv .venv && . .venv/bin/activate")
    assert install == """pip install -e '.[test]' && searchcore demo "ballistic missiles\""""
    assert tests == "python -m pytest -q"
    ci_commands = [ln for ln in CI_RUN.splitlines() if ln and not ln.startswith("#")]
    assert install in ci_commands and tests in ci_commands
    assert venv in CI_RUN            # named in its comment: done in a temporary folder


def command_lines() -> list[list[str]]:
    body = section("Command line")
    lines = [ln.strip() for ln in body.splitlines() if ln.startswith("    searchcore ")]
    commands = []
    for line in lines:
        line = line.split(" | ")[0]                 # "| jq ...": only our part
        words = shlex.split(line, comments=True)
        assert words[0] == "searchcore"
        commands.append(words[1:])
    return commands


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("readme") / "demo"
    build_sample_index(path)
    return path


def test_every_command_line_example_works_on_the_demo_index(demo_index, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)                          # examples name files of a clone
    mine = tmp_path / "my-index"
    commands = command_lines()
    assert len(commands) >= 8
    for args in commands:
        args = [str(mine) if a == "my-index" else a for a in args]
        result = CliRunner().invoke(cli, args, env={"SEARCHCORE_INDEX": str(demo_index),
                                                    "NO_COLOR": "1"})
        assert result.exit_code == 0, (args, result.output)
        if args[0] in ("search", "demo"):
            assert not result.stdout.startswith("0 hits"), (args, result.stdout)
    with searchcore.open_index(mine) as ix:          # build, add and delete all happened
        assert ix.get("business-001") is None and len(ix) == 300


def table_queries() -> list[str]:
    queries = []
    for row in section("Query language").splitlines():
        if row.startswith("| `"):
            first_cell = row.split(" | ")[0]
            queries += re.findall(r"`([^`]+)`", first_cell)
    return queries


def test_every_query_of_the_table_finds_something_in_the_demo_index(demo_index):
    queries = table_queries()
    assert len(queries) >= 20
    with searchcore.open_index(demo_index) as ix:
        for query in queries:
            if "\\" in query:                       # the escape characters, not a query
                continue
            res = ix.search(query)                   # strict: every one parses
            if "now" in query:                       # relative dates: the sample is from 1987
                continue
            assert res.total > 0, query
