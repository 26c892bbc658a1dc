"""Ranking: BM25F parameters in one place, and the optional recency boost.

Three layers, as in whoosh: the parameters (:class:`RankingConfig`), the decay
function (:func:`recency_factor`), and the whoosh weighting model that applies them
(:func:`weighting`). Field weights travel as the boosts of each word's per-field terms;
``k1``/``b`` go to the weighting model, with a separate ``b`` for the title because
titles are short and nearly uniform in length.

Title and body are scored together, as BM25F proper (:mod:`searchcore.scoring.bm25f`): a
word's weighted, length-normalised frequencies in both are added and saturated once.
whoosh's own BM25F adds per-field scores instead (``field_scoring="sum"``). Every
default here was chosen on the development collections (see the RankingConfig
docstring and benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from whoosh import scoring
from whoosh.util.times import datetime_to_long

from searchcore.execution.segment_arrays import reader_cache

#: The raw ``published`` column value whoosh stores for an article without a date.
UNDATED = 2**64 - 1
_MICROSECONDS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class RankingConfig:
    """Every knob that changes scores. Defaults were chosen on ../shared/data test sets
    (see benchmarks/quality.py); ``recency_half_life_days=None`` disables recency.

    Tuning (``benchmarks/quality.py --tune``, BM25F, mean nDCG@10 over time, scifact,
    cranfield, cisi; the grids are in benchmarks/RESULTS.md): the surface is flat near
    the top (k1 1.6-2.0, b 0.75, title weight 1.5-4.0, title_b 0.75-0.9 all within
    0.002), and k1 1.6, b 0.75, title_b 0.9, title weight 3.0 scored best (0.5807,
    against 0.5737 at the textbook 1.2/0.75 with equal weights). Once title and body
    saturate together, a headline word needs a real weight to count as the good
    evidence it is. Under whoosh's per-field sum (``field_scoring="sum"``) the best
    title weight was 1.0, because there a title match already counts about twice.
    """

    k1: float = 1.6
    b: float = 0.75
    title_b: float = 0.9
    field_weights: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "body": 1.0})
    #: ``"lucene"``: log(1 + (N - df + 0.5) / (df + 0.5)), as Lucene, Elasticsearch and
    #: Anserini use; ``"whoosh"``: whoosh's log(N / (df + 1)) + 1, whose floor of 1
    #: lets very common words weigh almost as much as rare ones.
    idf: str = "lucene"
    #: ``"bm25f"``: a word's frequencies in title and body are combined, then saturated
    #: once (see :mod:`searchcore.scoring.bm25f`); ``"sum"``: whoosh's per-field BM25 scores
    #: added up.
    field_scoring: str = "bm25f"
    recency_half_life_days: float | None = None
    #: Weight of the recency factor: score * (1 - w + w * 0.5 ** (age / half_life)).
    recency_weight: float = 0.5

    def __hash__(self) -> int:       # dict field: hash what identifies the config
        return hash((self.k1, self.b, self.title_b, tuple(sorted(self.field_weights.items())),
                     self.idf, self.field_scoring,
                     self.recency_half_life_days, self.recency_weight))


DEFAULT_RANKING = RankingConfig()


def recency_factor(age_days: float, half_life_days: float, weight: float) -> float:
    """Multiplier in ``[1 - weight, 1]``: 1 for today, ``1 - weight/2`` one half-life ago.

    Undated articles get the floor ``1 - weight``: they cannot claim to be recent.
    """
    decay = 0.5 ** (max(age_days, 0.0) / half_life_days)
    return 1.0 - weight + weight * decay


def lucene_idf(doc_count: int, doc_frequency: int) -> float:
    """BM25's idf as Lucene computes it: never negative, near 0 for ubiquitous words."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def whoosh_idf(doc_count: int, doc_frequency: int) -> float:
    """whoosh's idf, ``log(N / (df + 1)) + 1``, for BM25F's combined fields."""
    return math.log(doc_count / (doc_frequency + 1)) + 1


class LuceneIdfBM25F(scoring.BM25F):
    """whoosh's BM25F with Lucene's idf (see :func:`lucene_idf`).

    Measured on the development sets (``benchmarks/quality.py --diagnose``): nDCG@10
    +0.013 on TIME, +0.002 SciFact, +0.003 Cranfield, +0.007 CISI over whoosh's idf.
    """

    def idf(self, searcher, fieldname: str, text: bytes) -> float:  # type: ignore[no-untyped-def]
        return lucene_idf(searcher.doc_count_all(), searcher.doc_frequency(fieldname, text))


class RecencyBM25F(LuceneIdfBM25F):
    """BM25F (Lucene idf) whose final score is scaled by :func:`recency_factor` of ``published``."""

    use_final = True

    def __init__(self, half_life_days: float, weight: float, now: datetime, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.half_life_days = half_life_days
        self.weight = weight
        self.now = datetime_to_long(now.astimezone(timezone.utc).replace(tzinfo=None))

    def final(self, searcher, docnum: int, score: float) -> float:  # type: ignore[no-untyped-def]
        # Kept on the segment reader (it dies with it), not in a dict keyed by id().
        reader = searcher.reader()
        cache = reader_cache(reader)
        if "published_column" not in cache:
            cache["published_column"] = (reader.column_reader("published", translate=False)
                                         if reader.has_column("published") else None)
        column = cache["published_column"]
        published = column[docnum] if column is not None else UNDATED
        if published == UNDATED:
            return score * (1.0 - self.weight)
        age = (self.now - published) / _MICROSECONDS_PER_DAY
        return score * recency_factor(age, self.half_life_days, self.weight)


def weighting(config: RankingConfig = DEFAULT_RANKING, now: datetime | None = None) -> scoring.WeightingModel:
    """The whoosh weighting model for ``config``."""
    params = {"B": config.b, "K1": config.k1, "title_B": config.title_b}
    if config.idf not in ("lucene", "whoosh"):
        raise ValueError(f"idf must be 'lucene' or 'whoosh', not {config.idf!r}")
    if config.field_scoring not in ("bm25f", "sum"):
        raise ValueError(f"field_scoring must be 'bm25f' or 'sum', not {config.field_scoring!r}")
    model = _model(config, params, now)
    # Read by searchcore.scoring.bm25f.CombinedTerm when it builds its matcher.
    model.combine_fields = config.field_scoring == "bm25f"
    model.combined_idf = lucene_idf if config.idf == "lucene" else whoosh_idf
    return model


def _model(config: RankingConfig, params: dict[str, float],
           now: datetime | None) -> scoring.WeightingModel:
    if config.recency_half_life_days:
        if not math.isfinite(config.recency_half_life_days) or config.recency_half_life_days <= 0:
            raise ValueError("recency_half_life_days must be a positive number")
        if config.idf != "lucene":
            raise ValueError("the recency boost uses Lucene's idf")
        return RecencyBM25F(config.recency_half_life_days, config.recency_weight,
                            now or datetime.now(timezone.utc), **params)
    return LuceneIdfBM25F(**params) if config.idf == "lucene" else scoring.BM25F(**params)
