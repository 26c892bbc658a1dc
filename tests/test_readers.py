"""Readers: every format, folders, standard input, and the real corpora in ../shared/data."""

from __future__ import annotations

import gzip
import io
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from conftest import SEED_FILE, seed_article
from searchcore.article import Article
from searchcore.dates import parse_datetime
from searchcore.errors import SourceError
from searchcore.index.boilerplate import DEFAULT_BOILERPLATE, strip_trailing_boilerplate
from searchcore.index.ingest import IngestSummary, Skipped, count_records, iter_articles
from searchcore.index.readers import detect_format, expand_sources, parse_text_article

INGEST = Path(__file__).parent / "data" / "ingest"
FOLDER = INGEST / "folder"
CSV_FILE = INGEST / "articles.csv"
SEED_HEADLINE = "US Informs Israel: No Participation in Retaliatory Strikes Against Iran"
CORPORA = ["20newsgroups-bydate", "ag-news-test", "bbc-news", "cisi", "cranfield",
           "reuters21578", "scifact", "time"]


def articles(*sources, **options) -> list[Article]:
    items = list(iter_articles(sources, **options))
    assert not [i for i in items if isinstance(i, Skipped)]
    return items


# -- the real data ---------------------------------------------------------------------
@pytest.mark.parametrize("corpus", CORPORA)
def test_every_shared_corpus_reads_in_full(shared_data: Path, corpus: str):
    path = shared_data / corpus / "docs.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    summary = IngestSummary()
    ids = [a.id for a in summary.track(iter_articles([path]))]
    empty = 0
    with path.open("rb") as f:
        lines = 0
        for line in f:
            lines += 1
            record = orjson.loads(line)
            empty += not (record.get("title") or "").strip() and not (record.get("body") or "").strip()
    # Records with neither title nor body (Reuters-21578 has 2,535, Cranfield 2) are
    # skipped as "empty" like any other empty record; everything else is read.
    assert summary.skipped == ({"empty": empty} if empty else {})
    assert len(ids) == lines - empty and summary.read == lines == count_records([path])
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("folder", ["tests", "shared"])
def test_seed_folder_imports_with_its_headline_and_no_boilerplate(folder: str,
                                                                  request: pytest.FixtureRequest):
    root = SEED_FILE.parent if folder == "tests" else request.getfixturevalue(
        "shared_data") / "seed"
    [article] = articles(root)
    assert article.title == SEED_HEADLINE
    assert "Leave a Comment" not in article.body
    assert article.body == seed_article()["body"]
    assert article.body.endswith("stating that they were “incorrect.”")
    assert article.extra == {"path": SEED_FILE.name}
    # No id in a text file: a content hash, the same on every import.
    assert [a.id for a in articles(root)] == [article.id]
    assert len(article.id) == 16


# -- text folders ------------------------------------------------------------------------
def test_folders_are_walked_recursively_in_sorted_order():
    items = list(iter_articles([FOLDER]))
    assert [i.origin if isinstance(i, Skipped) else i.extra["path"] for i in items] == [
        "a-first.txt", "sub/b-front.md", "sub/deeper/c-heading.md",
        os.path.join(str(FOLDER), "sub", "empty.txt")]
    assert items[-1].reason == "empty"      # a blank file is a bad record, not a crash


def test_text_article_shape_and_boilerplate():
    first = next(iter_articles([FOLDER / "a-first.txt"]))
    assert first.title == "Plain headline for a text file"
    assert first.body == ("First paragraph, line one\ncontinues on line two.\n\n"
                          "Second paragraph.")
    assert first.extra == {"path": "a-first.txt"}


def test_markdown_headline_and_front_matter():
    front, heading = articles(FOLDER / "sub" / "b-front.md", FOLDER / "sub" / "deeper")
    assert front.title == "Front matter headline"
    assert front.published == datetime(2024, 4, 14, tzinfo=timezone.utc)
    assert front.source == "Example Times"
    assert front.category == ["politics", "europe"]
    # The heading repeating the front-matter title is not body text; "Leave a
    # Comment" in the middle stays, "Related Posts:" at the end goes.
    assert front.body == ("Body of the markdown article, mentioning Leave a Comment in "
                          "the middle.\n\nLast paragraph.")
    assert heading.title == "A Markdown headline"
    assert heading.body == "Only one paragraph here."


def test_boilerplate_list_is_configurable():
    kept = next(iter_articles([FOLDER / "a-first.txt"], boilerplate=()))
    assert kept.body.endswith("Second paragraph.\n\nShare this article\nLeave a Comment")
    custom = next(iter_articles([FOLDER / "a-first.txt"], boilerplate=["leave a comment"]))
    assert custom.body.endswith("Second paragraph.\n\nShare this article")


def test_boilerplate_only_at_the_end():
    lines = ["Headline", "", "Share this", "Body.", "", " » Read more ", "LEAVE A COMMENT:"]
    assert strip_trailing_boilerplate(lines) == ["Headline", "", "Share this", "Body."]
    assert strip_trailing_boilerplate(["Leave a Comment"]) == []
    assert "Leave a Comment" in DEFAULT_BOILERPLATE


