"""The first hour of a new user: command-line messages, text files, the package surface.

Each test is a class of mistake a new user makes (a query starting with ``-``, two
output options at once, a Windows text file) and checks the message or behaviour
through the real CLI on real files, or the public names of the package.
"""

from __future__ import annotations

import gc
import inspect
import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

import searchcore
from searchcore.cli.main import cli
from tests.conftest import SHARED_DATA_ENV, shared_data_dir

ARTICLES = [
    {"id": "opec-1", "title": "OPEC output steady", "body": "Crude output held steady, OPEC said."},
    {"id": "cocoa-1", "title": "Cocoa harvest", "body": "Rain helped the cocoa crop."},
]


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **env})


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("first-run") / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    return str(path)


# -- the command line -------------------------------------------------------------------
@pytest.mark.parametrize("args, suggestion", [
    (["search", "-opec"], "searchcore search -- -opec"),
    (["search", "crude", "-opec", "-n", "2"], "searchcore search crude -n 2 -- -opec"),
    (["demo", "-sport"], "searchcore demo -- -sport"),
])
def test_a_query_starting_with_a_dash_says_to_use_double_dash(args, suggestion, index):
    result = run(*args, SEARCHCORE_INDEX=index)
    assert result.exit_code == 2
    assert "goes after '--'" in result.stderr and suggestion in result.stderr


def test_other_unknown_options_get_no_query_hint(index):
    result = run("search", "--bogus", "oil", "--index", index)
    assert result.exit_code == 2 and "'--'" not in result.stderr
    result = run("index", "stats", "-x", "--index", index)
    assert result.exit_code == 2 and "'--'" not in result.stderr


def test_the_double_dash_query_works(index):
    result = run("search", "--index", index, "--json", "--", "-opec")
    assert result.exit_code == 0, result.output
    assert [h["id"] for h in orjson.loads(result.stdout)["hits"]] == ["cocoa-1"]


@pytest.mark.parametrize("fmt", ["jsonl", "html", "text"])
def test_json_and_another_format_are_refused(fmt, index):
    result = run("search", "oil", "--format", fmt, "--json", "--index", index)
    assert result.exit_code == 2
    assert f"--json and --format {fmt}" in result.stderr
    assert run("search", "oil", "--format", "json", "--json", "--index", index).exit_code == 0


def test_delete_without_ids_or_query_says_what_is_missing(index):
    result = run("index", "delete", "--index", index)
    assert result.exit_code == 2
    assert "nothing to delete: give the IDs" in result.stderr and "--query" in result.stderr
    both = run("index", "delete", "x", "--query", "oil", "--index", index)
    assert both.exit_code == 2 and "not both" in both.stderr


def test_delete_help_example_parses(index):
    help_text = run("index", "delete", "--help").stdout
    example = help_text.split("--query '")[1].split("'")[0]
    with searchcore.open_index(index) as ix:
        ix.search(example)                                    # strict: no QuerySyntaxError


