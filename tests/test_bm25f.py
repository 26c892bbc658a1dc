"""BM25F proper (searchcore.scoring.bm25f): a word's title and body frequencies combined before
saturation, checked against the formula on real on-disk indexes."""

import math

import pytest
from whoosh import query as wq

import searchcore
from searchcore.scoring.bm25f import CombinedPhrase, CombinedTerm
from searchcore.engine import flatten
from searchcore.query.parser import parse_query
from searchcore.scoring.ranking import RankingConfig, lucene_idf, weighting

ARTICLES = [
    {"id": "both", "title": "Zeppelin flight", "body": "The zeppelin landed in a field near the town."},
    {"id": "body-twice", "title": "Airship news",
     "body": "A zeppelin landed and a second zeppelin followed it home."},
    {"id": "title-only", "title": "Zeppelin museum opens", "body": "Visitors queued for hours."},
    {"id": "long", "title": "Weekly roundup",
     "body": "zeppelin " + " ".join(f"filler{i}" for i in range(200))},
] + [{"id": f"other-{i}", "title": f"Story {i}", "body": "Markets were calm today."} for i in range(16)]


@pytest.fixture()
def ix(tmp_path):
    with searchcore.create_index(tmp_path / "ix") as index:
        index.add(ARTICLES)
        yield index


def expected_scores(index, word, config=RankingConfig()):
    """BM25F by hand from the index's own statistics (Robertson and Zaragoza, 2009)."""
    searcher = index.searcher()
    reader = searcher.reader()
    weights = config.field_weights
    b = {"title": config.title_b, "body": config.b}
    docs = {}
    for field in ("title", "body"):
        if (field, word) not in reader:
            continue
        avg = searcher.avg_field_length(field)
        postings = reader.postings(field, word)
        while postings.is_active():
            doc = postings.id()
            length = reader.doc_field_length(doc, field, 0) or 0
            docs[doc] = docs.get(doc, 0.0) + weights[field] * postings.weight() / (
                1 - b[field] + b[field] * length / avg)
            postings.next()
    df = max(searcher.doc_frequency("title", word), searcher.doc_frequency("body", word))
    idf = lucene_idf(searcher.doc_count_all(), df)
    k1 = config.k1
    return {searcher.stored_fields(d)["id"]: idf * tf * (k1 + 1) / (tf + k1) for d, tf in docs.items()}


def test_default_fields_word_is_one_combined_term(ix):
    q = parse_query("zeppelin", ix.searcher().schema)
    assert q == CombinedTerm([wq.Term("title", "zeppelin"), wq.Term("body", "zeppelin")])
    # One field named: an ordinary term, scored as BM25 on that field.
    assert parse_query("title:zeppelin", ix.searcher().schema) == wq.Term("title", "zeppelin")


def test_scores_follow_the_bm25f_formula(ix):
    expected = expected_scores(ix, "zeppelin")
    hits = ix.search("zeppelin", limit=50, snippets=0).hits
    assert {h.id for h in hits} == set(expected) == {"both", "body-twice", "title-only", "long"}
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.id], rel=1e-6)


def test_a_word_in_title_and_body_saturates_once(ix):
    """whoosh's per-field sum saturates each field on its own, so the same counts score
    more there; BM25F scores them as one pseudo-field."""
    equal = {"title": 1.0, "body": 1.0}
    combined = ix.search("zeppelin", limit=50, snippets=0,
                         ranking=RankingConfig(field_weights=equal)).hits
    summed = ix.search("zeppelin", limit=50, snippets=0,
                       ranking=RankingConfig(field_weights=equal, field_scoring="sum")).hits
    score = {h.id: h.score for h in combined}
    score_sum = {h.id: h.score for h in summed}
    assert score["both"] < score_sum["both"]
    # A single-field match has one field either way: only the idf differs. The pseudo-
    # field's document frequency is the largest of the fields' (body 3, title 2).
    assert score["long"] == pytest.approx(score_sum["long"])
    assert score["title-only"] / score_sum["title-only"] == pytest.approx(
        lucene_idf(20, 3) / lucene_idf(20, 2))
    with pytest.raises(ValueError, match="field_scoring"):
        weighting(RankingConfig(field_scoring="max"))


def test_field_weights_and_query_boosts_apply(ix):
    equal = RankingConfig(field_weights={"title": 1.0, "body": 1.0})
    plain = {h.id: h.score for h in ix.search("zeppelin", limit=50, snippets=0, ranking=equal).hits}
    heavy_title = RankingConfig(field_weights={"title": 3.0, "body": 1.0})
    heavy = {h.id: h.score for h in ix.search("zeppelin", limit=50, snippets=0, ranking=heavy_title).hits}
    assert heavy == pytest.approx(expected_scores(ix, "zeppelin", heavy_title), rel=1e-6)
    assert heavy["title-only"] > plain["title-only"]
    assert heavy["long"] == pytest.approx(plain["long"])          # no title match: unchanged
    boosted = {h.id: h.score for h in ix.search("zeppelin^2", limit=50, snippets=0, ranking=equal).hits}
    assert boosted == pytest.approx({k: 2 * v for k, v in plain.items()})


