"""What one query may cost: length, clauses, expansions, results and time.

Without limits a user could type a query that runs for minutes or builds gigabytes:
20,000 prefix words (60 s on Reuters), 200 fuzzy words (40 s), ``--limit 1000000``
(a 1.8 GB answer). Every search runs under a :class:`QueryBudget`; going over a limit
raises :class:`~searchcore.errors.QueryLimitError` (a ``QuerySyntaxError``, so
callers that catch bad queries catch these too) naming the limit and its value.

=======================  =========  ===========================================================
limit                    default    why this value
=======================  =========  ===========================================================
``max_length``           10,000     characters; the longest query of the test collections
                                    (CISI) has 2,023
``max_clauses``          1,024      words, phrases, prefixes, fuzzy words, ranges (Lucene's
                                    ``maxClauseCount``); CISI's longest has 334 words
``max_expansions``       500        index words one prefix or fuzzy word may stand for, per
                                    field (``co*`` has about 1,000 on Reuters: 1 s)
``max_total_expansions`` 2,000      the same, summed over the query
``max_results``          10,000     ``page * limit`` (Elasticsearch's ``max_result_window``);
                                    for every match, use ``searchcore export``
``seconds``              1.0        engine time before the search stops (checked while
                                    expanding words and while collecting matches)
=======================  =========  ===========================================================

Lenient mode (text typed by end users) degrades instead of raising where it can: a
query over ``max_length`` is cut at a word boundary, clauses past ``max_clauses``
are dropped, a prefix or fuzzy word keeps its most frequent expansions. The deadline
and ``max_results`` are not about what was typed and raise in both modes.

The budget of the search in progress lives in a context variable (:func:`spending`)
so that the query objects whoosh expands deep inside its matchers can charge it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import heapq
import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, TypeVar

from whoosh import collectors
from whoosh import query as wq

from searchcore.errors import QueryLimitError
from searchcore.scoring.bm25f import CombinedTerm

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class QueryBudget:
    """The limits of one search (see the module docstring for the defaults' reasons)."""

    max_length: int = 10_000
    max_clauses: int = 1_024
    max_expansions: int = 500
    max_total_expansions: int = 2_000
    max_results: int = 10_000
    seconds: float = 1.0


DEFAULT_BUDGET = QueryBudget()
#: Matches collected between two looks at the clock.
CHECK_EVERY = 1024


class Spend:
    """What the search in progress has used of its budget."""

    def __init__(self, budget: QueryBudget, lenient: bool, query: str = "") -> None:
        self.budget = budget
        self.lenient = lenient
        self.query = query
        self.deadline = time.perf_counter() + budget.seconds
        self.expanded: dict[tuple[str, str, str], int] = {}

    def check_time(self) -> None:
        if time.perf_counter() > self.deadline:
            raise QueryLimitError(
                f"the query took longer than the time limit ({self.budget.seconds:g} s); "
                "make it more specific (fewer prefix*, fuzzy~ or * words)", "seconds",
                self.budget.seconds, self.query)

    def expand(self, kind: str, fieldname: str, text: str, words: Iterable[bytes],
               df: Any) -> list[bytes]:
        """The expansions of one prefix/fuzzy word, within the per-word and total limits.

        Strict mode raises past a limit; lenient keeps the most frequent words that fit.
        ``df(word)`` is the word's document frequency (used only when cutting).
        """
        budget = self.budget
        cap = budget.max_expansions
        found: list[bytes] = []
        for number, word in enumerate(words, 1):
            found.append(word)
            if number % 256 == 0:
                self.check_time()
            if number > cap * 20:          # lenient: enough candidates to choose from
                break
        key = (kind, fieldname, text)
        used_elsewhere = sum(n for k, n in self.expanded.items() if k != key)
        room = min(cap, budget.max_total_expansions - used_elsewhere)
        if len(found) > room:
            if not self.lenient:
                shown = f"{text}*" if kind == "prefix" else f"{text}~"
                if len(found) > cap:
                    raise QueryLimitError(
                        f"{shown!r} matches more than {cap:,} words in {fieldname} (the "
                        "limit per prefix or fuzzy word, max_expansions); type more letters",
                        "max_expansions", cap, self.query)
                raise QueryLimitError(
                    f"the prefix and fuzzy words of the query match more than "
                    f"{budget.max_total_expansions:,} words in all (max_total_expansions); "
                    "use fewer or longer ones", "max_total_expansions",
                    budget.max_total_expansions, self.query)
            found = heapq.nlargest(max(room, 0), found, key=df)
        self.expanded[key] = max(self.expanded.get(key, 0), len(found))
        self.check_time()
        return found


_SPEND: contextvars.ContextVar[Spend | None] = contextvars.ContextVar("searchcore_spend",
                                                                       default=None)


def current() -> Spend | None:
    """The budget of the search in progress in this context, if any."""
    return _SPEND.get()


def excuse(seconds: float) -> None:
    """Move the deadline of the search in progress by ``seconds``: one-time set-up of
    the process that it happened to trigger (importing NLTK's stemmer for a word no
    index has seen: 0.3 s idle, over a second on a busy machine) is not the query's
    cost, and failed a new user's first fuzzy search with "took longer than 1 s"."""
    spend = _SPEND.get()
    if spend is not None:
        spend.deadline += seconds


@contextlib.contextmanager
def spending(budget: QueryBudget, lenient: bool, query: str = "") -> Iterator[Spend]:
    """Run a search under ``budget``: query objects and collectors charge it."""
    spend = Spend(budget, lenient, query)
    token = _SPEND.set(spend)
    try:
        yield spend
    finally:
        _SPEND.reset(token)


def check_text(text: str, budget: QueryBudget, lenient: bool) -> str:
    """``text`` within ``max_length`` (lenient: cut at the last space before the limit)."""
    if len(text) <= budget.max_length:
        return text
    if not lenient:
        raise QueryLimitError(f"the query is {len(text):,} characters long, more than the "
                              f"limit of {budget.max_length:,} (max_length)", "max_length",
                              budget.max_length, text[:200] + "...")
    cut = text[:budget.max_length]
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else cut


def check_results(limit: int, page: int, budget: QueryBudget) -> None:
    """``page * limit`` within ``max_results``: deep pages and huge limits are an export."""
    if limit * page > budget.max_results:
        raise QueryLimitError(
            f"limit {limit:,} at page {page:,} asks for hit {limit * page:,}, past the limit "
            f"of {budget.max_results:,} (max_results); use `searchcore export` (or "
            "searchcore.news.export) to get every match", "max_results", budget.max_results)


def clauses(q: wq.Query) -> int:
    """The leaves of ``q`` that cost a posting list: words, phrases, prefixes, ranges."""
    if isinstance(q, (CombinedTerm, wq.Phrase, wq.Ordered)):
        return 1
    children = list(q.children())
    if not children:
        return 0 if q is wq.NullQuery or isinstance(q, (wq.Every, wq.NullQuery.__class__)) else 1
    return sum(clauses(c) for c in children)


def check_clauses(q: wq.Query, budget: QueryBudget, query: str) -> None:
    """Raise when ``q`` has more than ``max_clauses`` clauses."""
    count = clauses(q)
    if count > budget.max_clauses:
        raise QueryLimitError(f"the query has {count:,} words and phrases, more than the "
                              f"limit of {budget.max_clauses:,} (max_clauses)", "max_clauses",
                              budget.max_clauses, query)


class DeadlineCollector(collectors.WrappingCollector):
    """Checks the search's deadline every :data:`CHECK_EVERY` matches while collecting.

    Wrap the innermost collector with it: a ``FilterCollector`` outside reads its
    ``matches()``, which is where the clock is looked at.
    """

    def __init__(self, child: collectors.Collector, spend: Spend) -> None:
        super().__init__(child)
        self.spend = spend

    def matches(self) -> Iterator[int]:
        check = self.spend.check_time
        for number, sub_docnum in enumerate(self.child.matches(), 1):
            if number % CHECK_EVERY == 0:
                check()
            yield sub_docnum

    def collect_matches(self) -> None:
        collect = self.child.collect
        for sub_docnum in self.matches():
            collect(sub_docnum)


def with_deadline(collector: collectors.Collector) -> collectors.Collector:
    """``collector`` checking the current search's deadline (unchanged outside a search)."""
    spend = current()
    return collector if spend is None else DeadlineCollector(collector, spend)


def enforced(search: F) -> F:
    """Decorate ``Index.search``: its ``limit``/``page``, text and run obey its ``budget``.

    Reads the call's ``budget`` (default :data:`DEFAULT_BUDGET`), ``lenient``,
    ``limit`` and ``page`` keywords; the parser and the collectors charge the rest
    through :func:`current`.
    """
    parameters = inspect.signature(search).parameters
    # Where each argument may come from: its position (after ``self``) or its keyword,
    # else its default. Read directly: ``Signature.bind`` cost 30 us a search.
    positional = [name for name, p in parameters.items()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
    defaults = {name: p.default for name, p in parameters.items() if p.default is not p.empty}
    query_at = positional.index("query") if "query" in positional else None

    def argument(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name in kwargs:
            return kwargs[name]
        at = positional.index(name) if name in positional else len(args)
        return args[at] if at < len(args) else defaults.get(name)

    @functools.wraps(search)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        chosen = argument("budget", args, kwargs) or DEFAULT_BUDGET
        lenient = bool(argument("lenient", args, kwargs))
        limit, page = argument("limit", args, kwargs), argument("page", args, kwargs)
        if isinstance(limit, int) and isinstance(page, int):
            check_results(limit, page, chosen)
        query = argument("query", args, kwargs)
        if isinstance(query, str):
            checked = check_text(query, chosen, lenient)
            if checked is not query:
                if "query" in kwargs or query_at is None or query_at >= len(args):
                    kwargs["query"] = checked
                else:
                    args = args[:query_at] + (checked,) + args[query_at + 1:]
        with spending(chosen, lenient, query if isinstance(query, str) else ""):
            return search(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def trim_clauses(text: str, q: wq.Query, lenient: bool) -> str | None:
    """Check the parsed ``q`` of ``text`` against the current budget's ``max_clauses``.

    Strict mode raises; lenient returns a shorter text to parse again (its first
    ``max_clauses`` words) or None when ``q`` fits (or no search is in progress).
    """
    spend = current()
    if spend is None:
        return None
    limit = spend.budget.max_clauses
    count = clauses(q)
    if count <= limit:
        return None
    if not lenient:
        check_clauses(q, spend.budget, text)
    words = text.split()
    keep = min(len(words) - 1, len(words) * limit // count)
    return " ".join(words[:max(keep, 0)])
