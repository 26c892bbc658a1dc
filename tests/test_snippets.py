"""Snippets: what is marked, how fragments are cut, and the fast paths' exactness.

Most tests build whoosh queries directly, so they do not depend on the query parser;
a few go through ``Index.search`` to show the engine wiring.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

import searchcore
from searchcore.analysis import _CACHES, TOKEN_RE, make_analyzer, split_words
from searchcore.results.snippets import (ELLIPSIS, SCAN_CHARS, find_matches, make_snippets,
                                         query_matchers)
from tests.conftest import seed_article

AN = make_analyzer("english")
SEED = seed_article()


def marked(snippets, field="body"):
    return [s.text[a:b] for s in snippets if s.field == field for a, b in s.spans]


def terms_of(text):
    return AN.terms(text)


def check_well_formed(snippets):
    for s in snippets:
        last = 0
        for a, b in s.spans:
            assert last <= a < b <= len(s.text), (s.spans, s.text)
            last = b


# -- what is marked ---------------------------------------------------------------

def test_term_marks_every_inflection_of_the_stem():
    snips = make_snippets(wq.Term("body", "missil"), SEED, AN)
    words = marked(snips)
    assert "missiles" in words and "missile" in words
    assert all(terms_of(w) == ["missil"] for w in words)
    check_well_formed(snips)


def test_exact_phrase_is_one_span_and_its_words_alone_are_not_marked():
    snips = make_snippets(wq.Phrase("body", ["ballist", "missil"]), SEED, AN)
    words = marked(snips)
    assert "ballistic missiles" in words
    assert set(w.lower() for w in words) <= {"ballistic missiles", "ballistic missile"}
    # "99% of the missiles" is not part of the phrase: not marked
    assert "missiles" not in words


def test_phrase_word_also_asked_on_its_own_is_marked_alone_too():
    q = wq.Or([wq.Phrase("body", ["ballist", "missil"]), wq.Term("body", "missil")])
    words = marked(make_snippets(q, SEED, AN))
    assert "ballistic missiles" in words and "missiles" in words


def test_phrase_span_covers_the_stop_words_inside_it():
    fields = {"title": "x", "body": "Shares in Bank of America rose. The bank said America is big."}
    words = marked(make_snippets(wq.Phrase("body", ["bank", "america"]), fields, AN))
    assert words == ["Bank of America"]


def test_proximity_phrase_marks_its_words_only_where_they_are_near():
    body = ("Biden spoke early. " + "Filler words go here. " * 5
            + "Later Biden told reporters that Israel would act.")
    words = marked(make_snippets(wq.Phrase("body", ["biden", "israel"], slop=5),
                                 {"title": "", "body": body}, AN))
    assert words == ["Biden", "Israel"]
    body_text = make_snippets(wq.Phrase("body", ["biden", "israel"], slop=5),
                              {"title": "", "body": body}, AN)[0].text
    assert "Later" in body_text


def test_not_and_andnot_terms_are_never_marked():
    for q in (wq.And([wq.Term("body", "israel"), wq.Not(wq.Term("body", "iran"))]),
              wq.AndNot(wq.Term("body", "israel"), wq.Term("body", "iran"))):
        words = marked(make_snippets(q, SEED, AN))
        assert words and all(terms_of(w) == ["israel"] for w in words)


def test_prefix_fuzzy_wildcard_and_range_mark_the_tokens_they_accept():
    words = marked(make_snippets(wq.Prefix("body", "interc"), SEED, AN))
    assert {"intercepted", "intercepting"} <= set(words)
    words = marked(make_snippets(wq.FuzzyTerm("body", "drome", maxdist=1, prefixlength=1), SEED, AN))
    assert set(words) == {"drones"}
    # the shared prefix is required: "xrone" is one edit from "drone" but starts differently
    assert not marked(make_snippets(wq.FuzzyTerm("body", "xrone", maxdist=1, prefixlength=1),
                                    SEED, AN))
    assert set(marked(make_snippets(wq.FuzzyTerm("body", "xrone", maxdist=1, prefixlength=0),
                                    SEED, AN))) == {"drones"}
    assert set(marked(make_snippets(wq.Wildcard("body", "dr?ne"), SEED, AN))) == {"drones"}
    assert "Yemen" in marked(make_snippets(wq.TermRange("body", "yem", "yez"), SEED, AN))


def test_title_snippet_is_the_whole_title_with_its_spans():
    snips = make_snippets(wq.Or([wq.Term("title", "israel"), wq.Term("body", "israel")]), SEED, AN)
    title = [s for s in snips if s.field == "title"]
    assert len(title) == 1 and title[0].text == SEED["title"]
    assert marked(snips, "title") == ["Israel"]
    assert snips[0].field == "body"         # body fragments first, title last


def test_title_only_match_gets_the_body_lead_without_spans():
    snips = make_snippets(wq.Term("title", "inform"), SEED, AN)
    body = [s for s in snips if s.field == "body"]
    assert len(body) == 1 and body[0].spans == ()
    assert body[0].text.startswith("The White House has informed Israel")
    assert len(body[0].text) <= 200 + len(ELLIPSIS)
    assert marked(snips, "title") == ["Informs"]


def test_query_on_other_fields_only_gives_the_lead():
    snips = make_snippets(wq.Term("source", "seed"), SEED, AN)
    assert [s.field for s in snips] == ["body"] and snips[0].spans == ()


# -- fragments ----------------------------------------------------------------------

def test_at_most_max_fragments_non_overlapping_in_text_order():
    snips = make_snippets(wq.Term("body", "israel"), SEED, AN, max_fragments=3)
    assert len(snips) == 3
    positions = [SEED["body"].find(s.text.strip(ELLIPSIS)[:40]) for s in snips]
    assert positions == sorted(positions) and -1 not in positions
    assert len(make_snippets(wq.Term("body", "israel"), SEED, AN, max_fragments=1)) == 1


def test_fragments_prefer_more_distinct_terms():
    body = ("Oil oil oil oil prices. " + "Nothing here at all today. " * 12
            + "Oil and gas prices rose. " + "Nothing here at all today. " * 12)
    q = wq.Or([wq.Term("body", "oil"), wq.Term("body", "gas")])
    snip, = make_snippets(q, {"title": "", "body": body}, AN, max_fragments=1)
    assert "gas" in snip.text


def test_ties_go_to_the_earlier_fragment_and_output_is_deterministic():
    body = " ".join(f"Sentence number {i} is about nothing." for i in range(30))
    body = body.replace("number 3 ", "number 3 tariff ").replace("number 20 ", "number 20 tariff ")
    fields = {"title": "", "body": body}
    first = make_snippets(wq.Term("body", "tariff"), fields, AN, max_fragments=1)
    assert "number 3 tariff" in first[0].text
    again = [make_snippets(wq.Term("body", "tariff"), fields, AN) for _ in range(3)]
    assert again[0] == again[1] == again[2]


def test_fragment_is_cut_at_word_boundaries_with_ellipses_in_the_text():
    body = "word " * 100 + "the missile landed " + "word " * 100
    snip, = make_snippets(wq.Term("body", "missil"), {"title": "", "body": body}, AN)
    assert snip.text.startswith(ELLIPSIS) and snip.text.endswith(ELLIPSIS)
    inner = snip.text[len(ELLIPSIS):-len(ELLIPSIS)]
    assert inner.split(" ")[0] == "word" and inner.split(" ")[-1] == "word"
    assert marked([snip]) == ["missile"]
    assert len(snip.text) <= 200 + 2 * len(ELLIPSIS)


def test_fragment_starts_at_the_sentence_start_when_close():
    snips = make_snippets(wq.Term("body", "centcom"), SEED, AN)
    assert snips[0].text.startswith("Additionally, US Central Command (Centcom)")
    assert not snips[0].text.startswith(ELLIPSIS)


def test_whitespace_is_collapsed_and_spans_follow():
    body = "First  paragraph\n\nhas the   missiles\n\n\tand more missiles here."
    snip, = make_snippets(wq.Term("body", "missil"), {"title": "", "body": body}, AN)
    assert "\n" not in snip.text and "  " not in snip.text
    assert marked([snip]) == ["missiles", "missiles"]


def test_matches_beyond_the_scan_limit_are_not_searched():
    body = "Opening sentence of the story. " + "filler " * (SCAN_CHARS // 7) + "missiles."
    snip, = make_snippets(wq.Term("body", "missil"), {"title": "", "body": body}, AN)
    assert snip.spans == () and snip.text.startswith("Opening sentence")


def test_text_whose_lower_case_changes_length_keeps_offsets_right():
    body = "İstanbul: the missiles İİ were seen. More missiles later."
    snip, = make_snippets(wq.Term("body", "missil"), {"title": "", "body": body}, AN)
    assert marked([snip]) == ["missiles", "missiles"]


def test_empty_fields_give_no_snippets():
    assert make_snippets(wq.Term("body", "missil"), {"title": "", "body": ""}, AN) == []
    assert make_snippets(wq.Term("body", "missil"), {}, AN) == []


def test_query_matchers_split_by_field_and_skip_negations():
    q = wq.And([wq.Term("title", "a"), wq.Term("body", "b"), wq.Term("source", "c"),
                wq.Not(wq.Term("body", "d")), wq.Phrase("body", ["e", "f"], slop=3)])
    m = query_matchers(q)
    assert set(m) == {"title", "body"}
    assert m["body"].terms == {"b"} and m["body"].phrases == [(("e", "f"), 3)]


# -- the fast paths are exact -------------------------------------------------------

VOCAB = ["missiles", "Missile", "missil", "ballistic", "the", "of", "U.S.", "don't", "İran",
         "café", "Cafe", "missiles.", "(missiles)", "_x", "a'b", "ballistic-missiles",
         "3.5", "'quoted'", "missiles'", "mis", "missing", "dronés", "Drones,", "ballisticmissiles",
         "AT&T's", "1,000", "1.5%", "$20", "missiles&", "&missiles", "U.S.-missiles"]


def reference_spans(text, accepted):
    """Token spans whose term is accepted, straight from the analyzer's Token stream."""
    return [(t.startchar, t.endchar) for t in AN(text, chars=True) if t.text in accepted]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40),
       st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", ". ", ", ", "-", "'"]), min_size=40,
                max_size=40))
