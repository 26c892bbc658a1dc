"""Search-time side of stories: which story each document is in, and collapsing hits.

The story of an article lives in the generation's :class:`~searchcore.news.stories.StoryStore`
keyed by article id, because it can change after the article is written (a later
copy with a smaller id renames the story; a delete splits it). whoosh's segments are
immutable, so the per-document column here maps a segment's document numbers to
*story codes* (the store row of the story's id), rebuilt when the segment or the
store changes: one pass over the segment's ``id`` terms, whose single posting gives
the document number (:meth:`TermInfo.min_id`), cached on the segment reader like
:mod:`searchcore.execution.segment_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from searchcore.news.stories import StoryStore


def story_codes(searcher: Any, store: StoryStore) -> np.ndarray:
    """Per global document number, its story code (``>= 0``), or ``-1 - docnum`` if unknown.

    An article the store does not know (written before stories existed, or by a
    writer that crashed between whoosh's commit and the store's) is its own story.
    """
    parts = []
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        cache = getattr(reader, "_searchcore_stories", None)
        if cache is None or cache[0] is not store:
            codes = _segment_codes(reader, store)
            reader._searchcore_stories = (store, codes)
        else:
            codes = cache[1]
        parts.append(np.where(codes >= 0, codes, codes - offset))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts)


def _segment_codes(reader: Any, store: StoryStore) -> np.ndarray:
    count = reader.doc_count_all()
    codes = -1 - np.arange(count, dtype=np.int64)
    row_of, story = store.row_of, store.story
    for text, info in reader.iter_field("id"):
        row = row_of.get(text.decode("utf-8"))
        if row is None:
            continue
        docnum = info.min_id()
        if info.max_id() != docnum:       # a replaced copy still in this segment
            for d in reader.postings("id", text).all_ids():
                codes[d] = story[row]
        else:
            codes[docnum] = story[row]
    return codes


@dataclass(frozen=True)
class Collapsed:
    """A ranked list grouped by story: the shown document of each story, its copies."""

    total_stories: int
    total_articles: int
    #: ``(docnum, score, [copy docnums in rank order])`` for the requested page.
    page: list[tuple[int, float | None, list[int]]]


def collapse(ranked: Sequence[tuple[int, float | None]], codes: np.ndarray, offset: int,
             limit: int) -> Collapsed:
    """Group ``ranked`` (best first) by story; keep the first of each; page the stories."""
    if not ranked:
        return Collapsed(0, 0, [])
    docs = np.fromiter((d for d, _ in ranked), dtype=np.int64, count=len(ranked))
    story = codes[docs]
    uniques, first = np.unique(story, return_index=True)
    order = np.sort(first)                       # rank positions of each story's best copy
    shown = order[offset:offset + limit]
    page_codes = story[shown]
    in_page = np.flatnonzero(np.isin(story, page_codes))
    copies: dict[int, list[int]] = {int(c): [] for c in page_codes}
    for position in in_page:
        copies[int(story[position])].append(int(docs[position]))
    page = []
    for position in shown:
        doc = int(docs[position])
        others = [d for d in copies[int(story[position])] if d != doc]
        page.append((doc, ranked[int(position)][1], others))
    return Collapsed(len(uniques), len(ranked), page)
