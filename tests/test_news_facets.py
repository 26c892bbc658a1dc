"""Facet counts against a brute-force count over the stored articles.

Three real corpora: the BBC fixture (sources and categories, undated), the Reuters
sample bundled with the package (dated, many categories) and, when ../shared/data
is present, the whole of Reuters-21578. For each query and filter the matching ids
come from a plain search (every hit); the expected counts are computed here in
Python from the articles as read from the source files, with datetime's own calendar
for months and ISO weeks, independent of the numpy bucketing under test. Then each
facet value is fed back as a filter and must give its count as the new total.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import orjson
import pytest
from click.testing import CliRunner

import searchcore
from searchcore.article import normalize_article
from searchcore.cli.main import cli
from searchcore.news.facets import FacetError, bucket_period
from searchcore.news.matches import category_key
from tests.conftest import bbc_articles, seed_article

SAMPLE = Path(searchcore.__file__).parent / "sample" / "reuters-sample.jsonl"

QUERIES = ["oil", "said", "market OR trade", '"oil prices"', "-oil", "*", "title:oil",
           "cocoa~", "wheat*", "bank rates", "published:1987-03", "zzzunknownword", "music",
           "election OR minister", "title:(film OR music)", "growth -economy", "published:*"]
FILTERS: list[dict[str, Any]] = [{}, {"category": ["crude", "sport"]},
                                 {"source": ["BBC News", "Reuters"]}, {"since": "1987-03-01"},
                                 {"until": "1987-02-28"}, {"category": ["entertainment", "grain"]}]
FACET_NAMES = ["source", "category", "language", "authors", "year", "month", "week", "day"]


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("facets") / "reuters-sample"
    records = read_jsonl(SAMPLE)
    with searchcore.create_index(path) as ix:
        ix.add(records)
    return path, by_id(records)


@pytest.fixture(scope="module")
def bbc_records() -> dict[str, Any]:
    return by_id(bbc_articles() + [seed_article()])


def by_id(records: Iterable[dict]) -> dict[str, Any]:
    """The articles as normalised for indexing (ids, UTC dates), straight from the records."""
    out = {}
    for record in records:
        if (record.get("title") or "").strip() or (record.get("body") or "").strip():
            article = normalize_article(record)
            out[article.id] = article          # the last of a duplicated id wins, as in a build
    return out


def all_hits(ix: searchcore.Index, query: str, **filters: Any) -> list[str]:
    total = ix.search(query, limit=1, snippets=0, **filters).total
    if not total:
        return []
    return [h.id for h in ix.search(query, limit=total, snippets=0, **filters).hits]


def date_key(published: datetime, by: str) -> str:
    p = published.astimezone(timezone.utc)
    if by == "year":
        return f"{p.year:04d}"
    if by == "month":
        return f"{p.year:04d}-{p.month:02d}"
    if by == "day":
        return p.date().isoformat()
    year, week, _ = p.isocalendar()
    return f"{year:04d}-W{week:02d}"


def brute_force(articles: list[Any], name: str) -> tuple[Counter, int]:
    """``(Counter of values, matches without a value)`` computed from the articles."""
    counts: Counter = Counter()
    missing = 0
    for a in articles:
        if name in ("year", "month", "week", "day"):
            values = [date_key(a.published, name)] if a.published else []
        elif name == "category":
            values = sorted({category_key(c) for c in a.category} - {""})
        elif name == "authors":
            values = list(dict.fromkeys(x for x in a.authors if x))
        else:
            values = [getattr(a, name)] if getattr(a, name) else []
        counts.update(values)
        missing += not values
    return counts, missing


def every_date_bucket(counts: Counter, by: str) -> list[str]:
    """Every bucket label from the first to the last, by walking the calendar a day at a time."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    day = datetime(int(first[:4]) - 1, 12, 1)
    labels: list[str] = []
    while True:
        label = date_key(day.replace(tzinfo=timezone.utc), by)
        if first <= label <= last and (not labels or labels[-1] != label):
            labels.append(label)
        if label > last:
            return labels
        day += timedelta(days=1)


