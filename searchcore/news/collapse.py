"""Search-time side of stories: which story each document is in, and collapsing hits.

The story of an article lives in the generation's :class:`~searchcore.news.stories.StoryStore`
keyed by article id, because it can change after the article is written (a later
copy with a smaller id renames the story; a delete splits it). Every writer also
stores each document's store *row* in the ``storyrow`` column of
:mod:`searchcore.execution.columns`; a document's *story code* is the row of its
story's id, ``story[row]`` in the state for the searcher's generation, so a search
reads the stories of all its matches as one array.

Collapsing (:func:`collapse_part`, one part of a search's pipeline) is page-deep:
only the first ``k`` matches are put in order (a partial sort), ``k`` growing only
while they hold fewer stories than the page ends at, and only the page's stories'
other copies are looked for. The story total is one distinct count over the match
set's codes (a mask over the code range: no sort, no Python loop). With pruning
(``exact_total=False``, relevance order) the matches are MaxScore's candidates for
the first ``k`` (:mod:`searchcore.execution.topk`), and the copies of a shown story
are its members (from the story index, :func:`_members`) scored on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Sequence

import numpy as np

from searchcore.distinct import first_occurrences
from searchcore.execution.order import id_keys, ordered, primary_key, result_keys
from searchcore.execution.search import matches, matches_by, scored_among
from searchcore.news.stories import StoryStore, document_story_codes

_CODES_ATTR = "_searchcore_story_codes"
_MEMBERS_ATTR = "_searchcore_story_members"


def story_codes(searcher: Any, store: StoryStore | None = None) -> np.ndarray:
    """Per global document number its story code; ``-1 - docnum`` where none is known
    (the document alone).

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
class PartStories:
    """One part's first stories in result order (plain data: it may cross processes)."""

    #: Each story's first match ``(docnum, score or None)``, in result order.
    shown: list[tuple[int, float | None]]
    #: Per shown match, the story's other matching documents in result order.
    copies: list[list[int]]
    #: Stories and articles that match (lower bounds when ``exact`` is False).
    stories: int
    articles: int
    exact: bool = True
    #: ``after=``: the stories shown before the cursor.
    before: int = 0


def collapse_part(searcher: Any, base: Any, codes: np.ndarray, q: Any,
                  allowed: Collection[int] | None, sort: str, want: int, *,
                  exact_total: bool = True, arrays: bool = True,
                  after: str | None = None) -> PartStories:
    """The first ``want`` stories of ``q``'s matches on one part, with their copies.

    ``codes``: :func:`story_codes` of ``base`` (the part's searcher that keeps
    caches; ``searcher`` scores). ``after``: a cursor; the stories whose first match
    comes after it (a story is shown where its first match is, so every story with
    a match at or before the cursor was on an earlier page).
    """
    everything = None
    if after is None and not exact_total and sort == "relevance":
        found, everything = _pruned(searcher, base, codes, q, allowed, want, arrays)
        if found is not None:
            return found
    docs, scores, total, _ = everything or matches(searcher, q, allowed, sort, None, True,
                                                   arrays)
    # The id keys stay the whole array (``at=docs``): only the keys of the matches
    # that are ordered are gathered, not every match's (16 bytes a match, 2-3 ms of a
    # common word's 5 ms at 1M articles).
    grouped = group(codes[docs], primary_key(searcher, sort, docs, scores), id_keys(searcher),
                    sort, want, after, at=docs)
    return PartStories(_with_scores(docs, scores, grouped.shown),
                       [docs[m].tolist() for m in grouped.copies], grouped.stories, total,
                       before=grouped.before)


@dataclass(frozen=True)
class PartMatches:
    """What one part of a search whose stories span parts sends for the grouping after
    the merge (:func:`group_parts`): the matches that can be on the page, with their
    order keys and story codes, and counts of the rest.

    A match whose story has articles elsewhere (a code >= 0) is always sent: its
    story's leader and copies may be in any part. A match alone in its story (a
    negative code) is its own story, so only the part's first ``want`` of those after
    the cursor can be on the page; the others are counted, not sent. News is mostly
    such articles, so a broad query sends a fraction of its matches, where it sent
    every one (five arrays of them, from every shard, per query).
    """

    part: int
    docs: np.ndarray
    scores: np.ndarray | None
    primary: np.ndarray
    ties: np.ndarray
    codes: np.ndarray
    #: Every match of the part (the articles' total).
    matched: int = 0
    #: Matches alone in their story that were not sent, before and after the cursor.
    alone_before: int = 0
    alone_after: int = 0


