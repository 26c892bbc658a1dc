"""The command line through click's CliRunner: exact outputs, JSON schema, exit codes.

A three-article index (built once per module) gives outputs small enough to pin
exactly; the ingest commands build their own indexes from tests/data and tiny
JSONL files in tmp_path. The installed console script is exercised in
test_cli_subprocess.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import click
import orjson
import pytest
from click.testing import CliRunner, Result

import searchcore
from searchcore import layout
from searchcore.cli.main import cli
from searchcore.cli.options import default_index_path
from searchcore.cli.progress import ProgressReporter
from searchcore.results.render import ANSI_MATCH, ANSI_TITLE, strip_ansi

DATA = Path(__file__).parent / "data"
BBC_FILE = DATA / "bbc-sample.jsonl"
SEED_DIR = DATA / "seed"

ARTICLES = [
    {"id": "a1", "title": "Oil prices rise", "body": "Crude oil prices rose sharply on Monday.",
     "published": "2024-03-01T09:00:00Z", "source": "Example Wire", "category": ["energy"],
     "url": "https://example.com/a1"},
    {"id": "a2", "title": "Cocoa harvest improves", "body": "Rain helped the cocoa crop in Bahia.",
     "published": "2024-02-01T09:00:00Z", "source": "Farm News", "category": ["farming"]},
    {"id": "a3", "title": "Central bank holds rates",
     "body": "The central bank kept interest rates unchanged; oil was not discussed.",
     "published": "2024-01-15T09:00:00Z", "source": "Example Wire", "authors": ["A. Writer"]},
]

OIL_TEXT = """\
1. **Oil** prices rise
   Example Wire · 2024-03-01 · a1
   Crude **oil** prices rose sharply on Monday.

2. Central bank holds rates
   Example Wire · 2024-01-15 · a3
   The central bank kept interest rates unchanged; **oil** was not discussed.

2 hits in N ms
"""

HIT_KEYS = {"rank", "id", "score", "title", "published", "source", "url", "authors",
            "category", "snippets"}
RESULT_KEYS = {"query", "total", "total_is_exact", "page", "pages", "limit", "elapsed_ms",
               "hits"}
# Environment variables that change colour or index location: cleared for every run.
CLEAN_ENV = {"NO_COLOR": None, "CLICOLOR_FORCE": None, "SEARCHCORE_INDEX": None}


def make_tiny_index(path: Path) -> Path:
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only three-article index shared by the module."""
    return make_tiny_index(tmp_path_factory.mktemp("cli") / "tiny")


@pytest.fixture()
def tiny_copy(tmp_path: Path) -> Path:
    """A private three-article index, for commands that write."""
    return make_tiny_index(tmp_path / "tiny")


def run(*args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})}, input=input,
                              catch_exceptions=False)


def no_time(text: str) -> str:
    return re.sub(r"\d+(\.\d+)? ms", "N ms", text)


