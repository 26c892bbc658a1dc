"""Bad input: each bad record is skipped with one message, counted, and the rest indexed.

``tests/data/ingest/bad.jsonl`` (see tests/data/ingest/README.md) holds, line by line:
a BOM, CRLF endings, broken JSON, a blank and a whitespace-only line, invalid UTF-8,
decomposed accents, missing and empty fields, wrong types, absurd and unparseable
dates, a JSON array, a duplicate id, an oversized document and a last line without
newline.
"""

from __future__ import annotations

import gzip
import io
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

import searchcore
from searchcore.article import Article
from searchcore.errors import InvalidArticleError
from searchcore.index.ingest import (MAX_MESSAGES, IngestSummary, Skipped, count_records,
                                     dedupe_last_wins, iter_articles)
from searchcore.index.readers import read_jsonl

INGEST = Path(__file__).parent / "data" / "ingest"
BAD = INGEST / "bad.jsonl"
BAD_CSV = INGEST / "articles.csv"
MAX_CHARS = 1000          # line 15 holds a 2,003-character article

EXPECTED_MESSAGES = {
    2: "broken JSON: the line ends before the object does (broken-json)",
    4: "invalid UTF-8 byte 0xff in field 'title' at column 32 (invalid-utf8)",
    6: "no title and no body (empty)",
    7: "no title and no body (empty)",
    8: "field 'title' must be a string, got int 42 (wrong-type)",
    9: "field 'authors' must be a string or a list of strings, got {'name': 'x'} "
       "(wrong-type)",
    10: "field 'published': date 1700-01-01T00:00:00+00:00 is before 1800 (bad-date)",
    11: "field 'published': date 2999-01-01T00:00:00+00:00 is more than a year in the "
        "future (bad-date)",
    12: "expected a JSON object with article fields, got an array [1, 2, 3] (wrong-type)",
    15: "article is 2,003 characters, over the limit of 1,000 (too-large)",
    17: "no title and no body (empty)",
    18: "field 'published': unrecognised date 'sometime soon' (bad-date)",
}
EXPECTED_FIELDS = {2: None, 4: "title", 6: "title", 7: "title", 8: "title", 9: "authors",
                   10: "published", 11: "published", 12: None, 15: "body", 17: "title",
                   18: "published"}


def read_bad(**options) -> list[Article | Skipped]:
    return list(iter_articles([BAD], max_chars=MAX_CHARS, **options))


def test_each_bad_line_has_one_message_naming_file_line_field_and_reason():
    skipped = [item for item in read_bad() if isinstance(item, Skipped)]
    assert [s.origin for s in skipped] == [f"{BAD}:{n}" for n in EXPECTED_MESSAGES]
    for item in skipped:
        line = int(item.origin.rsplit(":", 1)[1])
        assert item.message == f"{BAD}:{line}: {EXPECTED_MESSAGES[line]}"
        assert item.message.endswith(f"({item.reason})")
        assert item.field == EXPECTED_FIELDS[line]


def test_counts_by_reason_and_blank_lines_are_not_records():
    summary = IngestSummary()
    articles = list(summary.track(read_bad()))
    # 19 lines: line 3 is empty and line 16 whitespace only, neither is a record.
    assert summary.read == 17
    assert summary.skipped == {"broken-json": 1, "invalid-utf8": 1, "empty": 3,
                               "wrong-type": 3, "bad-date": 3, "too-large": 1}
    assert summary.skipped_total == 12
    assert len(articles) == 5
    assert summary.messages == [f"{BAD}:{n}: {m}" for n, m in EXPECTED_MESSAGES.items()]


