"""The NLTK analyzer: the terms it produces, offsets, positions, languages, pickling."""

import pickle

import pytest
from whoosh.analysis import StemmingAnalyzer

from searchcore.analysis import LANGUAGES, NewsAnalyzer, fold_accents, stopwords_for
from searchcore.errors import SearchcoreError


def terms(text, **kw):
    return [t.text for t in NewsAnalyzer(**kw)(text)]


def test_english_pipeline_stems_and_drops_stop_words():
    assert terms("Iran launched 300 drones and missiles at the consulate") == [
        "iran", "launch", "300", "drone", "missil", "consul"]


def test_acronyms_apostrophes_and_accents():
    assert terms("The U.S. said Iran’s café is Zürich's") == ["us", "said", "iran", "cafe", "zurich"]


def test_character_offsets_point_into_the_original_text():
    text = "Über 300 BALLISTIC missiles, said İstanbul."
    for tok in NewsAnalyzer()(text, chars=True):
        original = text[tok.startchar:tok.endchar]
        assert tok.text == NewsAnalyzer().terms(original)[0], original


def test_positions_skip_stop_words_so_phrases_ignore_them():
    toks = [(t.text, t.pos) for t in NewsAnalyzer()("Bank of America and the Fed", positions=True)]
    assert toks == [("bank", 0), ("america", 1), ("fed", 2)]


def test_removestops_false_marks_stop_words_for_highlighting():
    toks = [(t.text, t.stopped) for t in NewsAnalyzer()("bank of america", removestops=False)]
    assert toks == [("bank", False), ("of", True), ("america", False)]


def test_same_terms_as_whoosh_tokenisation_would_count():
    """Every word the stock whoosh analyzer sees, we see too (stemmers differ, counts not)."""
    text = "Shares in UK drinks and food firm Allied Domecq have risen on speculation"
    assert len(terms(text)) == len(list(StemmingAnalyzer()(text)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_snowball_language_analyses(language):
    assert NewsAnalyzer(language).terms("Nations parliament 2024")


def test_other_language_uses_its_stemmer_and_stop_list():
    assert terms("Le président des élections", language="french") == ["president", "elect"]
    assert "des" in stopwords_for("french")
    assert stopwords_for("arabic") == frozenset()


def test_unknown_language_is_a_clear_error():
    with pytest.raises(SearchcoreError, match="unsupported language 'klingon'"):
        NewsAnalyzer("klingon")


def test_analyzer_pickles_without_its_cache():
    analyzer = NewsAnalyzer("german")
    analyzer.terms("Häuser und Straßen")
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone == analyzer and len(pickle.dumps(analyzer)) < 300
    assert clone.terms("Häuser") == analyzer.terms("Häuser")


def test_fold_accents():
    assert fold_accents("Café Zürich naïve") == "Cafe Zurich naive"


def test_overlong_tokens_are_dropped():
    assert terms("a" * 100 + " real") == ["real"]