def part_matches(searcher: Any, codes: np.ndarray, q: Any, allowed: Collection[int] | None,
                 sort: str, part: int, arrays: bool = True, want: int | None = None,
                 after: str | None = None) -> PartMatches:
    """:class:`PartMatches` of ``q`` on one part (every match counted: exact totals)
    for a page ending with story ``want`` (None: every match is sent) after ``after``."""
    docs, scores, _, _ = matches(searcher, q, allowed, sort, None, True, arrays)
    primary, ties = result_keys(searcher, sort, docs, scores)
    story = codes[docs]
    if want is None:
        return PartMatches(part, docs, scores, primary, ties, story, len(docs))
    alone = np.flatnonzero(story < 0)
    before = 0
    if after is not None and len(alone):
        from searchcore.news.export import cursor_after

        later = cursor_after(primary[alone], ties[alone], sort, after)
        before = int(len(alone) - np.count_nonzero(later))
        alone = alone[later]
    first = alone[ordered(primary[alone], ties[alone], want if want < len(alone) else None)]
    keep = np.sort(np.concatenate([np.flatnonzero(story >= 0), first]))
    return PartMatches(part, docs[keep], None if scores is None else scores[keep],
                       primary[keep], ties[keep], story[keep], len(docs),
                       alone_before=before, alone_after=len(alone) - len(first))


def group_parts(parts: Sequence[PartMatches], sort: str, want: int, after: str | None
                ) -> tuple[list[tuple[int, int, float | None, list[tuple[int, int]]]], int, int]:
    """``([(part, docnum, score, [(part, docnum) of its copies])] of the first ``want``
    stories, stories, stories before the cursor)`` over every part's matches (a code
    >= 0 is one story in every part; a negative one, the document alone, the part's).
    Matches a part counted and did not send are stories of their own (past the page)."""
    unsent = sum(p.alone_before + p.alone_after for p in parts)
    unsent_before = sum(p.alone_before for p in parts)
    parts = [p for p in parts if len(p.docs)]
    if not parts:
        return [], unsent, unsent_before
    owner = np.concatenate([np.full(len(p.docs), p.part, dtype=np.int64) for p in parts])
    docs = np.concatenate([p.docs for p in parts])
    primary = np.concatenate([p.primary for p in parts])
    ties = np.concatenate([p.ties for p in parts])
    codes = np.concatenate([p.codes for p in parts])
    scores = (None if any(p.scores is None for p in parts)
              else np.concatenate([p.scores for p in parts]))
    grouped = group(codes, primary, ties, sort, want, after)
    shown = [(int(owner[i]), int(docs[i]), None if scores is None else float(scores[i]),
              [(int(owner[m]), int(docs[m])) for m in others])
             for i, others in zip(grouped.shown.tolist(), grouped.copies)]
    return shown, grouped.stories + unsent, grouped.before + unsent_before


@dataclass(frozen=True)
class Grouped:
    """Matches grouped by story: positions of the shown ones, in order, and of each
    one's copies, in order."""

    shown: np.ndarray
    copies: list[list[int]]
    #: Stories with a match (with ``after``: those before the cursor included).
    stories: int
    before: int = 0


def group(codes: np.ndarray, primary: np.ndarray, ties: np.ndarray, sort: str, want: int,
          after: str | None = None, at: np.ndarray | None = None) -> Grouped:
    """The first ``want`` stories of the matches with story ``codes`` and order keys
    ``primary``, ``ties`` (in any order): each one's first match and the others.

    The total is one distinct count (a mask over the code range); only as many
    matches are ordered as the page needs (:func:`_first_of_stories`); only the
    page's stories' members are gathered. ``after``: a cursor (:func:`collapse_part`).
    ``at``: match ``i``'s tie key is ``ties[at[i]]`` (as in
    :func:`~searchcore.execution.order.ordered`), so only the ordered ones are gathered.
    """
    if not len(codes):
        return Grouped(np.zeros(0, dtype=np.int64), [], 0)
    story = _dense(codes)
    eligible, before = None, 0
    if after is not None:
        from searchcore.news.export import cursor_after

        earlier = ~cursor_after(primary, ties if at is None else ties[at], sort, after)
        shown_before = _mask(story[earlier], story)
        before = int(np.count_nonzero(shown_before))
        eligible = ~shown_before[story]
    if eligible is None:                      # every match (no copies of the arrays)
        count = int(np.count_nonzero(_mask(story, story)))
        shown = _first_of_stories(story, primary, ties, min(want, count), at)
    else:
        pool = np.flatnonzero(eligible)
        count = int(np.count_nonzero(_mask(story[pool], story)))
        shown = pool[_first_of_stories(story[pool], primary[pool], ties, min(want, count),
                                       pool if at is None else at[pool])]
    on_page = _mask(story[shown], story)
    members = np.flatnonzero(on_page[story])
    members = members[ordered(primary[members], ties, at=members if at is None else at[members])]
    copies = _copies(story[shown], shown, story[members], members)
    return Grouped(shown, copies, before + count, before)


