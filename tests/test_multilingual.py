"""Articles in many languages in one index: per-language stemming and stop words,
CJK bigrams, and queries that find each language by its own word forms.

Fixture: tests/data/multilingual/articles.jsonl (short news texts written for these
tests, see tests/data/README.md): German, French, Spanish, Russian, Chinese,
Japanese and English articles about the same days' oil prices and central banks.
"""

from __future__ import annotations

import pickle
import shlex
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import searchcore
from searchcore.analysis import NewsAnalyzer
from searchcore.cli.main import cli
from searchcore.multilingual import LanguageText, spans_terms

DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "multilingual" / "articles.jsonl"


def terms(text: str, language: str = "") -> list[str]:
    return NewsAnalyzer("english").terms(LanguageText(text, language) if language else text)


# -- analysis -----------------------------------------------------------------------------
def test_other_languages_get_their_stemmer_stop_words_and_a_tag() -> None:
    assert terms("Die Ölpreise sind gestiegen", "de") == ["de:olpreis", "de:gestieg"]
    assert terms("Le prix du pétrole", "fr") == ["fr:prix", "fr:petrol"]
    assert terms("Los precios del petróleo", "es") == ["es:preci", "es:petrole"]
    assert terms("Цены на нефть", "ru") == ["ru:цен", "ru:нефт"]
    # A language without a Snowball stemmer: tagged, words kept as written.
    assert terms("Ceny ropy naftowej", "pl") == ["pl:ceny", "pl:ropy", "pl:naftowej"]


def test_the_index_language_and_untagged_text_are_analysed_as_before() -> None:
    text = "The film Die Hard: oil prices rose 1.5% at AT&T's U.S. unit"
    plain = terms(text)
    assert terms(text, "en") == plain
    assert "die" in plain and "oil" in plain        # German stop words stay English words
    assert NewsAnalyzer("german").terms(LanguageText("Die Ölpreise", "de")) == ["olpreis"]


def test_cjk_runs_become_bigrams_with_offsets() -> None:
    analyzer = NewsAnalyzer("english")
    text = LanguageText("日本銀行は3月、金利を", "ja")
    got = spans_terms(analyzer, text)
    assert [(text[s:e], t) for s, e, t in got] == [
        ("日本", "日本"), ("本銀", "本銀"), ("銀行", "銀行"), ("行は", "行は"), ("3", "ja:3"),
        ("月", "月"), ("金利", "金利"), ("利を", "利を")]
    # Bigrams carry no tag and no accent folding (が is not か), whatever the language.
    assert terms("中国人民银行") == ["中国", "国人", "人民", "民银", "银行"]
    assert terms("がか", "ja") == ["がか"]
    # Thai: tone marks and vowels belong to the run.
    assert terms("ราคาน้ำมัน", "th")[:3] == ["รา", "าค", "คา"]


def test_tokens_carry_positions_and_chars_for_phrases_and_highlighting() -> None:
    analyzer = NewsAnalyzer("english")
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in
              analyzer(LanguageText("Die Ölpreise, 日本銀行", "de"), positions=True, chars=True)]
    assert tokens == [("de:olpreis", 0, 4, 12), ("日本", 1, 14, 16), ("本銀", 2, 15, 17),
                      ("銀行", 3, 16, 18)]


def test_language_text_pickles_as_a_plain_string() -> None:
    value = pickle.loads(pickle.dumps(LanguageText("Ölpreise", "de")))
    assert type(value) is str and value == "Ölpreise"


# -- a mixed-language index on disk ---------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mixed") / "index"
    searchcore.build_index([str(ARTICLES)], path, workers=1)
    return path


def test_stats_count_the_articles_languages(mixed: Path) -> None:
    """``index stats`` says which languages the articles are in, as it says their
    sources: counted from the language column, against the articles themselves."""
    from collections import Counter

    from searchcore.languages import normalize_language

    stated = Counter(orjson.loads(line).get("language", "")
                     for line in ARTICLES.read_bytes().splitlines() if line.strip())
    with searchcore.open_index(mixed) as ix:
        languages = ix.stats()["languages"]
    assert sum(languages.values()) == sum(stated.values()) and len(languages) >= 5
    assert languages == {code: n for code, n in sorted(
        Counter({normalize_language(k): v for k, v in stated.items()}).items(),
        key=lambda kv: (-kv[1], kv[0]))}
    text = CliRunner().invoke(cli, ["--index", str(mixed), "index", "stats"]).stdout
    [line] = [line for line in text.splitlines() if line.startswith("Languages")]
    assert all(f"{code or '(none)'} {n}" in line for code, n in languages.items())


