"""A search request, validated once, before anything runs.

``Index.search`` is plan -> execute -> present; this is the plan's input. Every
argument is checked here and a bad one raises :class:`InvalidRequestError` (a
:class:`~searchcore.errors.SearchcoreError`, and a ``ValueError`` for callers that
catch that) naming the argument and the accepted values, instead of a ``ValueError``
from deep inside whoosh later. The web app and the CLI build the same object.

>>> SearchRequest.create("oil prices", sort="newest", limit=20).sort
'newest'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Sequence, get_args

from searchcore.errors import InvalidRequestError
from searchcore.scoring.ranking import DEFAULT_RANKING, RankingConfig

Sort = Literal["relevance", "newest", "oldest"]
Match = Literal["all", "any"]
Idf = Literal["lucene", "whoosh"]
FieldScoring = Literal["bm25f", "sum"]

SORTS: tuple[str, ...] = get_args(Sort)
MATCHES: tuple[str, ...] = get_args(Match)


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRequestError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _names(name: str, value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        values: tuple[object, ...] = (value,)
    elif isinstance(value, (list, tuple, set, frozenset)):
        values = tuple(value)
    else:
        raise InvalidRequestError(f"{name} must be a string or a list of strings, not {value!r}")
    if not all(isinstance(v, str) for v in values):
        raise InvalidRequestError(f"{name} must be a string or a list of strings, not {value!r}")
    return values or None  # type: ignore[return-value]


def check_ranking(ranking: RankingConfig) -> RankingConfig:
    """Raise :class:`InvalidRequestError` for a ranking whoosh's weighting would refuse."""
    if ranking is DEFAULT_RANKING:        # frozen and valid: not checked again each search
        return ranking
    if not isinstance(ranking, RankingConfig):
        raise InvalidRequestError(f"ranking must be a RankingConfig, not {ranking!r}")
    _choice("idf", ranking.idf, get_args(Idf))
    _choice("field_scoring", ranking.field_scoring, get_args(FieldScoring))
    for name in ("k1", "b", "title_b", "recency_weight"):
        value = getattr(ranking, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InvalidRequestError(f"ranking {name} must be a finite number >= 0, not {value!r}")
    half_life = ranking.recency_half_life_days
    if half_life is not None:
        if not isinstance(half_life, (int, float)) or not math.isfinite(half_life) or half_life <= 0:
            raise InvalidRequestError("recency_half_life_days must be a positive number")
        if ranking.idf != "lucene":
            raise InvalidRequestError("the recency boost uses Lucene's idf (idf='lucene')")
    return ranking


@dataclass(frozen=True)
class SearchRequest:
    """One search, every argument checked (build it with :meth:`create`)."""

    query: str
    limit: int = 10
    page: int = 1
    sort: Sort = "relevance"
    match: Match = "all"
    lenient: bool = False
    source: tuple[str, ...] | None = None
    category: tuple[str, ...] | None = None
    since: datetime | str | None = None
    until: datetime | str | None = None
    ranking: RankingConfig = DEFAULT_RANKING
    snippets: int = 3
    exact_total: bool = True
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def offset(self) -> int:
        """Hits before this page."""
        return (self.page - 1) * self.limit

    @classmethod
    def create(cls, query: str, *, limit: int = 10, page: int = 1, sort: str = "relevance",
               match: str = "all", lenient: bool = False,
               source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None,
               since: datetime | str | None = None, until: datetime | str | None = None,
               ranking: RankingConfig | None = None, snippets: int = 3,
               exact_total: bool = True, now: datetime | None = None) -> "SearchRequest":
        if not isinstance(query, str):
            raise InvalidRequestError(f"query must be a string, not {query!r}")
        for name, value in (("limit", limit), ("page", page), ("snippets", snippets)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidRequestError(f"{name} must be an integer, not {value!r}")
        if limit < 1 or page < 1:
            raise InvalidRequestError(
                f"limit and page must be at least 1 (got limit={limit}, page={page})")
        if snippets < 0:
            raise InvalidRequestError(f"snippets must be 0 or more, not {snippets}")
        for name, value in (("since", since), ("until", until)):
            if value is not None and not isinstance(value, (str, datetime)):
                raise InvalidRequestError(f"{name} must be a date string or a datetime, "
                                          f"not {value!r}")
        if now is not None and not isinstance(now, datetime):
            raise InvalidRequestError(f"now must be a datetime, not {now!r}")
        return cls(query=query, limit=limit, page=page,
                   sort=_choice("sort", sort, SORTS),  # type: ignore[arg-type]
                   match=_choice("match", match, MATCHES),  # type: ignore[arg-type]
                   lenient=bool(lenient), source=_names("source", source),
                   category=_names("category", category), since=since, until=until,
                   ranking=check_ranking(ranking or DEFAULT_RANKING), snippets=snippets,
                   exact_total=bool(exact_total),
                   now=now or datetime.now(timezone.utc))