def test_statistics_are_global_across_segments(tmp_path):
    """Each segment's matcher scores with the whole index's df, N and average lengths."""
    with searchcore.create_index(tmp_path / "many") as many:
        for start in range(0, len(ARTICLES), 3):
            many.add(ARTICLES[start:start + 3])
        assert len(many.whoosh_index._segments()) > 1
        split = {h.id: h.score for h in many.search("zeppelin", limit=50, snippets=0).hits}
        assert split == pytest.approx(expected_scores(many, "zeppelin"), rel=1e-6)


@pytest.mark.parametrize("query", ["government minister", "said OR year", "people -sport",
                                   "+election labour", "missile*", '"prime minister" blair'])
@pytest.mark.parametrize("match", ["all", "any"])
def test_matches_the_same_documents_as_the_union_of_fields(news_index, query, match):
    """Only scores change: the documents are those the per-field OR would find."""
    searcher = news_index.searcher()
    q = flatten(parse_query(query, searcher.schema, match=match))
    union = q.accept(lambda node: node._union() if isinstance(node, CombinedTerm) else node)
    assert set(searcher.docs_for_query(q)) == set(searcher.docs_for_query(union))
    results = news_index.search(query, match=match, limit=5, snippets=0)
    assert results.total == len(set(searcher.docs_for_query(union)))
    assert all(h.score > 0 for h in results.hits)


def test_snippets_still_mark_the_words(news_index):
    hit = news_index.search("ballistic missiles", snippets=2).hits[0]
    assert hit.id == "seed"
    assert any("issile" in s.text and s.spans for s in hit.snippets)


def test_ranking_is_deterministic_and_prefers_denser_matches(ix):
    ids = [h.id for h in ix.search("zeppelin", limit=50, snippets=0).hits]
    assert ids == [h.id for h in ix.search("zeppelin", limit=50, snippets=0).hits]
    # The 201-word body with one mention ranks last: length normalisation.
    assert ids[-1] == "long"
    assert math.isfinite(ix.search("zeppelin").hits[0].score)


PHRASE_ARTICLES = [
    {"id": "title-and-body", "title": "Zeppelin landed safely",
     "body": "The zeppelin landed at noon, and later a second zeppelin landed too."},
    {"id": "body-once", "title": "Airship news", "body": "A zeppelin landed near the river."},
    {"id": "words-apart", "title": "Zeppelin news", "body": "The pilot landed the old zeppelin."},
] + [{"id": f"filler-{i}", "title": f"Story {i}", "body": "Markets were calm today."} for i in range(7)]


def test_phrases_are_scored_by_bm25f_over_phrase_counts(tmp_path):
    """A field's frequency is how often the phrase occurs in it; the idf is the sum of
    the words' idfs (as Lucene scores phrases)."""
    with searchcore.create_index(tmp_path / "ix") as index:
        index.add(PHRASE_ARTICLES)
        q = parse_query('"zeppelin landed"', index.searcher().schema)
        assert isinstance(q, CombinedPhrase) and [p.fieldname for p in q.subqueries] == ["title", "body"]
        config = RankingConfig()
        hits = {h.id: h.score for h in index.search('"zeppelin landed"', limit=10, snippets=0).hits}
        assert set(hits) == {"title-and-body", "body-once"}

        searcher = index.searcher()
        reader = searcher.reader()
        idf = sum(lucene_idf(searcher.doc_count_all(),
                             max(searcher.doc_frequency(f, w) for f in ("title", "body")))
                  for w in ("zeppelin", "land"))
        docnum = {searcher.stored_fields(d)["id"]: d for d in range(reader.doc_count_all())}

        def expected(doc_id, counts):
            tf = 0.0
            for field, count in counts.items():
                b = config.title_b if field == "title" else config.b
                length = reader.doc_field_length(docnum[doc_id], field, 0)
                tf += config.field_weights[field] * count / (
                    1 - b + b * length / searcher.avg_field_length(field))
            return idf * tf * (config.k1 + 1) / (tf + config.k1)

        assert hits["title-and-body"] == pytest.approx(expected("title-and-body", {"title": 1, "body": 2}))
        assert hits["body-once"] == pytest.approx(expected("body-once", {"body": 1}))
        # A phrase scores like its words would if they were one rare word, and the
        # boost and the Boolean operators work on it as on any clause.
        boosted = index.search('"zeppelin landed"^2', limit=10, snippets=0).hits
        assert {h.id: h.score for h in boosted} == pytest.approx({k: 2 * v for k, v in hits.items()})
        assert [h.id for h in index.search('"zeppelin landed" -river', snippets=0).hits] == ["title-and-body"]
        snippet = index.search('"zeppelin landed"', snippets=1).hits[0].snippets[0]
        assert snippet.spans and "landed" in snippet.text


def test_a_phrase_without_positions_or_weight_stays_per_field(tmp_path):
    """Fields named with a weight of 0 still match, scoring nothing (not combined)."""
    with searchcore.create_index(tmp_path / "ix") as index:
        index.add(PHRASE_ARTICLES)
        q = parse_query('"zeppelin landed"', index.searcher().schema,
                        field_weights={"title": 0.0, "body": 1.0})
        assert not isinstance(q, CombinedPhrase)
        ranking = RankingConfig(field_weights={"title": 0.0, "body": 1.0})
        assert {h.id for h in index.search('"zeppelin landed"', ranking=ranking, snippets=0).hits} == {
            "title-and-body", "body-once"}
