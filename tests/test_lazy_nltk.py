"""NLTK is imported only to stem a word no open index has seen (cold CLI start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import bbc_articles

from searchcore import analysis


def test_languages_match_nltk_and_one_kernel_tokenises() -> None:
    from nltk.stem.snowball import SnowballStemmer

    assert analysis.LANGUAGES == tuple(SnowballStemmer.languages)
    analyzer = analysis.make_analyzer()
    for article in bbc_articles()[:80]:
        text = article["body"] + " U.S. don’t 3.5% 1,000 AT&T BRK.B e-mail café İstanbul"
        spans = list(analysis.token_spans(text))
        # The analyzer's tokens, the bulk writer's words and the snippets' chunks are
        # all the kernel's (TOKEN_RE) matches.
        assert [m.span() for m in analysis.TOKEN_RE.finditer(text)] == spans
        assert analysis.split_words(text) == [text[a:b] for a, b in spans]
        tokens = [(t.startchar, t.endchar) for t in
                  analyzer(text, chars=True, removestops=False)]
        assert tokens == spans


SCRIPT = """
import sys, searchcore
ix = searchcore.open_index(sys.argv[1])
first = ix.search(sys.argv[2], snippets=3)
print("nltk" in sys.modules, first.total, [h.id for h in first.hits][:3])
second = ix.search(sys.argv[3], snippets=0)
print("nltk" in sys.modules, second.total)
"""


def run(index: Path, seen: str, unseen: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(index), seen, unseen],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_a_seen_word_needs_no_nltk_a_new_one_does(news_index_path: Path) -> None:
    import searchcore

    with searchcore.open_index(news_index_path) as ix:
        expected = ix.search("governments", snippets=3)
        expected_new = ix.search("unheardofwordings", snippets=0)
    lines = run(news_index_path, "governments", "unheardofwordings")
    assert lines[0] == f"False {expected.total} {[h.id for h in expected.hits][:3]}"
    assert lines[1] == f"True {expected_new.total}"


def test_a_rare_seen_word_needs_no_nltk_either(news_index_path: Path) -> None:
    """Did-you-mean looks at rare words' one-edit neighbours: it must ask the index's
    known words about them, not the stemmer, or every rare-word search loads NLTK."""
    import searchcore

    with searchcore.open_index(news_index_path) as ix:
        searcher = ix.searcher()
        analyzer = searcher.schema["body"].analyzer
        rare = None
        for article in ix.scan("*", fields=["body"]):
            for word in article["body"].split():
                if word.isalpha() and word.islower() and len(word) > 6:
                    terms = [t.text for t in analyzer(word)]
                    if len(terms) == 1 and searcher.doc_frequency("body", terms[0]) == 1:
                        rare = word
                        break
            if rare:
                break
        assert rare is not None
        expected = ix.search(rare, snippets=3)
    assert expected.total >= 1
    lines = run(news_index_path, rare, "unheardofwordings")
    assert lines[0] == f"False {expected.total} {[h.id for h in expected.hits][:3]}"


SLOW_IMPORT = """
import importlib.abc, sys, time
import searchcore
from searchcore.query.budget import QueryBudget


class SlowNLTK(importlib.abc.MetaPathFinder):
    # NLTK's import on a busy machine: well over the search's time limit.
    def find_spec(self, name, path, target=None):
        if name == "nltk":
            time.sleep(1.5)
        return None


sys.meta_path.insert(0, SlowNLTK())
ix = searchcore.open_index(sys.argv[1])
res = ix.search(sys.argv[2], budget=QueryBudget(seconds=1.0), snippets=0)
print("nltk" in sys.modules, res.total)
"""


def test_importing_the_stemmer_does_not_count_against_the_time_limit(news_index_path: Path) -> None:
    """A new user's first search with a word no index has seen imports NLTK; that
    one-time cost must not fail the search as "longer than the time limit"."""
    import searchcore

    with searchcore.open_index(news_index_path) as ix:
        expected = ix.search("unheardofwordings~ OR governments", snippets=0).total
    out = subprocess.run([sys.executable, "-c", SLOW_IMPORT, str(news_index_path),
                          "unheardofwordings~ OR governments"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", str(expected)]