def test_parse_text_article_setext_heading_and_crlf():
    record = parse_text_article("Title here\r\n=====\r\n\r\nBody line.\r\n", markdown=True)
    assert record == {"title": "Title here", "body": "Body line."}
    assert parse_text_article("\n\nOnly a headline\n") == {"title": "Only a headline",
                                                           "body": ""}


def test_unknown_extensions_in_folders_are_ignored_but_named_files_are_errors():
    assert all(s.path.suffix != ".rtf" for s in expand_sources([FOLDER]))
    with pytest.raises(SourceError) as caught:
        list(iter_articles([FOLDER / "notes.rtf"]))
    assert str(caught.value).startswith(
        f"cannot tell the format of {str(FOLDER / 'notes.rtf')!r} from its extension")
    [note] = articles(FOLDER / "notes.rtf", format="txt")
    assert note.title == "A note that is not an article format."


def test_missing_sources_and_empty_folders_are_errors(tmp_path: Path):
    with pytest.raises(SourceError, match="no such file or folder: 'nowhere.jsonl'"):
        list(iter_articles(["nowhere.jsonl"]))
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"\x89PNG")
    with pytest.raises(SourceError, match="contains no .* files to read"):
        list(iter_articles([tmp_path / "pics"]))
    with pytest.raises(SourceError, match="unknown format 'xml'"):
        list(iter_articles([CSV_FILE], format="xml"))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs file permissions that root ignores")
def test_an_unreadable_file_is_an_error(tmp_path: Path):
    path = tmp_path / "secret.jsonl"
    path.write_text('{"title": "x"}\n')
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        list(iter_articles([path]))


# -- formats ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("a.jsonl", ("jsonl", False)), ("a.NDJSON", ("jsonl", False)),
    ("a.jsonl.gz", ("jsonl", True)), ("a.csv", ("csv", False)), ("a.csv.gz", ("csv", True)),
    ("a.txt", ("txt", False)), ("a.md", ("md", False)), ("a.markdown", ("md", False)),
    ("a.json", None), ("a.gz", None), ("README", None)])
def test_format_from_extension(name: str, expected):
    assert detect_format(name) == expected


def test_csv_with_a_column_mapping():
    good = [a for a in iter_articles([CSV_FILE],
                                     csv_columns={"story": "body", "section": "category",
                                                  "wire": "id"})
            if isinstance(a, Article)]
    rates, storm = good
    assert rates.id == "W1"
    assert rates.title == "Rates held"
    assert rates.body == "The bank held rates.\n\nIt said inflation eased."
    assert rates.authors == ["Ann Lee", "Bo Chan"]
    assert rates.category == ["economy"]
    assert rates.published == datetime(2024, 4, 10, tzinfo=timezone.utc)
    assert storm.published == datetime(2024, 4, 13, tzinfo=timezone.utc)
    assert storm.id != "" and storm.extra == {}       # empty cells count as absent


def test_csv_without_mapping_uses_common_column_names():
    rates = next(a for a in iter_articles([CSV_FILE]) if isinstance(a, Article))
    assert rates.title == "Rates held"          # "headline" is a known alias of title
    assert rates.body == ""
    assert rates.extra == {"story": "The bank held rates.\n\nIt said inflation eased.",
                           "section": "economy", "wire": "W1"}


def test_csv_mapping_naming_a_missing_column_is_an_error():
    with pytest.raises(SourceError) as caught:
        list(iter_articles([CSV_FILE], csv_columns={"heading": "title"}))
    assert str(caught.value).startswith(
        f"{CSV_FILE}: column(s) 'heading' of the column mapping are not in the header ")


def test_gzip_csv(tmp_path: Path):
    packed = tmp_path / "articles.csv.gz"
    packed.write_bytes(gzip.compress(CSV_FILE.read_bytes()))
    assert [a.title for a in iter_articles([packed]) if isinstance(a, Article)] == \
        ["Rates held", "Storm nears coast"]


# -- standard input ----------------------------------------------------------------------
STDIN_DATA = b'{"id": "s1", "title": "From a pipe"}\n\nnot json\n{"id": "s2", "body": "Two"}\n'


def test_stdin_through_sys_stdin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(STDIN_DATA)))
    items = list(iter_articles(["-"]))
    assert [getattr(i, "id", None) for i in items] == ["s1", None, "s2"]
    assert items[1].message == ("<stdin>:3: broken JSON at column 1: invalid literal, "
                                "expected 'null' (broken-json)")
    assert count_records(["-"]) is None


def test_stdin_as_a_stream_in_another_format():
    data = b"title,body\r\nPiped CSV,Row body\r\n"
    [article] = articles("-", format="csv", stdin=io.BytesIO(data))
    assert (article.title, article.body) == ("Piped CSV", "Row body")
    [text] = articles("-", format="md", stdin=io.BytesIO(b"# Piped\n\nText."))
    assert (text.title, text.body, text.extra) == ("Piped", "Text.", {"path": "<stdin>"})