def test_strict_names_the_file_once(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"\n')
    result = run("index", "build", str(bad), "--strict", "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1
    assert result.stderr.count(str(bad)) == 1, result.stderr
    assert result.stderr.startswith(f"Error: {bad}:1: broken JSON")


def test_unknown_extension_hint_is_in_command_line_syntax(tmp_path):
    odd = tmp_path / "news.dat"
    odd.write_text("{}\n")
    result = run("index", "build", str(odd), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1 and "--format jsonl" in result.stderr


# -- what the plain output shows ----------------------------------------------------------
def test_stars_in_an_article_are_escaped_so_only_matches_are_between_stars(tmp_path):
    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add([{"id": "md", "title": "A **bold** headline on cocoa",
                 "body": "Markdown says **important**: cocoa prices rose, 2*3 = 6."}])
    out = run("search", "cocoa", "--index", str(path)).stdout
    assert "A \\*\\*bold\\*\\* headline on **cocoa**" in out
    assert "\\*\\*important\\*\\*: **cocoa** prices rose, 2*3 = 6." in out
    assert "<mark>cocoa</mark>" in run("search", "cocoa", "--index", str(path), "--format",
                                       "html").stdout     # HTML needs no escaping of stars


def test_a_title_only_match_says_so(tmp_path):
    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add([{"id": "z", "title": "Zebra crossing rules change",
                 "body": "Pedestrians will get more time. Councils agreed on Monday."},
                {"id": "y", "title": "Zebra found", "body": "A zebra was found in a garden."}])
    out = run("search", "zebra", "--index", str(path)).stdout
    blocks = {b.split("\n")[1].split(" · ")[0].strip(): b for b in out.split("\n\n")[:2]}
    assert "matched in the title" in blocks["z"]
    assert "matched in the title" not in blocks["y"]          # its body lead is marked
    assert "matched in the title" in run("search", "zebra", "--index", str(path), "--format",
                                         "html").stdout


# -- index stats and check on a big index -------------------------------------------------
def test_stats_reads_no_stored_article(tmp_path, monkeypatch):
    """Sources and dates come from the columns: reading every article is what made
    `index stats` take seconds. whoosh's stored-field readers are made to fail."""
    from whoosh.reading import SegmentReader

    path = tmp_path / "ix"
    records = [{"id": f"r{i}", "title": f"Story {i}", "body": "Oil and cocoa. " * 30,
                "source": "Reuters" if i % 3 else "BBC News", "published": f"1987-03-{1 + i % 28:02d}"}
               for i in range(600)] + [{"id": "nosrc", "title": "No source", "body": "Undated."}]
    source = tmp_path / "news.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    searchcore.build_index([source], path, workers=1)

    def no_stored(*args, **kwargs):
        raise AssertionError("index stats read a stored article")

    monkeypatch.setattr(SegmentReader, "stored_fields", no_stored)
    monkeypatch.setattr(SegmentReader, "iter_docs", no_stored)
    monkeypatch.setattr(SegmentReader, "all_stored_fields", no_stored)
    with searchcore.open_index(path) as ix:
        stats = ix.stats()
    assert stats["sources"] == {"Reuters": 400, "BBC News": 200, "": 1}
    assert list(stats["sources"]) == ["Reuters", "BBC News", ""]         # by count
    assert stats["date_range"] == ["1987-03-01T00:00:00+00:00", "1987-03-28T00:00:00+00:00"]
    assert stats["documents"] == 601


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_check_shows_progress_per_segment_on_a_terminal(tmp_path):
    from searchcore.cli.check_cmd import check_index
    from searchcore.cli.progress import PhasedProgress

    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add([{"id": f"d{i}", "title": f"Word{i} story", "body": f"unique{i} text " * 5}
                for i in range(700)])
    tty = Terminal()
    with searchcore.open_index(path) as ix, PhasedProgress(stream=tty) as progress:
        report = check_index(ix, progress)
    assert report.ok and report.documents == 700
    shown = tty.getvalue()
    assert "Checking segment 1/1" in shown and "700/700" in shown
    quiet = run("index", "check", "-q", "--index", str(path))
    assert quiet.exit_code == 0 and quiet.stderr == ""


# -- a damaged index -----------------------------------------------------------------------
@pytest.mark.parametrize("command", [["search", "cocoa"], ["index", "stats"], ["show", "cocoa-1"]])
def test_a_damaged_index_gives_an_error_naming_it_not_a_traceback(tmp_path, command):
    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    generation = orjson.loads((path / "searchcore.json").read_bytes())["generation"]
    damaged = next((path / generation).glob("*.trm"))
    data = bytearray(damaged.read_bytes())
    data[: len(data) // 2] = b"\xff" * (len(data) // 2)
    damaged.write_bytes(bytes(data))
    result = run(*command, "--index", str(path))
    assert result.exit_code == 1, result.output
    # issue 15's IndexCorruptError names the file; anything whoosh raises that it does
    # not translate gets the CLI boundary's "unexpected ..." message. Both say what to do.
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert str(path) in result.stderr and "index check" in result.stderr
    assert "rebuild" in result.stderr
    gc.collect()                         # no ResourceWarning left behind (filterwarnings=error)


def test_an_error_we_did_not_raise_on_purpose_names_the_index(tmp_path, monkeypatch):
    """The CLI boundary: whatever a damaged file makes whoosh raise becomes a message."""
    from whoosh.reading import SegmentReader

    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)

    def broken(*args, **kwargs):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(SegmentReader, "stored_fields", broken)
    result = run("show", "cocoa-1", "--index", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: unexpected OSError: [Errno 22] Invalid argument "
                                    f"reading the index at '{path}'")
    assert f"searchcore index check --index {path}" in result.stderr
    debug = CliRunner().invoke(cli, ["show", "cocoa-1", "--index", str(path)],
                               env={"SEARCHCORE_DEBUG": "1"})
    assert isinstance(debug.exception, OSError)               # the traceback, on request


# -- text files in other encodings --------------------------------------------------------
def test_windows_1252_and_latin1_text_files_are_read_and_reported(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cp1252.txt").write_bytes("Café prices\n\nThe “best” café.\n".encode("cp1252"))
    (folder / "latin1.txt").write_bytes(b"Cr\xe8me br\xfbl\xe9e\n\nA dessert \x81 here.\n")
    (folder / "utf8.txt").write_text("Naïve title\n\nPlain UTF-8 body.\n", encoding="utf-8")
    index = str(tmp_path / "ix")
    result = run("index", "build", str(folder), "--index", index)
    assert result.exit_code == 0, result.output
    assert "read as cp1252: 1 text file (cp1252.txt)" in result.stderr
    assert "read as latin-1: 1 text file (latin1.txt)" in result.stderr
    summary = orjson.loads(run("index", "build", str(folder), "--index", index, "--json").stdout)
    assert summary["indexed"] == 3 and summary["assumed_encodings"] == {"cp1252": 1, "latin-1": 1}
    with searchcore.open_index(index) as ix:
        hit = ix.search("best café").hits[0]
        assert hit.title == "Café prices"
        article = ix.get(hit.id)
        assert "“best”" in article.body and article.extra["encoding"] == "cp1252"
        assert ix.search("crème").hits[0].title == "Crème brûlée"


def test_a_binary_file_named_txt_is_still_skipped(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"\x00\xff\xfe binary")
    summary = searchcore.build_index([tmp_path / "blob.txt"], tmp_path / "ix")
    assert summary.skipped == {"invalid-utf8": 1}


# -- where the tests find the big corpora -------------------------------------------------
def test_shared_data_location_honours_the_environment(tmp_path):
    assert shared_data_dir({SHARED_DATA_ENV: str(tmp_path)}) == tmp_path
    assert shared_data_dir({}) == Path(__file__).resolve().parents[2] / "shared" / "data"


# -- the package surface ------------------------------------------------------------------
def test_public_names_are_pinned():
    assert sorted(searchcore.__all__) == sorted([
        "Article", "Hit", "Index", "IndexCorruptError", "IndexExistsError", "IndexFormatError", "IndexLockedError",
        "IndexNotFoundError", "InvalidArticleError", "QuerySyntaxError", "RankingConfig",
        "Results", "SearchcoreError", "Snippet", "SourceError", "build_index", "create_index",
        "open_index", "__version__"])
    for name in searchcore.__all__:
        assert hasattr(searchcore, name), name


def test_dir_shows_no_leaked_names():
    leaked = [n for n in dir(searchcore) if not n.startswith("_") and n not in searchcore.__all__
              and not inspect.ismodule(getattr(searchcore, n))]
    assert leaked == []
