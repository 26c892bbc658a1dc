"""The acceptance examples of issue 2, end to end on a real index."""


def test_missile_finds_seed_by_stem(news_index):
    assert news_index.search("missile").hits[0].id == "seed"


def test_phrase_order_matters(news_index):
    assert [h.id for h in news_index.search('"ballistic missiles"').hits] == ["seed"]
    assert news_index.search('"missiles ballistic"').total == 0
