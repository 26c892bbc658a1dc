"""Highlighted snippets. (Minimal first version; see issue 2 for the full behaviour.)"""

from __future__ import annotations

from typing import Mapping

from whoosh.query import Query

from searchcore.analysis import NewsAnalyzer
from searchcore.results import Snippet
from searchcore.schema import TEXT_FIELDS


def query_terms(query: Query) -> set[tuple[str, str]]:
    """The ``(field, term)`` pairs a query can match, for marking."""
    terms = set()
    for fieldname, text in query.iter_all_terms(phrases=True):
        if fieldname in TEXT_FIELDS:
            terms.add((fieldname, text.decode("utf-8") if isinstance(text, bytes) else text))
    return terms


def make_snippets(query: Query, fields: Mapping[str, str], analyzer: NewsAnalyzer,
                  max_fragments: int = 3, fragment_chars: int = 200) -> list[Snippet]:
    """Up to ``max_fragments`` highlighted fragments from the stored title/body."""
    wanted = {t for _, t in query_terms(query)}
    out: list[Snippet] = []
    for name in ("body", "title"):
        text = fields.get(name) or ""
        spans = [(t.startchar, t.endchar) for t in analyzer(text, chars=True)
                 if t.text in wanted]
        if spans:
            start = max(0, spans[0][0] - 40)
            end = min(len(text), start + fragment_chars)
            frag = text[start:end]
            out.append(Snippet(name, frag, tuple((s - start, e - start) for s, e in spans
                                                  if s >= start and e <= end)))
            break
    if not out and fields.get("body"):
        out.append(Snippet("body", fields["body"][:fragment_chars]))
    return out[:max_fragments]