def ids(path: Path, query: str, **options) -> list[str]:
    with searchcore.open_index(path) as ix:
        return [h.id for h in ix.search(query, limit=20, **options).hits]


@pytest.mark.parametrize("query, expected", [
    ("Ölpreis", "de-oil"), ("ölpreise", "de-oil"), ("Europäische Zentralbank", "de-bank"),
    ("pétrole", "fr-oil"), ("petróleo", "es-oil"), ("нефть", "ru-oil"),
    ("日本銀行", "ja-bank"), ("人民银行", "zh-bank"), ("据え置き", "ja-bank"),
])
def test_each_language_is_found_by_its_own_word_forms(mixed: Path, query: str, expected: str) -> None:
    assert ids(mixed, query) == [expected]


def test_english_queries_find_english_articles(mixed: Path) -> None:
    assert ids(mixed, "oil prices") == ["en-oil"]
    assert ids(mixed, '"central bank"') == ["en-bank"]


def test_stop_words_are_per_language(mixed: Path) -> None:
    # "die" is a German stop word but an English word, and the other way round.
    assert ids(mixed, "die hard") == ["en-oil"]
    assert ids(mixed, "die ölpreise") == ["de-oil"]
    assert ids(mixed, '"die Ölpreise"') == ["de-oil"]
    assert ids(mixed, "der film") == []               # "der" is only a German (stop) word
    assert ids(mixed, "the") == ids(mixed, "die der") == []
    assert ids(mixed, "oil -die") == []
    assert set(ids(mixed, "die OR zinsen", match="any")) == {"en-oil", "de-bank"}


def test_language_filters_narrow_the_analysis(mixed: Path) -> None:
    assert ids(mixed, "zentralbank", language="de") == ["de-bank", "de-oil"]
    assert ids(mixed, "language:de zentralbank") == ["de-bank", "de-oil"]
    with searchcore.open_index(mixed) as ix:
        # The same analysis, so the same scores but for the clause language:de's own.
        # "israel" is in four languages; German alone gives it another idf.
        a = ix.search("language:de israel").hits
        b = ix.search("israel", language="de").hits
        alone = {h.id: h.score for h in ix.search("language:de").hits}
        assert [h.id for h in a] == [h.id for h in b] == ["de-oil"]
        assert a[0].score == pytest.approx(b[0].score + alone["de-oil"])
        assert b[0].score > {h.id: h.score for h in ix.search("israel").hits}["de-oil"]
    assert ids(mixed, "israel", language="en") == ["en-oil"]
    assert set(ids(mixed, "israel")) == {"de-oil", "fr-oil", "es-oil", "en-oil"}


def test_prefixes_and_fuzzy_words_reach_every_language(mixed: Path) -> None:
    assert ids(mixed, "zins*") == ["de-bank"]
    assert set(ids(mixed, "zentralbnk~1")) == {"de-bank", "de-oil"}


def test_snippets_mark_the_articles_own_forms(mixed: Path) -> None:
    with searchcore.open_index(mixed) as ix:
        hit = ix.search("Ölpreis").hits[0]
        marked = {s.text[a:b] for s in hit.snippets for a, b in s.spans}
        assert marked == {"Ölpreise"}
        hit = ix.search("日本銀行").hits[0]
        marked = {s.text[a:b] for s in hit.snippets for a, b in s.spans}
        assert marked == {"日本銀行"}


def test_identical_texts_score_alike_in_every_language(tmp_path: Path) -> None:
    """One idf per query word across languages: the same text scores the same whether
    German or English, although English has more articles with the word."""
    body = "Brent crude traded 90 dollars"
    records = [{"id": f"{lang}-same", "title": "Brent", "body": body, "language": lang}
               for lang in ("en", "de", "pl")]
    records += [{"id": f"en-{i}", "title": f"Market report {i}", "language": "en",
                 "body": f"Brent and other grades moved on day {i} of the month"} for i in range(3)]
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(records)
        hits = {h.id: h.score for h in ix.search("brent").hits}
        phrase = {h.id: h.score for h in ix.search('"brent crude"').hits}
    assert len(hits) == 6
    assert hits["de-same"] == pytest.approx(hits["en-same"]) == pytest.approx(hits["pl-same"])
    assert set(phrase) == {"en-same", "de-same", "pl-same"}
    assert phrase["de-same"] == pytest.approx(phrase["en-same"]) == pytest.approx(phrase["pl-same"])


