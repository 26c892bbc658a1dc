"""Stories across shards: a sharded index has the stories one index of its articles has.

Articles are routed to shards by id, so the copies of a wire story land in
different shards, and each shard's own story state (an ordinary generation's,
:mod:`searchcore.news.stories`) links only the copies it holds. The collection's
stories are therefore kept once more, for the whole set of shards, in the
generation folder beside them::

    gen-000004/
      shard-000/ ... shard-007/   each with its own stories-*.json and chunk files
      stories/
        stories-000003.json        the state: the shards' chunks it covers, in row
                                   order ([shard, chunk, rows]), and each shard's
                                   whoosh generation when it was made ("tocs")
        stories-000003-story.npy   per collection row: its story's leader row (-1: gone)

The chunk files (signatures, band keys, id hashes) are the shards' own, read in
place, never copied: a collection row is a row of some shard's chunk. Because the
stories are a function of the set of live articles and their links
(:mod:`searchcore.news.leaders`), running the same linking and leader greedy over
every shard's chunks gives the stories one index of the same articles has --
the same leaders, the same members -- whatever the shard count.

* **Build** (:func:`build`): after the shards are written and before the manifest
  switch, every link at once over all shards' chunks, as an unsharded rebuild does
  (:func:`~searchcore.news.stories_build.stories_of`). It runs as one Dask task.
* **Writes** (:func:`sync`, under the index's write lock, after the shards' commits):
  the shards' chunks not yet covered are attached as new rows and settled, rows the
  shards have deleted (deletes, replacements) are deleted and their followers settle
  -- an add's cost, not a rebuild's. ``sync`` only compares the shards' states with
  the collection's, so a writer that died between its shard commits and the sync
  leaves nothing wrong: the next write catches up. A sharded index built before this module has no ``stories/``; its
  first write builds it.
* **Reads** (:func:`story_codes`): a document's code is the collection row of its
  story's leader, so codes mean the same story in every shard and the search
  pipeline groups across shards. Until a write's sync has run, its new articles
  have no collection row yet and are shown as stories of their own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import orjson

from searchcore.errors import IndexFormatError
from searchcore.execution.sidefiles import write_atomic, write_npy
from searchcore.news import stories as _stories
from searchcore.news.stories import Chunk, StoryStore, chunk_base, latest_version

if TYPE_CHECKING:
    from searchcore.sharding.index import ShardIndex

#: The folder, in a sharded generation, of the collection's story states.
FOLDER = "stories"


class CollectionStories:
    """One state of the collection's stories: a :class:`StoryStore` whose chunks are
    the shards' (``refs``: ``(shard number, chunk number)`` of each, in row order)."""

    def __init__(self, generation: Path, names: Sequence[str]) -> None:
        self.generation = Path(generation)
        self.names = list(names)
        self.folder = self.generation / FOLDER
        self.version = 0
        self.tocs: list[int] = []
        self.refs: list[tuple[int, int]] = []
        self.store = StoryStore(self.folder)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @classmethod
    def load(cls, generation: Path, names: Sequence[str]) -> "CollectionStories":
        """The newest state (an empty one, ``exists`` False, if there is none); a
        writer may replace it while it is read, then the read starts over."""
        for _attempt in range(2):
            try:
                return cls._load(generation, names)
            except FileNotFoundError:
                continue
        return cls._load(generation, names)

    @classmethod
    def _load(cls, generation: Path, names: Sequence[str]) -> "CollectionStories":
        found = cls(generation, names)
        version = latest_version(found.folder)
        if not version:
            return found
        state_file = found.folder / f"stories-{version:06d}.json"
        try:
            state = orjson.loads(state_file.read_bytes())
            if state.get("store_version") != _stories.STORE_VERSION or \
                    state.get("params") != _stories._params() or \
                    len(state["tocs"]) != len(found.names):
                raise ValueError("another version")
            found.tocs = [int(t) for t in state["tocs"]]
            refs = [(int(k), int(c), int(size)) for k, c, size in state["chunks"]]
            story = np.load(found.folder / f"stories-{version:06d}-story.npy",
                            allow_pickle=False).astype(np.int64)
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            raise IndexFormatError(
                f"{str(state_file)!r} is damaged or from another version of searchcore; "
                f"rebuild the index with `searchcore index build SOURCE... --index "
                f"{found.generation.parent}`") from None
        if any(not 0 <= k < len(found.names) for k, _, _ in refs) or \
                sum(size for _, _, size in refs) != len(story):
            raise IndexFormatError(f"{str(state_file)!r} does not match its shards; rebuild "
                                   f"the index with `searchcore index build SOURCE...`")
        found.version = version
        found.refs = [(k, c) for k, c, _ in refs]
        found.store.parts = [Chunk(size, chunk_base(found.generation / found.names[k], c))
                             for k, c, size in refs]
        found.store.story = story
        return found

    def save(self) -> None:
        """Write the next state (its story array, then atomically its JSON); remove
        the states before the one it replaces (a reader may have listed that one)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        old, self.version = self.version, max(self.version, latest_version(self.folder)) + 1
        story = self.store.story
        write_npy(self.folder / f"stories-{self.version:06d}-story.npy", story)
        write_atomic(self.folder / f"stories-{self.version:06d}.json", orjson.dumps(
            {"store_version": _stories.STORE_VERSION, "params": _stories._params(),
             "tocs": self.tocs,
             "chunks": [[k, c, p.size] for (k, c), p in zip(self.refs, self.store.parts)],
             "rows": len(story), "live": int(np.sum(story >= 0))}))
        for name in os.listdir(self.folder):
            m = re.match(r"^stories-(\d{6})", name)
            if m and int(m.group(1)) < old:
                try:
                    os.unlink(self.folder / name)
                except FileNotFoundError:
                    pass

    # -- what the search and copies read --------------------------------------------------
    def collection_rows(self, shard: int, shard_store: StoryStore) -> np.ndarray:
        """Per row of shard ``shard``'s ``shard_store``, its collection row (-1 where
        this state does not cover that chunk yet)."""
        where = {ref: i for i, ref in enumerate(self.refs)}
        starts = self.store.starts
        out = np.full(shard_store.rows, -1, dtype=np.int64)
        for local, number, part in zip(shard_store.starts[:-1].tolist(), shard_store.chunks,
                                       shard_store.parts):
            i = where.get((shard, number))
            if i is not None and self.store.parts[i].size == part.size:
                out[local:local + part.size] = np.arange(starts[i], starts[i] + part.size)
        return out


def shard_states(generation: Path, names: Sequence[str]) -> list[StoryStore]:
    """Each shard's newest story state."""
    return [StoryStore.load(Path(generation) / name) for name in names]


