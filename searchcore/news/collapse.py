"""Search-time side of stories: which story each document is in, and collapsing hits.

The story of an article lives in the generation's :class:`~searchcore.news.stories.StoryStore`
keyed by article id, because it can change after the article is written (a later
copy with a smaller id renames the story; a delete splits it). Every writer also
stores each document's store *row* in the ``storyrow`` column of
:mod:`searchcore.execution.columns`; a document's *story code* is the row of its
story's id, ``story[row]`` in the state for the searcher's generation, so a search
reads the stories of all its matches as one array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from searchcore.execution.order import ordered
from searchcore.news.stories import StoryStore, document_story_codes

_CODES_ATTR = "_searchcore_story_codes"


def story_codes(searcher: Any, store: StoryStore | None = None) -> np.ndarray:
    """Per global document number its story code; ``-1 - docnum`` where none is known.

    ``store`` is the state for ``searcher``'s generation (default: loaded for it);
    each document's row comes from the ``storyrow`` column (derived from the ids of a
    segment that lacks it), its code is ``store.story[row]``. Kept on the searcher.
    """
    cached = getattr(searcher, _CODES_ATTR, None)
    if cached is not None and (store is None or cached[0] is store):
        return cached[1]
    if store is None:
        store = _store_of(searcher)
    codes = document_story_codes(searcher, store)
    codes = np.where(codes >= 0, codes, -1 - np.arange(len(codes), dtype=np.int64))
    setattr(searcher, _CODES_ATTR, (store, codes))
    return codes


def _store_of(searcher: Any) -> StoryStore:
    """The story state for ``searcher``'s generation, from its segments' folder."""
    from pathlib import Path

    from searchcore.whoosh_boundary.segments import leaf_readers, segment_folder

    leaves = leaf_readers(searcher)
    folder = segment_folder(leaves[0][0]) if leaves else None
    if folder is None:
        return StoryStore(Path("."))
    return StoryStore.load(folder, toc=searcher.reader().generation())


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
    docs = np.fromiter((d for d, _ in ranked), dtype=np.int64, count=len(ranked))
    scores = [s for _, s in ranked]
    position = np.arange(len(docs), dtype=np.int64)
    return group(docs, position, position, codes, offset, limit,
                 score=lambda i: scores[i])


def group(docs: np.ndarray, primary: np.ndarray, ties: np.ndarray, codes: np.ndarray,
          offset: int, limit: int, score: Callable[[int], float | None]) -> Collapsed:
    """The stories of the matches ``docs`` (unordered; result order by ``(primary,
    ties)``, :func:`~searchcore.execution.order.ordered`): the first of each story
    in that order, the page of stories ``offset:offset + limit``, and the other
    matching members of each story on the page.

    Only as deep as the page needs: the first ``k`` matches are ordered (a partial
    sort), and ``k`` grows only while they hold fewer stories than the page ends
    at. The total counts distinct stories with one pass over a mask.
    ``score(i)``: the score of match ``i`` (position in ``docs``).
    """
    if not len(docs):
        return Collapsed(0, 0, [])
    story = codes[docs]
    # Unknown stories are -1 - docnum: shift everything to one non-negative range.
    low = int(story.min())
    seen = np.zeros(int(story.max()) - min(low, 0) + 1, dtype=bool)
    seen[story - min(low, 0)] = True
    total_stories = int(np.count_nonzero(seen))
    del seen
    want = min(offset + limit, total_stories)
    k = max(64, 4 * want)
    while True:
        pick = ordered(primary, ties, k if k < len(docs) else None)
        _, first = np.unique(story[pick], return_index=True)
        if len(first) >= want or len(pick) == len(docs):
            break
        k *= 4
    shown = pick[np.sort(first)[offset:offset + limit]]   # match positions, story order
    page_codes = story[shown]
    members = np.flatnonzero(np.isin(story, page_codes))
    members = members[ordered(primary[members], ties[members])]
    copies: dict[int, list[int]] = {int(c): [] for c in page_codes}
    for position in members.tolist():
        copies[int(story[position])].append(position)
    page = []
    for position in shown.tolist():
        others = [int(docs[m]) for m in copies[int(story[position])] if m != position]
        page.append((int(docs[position]), score(position), others))
    return Collapsed(total_stories, len(docs), page)
