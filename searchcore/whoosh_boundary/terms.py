"""The terms a query can touch in a reader: whoosh's ``existing_terms``, per leaf.

whoosh 2.7.4's ``Query.existing_terms(reader, expand=True)`` reuses its ``fieldname``
argument as the loop variable of each leaf's terms, so after the first leaf it skips
every leaf of another field: ``(title:oil | body:oil)`` answers only the title term.
:func:`existing_terms` asks each leaf on its own (a test shows stock whoosh still
has the bug).
"""

from __future__ import annotations

from typing import Any


def existing_terms(q: Any, reader: Any) -> set[tuple[str, bytes]]:
    """Every ``(field, term bytes)`` of ``q`` that ``reader`` has, prefixes, wildcards
    and fuzzy words expanded over its terms, phrase words included."""
    found: set[tuple[str, bytes]] = set()
    for leaf in q.leaves():
        found |= leaf.existing_terms(reader, phrases=True, expand=True)
    return found


def expanded_words(q: Any, reader: Any) -> list[bytes]:
    """The term bytes a multi-term query (prefix, wildcard, fuzzy: whoosh's
    ``MultiTerm``) expands to in ``reader``: its private ``_btexts``, the one step
    whoosh has for it."""
    return list(q._btexts(reader))


def wildcard_prefix(q: Any, text: str) -> str:
    """The literal prefix before a wildcard pattern's first ``*``/``?`` (whoosh's
    ``Wildcard._find_prefix``), the part snippets can look up as a prefix."""
    return q._find_prefix(text)
