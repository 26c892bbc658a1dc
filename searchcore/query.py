"""Query language -> whoosh Query. (Minimal first version; see issue 2 for the full syntax.)"""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.query import Query

from searchcore.errors import QuerySyntaxError
from searchcore.schema import TEXT_FIELDS


def parse_query(text: str, schema: Schema, *, match: str = "all", lenient: bool = False,
                field_weights: Mapping[str, float] | None = None,
                now: datetime | None = None) -> Query:
    """Parse ``text`` in searchcore's query language into a whoosh query."""
    if match not in ("all", "any"):
        raise ValueError(f"match must be 'all' or 'any', not {match!r}")
    group = qparser.AndGroup if match == "all" else qparser.OrGroup
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=dict(field_weights or {}),
                                      group=group)
    try:
        return parser.parse(text)
    except Exception as exc:  # noqa: BLE001 - never let a whoosh traceback out
        if lenient:
            return qparser.MultifieldParser(list(TEXT_FIELDS), schema, group=qparser.OrGroup).parse(
                " ".join(w for w in text.split() if w.isalnum()))
        raise QuerySyntaxError(f"cannot parse query {text!r}: {exc}", text) from None