def test_term_spans_equal_the_analyzers_tokens(words, seps):
    text = "".join(w + s for w, s in zip(words, seps))
    _CACHES.clear()     # cold: the matcher decides alone which words to stem
    q = wq.Or([wq.Term("body", "missil"), wq.Term("body", "cafe"), wq.Term("body", "iran")])
    got = [(s, e) for s, e, _ in find_matches(text, query_matchers(q)["body"], AN)]
    assert got == reference_spans(text, {"missil", "cafe", "iran"})
    for snip in make_snippets(q, {"title": "", "body": text}, AN):
        check_well_formed([snip])
        for a, b in snip.spans:
            assert AN.terms(snip.text[a:b])[0] in {"missil", "cafe", "iran"}


PIECES = ["missiles", "missile", "ballistic", "a", "of", ".", "'", "’", "_", " ", "\n", "İ", "é",
          "-", "3", "ß", "\x1c", "&", ",", "%", "$", "000"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_spans_equal_the_analyzers_on_adversarial_joins(pieces):
    text = "".join(pieces)
    assert split_words(text) == TOKEN_RE.findall(text)
    _CACHES.clear()
    q = wq.Or([wq.Term("body", "missil"), wq.Term("body", "ballist")])
    got = [(s, e) for s, e, _ in find_matches(text, query_matchers(q)["body"], AN)]
    assert got == reference_spans(text, {"missil", "ballist"})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40))