def _dense(codes: np.ndarray) -> np.ndarray:
    """``codes`` with each negative one (a document alone) made a code of its own past
    the largest: every code non-negative, for :func:`_mask`."""
    alone = codes < 0
    if not alone.any():
        return codes
    top = int(codes[~alone].max()) + 1 if not alone.all() else 0
    return np.where(alone, top + np.arange(len(codes), dtype=np.int64), codes)


def _pruned(searcher: Any, base: Any, codes: np.ndarray, q: Any,
            allowed: Collection[int] | None, want: int, arrays: bool
            ) -> tuple[PartStories | None, Any]:
    """``(stories, None)``: :func:`collapse_part` over MaxScore's candidates; or
    ``(None, matches)`` when nothing was pruned (``matches``: every match, as
    :func:`~searchcore.execution.search.matches` gives them), or ``(None, None)`` when
    the copies cannot be scored on their own: every match must then be seen."""
    k = max(2 * want, 16)
    executor = None
    while True:
        # A retry reuses the executor: the postings read for the smaller k are kept.
        docs, scores, total, exact, executor = matches_by(searcher, q, allowed, "relevance", k,
                                                          False, arrays, executor)
        if exact:
            return None, (docs, scores, total, exact)
        primary, ties = result_keys(searcher, "relevance", docs, scores)
        top = ordered(primary, ties, k)               # exactly the first k matches
        first = _first_of_stories(_dense(codes[docs[top]]), primary[top], ties[top], want)
        if len(first) >= want or len(top) < k:
            break
        k *= 4
    shown = top[first]
    story = codes[docs]
    page_codes = story[shown]
    member_docs = _members(base, codes, page_codes)
    # The copies are scored by the executor that found the candidates: from the
    # postings it read, and the blocks of the others that can hold them.
    scored = scored_among(searcher, q, allowed, member_docs, executor)
    if scored is None:
        return None, None
    mdocs, mscores = scored
    order = ordered(*result_keys(searcher, "relevance", mdocs, mscores))
    copies = _copies(page_codes, docs[shown], codes[mdocs[order]], mdocs[order])
    dense = _dense(story)
    count = int(np.count_nonzero(_mask(dense, dense)))
    return PartStories(_with_scores(docs, scores, shown), copies, count, total,
                       exact=False), None


def _mask(marked: np.ndarray, story: np.ndarray) -> np.ndarray:
    """A bool per story code up to ``story``'s largest, True for the codes in ``marked``."""
    seen = np.zeros(int(story.max()) + 1 if len(story) else 0, dtype=bool)
    seen[marked] = True
    return seen


def _first_of_stories(story: np.ndarray, primary: np.ndarray, ties: np.ndarray,
                      want: int, at: np.ndarray | None = None) -> np.ndarray:
    """Positions of the first match of each of the first ``want`` stories, in result
    order: only as many matches are ordered as needed (``k`` x4 while short).
    ``at``: as :func:`~searchcore.execution.order.ordered` takes it."""
    if want <= 0 or not len(story):
        return np.zeros(0, dtype=np.int64)
    k = max(64, 4 * want)
    while True:
        pick = ordered(primary, ties, k if k < len(story) else None, at=at)
        first = first_occurrences(story[pick])
        if len(first) >= want or len(pick) == len(story):
            return pick[np.sort(first)[:want]]
        k *= 4


def _copies(page_codes: np.ndarray, shown_docs: np.ndarray, member_codes: np.ndarray,
            member_docs: np.ndarray) -> list[list[int]]:
    """Per shown document, the other members (given in result order) of its story."""
    by_code: dict[int, list[int]] = {int(c): [] for c in page_codes.tolist()}
    for code, doc in zip(member_codes.tolist(), member_docs.tolist()):
        by_code[code].append(doc)
    return [[d for d in by_code[c] if d != shown]
            for c, shown in zip(page_codes.tolist(), shown_docs.tolist())]


def _with_scores(docs: np.ndarray, scores: np.ndarray | None,
                 at: np.ndarray) -> list[tuple[int, float | None]]:
    picked = docs[at].tolist()
    if scores is None:
        return [(d, None) for d in picked]
    return list(zip(picked, scores[at].tolist()))


def _members(base: Any, codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Sorted document numbers of every document (live or not) whose code is in
    ``wanted``: the story index (``codes`` sorted once per searcher)."""
    cached = getattr(base, _MEMBERS_ATTR, None)
    if cached is None or cached[0] is not codes:
        order = np.argsort(codes, kind="stable")
        cached = (codes, order, codes[order])
        setattr(base, _MEMBERS_ATTR, cached)
    _, order, sorted_codes = cached
    starts = np.searchsorted(sorted_codes, wanted, "left")
    ends = np.searchsorted(sorted_codes, wanted, "right")
    found = [order[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
