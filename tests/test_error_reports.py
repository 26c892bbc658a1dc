"""Reports of bad input: every bad record in a file, BOMs inside files, one origin.

``index build`` and ``index add`` list the first 20 bad records; ``--errors FILE``
writes every one as a JSON line (file, line, reason, message, field) and the summary
says where the list went. A UTF-8 byte order mark inside a JSON Lines file (exports
joined with ``cat``) is read past, and a strict stop names its origin once.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

import searchcore
from searchcore.cli.main import cli
from searchcore.index.build import add_sources, build_index

BOM = b"\xef\xbb\xbf"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"SEARCHCORE_INDEX": None, "NO_COLOR": "1"},
                              catch_exceptions=False)


def write_mixed(path: Path, bad: int, good: int = 3) -> Path:
    lines = [orjson.dumps({"id": f"g{n}", "title": f"Good {n}", "body": "Oil prices."})
             for n in range(good)]
    lines += [b'{"id": "broken", "title": ' for _ in range(bad // 2)]
    lines += [orjson.dumps({"id": f"e{n}", "title": "", "body": ""}) for n in range(bad - bad // 2)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_errors_file_lists_every_bad_record(tmp_path: Path) -> None:
    source = write_mixed(tmp_path / "news.jsonl", bad=50)
    errors = tmp_path / "errors.jsonl"
    result = run("index", "build", str(source), "--errors", str(errors), "--index",
                 str(tmp_path / "ix"), "-w", "1")
    assert result.exit_code == 0, result.output
    records = [orjson.loads(line) for line in errors.read_bytes().splitlines()]
    assert len(records) == 50
    assert {r["reason"] for r in records} == {"broken-json", "empty"}
    assert [r["line"] for r in records] == list(range(4, 54))
    assert all(r["file"] == str(source) and str(source) in r["message"] for r in records)
    assert f"... and 30 more (every one in {str(errors)!r})" in result.stderr


def test_errors_file_on_add_and_in_json(tmp_path: Path) -> None:
    source = write_mixed(tmp_path / "today.jsonl", bad=4)
    errors = tmp_path / "errors.jsonl"
    result = run("index", "add", str(source), "--errors", str(errors), "--json", "--index",
                 str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["errors_file"] == str(errors) and summary["skipped_total"] == 4
    assert len(errors.read_bytes().splitlines()) == 4


def test_the_library_takes_an_errors_path(tmp_path: Path) -> None:
    source = write_mixed(tmp_path / "news.jsonl", bad=25)
    errors = tmp_path / "all-errors.jsonl"
    summary = build_index([source], tmp_path / "ix", workers=1, errors=errors)
    assert summary.errors_file == str(errors) and summary.skipped_total == 25
    assert len(errors.read_bytes().splitlines()) == 25
    again = add_sources([source], tmp_path / "ix", errors=tmp_path / "add-errors.jsonl")
    assert len((tmp_path / "add-errors.jsonl").read_bytes().splitlines()) == 25
    assert again.indexed == 3


def test_without_errors_file_the_summary_says_how_to_get_every_record(tmp_path: Path) -> None:
    source = write_mixed(tmp_path / "news.jsonl", bad=30)
    result = run("index", "build", str(source), "--index", str(tmp_path / "ix"), "-w", "1")
    assert "... and 10 more (--errors FILE lists every one)" in result.stderr


def test_a_bom_inside_a_jsonl_file_is_accepted(tmp_path: Path) -> None:
    one = BOM + orjson.dumps({"id": "a", "title": "First export", "body": "Oil."}) + b"\n"
    two = BOM + orjson.dumps({"id": "b", "title": "Second export", "body": "Gas."}) + b"\n"
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(one + two + two.replace(b'"b"', b'"c"'))
    summary = build_index([joined], tmp_path / "ix", workers=1)
    assert summary.skipped_total == 0 and summary.indexed == 3
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert ix.get("b").title == "Second export"


def test_the_strict_error_names_its_origin_once(tmp_path: Path) -> None:
    source = write_mixed(tmp_path / "news.jsonl", bad=2)
    result = CliRunner().invoke(cli, ["index", "build", str(source), "--strict", "--index",
                                      str(tmp_path / "ix")], env={"SEARCHCORE_INDEX": None})
    assert result.exit_code == 1
    assert result.stderr.count(f"{source}:4") == 1, result.stderr
