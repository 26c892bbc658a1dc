"""Web formats: HTML pages in several encodings and languages, WARC, RSS/Atom feeds.

Fixtures are in tests/data/web (written for these tests by make_fixtures.py there);
the real pages of ../shared/data/article-html are used when present.
"""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import searchcore
from searchcore.article import Article
from searchcore.cli.main import cli
from searchcore.errors import InvalidArticleError
from searchcore.index.ingest import IngestSummary, Skipped, count_records, iter_articles
from searchcore.index.web.charset import decode_page
from searchcore.index.web.feeds import is_feed
from searchcore.languages import detect_language, normalize_language
from searchcore.urls import canonical_url

WEB = Path(__file__).parent / "data" / "web"
PAGES = WEB / "pages"


def read(*sources, **options) -> tuple[list[Article], list[Skipped]]:
    items = list(iter_articles([str(s) for s in sources], **options))
    return ([i for i in items if isinstance(i, Article)],
            [i for i in items if isinstance(i, Skipped)])


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here runs with connections refused: nothing may download."""
    def refuse(*args, **kwargs):
        raise AssertionError("a reader tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# -- URLs and languages ----------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    ("HTTPS://WWW.Example.COM:443/a?utm_source=x&id=3&fbclid=y#top",
     "https://www.example.com/a?id=3"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:8080/x#y", "http://example.com:8080/x"),
    ("https://example.com/%7Euser/a%2Fb", "https://example.com/~user/a%2Fb"),
    ("urn:example:42", "urn:example:42"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_language_tags_and_detection() -> None:
    assert [normalize_language(t) for t in ("de-DE", "pt_BR", "German", "iw", "", "xx-yy")] \
        == ["de", "pt", "de", "he", "", "xx"]
    assert detect_language("Die Ölpreise sind am Montag deutlich gestiegen, sagte er.") == "de"
    assert detect_language("日本銀行は金曜日、金融緩和策の維持を決めた。") == "ja"
    assert detect_language("ok") == ""


# -- HTML pages ------------------------------------------------------------------------
@pytest.mark.parametrize("name, codec, language, word", [
    ("ru-cp1251.html", "cp1251", "ru", "Центральный банк России"),
    ("ja-shift_jis.html", "cp932", "ja", "日本銀行"),
    ("fr-latin1.htm", "cp1252", "fr", "députés ont adopté"),
    ("de-utf8.html", "utf-8", "de", "Die Ölpreise sind"),
])
def test_pages_are_decoded_as_they_declare(name: str, codec: str, language: str,
                                           word: str) -> None:
    found, skipped = read(PAGES / name)
    assert not skipped and len(found) == 1
    article = found[0]
    assert article.extra["charset"] == codec
    assert "encoding" not in article.extra        # read as declared (or UTF-8): no assumption
    assert word in article.body and "\ufffd" not in article.body
    assert article.language == language          # fr-latin1 declares none: detected
    assert article.published is not None
    # Navigation, related links and the footer are not part of the article.
    assert "Privacy" not in article.body and "Another story" not in article.body


def test_only_pages_whose_charset_was_guessed_are_listed_for_checking(tmp_path: Path) -> None:
    """The import summary's "Not UTF-8, read as ..." lists files whose encoding was an
    assumption; pages read as they declare are not among them (every saved page was,
    when html_record recorded its codec under the text files' key)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("ru-cp1251.html", "fr-latin1.htm", "de-utf8.html"):
        (folder / name).write_bytes((PAGES / name).read_bytes())
    body = "<html><body><article><h1>Prix du café</h1>" + "<p>Les députés ont adopté " \
        "le budget, a annoncé le ministère. Les élus réclament une réforme fiscale.</p>" * 8
    (folder / "undeclared.html").write_bytes((body + "</article></body></html>").encode("cp1252"))
    result = CliRunner().invoke(cli, ["index", "build", str(folder), "--index",
                                      str(tmp_path / "ix"), "--json"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["indexed"] == 4
    assert sum(summary["assumed_encodings"].values()) == 1, summary["assumed_encodings"]
    with searchcore.open_index(tmp_path / "ix") as ix:
        [hit] = ix.search("députés budget").hits
        guessed = ix.get(hit.id)
        assert guessed.extra["encoding"] == guessed.extra["charset"] != "utf-8"
        assert "député" in guessed.body


def test_page_metadata_and_canonical_identity() -> None:
    [article], _ = read(PAGES / "de-utf8.html")
    assert article.title == "Ölpreise steigen kräftig"
    assert article.authors == ["Anna Schmidt"] and article.source == "Beispiel Zeitung"
    # The canonical link has upper case, a default port, utm_* and a fragment.
    assert article.id == "https://news.example.com/wirtschaft/oelpreise"
    assert article.url == "https://News.Example.COM:443/wirtschaft/oelpreise?utm_source=rss#top"


def test_folder_of_pages_counts_gz_and_skips_a_page_without_text() -> None:
    found, skipped = read(PAGES)
    assert {a.extra["path"] for a in found} == {
        "de-utf8.html", "en-gzip.html.gz", "fr-latin1.htm", "ja-shift_jis.html",
        "ru-cp1251.html"}
    assert [(s.reason, s.origin.endswith("empty.html")) for s in skipped] == [("no-text", True)]
    assert count_records([str(PAGES)]) == 6


def test_charset_fallbacks() -> None:
    # No declaration: UTF-8 if valid, else a detector's guess; a wrong one is overruled.
    text = "Größere Ölpreise überraschen Händler in München und Köln erneut. " * 3
    assert decode_page(text.encode("utf-8"))[1] == "utf-8"
    assert decode_page(f'<meta charset="utf-8">{text}'.encode("cp1252"))[0].endswith(
        "Köln erneut. ")
    assert decode_page(b"<p>x</p>", "text/html; charset=ISO-8859-1")[1] == "cp1252"


# -- WARC --------------------------------------------------------------------------------
def test_warc_keeps_only_article_pages_and_counts_the_rest() -> None:
    summary = IngestSummary()
    found = list(summary.track(iter_articles([str(WEB / "small.warc.gz")])))
    assert [a.id for a in found] == ["https://news.example.com/en/oil",
                                     "https://news.example.com/ru/bank",
                                     "https://news.example.com/wirtschaft/oelpreise"]
    assert summary.skipped == {"warcinfo": 1, "request": 1, "redirect": 1, "http-404": 1,
                               "robots-txt": 1, "not-html": 1}
    en = found[0]
    assert en.url == "https://news.example.com/en/oil?utm_campaign=x"   # kept as crawled
    assert en.extra["crawled"] == "2024-04-16T12:00:00Z"
    assert en.published.date().isoformat() == "2024-04-15"             # the page's own
    assert found[1].language == "ru" and "Центральный банк" in found[1].body


def test_warc_truncated_and_damaged_records_are_named_by_offset() -> None:
    found, skipped = read(WEB / "truncated.warc.gz")
    bad = [s for s in skipped if not s.ignored]
    assert len(found) == 2 and [(s.reason, s.origin) for s in bad] == [
        ("truncated", f"{WEB / 'truncated.warc.gz'}@3921")]
    found, skipped = read(WEB / "damaged.warc.gz")
    bad = [s for s in skipped if not s.ignored]
    # The damaged member is lost alone: the records after it are still read.
    assert [(s.reason, s.origin.rpartition("@")[2]) for s in bad] == [("damaged", "1529")]
    assert [a.id.rpartition("/")[2] for a in found] == ["oil", "oelpreise"]
    assert {s.reason for s in skipped if s.ignored} >= {"redirect", "robots-txt", "not-html"}


def test_strict_stops_at_a_bad_record_not_at_an_ignored_one() -> None:
    assert len(read(WEB / "small.warc.gz", strict=True)[0]) == 3
    with pytest.raises(InvalidArticleError, match=r"truncated\.warc\.gz@3921"):
        read(WEB / "truncated.warc.gz", strict=True)


# -- feeds -------------------------------------------------------------------------------
def test_rss_entries() -> None:
    found, skipped = read(WEB / "news.rss")
    oil, rates = found
    assert oil.id == "https://news.example.com/en/oil"
    assert oil.url.endswith("utm_source=rss&utm_medium=feed")
    assert oil.category == ["Energy", "Markets"] and oil.authors == ["Sam Lee"]
    assert oil.source == "Example Wire" and oil.language == "en"
    assert oil.body.startswith("Oil prices rose sharply")          # the full content
    assert oil.extra["guid"] == "wire-0001"
    assert rates.body.endswith("stubborn inflation in services.")  # summary, no markup
    assert rates.published.isoformat() == "2024-04-16T12:00:00+00:00"
    assert [(s.reason, s.origin.rpartition(" ")[2]) for s in skipped] == [("empty", "3")]


def test_atom_entries_and_feed_then_page_is_one_article() -> None:
    found, _ = read(WEB / "wirtschaft.atom")
    assert [(a.id, a.language) for a in found] == [
        ("https://news.example.com/wirtschaft/oelpreise", "de"), ("urn:example:article:43", "de")]
    assert found[0].category == ["Rohstoffe"] and found[0].authors == ["Anna Schmidt"]
    [page], _ = read(PAGES / "de-utf8.html")
    assert page.id == found[0].id


def test_ill_formed_and_non_feeds() -> None:
    found, skipped = read(WEB / "broken.rss")
    assert [a.title for a in found] == ["First & only"]
    found, skipped = read(WEB / "garbage.rss")
    assert not found and [s.reason for s in skipped] == ["bad-feed"]
    found, skipped = read(WEB / "sitemap.xml")
    assert not found and [(s.reason, s.ignored) for s in skipped] == [("not-a-feed", True)]
    assert is_feed(b'<?xml version="1.0"?><!-- x --><rdf:RDF xmlns:rdf="...">')


# -- end to end --------------------------------------------------------------------------
def test_cli_builds_a_warc_and_show_json_has_the_metadata(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    runner = CliRunner()
    result = runner.invoke(cli, ["--index", str(index), "index", "build",
                                 str(WEB / "small.warc.gz"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "Skipped by reason: http-404 1, not-html 1, redirect 1, request 1, " \
           "robots-txt 1, warcinfo 1" in result.output
    shown = runner.invoke(cli, ["--index", str(index), "show", "--json",
                                "https://news.example.com/ru/bank"])
    data = orjson.loads(shown.stdout)
    assert (data["title"], data["language"], data["url"]) == (
        "Банк сохранил ставку", "ru", "https://news.example.com/ru/bank")
    assert data["published"].startswith("2024-03-22")


@pytest.mark.slow
def test_shared_warc_gives_the_pages_and_only_the_pages(shared_data: Path,
                                                         tmp_path: Path) -> None:
    folder = shared_data / "article-html"
    if not (folder / "pages.warc.gz").exists():
        pytest.skip("article-html is absent")
    truth = orjson.loads((folder / "ground-truth.json").read_bytes())
    summary = searchcore.build_index([str(folder / "pages.warc.gz")], tmp_path / "ix",
                                     workers=1)
    assert summary.indexed == len(truth)
    assert summary.skipped == {"warcinfo": 1, "request": 1, "redirect": 1, "http-404": 1,
                               "robots-txt": 1}
    with searchcore.open_index(tmp_path / "ix") as ix:
        hits = ix.search("*", limit=1000).hits
        assert {h.url for h in hits} == {v["url"] for v in truth.values()}
        warc = {h.id: ix.get(h.id) for h in hits}
        # Each page analysed in its detected language (tests/test_multilingual.py):
        # Italian and Russian stems, Japanese bigrams.
        for query, language in (("nostalgico", "it"), ("кулинарный блог", "ru"),
                                ("商標法違反", "ja")):
            assert [warc[h.id].language for h in ix.search(query).hits] == [language], query
    # The html/ folder holds the same pages: the same articles, and the same ids
    # wherever the page names its own URL (3 of the 121 pages do not).
    pages = [a for a in iter_articles([str(folder / "html")], workers=2)
             if isinstance(a, Article)]
    assert len(pages) == len(truth)
    assert sorted((a.title, a.body) for a in pages) == sorted(
        (a.title, a.body) for a in warc.values())
    assert sum(a.id in warc for a in pages) == len(truth) - 3


def test_canonical_link_is_read_from_the_page() -> None:
    from searchcore.index.web.html import page_canonical

    page = ('<head><meta property="og:url" content="https://o.example/x">'
            '<link href="/a?x=1&amp;y=2" rel="alternate canonical"></head>')
    assert page_canonical(page, "https://site.example/p/q") == "https://site.example/a?x=1&y=2"
    assert page_canonical(page) == "https://o.example/x"      # relative, nothing to resolve
    assert page_canonical("<p>no head</p>") == ""


def test_language_is_filterable_in_queries_and_options(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    searchcore.build_index([str(PAGES), str(WEB / "wirtschaft.atom"), str(WEB / "news.rss")],
                           path, workers=1)
    with searchcore.open_index(path) as ix:
        def ids(query: str = "*", **kw) -> set[str]:
            return {h.id for h in ix.search(query, limit=50, **kw).hits}
        german = ids(language="de")
        assert german == ids("language:de") == ids(language="German") == {
            "https://news.example.com/wirtschaft/oelpreise", "urn:example:article:43"}
        assert len(ids(language=["ru", "ja"])) == 2
        assert ids("language:fr") == {a.id for a in read(PAGES / "fr-latin1.htm")[0]}
    result = CliRunner().invoke(cli, ["--index", str(path), "search", "*", "--language", "en",
                                      "--json"])
    assert {h["id"] for h in orjson.loads(result.stdout)["hits"]} == {
        "https://news.example.com/en/oil", "https://news.example.com/en/rates",
        read(PAGES / "en-gzip.html.gz")[0][0].id}


def test_parallel_extraction_gives_the_same_items_in_the_same_order() -> None:
    sources = [str(WEB / "damaged.warc.gz"), str(PAGES), str(WEB / "news.rss")]
    one = list(iter_articles(sources))
    two = list(iter_articles(sources, workers=2))
    assert [type(i) for i in one] == [type(i) for i in two] and one == two
