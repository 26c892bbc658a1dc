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