def check_facets(ix: searchcore.Index, records: dict[str, Any], query: str,
                 filters: dict[str, Any], limit: int = 5) -> int:
    """Assert every facet of ``query`` equals the brute-force count; returns the total."""
    res = ix.search(query, limit=3, snippets=0, facets=FACET_NAMES, facet_limit=limit, **filters)
    matches = [records[i] for i in all_hits(ix, query, **filters)]
    assert len(matches) == res.total
    for name in FACET_NAMES:
        facet = res.facets[name]
        counts, missing = brute_force(matches, name)
        assert facet.missing == missing, (query, filters, name)
        if facet.is_date:
            assert [b.value for b in facet] == every_date_bucket(counts, name), (query, name)
            assert facet.counts() == {v: counts.get(v, 0) for v in facet.counts()}
            assert sum(b.count for b in facet) + facet.missing == res.total
            assert facet.other == 0
        else:
            expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            assert [(b.value, b.count) for b in facet] == expected[:limit], (query, filters, name)
            assert facet.other == sum(c for _, c in expected[limit:])
    return res.total


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_facets_equal_brute_force_on_the_reuters_sample(sample_index, filters) -> None:
    path, records = sample_index
    with searchcore.open_index(path) as ix:
        totals = [check_facets(ix, records, q, filters) for q in QUERIES]
    assert any(totals)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_facets_equal_brute_force_on_bbc(news_index, bbc_records, filters) -> None:
    totals = [check_facets(news_index, bbc_records, q, filters, limit=3) for q in QUERIES]
    assert any(totals) or "until" in filters


def feed_back(ix: searchcore.Index, query: str, name: str, value: str) -> int:
    """The total of ``query`` narrowed by the filter a facet value stands for."""
    if name == "category":
        return ix.search(query, category=value, limit=1).total
    if name == "source":
        return ix.search(query, source=value, limit=1).total
    if name == "language":
        return ix.search(query, language=value, limit=1).total
    start, end = bucket_period(value, name)
    return ix.search(query, since=start, until=end - timedelta(microseconds=1), limit=1).total


@pytest.mark.parametrize("query", ["oil", "*", "said", "market OR trade", "-wheat"])
def test_a_facet_value_fed_back_as_a_filter_gives_its_count(sample_index, query) -> None:
    path, _ = sample_index
    with searchcore.open_index(path) as ix:
        res = ix.search(query, facets=["category", "source", "language", "year", "month",
                                       "week", "day"], facet_limit=8)
        checked = 0
        for name, facet in res.facets.items():
            for bucket in facet:
                assert feed_back(ix, query, name, bucket.value) == bucket.count, (name, bucket)
                checked += 1
    assert checked > 5


def test_bbc_categories_fed_back(news_index) -> None:
    res = news_index.search("said", facets=["category", "source"], facet_limit=20)
    assert {b.value for b in res.facets["category"]} >= {"business", "sport"}
    for name, facet in res.facets.items():
        for bucket in facet:
            assert feed_back(news_index, "said", name, bucket.value) == bucket.count


def test_facets_in_to_dict_and_empty_when_nothing_matches(news_index) -> None:
    res = news_index.search("zzzunknownword", facets=["source", "month"])
    assert res.total == 0
    doc = res.to_dict()
    assert doc["facets"] == {"source": [], "month": []}
    assert doc["facet_stats"]["month"] == {"other": 0, "missing": 0}
    res = news_index.search("said", category="no-such-category", facets=["category"])
    assert res.total == 0 and res.to_dict()["facets"] == {"category": []}
    assert "facets" not in news_index.search("said").to_dict()


def test_undated_matches_are_counted_apart(news_index) -> None:
    res = news_index.search("*", facets=["month"])
    assert res.facets["month"].missing == res.total - 1          # only the seed is dated
    assert res.facets["month"].counts() == {"2024-04": 1}


@pytest.mark.parametrize("bad", [{"facets": ["colour"]}, {"facets": ["month"], "facet_limit": 0}])
def test_bad_facet_arguments_raise_a_searchcore_error(news_index, bad) -> None:
    with pytest.raises(FacetError, match="facet"):
        news_index.search("said", **bad)


def test_bucket_period_round_trips() -> None:
    assert bucket_period("1987-W11", "week")[0] == datetime(1987, 3, 9, tzinfo=timezone.utc)
    assert bucket_period("2024-02", "month") == (datetime(2024, 2, 1, tzinfo=timezone.utc),
                                                 datetime(2024, 3, 1, tzinfo=timezone.utc))
    with pytest.raises(FacetError):
        bucket_period("1987-13", "month")