def _shard_chunks(generation: Path, names: Sequence[str], states: Sequence[StoryStore]
                  ) -> Iterator[tuple[tuple[int, int], Chunk, np.ndarray]]:
    """Every chunk of every shard's state, in shard then chunk order:
    ``((shard, chunk number), the chunk read from the shard's files, which of its
    rows the shard holds live)``."""
    for k, state in enumerate(states):
        for local, number, part in zip(state.starts[:-1].tolist(), state.chunks, state.parts):
            yield ((k, number), Chunk(part.size, chunk_base(Path(generation) / names[k], number)),
                   state.story[local:local + part.size] >= 0)


def build(generation: Path, names: Sequence[str]) -> CollectionStories:
    """The collection's stories from every shard's chunks at once (a rebuild's), saved."""
    from searchcore.news.stories_build import stories_of

    states = shard_states(generation, names)
    found = CollectionStories(generation, names)
    found.version = latest_version(found.folder)
    live = []
    for ref, chunk, alive in _shard_chunks(generation, names, states):
        found.refs.append(ref)
        found.store.parts.append(chunk)
        live.append(alive)
    found.tocs = [state.toc for state in states]
    live_rows = np.concatenate(live) if live else np.zeros(0, dtype=bool)
    found.store.story, _links = stories_of(found.store, live_rows)
    found.save()
    return found


def sync(generation: Path, names: Sequence[str]) -> CollectionStories:
    """Bring the collection's stories up to the shards' states (call under the write
    lock, after the shards' commits): delete what the shards deleted, attach and
    settle the chunks they added. Builds them (:func:`build`) if there are none."""
    found = CollectionStories.load(generation, names)
    if not found.exists:
        return build(generation, names)
    states = shard_states(generation, names)
    have = {ref: i for i, ref in enumerate(found.refs)}
    starts = found.store.starts
    gone: list[np.ndarray] = []
    new_parts: list[Chunk] = []
    new_refs: list[tuple[int, int]] = []
    new_live: list[np.ndarray] = []
    for ref, chunk, alive in _shard_chunks(generation, names, states):
        i = have.get(ref)
        if i is None:
            new_parts.append(chunk)
            new_refs.append(ref)
            new_live.append(alive)
            continue
        if found.store.parts[i].size != chunk.size:
            raise IndexFormatError(
                f"the stories of {str(Path(generation) / names[ref[0]])!r} do not match the "
                f"collection's; rebuild the index with `searchcore index build SOURCE...`")
        covered = found.store.story[starts[i]:starts[i] + chunk.size] >= 0
        gone.append(starts[i] + np.flatnonzero(covered & ~alive))
    changed = bool(new_parts) or any(len(g) for g in gone)
    tocs = [state.toc for state in states]
    if not changed and tocs == found.tocs:
        return found
    if gone:
        found.store.delete_rows(np.concatenate(gone).astype(np.int64))
    found.refs.extend(new_refs)
    found.store.attach(new_parts, np.concatenate(new_live) if new_live
                       else np.zeros(0, dtype=bool))
    found.tocs = tocs
    found.save()
    return found