def test_english_only_indexes_rank_as_before(tmp_path: Path) -> None:
    """Declaring English on every article changes nothing: same terms, same scores."""
    records = [orjson.loads(line) for line in (DATA / "bbc-sample.jsonl").read_bytes().splitlines()[:80]]
    with searchcore.create_index(tmp_path / "plain") as plain, \
            searchcore.create_index(tmp_path / "tagged") as tagged:
        plain.add([{k: v for k, v in r.items() if k != "language"} for r in records])
        tagged.add([r | {"language": "en"} for r in records])
        for query in ("economy growth", '"prime minister"', "film*", "-music tv", "govern~"):
            a = [(h.id, h.score) for h in plain.search(query, limit=20).hits]
            b = [(h.id, h.score) for h in tagged.search(query, limit=20).hits]
            assert a == b and a, query


def test_adding_articles_with_whooshs_writer_analyses_them_too(mixed: Path, tmp_path: Path) -> None:
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add([{"id": "de-1", "title": "Heizölpreise", "language": "de",
                 "body": "Die Heizölpreise fallen seit Wochen."},
                {"id": "en-1", "title": "Heating oil", "body": "Prices fall."}])
        assert [h.id for h in ix.search("heizölpreis").hits] == ["de-1"]
        assert [h.id for h in ix.search("heizolpreise").hits] == ["de-1"]


def test_cli_searches_a_mixed_index(mixed: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--index", str(mixed), "search", "Ölpreis", "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.output)
    assert [h["id"] for h in doc["hits"]] == ["de-oil"]
    result = runner.invoke(cli, ["--index", str(mixed), "search", "日本銀行", "--no-color"],
                           catch_exceptions=False)
    assert result.exit_code == 0 and "ja-bank" in result.output and "**日本銀行**" in result.output


def test_readme_examples_work_on_a_mixed_index(mixed: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Many languages in one index\n")
    section = readme[start:readme.find("\n## ", start + 1)]
    commands = [shlex.split(line.strip(), comments=True)[1:] for line in section.splitlines()
                if line.startswith("    searchcore ")]
    assert len(commands) == 3
    for args in commands:
        result = CliRunner().invoke(cli, ["--index", str(mixed), *args, "--no-color"],
                                    catch_exceptions=False)
        assert result.exit_code == 0 and not result.output.startswith("0 hits"), (args, result.output)


def test_more_like_this_and_did_you_mean_know_the_languages(mixed: Path) -> None:
    with searchcore.open_index(mixed) as ix:
        # A German word is no typo of an English one ("Montag" is one edit from "monday").
        assert ix.search("Montag").suggestion is None
        assert [h.id for h in ix.similar("de-oil").hits][:1] == ["de-bank"]


def test_significant_terms_show_the_articles_words(mixed: Path) -> None:
    with searchcore.open_index(mixed) as ix:
        found = ix.significant_terms("zentralbank", min_count=1, limit=50).terms
    words = {t.text for t in found}
    assert {"Barrel", "Leitzins"} <= words              # German words as the articles write them
    assert "Zentralbank" not in words and {"die", "Die", "90"}.isdisjoint(words)


@pytest.mark.parametrize("query", ["Ölpreis", "brent", '"brent crude"', "die ölpreise", "die hard",
                                   "日本銀行", "oil OR нефть", "israel -ölpreise", "zentralbank israel"])
def test_the_array_executor_scores_alternatives_as_whoosh_does(mixed: Path, query: str) -> None:
    from searchcore.execution.search import scored_matches
    from searchcore.query.alternatives import index_languages
    from searchcore.query.parser import parse_query

    with searchcore.open_index(mixed) as ix:
        searcher = ix.searcher()
        q = parse_query(query, searcher.schema, languages=index_languages(searcher))
        found = scored_matches(searcher, q, None)
        assert found is not None, "the executor ran it"
        got = dict(zip(found[0].tolist(), found[1].tolist()))
        whoosh = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
        assert sorted(got) == sorted(whoosh)
        assert [got[d] for d in sorted(got)] == pytest.approx([whoosh[d] for d in sorted(got)])