def test_cli_facets_json_and_text(sample_index) -> None:
    path, _ = sample_index
    runner = CliRunner()
    out = runner.invoke(cli, ["--index", str(path), "search", "oil", "--facet", "source",
                              "--facet", "month", "--json"], catch_exceptions=False)
    assert out.exit_code == 0
    doc = orjson.loads(out.output)
    with searchcore.open_index(path) as ix:
        res = ix.search("oil", facets=["source", "month"])
    assert doc["facets"] == {n: f.to_dict() for n, f in res.facets.items()}
    assert sum(b["count"] for b in doc["facets"]["month"]) == doc["total"]
    text = runner.invoke(cli, ["--index", str(path), "search", "oil", "--facet", "day",
                               "--facet", "category", "--facet-limit", "2", "--no-color"],
                         catch_exceptions=False).output
    day_lines = [ln for ln in text.splitlines() if ln.startswith("  1987-")]
    assert [ln.split()[0] for ln in day_lines] == [b.value for b in ix_facet(path, "day")]
    assert "(other)" in text and "category:" in text
    bad = runner.invoke(cli, ["--index", str(path), "search", "oil", "--facet", "colour"])
    assert bad.exit_code == 2


def ix_facet(path: Path, name: str):  # type: ignore[no-untyped-def]
    with searchcore.open_index(path) as ix:
        return ix.search("oil", facets=[name]).facets[name]


@pytest.fixture(scope="module")
def reuters_index(shared_data: Path, shared_corpus_index):
    path, _ = shared_corpus_index("reuters21578")
    return path, by_id(read_jsonl(shared_data / "reuters21578" / "docs.jsonl"))


@pytest.mark.slow
def test_facets_equal_brute_force_on_reuters_21578(reuters_index) -> None:
    path, records = reuters_index
    with searchcore.open_index(path) as ix:
        for query in ["oil", "cocoa", '"interest rates"', "gold OR silver", "tonnes -wheat"]:
            for filters in FILTERS[:5]:
                check_facets(ix, records, query, filters, limit=10)
        res = ix.search("oil", facets=["category", "week"], facet_limit=5)
        for name, facet in res.facets.items():
            for bucket in facet:
                assert feed_back(ix, "oil", name, bucket.value) == bucket.count


# -- timelines: the same counts, every period, in text, JSON, CSV and a picture -------------

@pytest.mark.parametrize("by", ["day", "week", "month", "year"])
def test_timeline_equals_brute_force(sample_index, by) -> None:
    path, records = sample_index
    with searchcore.open_index(path) as ix:
        for query in QUERIES:
            for filters in FILTERS[::2]:
                tl = ix.timeline(query, by=by, **filters)
                matches = [records[i] for i in all_hits(ix, query, **filters)]
                counts, undated = brute_force(matches, by)
                assert tl.total == len(matches) and tl.undated == undated
                assert [b.value for b in tl.buckets] == every_date_bucket(counts, by)
                assert [b.count for b in tl.buckets] == [counts.get(b.value, 0) for b in tl.buckets]
                facet = ix.search(query, facets=[by], **filters).facets[by]
                assert facet.buckets == tl.buckets


def test_timeline_on_bbc_counts_undated_apart(news_index) -> None:
    tl = news_index.timeline("*", by="day")
    assert tl.total == len(news_index) and tl.undated == tl.total - 1
    assert tl.to_dict() == {"query": "*", "by": "day", "total": tl.total, "undated": tl.undated,
                            "buckets": [{"value": "2024-04-14", "count": 1}]}


@pytest.mark.slow
def test_timeline_equals_brute_force_on_reuters_21578(reuters_index) -> None:
    path, records = reuters_index
    with searchcore.open_index(path) as ix:
        for query, by in [("oil", "week"), ("gold OR silver", "day"), ('"trade deficit"', "month")]:
            tl = ix.timeline(query, by=by, category=["crude", "gold", "trade"])
            matches = [records[i] for i in all_hits(ix, query, category=["crude", "gold", "trade"])]
            counts, undated = brute_force(matches, by)
            assert tl.undated == undated and tl.total == len(matches)
            assert {b.value: b.count for b in tl.buckets if b.count} == dict(counts)
            assert [b.value for b in tl.buckets] == every_date_bucket(counts, by)


def test_timeline_rejects_an_unknown_period(news_index) -> None:
    with pytest.raises(FacetError, match="fortnight"):
        news_index.timeline("said", by="fortnight")


