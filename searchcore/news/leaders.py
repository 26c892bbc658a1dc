"""Which article leads each story and which articles follow it: the one clustering rule.

Linking copies pairwise and closing the links transitively (union-find) chains
unrelated articles: on the 1M synthetic expansion one-paragraph articles contained
in many longer ones put 767k articles into one "story". Stories are therefore made
the way news deduplication systems make them (leader clustering, as Media Cloud's
and Google News's story grouping does): every story has one **leader**, and an
article is in a story only if it is a copy of that story's leader (a verified
link, :func:`searchcore.news.minhash.same_story`). Members are never joined
through each other, so a story cannot grow by chaining.

**Canonical order and the greedy.** Articles are taken in one fixed order, the
**longest first** (most distinct shingles; ties by the 128-bit hash of the id,
:func:`order_key`). Each article joins the best leader among the *earlier*
articles it is linked to — most equal signature positions (the highest estimated
Jaccard), ties to the earlier leader — or, with none, leads a story of its own.
So the leader is the fullest version of the story (the wire original rather than
a trimmed or truncated copy), and every member is mostly made of its leader's
text: an article ``A`` contained in two different longer articles ``B`` and ``C``
joins one of them, and ``B`` and ``C`` stay apart. (The earliest published would
be the other natural leader; it is not used because a short early article
contained in several later ones would then gather all of them.)

The result is a function of the set of live articles and their links alone, so
a rebuild (:func:`greedy`, over every link at once) and adds and deletes in any
order and batches (:func:`settle`, which re-runs the greedy only where a change
can reach) give the same stories. Where the link set itself depends on history,
see :data:`searchcore.news.stories.MAX_BUCKET`.
"""

from __future__ import annotations

import heapq
from typing import Callable, Iterable, Sequence

import numpy as np

#: Links converted to Python lists at a time by :func:`greedy` (bounds its memory).
GREEDY_BLOCK = 65_536
#: Low bits of a packed link holding its equal signature positions (at most 64).
EQUAL_BITS = 7
EQUAL_MASK = (1 << EQUAL_BITS) - 1

OrderKey = tuple[int, int, int]


def order_key(count: int, id_hash: Sequence[int]) -> OrderKey:
    """The canonical order of an article: more shingles first, then by id hash."""
    return (-int(count), int(id_hash[0]), int(id_hash[1]))


def ranks(count: np.ndarray, idh: np.ndarray) -> np.ndarray:
    """Each row's position in the canonical order (:func:`order_key`), as int64."""
    order = np.lexsort((idh[:, 1], idh[:, 0], -np.asarray(count, dtype=np.int64)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def best_leader(candidates: Iterable[tuple[int, OrderKey | int, int]]) -> int:
    """Of ``(equal positions, order key, row)`` candidate leaders, the row to join:
    most equal positions, then the earliest in the canonical order; -1 if none."""
    best: tuple[int, OrderKey | int, int] | None = None
    for cand in candidates:
        if best is None or cand[0] > best[0] or (cand[0] == best[0] and cand[1] < best[1]):
            best = cand
    return -1 if best is None else best[2]


def pack(pairs: np.ndarray, n: int, equal: np.ndarray) -> np.ndarray:
    """Links ``(a, b)`` of ``n`` rows with their equal positions as one int64 each:
    ``(a * n + b) << EQUAL_BITS | equal`` (sorting them sorts by ``a``, then ``b``)."""
    return ((pairs[:, 0] * n + pairs[:, 1]) << EQUAL_BITS) | equal.astype(np.int64)


def greedy(n: int, packed: np.ndarray) -> np.ndarray:
    """The leader (in rank space) of each of ``n`` ranks, from every link at once.

    ``packed``: :func:`pack` of ``(later rank, earlier rank)`` links, sorted. Python
    lists are made a block at a time, each block ending where a row's links end.
    """
    leader = np.arange(n, dtype=np.int64)
    leads = bytearray(b"\x01") * n
    start = 0
    while start < len(packed):
        stop = min(len(packed), start + GREEDY_BLOCK)
        if stop < len(packed):
            last = (int(packed[stop - 1]) >> EQUAL_BITS) // n
            stop = int(np.searchsorted(packed, ((last + 1) * n) << EQUAL_BITS))
        block = packed[start:stop]
        pair = block >> EQUAL_BITS
        later, earlier = (pair // n).tolist(), (pair % n).tolist()
        same = (block & EQUAL_MASK).tolist()
        k, end = 0, len(later)
        while k < end:
            y = later[k]
            j = k
            while j < end and later[j] == y:
                j += 1
            chosen = best_leader((same[i], earlier[i], earlier[i]) for i in range(k, j)
                                 if leads[earlier[i]])
            if chosen >= 0:
                leader[y] = chosen
                leads[y] = 0
            k = j
        start = stop
    return leader


def settle(story: np.ndarray, seeds: Iterable[int], fresh: set[int],
           keys: Callable[[Sequence[int]], dict[int, OrderKey]],
           neighbours: Callable[[list[int]], dict[int, list[tuple[int, int]]]]) -> None:
    """Re-run the greedy from ``seeds`` onwards, in place on ``story`` (row -> leader row).

    ``seeds``: rows whose choice may have changed (new rows, followers of a deleted
    leader); ``fresh``: the new ones among them (they led nothing before).
    ``keys(rows)`` gives rows' order keys; ``neighbours(rows)`` each row's live
    linked rows with their equal positions, asked at once for every queued row it
    has not answered yet. Rows are settled in the canonical order; when a row
    starts or stops leading, the later rows linked to it are queued, since their
    choice may change. That is all a change can reach: a follower's choice
    affects nobody, and an earlier row never depends on a later one.
    """
    cache: dict[int, list[tuple[int, int]]] = {}
    start = sorted(set(int(r) for r in seeds))
    known = dict(keys(start)) if start else {}
    heap = [(known[r], r) for r in start]
    heapq.heapify(heap)
    queued = set(start)
    while heap:
        ky, y = heapq.heappop(heap)
        if story[y] < 0:
            continue
        if y not in cache:
            found = neighbours([y] + [r for _, r in heap if r not in cache])
            cache.update(found)
            missing = sorted({z for links in found.values() for z, _ in links} - known.keys())
            if missing:
                known.update(keys(missing))
        links = cache.get(y, [])
        chosen = best_leader((q, known[z], z) for z, q in links
                             if story[z] == z and known[z] < ky)
        was_leader = story[y] == y and y not in fresh
        story[y] = y if chosen < 0 else chosen
        if was_leader != (chosen < 0):
            for z, _ in links:
                if z not in queued and known[z] > ky:
                    queued.add(z)
                    heapq.heappush(heap, (known[z], z))