def test_good_records_come_through_normalised():
    articles = {a.id: a for a in read_bad() if isinstance(a, Article)}
    assert set(articles) == {"good-1", "good-2", "dup-1", "bb427a7466656f07"}
    # The BOM before line 1 is not part of the first key; CRLF leaves no "\r".
    first = articles["good-1"]
    assert (first.title, first.body, first.source) == ("Markets rally",
                                                       "Stocks rose on Monday.", "Wire")
    assert first.published == datetime(2024, 4, 14, 9, 30, tzinfo=timezone.utc)
    # Decomposed "e + combining accent" becomes NFC; surrounding spaces go.
    assert articles["good-2"].title == unicodedata.normalize("NFC", "Café opens")
    assert articles["good-2"].body == "The café opened."
    # No id: a content hash; RFC 2822 date; unknown fields kept in extra.
    last = articles["bb427a7466656f07"]
    assert (last.title, last.body) == ("Spaces", "body")
    assert last.published == datetime(2024, 4, 14, 9, 30, tzinfo=timezone.utc)
    assert last.extra == {"wire_code": "X1"}
    # An id alone is not an article: no title and no body is skipped as "empty".
    assert "meta-1" not in articles


def test_duplicate_ids_last_wins_and_are_counted():
    articles = [a for a in read_bad() if isinstance(a, Article)]
    unique, duplicates = dedupe_last_wins(articles)
    assert duplicates == 1
    assert [a.id for a in unique] == ["good-1", "good-2", "dup-1", "bb427a7466656f07"]
    assert next(a for a in unique if a.id == "dup-1").title == "Second version"


def test_good_records_are_indexed_and_searchable(tmp_path: Path):
    unique, _ = dedupe_last_wins(a for a in read_bad() if isinstance(a, Article))
    with searchcore.create_index(tmp_path / "index") as ix:
        assert ix.add(unique) == 4
        assert [h.id for h in ix.search("rally").hits] == ["good-1"]
        assert [h.id for h in ix.search("café").hits] == ["good-2"]
        assert ix.get("dup-1").title == "Second version"
        assert ix.search("brace").total == 0         # the broken line is not there


def test_strict_stops_at_the_first_bad_record():
    items = iter_articles([BAD], max_chars=MAX_CHARS, strict=True)
    assert next(items).id == "good-1"
    with pytest.raises(InvalidArticleError) as caught:
        next(items)
    assert caught.value.origin == f"{BAD}:2"
    assert caught.value.reason == "broken-json"
    assert "line ends before the object does" in str(caught.value)


def test_invalid_utf8_can_be_replaced_instead_of_skipped():
    items = read_bad(encoding_errors="replace")
    replaced = next(a for a in items if isinstance(a, Article) and a.id == "utf8-1")
    assert replaced.title == "Bad \ufffd byte"
    assert not any(isinstance(s, Skipped) and s.reason == "invalid-utf8" for s in items)


def test_a_huge_line_is_refused_without_parsing():
    stream = io.BytesIO(b'{"title": "ok"}\n{"title": "' + b"x" * 200 + b'"}\n{"title": "ok2"}\n')
    items = list(read_jsonl(stream, "big.jsonl", max_bytes=100))
    assert [type(i).__name__ for i in items] == ["RawRecord", "Skipped", "RawRecord"]
    assert items[1].message == ("big.jsonl:2: line is 214 bytes, too large for an article "
                                "under the size limit; not parsed (too-large)")


def test_gzip_reads_like_plain(tmp_path: Path):
    packed = tmp_path / "bad.jsonl.gz"
    packed.write_bytes(gzip.compress(BAD.read_bytes()))
    plain = read_bad()
    zipped = list(iter_articles([packed], max_chars=MAX_CHARS))
    assert [a for a in zipped if isinstance(a, Article)] == \
        [a for a in plain if isinstance(a, Article)]
    assert [s.message.replace(str(packed), "F") for s in zipped if isinstance(s, Skipped)] \
        == [s.message.replace(str(BAD), "F") for s in plain if isinstance(s, Skipped)]