def test_cli_timeline_json_csv_text_and_plot(sample_index, tmp_path) -> None:
    path, _ = sample_index
    runner = CliRunner()
    base = ["--index", str(path), "timeline", "oil", "--by", "day"]
    doc = orjson.loads(runner.invoke(cli, base + ["--json"], catch_exceptions=False).output)
    with searchcore.open_index(path) as ix:
        assert doc == ix.timeline("oil", by="day").to_dict()
    assert set(doc) == {"query", "by", "buckets", "total", "undated"}
    csv_out = runner.invoke(cli, base + ["--format", "csv"], catch_exceptions=False).output
    lines = csv_out.splitlines()
    assert lines[0] == "day,count"
    assert lines[1:] == [f"{b['value']},{b['count']}" for b in doc["buckets"]]
    text = runner.invoke(cli, base + ["--category", "crude"], catch_exceptions=False).output
    with searchcore.open_index(path) as ix:
        crude = ix.timeline("oil", by="day", category="crude")
    bars = [ln.split() for ln in text.splitlines() if ln.startswith("  ")]
    assert [(r[0], int(r[1])) for r in bars] == [(b.value, b.count) for b in crude.buckets]
    assert f"{crude.total} matches for 'oil' by day" in text
    svg = tmp_path / "oil.svg"
    out = runner.invoke(cli, base + ["--plot", str(svg)], catch_exceptions=False)
    assert out.exit_code == 0
    picture = svg.read_text()
    assert picture.startswith("<svg") and ">oil</text>" in picture
    assert picture.count("<rect") - 1 == sum(1 for b in doc["buckets"] if b["count"])
    assert all(b["value"] in picture for b in doc["buckets"][:3])
    bad = runner.invoke(cli, base + ["--plot", str(tmp_path / "oil.gif")])
    assert bad.exit_code == 1 and ".svg or .png" in bad.output


# -- authors: a value facet over a list, from the display records or the stored fields ------

AUTHORS = ["Ann Lee", "Bob Stone", "Chen Wei", "Dana Cruz", "Eli Park"]


def authored(records: list[dict]) -> list[dict]:
    """The sample with bylines: none, one, two, or a name given twice (counted once)."""
    out = []
    for n, record in enumerate(records):
        names = [AUTHORS[n % 5], AUTHORS[(n * 3) % 5]][: n % 3]
        if n % 7 == 0 and names:
            names.append(names[0])
        out.append(dict(record, authors=names))
    return out


def test_authors_facet_equals_brute_force_with_and_without_display_records(tmp_path) -> None:
    path = tmp_path / "ix"
    records = authored(read_jsonl(SAMPLE))
    with searchcore.create_index(path) as ix:
        ix.add(records[:120])
        ix.add(records[120:])
    articles = by_id(records)

    def check(ix: searchcore.Index) -> None:
        for query, filters in [("*", {}), ("oil", {}), ("said", {"since": "1987-03-01"}),
                               ("market OR trade", {"category": ["crude", "grain"]})]:
            check_facets(ix, articles, query, filters, limit=3)
            res = ix.search(query, facets=["authors"], facet_limit=10, **filters)
            assert res.facets["authors"].other == 0 and len(res.facets["authors"]) <= 5

    with searchcore.open_index(path) as ix:
        check(ix)
        reader = ix.searcher().reader()
        assert len(reader.leaf_readers()) >= 2
    # A segment without display records reads its authors from whoosh's stored fields.
    removed = [p for p in path.rglob("*.sdsp_meta.json")][:1]
    assert removed
    removed[0].unlink()
    with searchcore.open_index(path) as ix:
        check(ix)

    runner = CliRunner()
    out = runner.invoke(cli, ["--index", str(path), "search", "oil", "--facet", "authors",
                              "--json"], catch_exceptions=False)
    assert out.exit_code == 0
    doc = orjson.loads(out.output)
    with searchcore.open_index(path) as ix:
        counts, _ = brute_force([articles[i] for i in all_hits(ix, "oil")], "authors")
    assert doc["facets"]["authors"] == [{"value": v, "count": c} for v, c in
                                        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    text = runner.invoke(cli, ["--index", str(path), "search", "oil", "--facet", "authors",
                               "--no-color"], catch_exceptions=False).output
    assert "authors:" in text and AUTHORS[0] in text