def test_phrase_spans_analyse_to_the_phrase(words):
    text = " ".join(words)
    _CACHES.clear()
    q = wq.Phrase("body", ["ballist", "missil"])
    for snip in make_snippets(q, {"title": "", "body": text}, AN):
        check_well_formed([snip])
        for a, b in snip.spans:
            assert AN.terms(snip.text[a:b]) == ["ballist", "missil"]
    tokens = AN.terms(text)
    expected = sum(1 for i in range(len(tokens) - 1) if tokens[i:i + 2] == ["ballist", "missil"])
    assert len(find_matches(text, query_matchers(q)["body"], AN)) == expected


# -- through the engine ---------------------------------------------------------------

def test_search_marks_the_seed_and_phrases_through_the_engine(news_index):
    hit = news_index.search("missile").hits[0]
    assert hit.id == "seed"
    assert {w.lower() for w in marked(hit.snippets)} <= {"missile", "missiles"}
    hit = news_index.search('"ballistic missiles"').hits[0]
    assert "ballistic missiles" in marked(hit.snippets)


def test_search_snippets_are_deterministic(news_index):
    first = news_index.search("government minister", match="any", limit=10)
    second = news_index.search("government minister", match="any", limit=10)
    assert [h.snippets for h in first.hits] == [h.snippets for h in second.hits]
    for hit in first.hits:
        check_well_formed(hit.snippets)


def test_title_only_hit_in_a_real_index(tmp_path):
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add([{"id": "a", "title": "Zebra crossing rules change",
                 "body": "Pedestrians will get more time. Councils agreed on Monday."}])
        hit = ix.search("zebra").hits[0]
    assert hit.snippets[0].field == "body" and hit.snippets[0].spans == ()
    assert hit.snippets[0].text == "Pedestrians will get more time. Councils agreed on Monday."
    assert marked(hit.snippets, "title") == ["Zebra"]


@pytest.mark.parametrize("chars", [60, 120, 300])
def test_fragment_chars_is_respected(chars):
    for snip in make_snippets(wq.Term("body", "israel"), SEED, AN, fragment_chars=chars):
        assert len(snip.text) <= chars + 2 * len(ELLIPSIS)


def test_sequence_of_terms_is_marked_like_a_phrase_and_zero_fragments_is_none():
    q = wq.Sequence([wq.Term("body", "ballist"), wq.Term("body", "missil")])
    assert "ballistic missiles" in marked(make_snippets(q, SEED, AN))
    assert make_snippets(q, SEED, AN, max_fragments=0) == []


def test_the_same_query_object_reused_across_hits_gives_each_hit_its_own_marks():
    q = wq.Term("body", "missil")
    other = {"title": "", "body": "No match in this one at all."}
    assert marked(make_snippets(q, SEED, AN)) and not marked(make_snippets(q, other, AN))
    assert marked(make_snippets(wq.Term("body", "israel"), SEED, AN))[0] == "Israel"


def test_a_line_break_inside_a_sentence_is_not_a_sentence_start():
    """Wire copy is hard-wrapped: a fragment must not start at a wrapped lower-case word."""
    body = ("Shares fell on Monday.\n" + "filler words " * 30 + "and more.\nThe grain\n"
            "prices the state pays are too low, officials said.")
    [snippet] = make_snippets(wq.Term("body", "price"), {"title": "", "body": body}, AN,
                              max_fragments=1, fragment_chars=120)
    assert snippet.text.startswith("The grain prices"), snippet.text