class StateCache:
    """The newest collection state of one generation, shared by everything in a
    process that reads it (a sharded index and its shards), so it is loaded once,
    not once per shard."""

    def __init__(self) -> None:
        self.state: CollectionStories | None = None

    def get(self, generation: Path, names: Sequence[str]) -> CollectionStories:
        """The newest state (reloaded when a newer one has been written)."""
        version = latest_version(Path(generation) / FOLDER)
        cached = self.state
        if cached is not None and cached.version == version and \
                cached.generation == Path(generation):
            return cached
        self.state = CollectionStories.load(generation, names)
        return self.state


_CODES_ATTR = "_searchcore_collection_story_codes"


def story_codes(shard: "ShardIndex", number: int, base: Any) -> np.ndarray:
    """Per document of shard ``number``'s searcher ``base``, its story code: the
    collection row of its story's leader, the same code in every shard;
    ``-1 - docnum`` where none is known yet or the article is alone in its story
    (then no other shard can hold a copy). An index without collection stories
    (built before them) gives each shard's own stories, numbered apart. Kept on
    ``base`` until the collection's or the shard's story state changes."""
    from searchcore.news.collapse import story_codes as shard_codes
    from searchcore.news.stories import ROW_COLUMN, document_rows
    from searchcore.execution.columns import columns_for

    generation = shard.path / shard._manifest["generation"]
    names = shard._manifest["shards"]["names"]
    coll = shard.collection_cache.get(generation, names)
    shard_store = shard._stories_for(base)
    cached = getattr(base, _CODES_ATTR, None)
    if cached is not None and cached[0] is coll and cached[1] is shard_store:
        return cached[2]
    if not coll.exists:
        own = shard_codes(base, shard_store)            # this shard's stories
        sizes = np.bincount(own[own >= 0])
        code = np.where(own >= 0, own * len(names) + number, -1)
    else:
        rows, _ = document_rows(base, shard_store, columns_for(base).extra(ROW_COLUMN))
        mapping = coll.collection_rows(number, shard_store)
        known = (rows >= 0) & (rows < len(mapping))
        crow = np.where(known, mapping[np.where(known, rows, 0)], -1)
        story = coll.store.story
        own = code = np.where(crow >= 0, story[np.where(crow >= 0, crow, 0)], -1)
        sizes = np.bincount(story[story >= 0])
    # An article alone in its story is a story of its own, never in another shard:
    # it gets a code of its own (negative), so a collapse over the shards sends only
    # the first of those a page can show (news.collapse.PartMatches).
    alone = (own < 0) | (sizes[np.maximum(own, 0)] <= 1) if len(sizes) \
        else np.ones(len(own), dtype=bool)
    codes = np.where(alone, -1 - np.arange(len(own), dtype=np.int64), code)
    setattr(base, _CODES_ATTR, (coll, shard_store, codes))
    return codes


def verify(generation: Path, names: Sequence[str]) -> list[str]:
    """Problems of the collection's stories against the shards' (``index check``):
    a state that does not load, chunks it does not cover, rows it holds live that a
    shard deleted or the other way round, a leader that is not live."""
    try:
        found = CollectionStories.load(generation, names)
        states = shard_states(generation, names)
    except (OSError, IndexFormatError) as exc:
        return [f"stories across shards: {exc}"]
    if not found.exists:
        return ["stories across shards: none (an index built before them); the next add "
                "or delete links them"]
    problems = []
    behind = 0
    for k, state in enumerate(states):
        rows = found.collection_rows(k, state)
        behind += int(np.count_nonzero(rows < 0))
        covered = rows >= 0
        live_here = state.story[covered] >= 0
        live_there = found.store.story[rows[covered]] >= 0
        if (live_here != live_there).any():
            problems.append(f"stories across shards: {int(np.sum(live_here != live_there)):,} "
                            f"articles of {names[k]} are live in one and deleted in the other")
    story = found.store.story
    live = story >= 0
    if live.any() and (story[story[live]] != story[live]).any():
        problems.append("stories across shards: some articles follow a leader that does "
                        "not lead")
    if behind:
        problems.append(f"stories across shards: {behind:,} articles are not linked yet (a "
                        "write stopped before it finished); the next add or delete links "
                        "them")
    return problems
