"""Query-string parameters -> library arguments, with the limits a public port needs.

The library validates what it is given (sort names, dates, query syntax); this module
adds what only a server needs: text from the wire turned into typed values, and upper
bounds on the work one request may ask for, since an HTTP client is not the machine's
owner. Every problem becomes :class:`BadRequest` (HTTP 400) naming the parameter and,
for a limit, the limit itself, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from starlette.datastructures import QueryParams

from searchcore.engine import SORTS
from searchcore.query.budget import DEFAULT_BUDGET

MATCHES = ("all", "any")
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Limits:
    """Upper bounds on one request. ``max_depth`` bounds ``page * limit`` (as
    Elasticsearch's ``max_result_window`` does): deep pages cost as much as collecting
    every hit before them; a program that walks everything uses ``after`` (a cursor).
    It is the engine's own ``max_results`` (one number, not two that drift apart).
    """

    max_query_chars: int = 1_000
    max_limit: int = 100
    max_depth: int = DEFAULT_BUDGET.max_results
    max_snippets: int = 10
    max_filter_values: int = 20
    max_facet_limit: int = 1_000
    max_body_bytes: int = 10_000_000


DEFAULT_LIMITS = Limits()


class BadRequest(Exception):
    """A request the server will not run: HTTP ``status`` with ``payload`` as JSON."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.payload: dict[str, Any] = {"error": message, **extra}


def _int(params: QueryParams, name: str, default: int, low: int, high: int,
         limit_name: str) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}", parameter=name) from None
    if value < low:
        raise BadRequest(f"{name} must be at least {low}, not {value}", parameter=name)
    if value > high:
        raise BadRequest(f"{name} must be at most {high} (limit {limit_name}={high})",
                         parameter=name, limit=limit_name, max=high)
    return value


def _bool(params: QueryParams, name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadRequest(f"{name} must be true or false, not {params.get(name)!r}", parameter=name)


def _choice(params: QueryParams, name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value!r}",
                         parameter=name)
    return value


def _values(params: QueryParams, name: str, limits: Limits) -> list[str]:
    """A repeatable parameter (``source=a&source=b``); empty values ignored."""
    values = [v for v in params.getlist(name) if v.strip()]
    if len(values) > limits.max_filter_values:
        raise BadRequest(f"at most {limits.max_filter_values} values of {name} "
                         f"(limit max_filter_values={limits.max_filter_values})",
                         parameter=name, limit="max_filter_values", max=limits.max_filter_values)
    return values


def query_text(params: QueryParams, limits: Limits, *, required: bool = True) -> str:
    q = params.get("q", "")
    if len(q) > limits.max_query_chars:
        raise BadRequest(f"q is {len(q)} characters; at most {limits.max_query_chars} "
                         f"(limit max_query_chars={limits.max_query_chars})",
                         parameter="q", limit="max_query_chars", max=limits.max_query_chars)
    if required and not q.strip():
        raise BadRequest("q is required: the query to search for (`*` matches every article)",
                         parameter="q")
    return q


def filters(params: QueryParams, limits: Limits) -> dict[str, Any]:
    """The filters search and timeline share: source, category, since, until, match."""
    for name in ("since", "until"):
        if len(params.get(name, "")) > 100:
            raise BadRequest(f"{name} is too long to be a date", parameter=name)
    return {"source": _values(params, "source", limits) or None,
            "category": _values(params, "category", limits) or None,
            "since": params.get("since") or None, "until": params.get("until") or None,
            "match": _choice(params, "match", MATCHES, "all"),
            "lenient": _bool(params, "lenient")}


def search_arguments(params: QueryParams, limits: Limits,
                     supported: Mapping[str, bool]) -> dict[str, Any]:
    """``Index.search`` keyword arguments for ``/api/search``.

    ``supported`` says which optional library features exist in this build (facets,
    collapse, cursors); asking for a missing one answers 400 "not supported yet".
    """
    q = query_text(params, limits)
    limit = _int(params, "limit", 10, 1, limits.max_limit, "max_limit")
    page = _int(params, "page", 1, 1, limits.max_depth, "max_depth")
    if page * limit > limits.max_depth:
        raise BadRequest(f"page {page} of {limit} hits reaches past hit {limits.max_depth} "
                         f"(limit max_depth={limits.max_depth}); walk further with `after`",
                         parameter="page", limit="max_depth", max=limits.max_depth)
    if "language" in params and not supported.get("language"):
        raise BadRequest("language is not supported yet by this searchcore", parameter="language")
    args: dict[str, Any] = {"query": q, "limit": limit, "page": page,
                            "sort": _choice(params, "sort", SORTS, "relevance"),
                            "snippets": _int(params, "snippets", 3, 0, limits.max_snippets,
                                             "max_snippets"),
                            **filters(params, limits)}
    if supported.get("language"):
        args["language"] = _values(params, "language", limits) or None
    facets = _values(params, "facet", limits)
    facets = [f for value in facets for f in value.split(",") if f.strip()]
    if facets:
        args["facets"] = [f.strip() for f in facets]
        if params.get("facet_limit"):
            args["facet_limit"] = _int(params, "facet_limit", 10, 1, limits.max_facet_limit,
                                       "max_facet_limit")
    if _bool(params, "collapse"):
        args["collapse"] = True
    if params.get("after"):
        args["after"] = params["after"]
    for option in ("facets", "collapse", "after"):
        if option in args and not supported.get(option):
            name = "facet" if option == "facets" else option
            raise BadRequest(f"{name} is not supported yet by this searchcore", parameter=name)
    return args


def timeline_arguments(params: QueryParams, limits: Limits, bys: tuple[str, ...]) -> dict[str, Any]:
    """``Index.timeline`` keyword arguments for ``/api/timeline``."""
    return {"query": query_text(params, limits), "by": _choice(params, "by", bys, "month"),
            **filters(params, limits)}