def assert_user_error(result: Result, *fragments: str) -> None:
    """Exit code 1, ``Error: ...`` on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr


# -- search ------------------------------------------------------------------------------
def test_search_text_output_is_exact(tiny: Path) -> None:
    result = run("search", "oil", "--index", str(tiny), "--no-color")
    assert result.exit_code == 0
    assert no_time(result.stdout) == OIL_TEXT
    assert result.stderr == ""


def test_query_words_are_joined(tiny: Path) -> None:
    one = run("search", "oil prices", "--index", str(tiny), "--json")
    two = run("search", "oil", "prices", "--index", str(tiny), "--json")
    assert [h["id"] for h in orjson.loads(one.stdout)["hits"]] == ["a1"]
    assert orjson.loads(two.stdout)["hits"] == orjson.loads(one.stdout)["hits"]


def test_search_json_matches_the_documented_schema(tiny: Path) -> None:
    result = run("search", "oil", "--index", str(tiny), "--json")
    assert result.exit_code == 0
    doc = orjson.loads(result.stdout)
    assert set(doc) >= RESULT_KEYS
    assert (doc["query"], doc["total"], doc["total_is_exact"], doc["page"], doc["pages"],
            doc["limit"]) == ("oil", 2, True, 1, 1, 10)
    assert isinstance(doc["elapsed_ms"], float)
    assert [h["id"] for h in doc["hits"]] == ["a1", "a3"]
    assert [h["rank"] for h in doc["hits"]] == [1, 2]
    first = doc["hits"][0]
    assert set(first) >= HIT_KEYS
    assert first["published"] == "2024-03-01T09:00:00+00:00"
    assert (first["source"], first["url"], first["category"]) == (
        "Example Wire", "https://example.com/a1", ["energy"])
    assert doc["hits"][1]["authors"] == ["A. Writer"]
    assert first["score"] > doc["hits"][1]["score"] > 0
    for hit in doc["hits"]:
        assert hit["snippets"], hit
        for snip in hit["snippets"]:
            assert set(snip) == {"field", "text", "spans"}
            assert snip["spans"]
            for start, end in snip["spans"]:
                assert snip["text"][start:end].lower() == "oil"
    # --format json is the same document as --json
    same = orjson.loads(run("search", "oil", "--index", str(tiny), "-f", "json").stdout)
    assert {**same, "elapsed_ms": 0} == {**doc, "elapsed_ms": 0}


def test_search_jsonl_is_one_hit_per_line(tiny: Path) -> None:
    result = run("search", "oil", "--index", str(tiny), "--format", "jsonl")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    hits = [orjson.loads(line) for line in lines]
    assert [(h["rank"], h["id"]) for h in hits] == [(1, "a1"), (2, "a3")]
    assert all(set(h) >= HIT_KEYS for h in hits)


def test_search_html_marks_matches(tiny: Path) -> None:
    result = run("search", "oil", "--index", str(tiny), "--format", "html")
    page = result.stdout
    assert page.startswith("<!doctype html>")
    assert page.rstrip().endswith("</html>")
    assert "<title>searchcore: oil</title>" in page
    assert "Crude <mark>oil</mark> prices" in page
    assert "<mark>oil</mark> was not discussed" in page
    assert '<a href="https://example.com/a1"><mark>Oil</mark> prices rise</a>' in page
    assert page.count("<li ") == 2
    assert "\x1b[" not in page


def test_sort_filters_and_pages(tiny: Path) -> None:
    def ids(*args: str) -> list[str]:
        result = run("search", *args, "--index", str(tiny), "--json")
        assert result.exit_code == 0, result.output
        return [h["id"] for h in orjson.loads(result.stdout)["hits"]]

    assert ids("oil", "--sort", "oldest") == ["a3", "a1"]
    assert ids("oil", "--sort", "newest") == ["a1", "a3"]
    assert ids("oil OR cocoa", "--source", "Farm News") == ["a2"]
    assert ids("oil", "--since", "2024-02-01") == ["a1"]
    assert ids("oil", "--until", "2024-02-01") == ["a3"]
    assert ids("oil OR cocoa", "--category", "farming") == ["a2"]
    assert ids("cocoa oil") == []
    assert sorted(ids("cocoa oil", "--any")) == ["a1", "a2", "a3"]
    assert ids("oil", "--limit", "1", "--page", "2") == ["a3"]
    doc = orjson.loads(run("search", "oil", "--sort", "newest", "--index", str(tiny),
                           "--json").stdout)
    assert [h["score"] for h in doc["hits"]] == [None, None]


def test_page_footer_and_no_hits(tiny: Path) -> None:
    paged = run("search", "oil", "-n", "1", "-p", "2", "--index", str(tiny), "--no-color")
    assert no_time(paged.stdout).splitlines()[-1] == "2 hits in N ms, page 2 of 2"
    assert paged.stdout.startswith("2. Central bank holds rates\n")
    beyond = run("search", "oil", "-p", "3", "-n", "1", "--index", str(tiny))
    assert no_time(beyond.stdout) == "2 hits in N ms, page 3 of 2\n"
    none = run("search", "zeppelin", "--index", str(tiny))
    assert none.exit_code == 0
    assert no_time(none.stdout) == "0 hits in N ms\n"


def test_snippets_zero_shows_no_snippet_lines(tiny: Path) -> None:
    result = run("search", "cocoa", "--snippets", "0", "--index", str(tiny))
    assert no_time(result.stdout) == ("1. Cocoa harvest improves\n"
                                      "   Farm News · 2024-02-01 · a2\n\n1 hit in N ms\n")


# -- colour ------------------------------------------------------------------------------
MATCH = ANSI_MATCH[0] + "oil" + ANSI_MATCH[1]


def test_color_flag_highlights_matches(tiny: Path) -> None:
    colored = run("search", "oil", "--index", str(tiny), "--color").stdout
    assert f"Crude {MATCH} prices" in colored
    assert no_time(strip_ansi(colored)) == OIL_TEXT.replace("**", "")


def test_no_color_env_and_flag_are_respected(tiny: Path) -> None:
    forced = run("search", "oil", "--index", str(tiny), env={"CLICOLOR_FORCE": "1"}).stdout
    assert MATCH in forced
    assert "\x1b[" not in run("search", "oil", "--index", str(tiny),
                              env={"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run("search", "oil", "--index", str(tiny), "--no-color",
                              env={"CLICOLOR_FORCE": "1"}).stdout
    assert "\x1b[" not in run("search", "oil", "--index", str(tiny)).stdout  # not a terminal
    shown = run("show", "a1", "--index", str(tiny), env={"CLICOLOR_FORCE": "1"}).stdout
    assert shown.startswith(ANSI_TITLE[0] + "Oil prices rise")
    assert "\x1b[" not in run("show", "a1", "--index", str(tiny),
                              env={"CLICOLOR_FORCE": "1", "NO_COLOR": "x"}).stdout


# -- show --------------------------------------------------------------------------------
def test_show_prints_the_whole_article(tiny: Path) -> None:
    result = run("show", "a3", "--index", str(tiny))
    assert result.exit_code == 0
    assert result.stdout == (
        "Central bank holds rates\n"
        "id:        a3\n"
        "source:    Example Wire\n"
        "published: 2024-01-15T09:00:00+00:00\n"
        "authors:   A. Writer\n"
        "\n"
        "The central bank kept interest rates unchanged; oil was not discussed.\n")


def test_show_json(tiny: Path) -> None:
    doc = orjson.loads(run("show", "a1", "--json", "--index", str(tiny)).stdout)
    assert doc == {"id": "a1", "title": "Oil prices rise",
                   "body": "Crude oil prices rose sharply on Monday.",
                   "published": "2024-03-01T09:00:00+00:00", "source": "Example Wire",
                   "url": "https://example.com/a1", "authors": [], "category": ["energy"],
                   "language": "", "extra": {}}


def test_show_unknown_id_is_an_error(tiny: Path) -> None:
    assert_user_error(run("show", "nope", "--index", str(tiny)), "no article with id 'nope'")


# -- index location ----------------------------------------------------------------------
def test_searchcore_index_env_is_used(tiny: Path) -> None:
    result = run("search", "cocoa", "--json", env={"SEARCHCORE_INDEX": str(tiny)})
    assert [h["id"] for h in orjson.loads(result.stdout)["hits"]] == ["a2"]


def test_index_option_order_of_precedence(tiny: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    env = {"SEARCHCORE_INDEX": missing}
    assert run("search", "cocoa", env=env).exit_code == 1
    assert run("--index", str(tiny), "search", "cocoa", env=env).exit_code == 0
    assert run("search", "cocoa", "--index", str(tiny), env=env).exit_code == 0
    # the command's own --index beats the group's
    assert_user_error(run("--index", str(tiny), "search", "cocoa", "--index", missing),
                      repr(missing))


def test_default_index_path_is_in_the_user_data_dir() -> None:
    assert default_index_path() == Path(click.get_app_dir("searchcore")) / "index"


# -- errors ------------------------------------------------------------------------------
def test_missing_index_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    assert_user_error(run("search", "oil", "--index", str(missing)),
                      "no index at", "searchcore index build")
    assert_user_error(run("index", "stats", "--index", str(missing)), "no index at")
    assert_user_error(run("show", "x", "--index", str(missing)), "no index at")


def test_bad_query_is_a_user_error(tiny: Path) -> None:
    result = run("search", "published:[yesterday-ish TO nowhere]", "--index", str(tiny))
    assert_user_error(result, "yesterday-ish")
    # the query is echoed with a caret under the problem
    query_line, caret_line = result.stderr.splitlines()[-2:]
    assert query_line == "  published:[yesterday-ish TO nowhere]"
    assert query_line[caret_line.index("^")] == "y"


def test_lenient_accepts_any_query(tiny: Path) -> None:
    query = "oil published:[yesterday-ish TO"
    assert run("search", query, "--index", str(tiny)).exit_code == 1
    result = run("search", query, "--lenient", "--json", "--index", str(tiny))
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["query"] == query


def test_bad_date_option_is_a_user_error(tiny: Path) -> None:
    assert_user_error(run("search", "oil", "--since", "not a date", "--index", str(tiny)),
                      "since")


@pytest.mark.parametrize("args", [
    ["search", "oil", "--frobnicate"],
    ["search"],
    ["search", "oil", "--sort", "sideways"],
    ["search", "oil", "--limit", "0"],
    ["frobnicate"],
    ["index", "delete"],
])
def test_usage_errors_exit_2_with_a_hint(args: list[str], tiny: Path) -> None:
    result = run(*args, "--index", str(tiny)) if args[0] != "frobnicate" else run(*args)
    assert result.exit_code == 2, result.output
    assert "Try 'searchcore" in result.stderr and "for help." in result.stderr
    assert "Traceback" not in result.output


def test_delete_ids_and_query_together_is_a_usage_error(tiny: Path) -> None:
    result = run("index", "delete", "a1", "--query", "oil", "--index", str(tiny))
    assert result.exit_code == 2
    assert "either IDs or --query" in result.stderr


def test_locked_index_is_a_user_error(tiny_copy: Path) -> None:
    with layout.write_lock(tiny_copy, timeout=0):
        result = run("index", "delete", "a1", "--lock-timeout", "0", "--index", str(tiny_copy))
    assert_user_error(result, "locked by another writer", "write.lock")
    with searchcore.open_index(tiny_copy) as ix:
        assert ix.get("a1") is not None


def test_not_an_index_directory_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert_user_error(run("index", "stats", "--index", str(tmp_path)),
                      "not a searchcore index")


# -- help and version ----------------------------------------------------------------------
def all_command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += all_command_paths(command, prefix + (name,))
        else:
            paths.append(prefix + (name,))
    return paths


COMMAND_PATHS = all_command_paths()


def test_every_command_is_listed() -> None:
    assert set(COMMAND_PATHS) == {(), ("demo",), ("search",), ("show",), ("similar",), ("index",),
                                  ("timeline",), ("export",), ("terms",),
                                  ("index", "build"), ("index", "add"), ("index", "delete"),
                                  ("index", "stats"), ("index", "check"), ("serve",)}


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "searchcore")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], flag: str) -> None:
    result = run(*path, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: searchcore {' '.join(path)}".rstrip())
    assert "Examples:\n" in result.stdout
    assert re.search(r"^\s+searchcore \w", result.stdout.split("Examples:")[1], re.M)
    assert "-h, --help" in result.stdout
    assert "--version" in result.stdout
    if path and path != ("index",):
        assert "--index PATH" in result.stdout


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "searchcore")
def test_every_command_has_version(path: tuple[str, ...]) -> None:
    result = run(*path, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"searchcore {searchcore.__version__}\n"


# -- index stats / check / delete ----------------------------------------------------------
def test_stats_text_and_json(tiny: Path) -> None:
    text = run("index", "stats", "--index", str(tiny)).stdout
    lines = dict(line.split(None, 1) for line in text.splitlines())
    assert lines["Index"] == str(tiny)
    assert lines["Documents"] == "3"
    assert lines["Sources"] == "Example Wire 2, Farm News 1"
    assert lines["Dates"] == "2024-01-15 to 2024-03-01"
    assert lines["Languages"] == "(none) 3 (articles without one are analysed as english)"
    assert lines["Format"].startswith(f"version {layout.FORMAT_VERSION}, gen-")
    assert re.fullmatch(r"title \d+, body \d+", lines["Terms"])
    doc = orjson.loads(run("index", "stats", "--json", "--index", str(tiny)).stdout)
    assert doc["documents"] == 3
    assert doc["sources"] == {"Example Wire": 2, "Farm News": 1}
    assert doc["date_range"] == ["2024-01-15T09:00:00+00:00", "2024-03-01T09:00:00+00:00"]
    assert {"terms", "size_bytes", "language", "format_version"} <= set(doc)
    assert doc["languages"] == {"": 3}


def test_check_passes_on_a_good_index(tiny: Path) -> None:
    result = run("index", "check", "--index", str(tiny))
    assert result.exit_code == 0
    assert re.fullmatch(r"Checked '.*': 1 segment, 3 documents, \d+ terms, \d+ postings "
                        r"in \d+\.\d s\.\nNo problems found\.\n", result.stdout)
    doc = orjson.loads(run("index", "check", "--json", "--index", str(tiny)).stdout)
    assert doc["ok"] is True and doc["documents"] == 3 and doc["problems"] == []
    assert doc["postings"] >= doc["terms"] > 10


def test_check_reports_a_count_mismatch(tiny_copy: Path) -> None:
    manifest = layout.read_manifest(tiny_copy)
    layout.write_manifest(tiny_copy, {**manifest, "documents": 99})
    result = run("index", "check", "--index", str(tiny_copy))
    assert result.exit_code == 1
    assert "1 problem:\n  the manifest says 99 documents, the segments hold 3\n" in result.stdout


def test_check_reports_a_damaged_segment(tiny_copy: Path) -> None:
    generation = layout.read_manifest(tiny_copy)["generation"]
    folder = tiny_copy / generation
    # A compound segment (.seg) or, for bulk-written ones, the postings file (.pst).
    segment_file = next(iter(sorted(folder.glob("*.seg")) + sorted(folder.glob("*.pst"))))
    data = bytearray(segment_file.read_bytes())
    data[: len(data) // 2] = b"\xff" * (len(data) // 2)  # postings and terms, not the footer
    segment_file.write_bytes(bytes(data))
    result = run("index", "check", "--index", str(tiny_copy))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "problem" in result.stdout


def test_delete_by_id_and_by_query(tiny_copy: Path) -> None:
    result = run("index", "delete", "a1", "zz", "--index", str(tiny_copy))
    assert result.exit_code == 0
    assert result.stderr == "Deleted 1 article (1 of the ids not found).\n"
    result = run("index", "delete", "--query", "cocoa", "--index", str(tiny_copy))
    assert result.stderr == "Deleted 1 article.\n"
    with searchcore.open_index(tiny_copy) as ix:
        assert [ix.get(i) is None for i in ("a1", "a2", "a3")] == [True, True, False]
    assert run("index", "delete", "a3", "-q", "--index", str(tiny_copy)).stderr == ""


# -- build and add -------------------------------------------------------------------------
def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def test_build_from_jsonl_and_a_text_folder(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    result = run("index", "build", str(BBC_FILE), str(SEED_DIR), "--index", str(index))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Read 301 records" in result.stderr and "301 indexed" in result.stderr
    assert f"Built {str(index)!r}." in result.stderr
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    found = orjson.loads(run("search", "ballistic missiles", "--json", "--index",
                             str(index)).stdout)
    assert found["hits"][0]["title"].startswith("US Informs Israel")


def test_build_quiet_and_json(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    quiet = run("index", "build", str(source), "-q", "--index", str(tmp_path / "q"))
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    as_json = run("index", "build", str(source), "--json", "--index", str(tmp_path / "j"))
    doc = orjson.loads(as_json.stdout)
    assert (doc["read"], doc["indexed"], doc["skipped_total"]) == (3, 3, 0)


def test_build_skips_bad_records_and_strict_stops(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(orjson.dumps(ARTICLES[0]) + b"\n{broken json\n"
                       + orjson.dumps(ARTICLES[1]) + b"\n")
    result = run("index", "build", str(source), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    assert "2 indexed" in result.stderr and "1 skipped" in result.stderr
    assert "mixed.jsonl:2" in result.stderr
    strict = run("index", "build", str(source), "--strict", "--index", str(tmp_path / "s"))
    assert_user_error(strict, "mixed.jsonl:2")


def test_build_from_standard_input(tmp_path: Path) -> None:
    data = "".join(orjson.dumps(a).decode() + "\n" for a in ARTICLES)
    result = run("index", "build", "-", "--index", str(tmp_path / "ix"), input=data)
    assert result.exit_code == 0, result.output
    assert "3 indexed" in result.stderr


def test_build_csv_with_a_column_mapping(tmp_path: Path) -> None:
    source = tmp_path / "wire.csv"
    source.write_text("hed,txt,junk\nOil up,Crude rose again.,x\n", encoding="utf-8")
    result = run("index", "build", str(source), "--csv-column", "hed=title",
                 "--csv-column", "txt=body", "--csv-column", "junk=",
                 "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    doc = orjson.loads(run("search", "crude", "--json", "--index", str(tmp_path / "ix")).stdout)
    assert [h["title"] for h in doc["hits"]] == ["Oil up"]
    bad = run("index", "build", str(source), "--csv-column", "hed", "--index",
              str(tmp_path / "other"))
    assert bad.exit_code == 2 and "COLUMN=FIELD" in bad.stderr


def test_add_replaces_by_id(tiny_copy: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "new.jsonl", [
        {"id": "a2", "title": "Cocoa harvest fails", "body": "Drought hit the cocoa crop."},
        {"id": "a4", "title": "Zeppelin returns", "body": "An airship flew over the city."}])
    result = run("index", "add", str(source), "--index", str(tiny_copy))
    assert result.exit_code == 0, result.output
    assert "2 indexed" in result.stderr
    with searchcore.open_index(tiny_copy) as ix:
        assert len(ix) == 4
        assert ix.get("a2").title == "Cocoa harvest fails"


def test_unreadable_source_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file.jsonl"
    assert_user_error(run("index", "build", str(missing), "--index", str(tmp_path / "ix")),
                      "no-such-file.jsonl")
    undecodable = tmp_path / "bad.jsonl.gz"
    undecodable.write_bytes(b"this is not gzip data at all")
    result = run("index", "build", str(undecodable), "--strict", "--index", str(tmp_path / "g"))
    assert_user_error(result, "bad.jsonl.gz")


@pytest.mark.parametrize("command", ["add", "build"])
def test_ingest_into_a_locked_index_is_a_user_error(command: str, tiny_copy: Path,
                                                     tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "one.jsonl", [{"id": "new", "title": "Zeppelin news"}])
    with layout.write_lock(tiny_copy, timeout=0):
        result = run("index", command, str(source), "--lock-timeout", "0", "--index",
                     str(tiny_copy))
    assert_user_error(result, "locked by another writer")
    with searchcore.open_index(tiny_copy) as ix:  # nothing lost, nothing added
        assert len(ix) == 3 and ix.get("new") is None


# -- demo --------------------------------------------------------------------------------
def test_demo_builds_the_sample_once_then_searches(tmp_path: Path) -> None:
    index = tmp_path / "demo-index"
    env = {"SEARCHCORE_INDEX": str(index)}
    first = run("demo", "ballistic missiles", env=env)
    assert first.exit_code == 0, first.output
    assert f"into {str(index)!r}" in first.stderr
    assert "Indexed 301 articles" in first.stderr
    assert first.stdout.startswith("1. US Informs Israel: No Participation in Retaliatory")
    assert "**ballistic missiles**" in first.stdout or "**ballistic** **missiles**" in first.stdout
    again = run("demo", env=env, )
    assert again.exit_code == 0 and again.stderr == ""
    assert "**oil**" in again.stdout.lower()  # the default query, "oil prices"
    assert re.search(r"^\d+ hits in [\d.]+ ms, page 1 of \d+$", again.stdout, re.M)
    # the demo index is the default one: plain search finds the Reuters sample
    doc = orjson.loads(run("search", "cocoa", "--json", env=env).stdout)
    assert doc["total"] > 0 and doc["hits"][0]["source"] == "Reuters"


def _age_manifest(index: Path) -> None:
    mpath = layout.manifest_path(index)
    manifest = orjson.loads(mpath.read_bytes())
    mpath.write_bytes(orjson.dumps(manifest | {"format_version": layout.MIN_FORMAT_VERSION - 1}))


def test_demo_rebuilds_its_own_sample_index_when_its_format_is_too_old(tmp_path: Path) -> None:
    index = tmp_path / "demo-index"
    env = {"SEARCHCORE_INDEX": str(index)}
    assert run("demo", env=env).exit_code == 0
    _age_manifest(index)
    again = run("demo", "cocoa", env=env)
    assert again.exit_code == 0, again.output
    assert "built by an older searchcore" in again.stderr and "Indexed 301 articles" in again.stderr
    # an index the user built is never rebuilt behind their back: it gets the rebuild hint
    mine = tmp_path / "mine"
    with searchcore.create_index(mine) as ix:
        ix.add(ARTICLES)
    _age_manifest(mine)
    result = run("demo", "--index", str(mine))
    assert_user_error(result, "searchcore index build")


# -- progress ----------------------------------------------------------------------------
class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only() -> None:
    tty = FakeTerminal()
    with ProgressReporter("Indexing", stream=tty) as progress:
        for done in range(0, 101, 10):
            progress(done, 100)
    assert "Indexing" in tty.getvalue() and "100/100" in tty.getvalue()
    counter = FakeTerminal()
    with ProgressReporter("Adding", stream=counter) as progress:
        progress(5, None)
    assert "Adding 5 documents" in counter.getvalue()
    pipe = io.StringIO()
    with ProgressReporter("Indexing", stream=pipe) as progress:
        progress(50, 100)
    assert pipe.getvalue() == ""
    quiet = FakeTerminal()
    with ProgressReporter("Indexing", stream=quiet, enabled=False) as progress:
        progress(50, 100)
    assert quiet.getvalue() == ""


# -- what reaches a terminal ----------------------------------------------------------------
def test_control_characters_in_articles_are_defused(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    with searchcore.create_index(index) as ix:
        ix.add([{"id": "evil", "title": "Escape \x1b[2J artist",
                 "body": "Line one about escape.\nLine two \x1b]0;pwned\x07 here."}])
    found = run("search", "escape", "--index", str(index), "--color")
    shown = run("show", "evil", "--index", str(index), "--color")
    for out in (found.stdout, shown.stdout):
        assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out
    assert "Line one about escape.\nLine two" in shown.stdout  # line breaks kept