def test_count_records(tmp_path: Path):
    assert count_records([FOLDER]) == 4
    assert count_records([CSV_FILE]) is None
    packed = tmp_path / "x.jsonl.gz"
    packed.write_bytes(gzip.compress(b"{}\n"))
    assert count_records([packed]) is None


# -- dates -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2024-04-14", datetime(2024, 4, 14)),
    ("2024-04-14T09:30:00+02:00", datetime(2024, 4, 14, 7, 30)),
    ("Sun, 14 Apr 2024 09:30:00 GMT", datetime(2024, 4, 14, 9, 30)),
    ("April 14, 2024", datetime(2024, 4, 14)),
    ("14th of April 2024 at 9:30 CEST", datetime(2024, 4, 14, 7, 30)),
    ("2024-04-14 09:30 XYZ", datetime(2024, 4, 14, 9, 30)),      # unknown zone: UTC
    ("1713087000", datetime(2024, 4, 14, 9, 30)),
    (1713087000123, datetime(2024, 4, 14, 9, 30, 0, 123000)),
])
def test_dates_become_aware_utc(text, expected):
    assert parse_datetime(text) == expected.replace(tzinfo=timezone.utc)


def test_a_file_in_a_folder_that_cannot_be_opened_is_skipped(tmp_path: Path):
    (tmp_path / "a.jsonl").write_text('{"id": "a", "title": "Kept"}\n')
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "gone.jsonl")
    (tmp_path / "c.jsonl").write_text('{"id": "c", "title": "Also kept"}\n')
    items = list(iter_articles([tmp_path]))
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c"]
    assert items[1].message == f"{tmp_path / 'b.jsonl'}: cannot open: No such file or " \
                               f"directory (unreadable)"


def _dataset_folder(tmp_path: Path) -> Path:
    """A dataset as distributed: the records, a README and a label list beside them."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "docs.jsonl").write_bytes(b"".join(
        orjson.dumps({"id": f"d{i}", "title": f"Story {i}", "body": "Body text " * 20}) + b"\n"
        for i in range(5)))
    (folder / "README.txt").write_text("About this dataset\n\nCite it as follows.\n")
    (folder / "classes.txt").write_text("World\nSports\n")
    (folder / "notes").write_text("no extension\n")
    return folder


def test_explicit_format_reads_only_that_format_in_a_folder(tmp_path):
    from searchcore.index.readers import mixed_format_notes

    folder = _dataset_folder(tmp_path)
    # Text files beside record files are the dataset's documentation, not articles.
    assert [s.relative for s in expand_sources([folder])] == ["docs.jsonl"]
    # --format jsonl: a file with no known extension is read in the format asked for.
    assert [s.relative for s in expand_sources([folder], "jsonl")] == ["docs.jsonl", "notes"]
    # --format txt, or naming them, reads the text files.
    assert [s.relative for s in expand_sources([folder], "txt")] == ["README.txt", "classes.txt",
                                                                     "notes"]
    assert [s.relative for s in expand_sources([folder / "README.txt"])] == ["README.txt"]
    notes = mixed_format_notes([folder])
    assert len(notes) == 1 and "2 text files beside them (README.txt, classes.txt)" in notes[0]
    assert "not read" in notes[0] and "--format txt" in notes[0]
    assert mixed_format_notes([folder], "jsonl") == []
    assert mixed_format_notes([folder / "docs.jsonl"]) == []


def test_cli_build_notes_a_mixed_folder_and_format_narrows_it(tmp_path):
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    folder = _dataset_folder(tmp_path)
    (folder / "notes").unlink()
    index = str(tmp_path / "ix")
    result = CliRunner().invoke(cli, ["index", "build", str(folder), "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    assert "taken for documentation" in result.stderr and "README.txt" in result.stderr
    assert orjson.loads(result.stdout)["indexed"] == 5          # the records, not the README
    result = CliRunner().invoke(cli, ["index", "build", str(folder), "--format", "jsonl",
                                      "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    assert "Note:" not in result.stderr
    assert orjson.loads(result.stdout)["indexed"] == 5


def test_folders_that_mix_record_formats_still_read_both(tmp_path):
    from searchcore.index.readers import mixed_format_notes

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(orjson.dumps({"id": "a", "title": "A", "body": "x " * 50}))
    (folder / "b.csv").write_text("id,title,body\nb,B,y\n")
    assert [s.relative for s in expand_sources([folder])] == ["a.jsonl", "b.csv"]
    assert "mixes formats" in mixed_format_notes([folder])[0]


def test_shared_dataset_readme_is_not_indexed(shared_data):
    """The dataset folders ship README.orig.txt beside docs.jsonl: only the records are read."""
    for name in ("bbc-news", "reuters21578"):
        if (shared_data / name).is_dir():
            assert [s.relative for s in expand_sources([shared_data / name])] == ["docs.jsonl"]