def test_a_damaged_gzip_keeps_what_was_read_and_says_where_it_broke(tmp_path: Path):
    lines = b"".join(b'{"id": "%d", "title": "story %d"}\n' % (i, i) for i in range(2000))
    packed = gzip.compress(lines)
    damaged = tmp_path / "cut.jsonl.gz"
    damaged.write_bytes(packed[: len(packed) // 2])
    items = list(iter_articles([damaged]))
    assert isinstance(items[-1], Skipped) and items[-1].reason == "unreadable"
    assert items[-1].message.startswith(f"{damaged}: file is damaged after record ")
    good = [a for a in items if isinstance(a, Article)]
    assert 0 < len(good) < 2000
    assert [a.id for a in good] == [str(i) for i in range(len(good))]


def test_csv_bad_rows_are_skipped_with_their_starting_line():
    items = list(iter_articles([BAD_CSV], csv_columns={"story": "body", "section": "category"}))
    messages = [s.message for s in items if isinstance(s, Skipped)]
    assert messages == [
        f"{BAD_CSV}:5: row has 7 fields but the header has 6 (broken-csv)",
        f"{BAD_CSV}:6: invalid UTF-8 byte 0xe9 in field 'headline' at line 6, column 11 "
        f"(invalid-utf8)",
        f"{BAD_CSV}:9: no title and no body (empty)",
        f"{BAD_CSV}:10: field 'published': date 1066-10-14T00:00:00+00:00 is before 1800 "
        f"(bad-date)",
    ]
    assert [a.title for a in items if isinstance(a, Article)] == ["Rates held",
                                                                "Storm nears coast"]


def test_summary_text_and_data():
    summary = IngestSummary()
    for item in read_bad():
        summary.count(item)
    summary.indexed, summary.duplicates, summary.seconds = 4, 1, 2.0
    text = summary.format()
    assert text.splitlines()[:2] == [
        "Read 17 records in 2.0 s: 4 indexed (2 docs/s), 12 skipped, 1 duplicate ids "
        "(the last one kept).",
        "Skipped by reason: bad-date 3, broken-json 1, empty 3, invalid-utf8 1, "
        "too-large 1, wrong-type 3",
    ]
    assert f"  {BAD}:2: broken JSON" in text
    data = summary.to_dict()
    assert data["skipped_total"] == 12
    assert data["read"] == 17 and data["indexed"] == 4 and data["duplicates"] == 1
    assert data["docs_per_sec"] == 2.0
    assert len(data["messages"]) == 12


def test_summary_keeps_the_first_messages_and_counts_the_rest():
    summary = IngestSummary()
    for n in range(MAX_MESSAGES + 5):
        summary.count(Skipped.make(f"f.jsonl:{n + 1}", "empty", "no title"))
    assert len(summary.messages) == MAX_MESSAGES
    assert summary.skipped == {"empty": MAX_MESSAGES + 5}
    assert summary.format().splitlines()[-1] == "  ... and 5 more (--errors FILE lists every one)"


def test_count_records_counts_lines_of_plain_jsonl():
    assert count_records([BAD]) == 19


def test_summaries_from_workers_merge():
    first, second = IngestSummary(), IngestSummary()
    for item in read_bad():
        first.count(item)
    for item in iter_articles([BAD_CSV]):
        second.count(item)
    second.indexed, second.duplicates = 2, 1
    first.merge(second)
    assert first.read == 17 + 6
    assert first.skipped["empty"] == 3 + 1 and first.skipped["broken-csv"] == 1
    assert (first.indexed, first.duplicates) == (2, 1)
    assert first.messages[-1] == second.messages[-1]


@pytest.mark.parametrize("text", ["March 14", "14 Mar 9:30", "9:30"])
def test_a_date_without_a_year_is_refused_not_filled_in(text: str):
    with pytest.raises(InvalidArticleError) as caught:
        searchcore.article.normalize_article({"id": "a", "title": "t", "published": text},
                                             origin="feed.jsonl:3")
    assert f"no year in {text!r}" in str(caught.value)
    assert "feed.jsonl:3" in str(caught.value)
