"""Label same-story pairs, and choose the MinHash shingle size and threshold on them.

Labelled pairs (all from ../shared/data, generated deterministically from a seed):

positives (copies of one story)
  ``real-copy``     Reuters-21578 and BBC News articles sharing their first 60 words
                    (500 and 155 articles: the corpora's own duplicates)
  ``new-headline``  the same body under another article's title
  ``drop-par``      one paragraph (not the first) removed
  ``add-par``       a paragraph of another article added
  ``boilerplate``   a site's furniture added above and below ("Share this article",
                    copyright lines, newsletter prompts), different per copy
  ``truncated``     the body cut after 50-80% of its paragraphs
  ``edited``        all of it at once: new headline, last paragraph trimmed, furniture
negatives (different stories)
  ``quoted-par``    a different article with one paragraph of the original inside it
  ``same-event``    Reuters articles of the same day and topic whose titles share two
                    or more content words (about the same event) but that share no
                    sentence: written separately
  ``template``      short Reuters notices written to one formula ("Qtly div 15 cts vs
                    15 cts prior / Pay April 30 / Record April 14") about different
                    companies: the same first three words, titles starting differently

For each shingle size and permutation count, every pair's estimated Jaccard and
containment are computed; the tables give precision and recall of "same story" at
each threshold, per kind of pair, and the LSH candidate recall of the band layout.

With ``--speed CORPUS.jsonl`` it measures cost instead, on a built index of CORPUS
(built under ``--index-dir``, kept for reruns): signature cost per article (MinHash of
the body alone, and the whole story assignment of the build), search p50 with and
without ``collapse=True`` over the same queries, and ``similar`` p50.

Example::

    python benchmarks/stories.py                 # the grid, tables, JSON in benchmarks/out/
    python benchmarks/stories.py --quick         # fewer originals
    python benchmarks/stories.py --speed /work/bench-data/x100k.jsonl --index-dir /work/bench-data/stories-x100k
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE.parent))

from searchcore.news import minhash  # noqa: E402

POSITIVE = ("real-copy", "new-headline", "drop-par", "add-par", "boilerplate", "truncated",
            "edited")
NEGATIVE = ("quoted-par", "same-event", "template")
FURNITURE = [
    ("Share this article\nFacebook Twitter Email",
     "Copyright 2024 Daily Courier Media Group. All rights reserved. This material may not "
     "be published, broadcast, rewritten or redistributed."),
    ("Advertisement\nSkip to main content | Sign in | Subscribe",
     "Sign up for our morning newsletter and get the day's top stories delivered to your "
     "inbox. Follow us on Twitter and Facebook. Comments are closed."),
    ("By Staff Reporter | Updated 2 hours ago | 4 min read",
     "Related stories: Markets close higher; Weather warning for the weekend. Leave a "
     "Comment. (c) The Evening Standard Ltd."),
]
_PARS = re.compile(r"\n\s*\n|\n(?=[ \t])")
_SENT = re.compile(r"(?<=[.!?])\s+")
_STOP = frozenset("the a an of to in on for and or at by with from as is are was were be "
                  "it its that this u s vs says said say new".split())


def read(name: str) -> list[dict[str, Any]]:
    path = SHARED_DATA / name / "docs.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in _PARS.split(body) if p.strip()]


def first_words(body: str, n: int = 60) -> str:
    return " ".join(minhash.normalise(body)[:n])


def real_copies(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of bodies of distinct articles that share their first 60 words."""
    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        if len(minhash.normalise(d.get("body", ""))) >= 60:
            groups[first_words(d["body"])].append(d["body"])
    return [(a, b) for bodies in groups.values() for a, b in combinations(bodies, 2)]


def variants(original: dict[str, Any], other: dict[str, Any],
             rng: random.Random) -> list[tuple[str, str, str]]:
    """``(kind, body_a, body_b)`` pairs made from ``original`` (and ``other``'s text)."""
    pars = paragraphs(original["body"])
    opars = paragraphs(other["body"])
    body = "\n\n".join(pars)
    out = [("new-headline", body, body)]
    if len(pars) >= 3:
        k = rng.randrange(1, len(pars))
        out.append(("drop-par", body, "\n\n".join(pars[:k] + pars[k + 1:])))
        cut = max(1, round(len(pars) * rng.uniform(0.5, 0.8)))
        out.append(("truncated", body, "\n\n".join(pars[:cut])))
    extra = rng.choice(opars)
    k = rng.randrange(1, len(pars) + 1)
    out.append(("add-par", body, "\n\n".join(pars[:k] + [extra] + pars[k:])))
    (top_a, bottom_a), (top_b, bottom_b) = rng.sample(FURNITURE, 2)
    out.append(("boilerplate", "\n\n".join([top_a, body, bottom_a]),
                "\n\n".join([top_b, body, bottom_b])))
    trimmed = pars[:-1] if len(pars) >= 3 else pars
    out.append(("edited", body, "\n\n".join([top_b] + trimmed + [bottom_b])))
    if len(opars) >= 3 and len(pars) >= 2:
        quote = rng.choice(pars)
        k = rng.randrange(1, len(opars))
        out.append(("quoted-par", body, "\n\n".join(opars[:k] + [quote] + opars[k:])))
    return out


def _sentences(body: str) -> set[str]:
    return {" ".join(minhash.normalise(s)) for s in _SENT.split(body)
            if len(minhash.normalise(s)) >= 6}


def same_event(docs: list[dict[str, Any]], rng: random.Random,
               limit: int) -> list[tuple[str, str]]:
    """Reuters pairs: same day, shared topic, two title words in common, no shared sentence."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        body = d.get("body", "")
        if len(minhash.normalise(body)) < 80 or not d.get("published"):
            continue
        for topic in d.get("category") or ():
            by_key[(d["published"][:10], topic)].append(d)
    seen = set()
    pairs = []
    for group in by_key.values():
        for a, b in combinations(group, 2):
            key = (a["id"], b["id"])
            if key in seen:
                continue
            seen.add(key)
            ta = {w for w in minhash.normalise(a["title"]) if w not in _STOP and not w.isdigit()}
            tb = {w for w in minhash.normalise(b["title"]) if w not in _STOP and not w.isdigit()}
            if len(ta & tb) < 2 or first_words(a["body"]) == first_words(b["body"]):
                continue
            if _sentences(a["body"]) & _sentences(b["body"]):
                continue
            pairs.append((a["body"], b["body"]))
    rng.shuffle(pairs)
    return pairs[:limit]


def templates(docs: list[dict[str, Any]], rng: random.Random,
              limit: int) -> list[tuple[str, str]]:
    """Pairs of short formula notices about different companies (see the docstring)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        words = minhash.normalise(d.get("body", ""))
        if 8 <= len(words) < 150:
            groups[" ".join(words[:3])].append(d)
    pairs = []
    for group in groups.values():
        for a, b in combinations(group[:30], 2):
            if (minhash.normalise(a["title"])[:1] != minhash.normalise(b["title"])[:1]
                    and first_words(a["body"]) != first_words(b["body"])):
                pairs.append((a["body"], b["body"]))
    rng.shuffle(pairs)
    return pairs[:limit]


def labelled_pairs(originals: int, seed: int = 20240414) -> list[tuple[str, bool, str, str]]:
    """``(kind, same_story, body_a, body_b)`` for every labelled pair."""
    rng = random.Random(seed)
    reuters, bbc = read("reuters21578"), read("bbc-news")
    pairs: list[tuple[str, bool, str, str]] = []
    for a, b in real_copies(reuters) + real_copies(bbc):
        pairs.append(("real-copy", True, a, b))
    pool = [d for d in reuters + bbc if len(minhash.normalise(d.get("body", ""))) >= 120
            and len(paragraphs(d["body"])) >= 2]
    for original in rng.sample(pool, originals):
        other = rng.choice(pool)
        while other is original:
            other = rng.choice(pool)
        for kind, x, y in variants(original, other, rng):
            pairs.append((kind, kind in POSITIVE, x, y))
    for a, b in same_event(reuters, rng, limit=originals):
        pairs.append(("same-event", False, a, b))
    for a, b in templates(reuters, rng, limit=originals):
        pairs.append(("template", False, a, b))
    return pairs


def measure(pairs: list[tuple[str, bool, str, str]], shingle: int,
            permutations: int) -> dict[str, np.ndarray]:
    a_sig, a_cnt = minhash.signatures([p[2] for p in pairs], shingle, permutations)
    b_sig, b_cnt = minhash.signatures([p[3] for p in pairs], shingle, permutations)
    jac = np.asarray(minhash.jaccard(a_sig, b_sig))
    con = np.asarray(minhash.containment(jac, a_cnt, b_cnt))
    small = np.minimum(a_cnt, b_cnt)
    return {"jaccard": jac, "containment": con, "small": small, "a_sig": a_sig,
            "b_sig": b_sig}


def share_by_kind(kinds: np.ndarray, judged: np.ndarray) -> dict[str, float]:
    """Share of each kind's pairs judged "same story" (NaN for a kind with no pairs)."""
    return {kind: float(np.mean(judged[kinds == kind])) if (kinds == kind).any()
            else float("nan") for kind in POSITIVE + NEGATIVE}


def label_of(kind: str) -> str:
    return "same" if kind in POSITIVE else "different"


def prf(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(predicted & truth))
    precision = tp / max(1.0, float(np.sum(predicted)))
    recall = tp / max(1.0, float(np.sum(truth)))
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return precision, recall, f1


def candidate_recall(m: dict[str, np.ndarray], truth: np.ndarray, bands: int,
                     rows: int) -> float:
    """Share of true pairs that share at least one LSH band (are ever compared)."""
    n = len(truth)
    a = m["a_sig"][:, :bands * rows].reshape(n, bands, rows)
    b = m["b_sig"][:, :bands * rows].reshape(n, bands, rows)
    hit = np.all(a == b, axis=2).any(axis=1)
    return float(np.sum(hit & truth) / max(1, np.sum(truth)))


def clustered(pairs: list[tuple[str, bool, str, str]],
               background: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Whether each pair's two texts end in one story when every labelled text and
    the ``background`` articles are clustered together (one ``StoryStore.add``, the
    leader rule of ``searchcore.news.leaders``): recall and precision through the
    stories, not only of the pairwise test. Identical texts are one article."""
    from searchcore.news.stories import StoryStore

    ids: dict[str, str] = {}
    for text in background + [t for p in pairs for t in p[2:]]:
        ids.setdefault(text, f"t{len(ids)}")
    store = StoryStore(Path("unused"))
    store.add([(i, text) for text, i in ids.items()])
    story = store.story_ids()
    predicted = np.array([story[ids[a]] == story[ids[b]] for _, _, a, b in pairs])
    sizes = np.bincount(np.unique(list(story.values()), return_inverse=True)[1])
    return predicted, {"articles": len(ids), "stories": int(len(sizes)),
                       "multi": int(np.sum(sizes > 1)), "largest": int(sizes.max())}


def plant(corpus: Path, index: Path, originals: int, seed: int = 11) -> dict[str, Any]:
    """Add copies of ``originals`` articles of ``corpus`` to ``index`` (``index add``'s
    path): per original, its positive variants (new headline, a paragraph dropped or
    added, other furniture, truncated, all edits at once), ids ``plant-N-kind``.
    Skipped if the index already has them. Returns the add's figures."""
    import searchcore
    from searchcore.index.build import add_sources

    with searchcore.open_index(index) as ix:
        if ix.get("plant-0-new-headline") is not None:
            return {"planted": "already"}
    rng = random.Random(seed)
    docs = [orjson.loads(line) for _, line in zip(range(200_000), corpus.open("rb"))]
    pool = [d for d in docs if len(paragraphs(d.get("body", ""))) >= 3]
    out = index.parent / f"{index.name}-planted.jsonl"
    made = 0
    with open(out, "wb") as fh:
        for n, original in enumerate(rng.sample(pool, originals)):
            for kind, _, body in variants(original, rng.choice(pool), rng):
                if kind in POSITIVE:
                    title = ("Another headline: " + original["title"] if kind == "new-headline"
                             else original["title"])
                    fh.write(orjson.dumps(dict(original, id=f"plant-{n}-{kind}", title=title,
                                               body=body, original=original["id"])) + b"\n")
                    made += 1
    t, c = time.perf_counter(), time.process_time()
    add_sources([out], index)
    result = {"planted": made, "originals": originals, "add_seconds": time.perf_counter() - t,
              "add_cpu_seconds": time.process_time() - c}
    groups: dict[str, list[str]] = defaultdict(list)       # each original and its copies
    for line in out.read_bytes().splitlines():
        record = orjson.loads(line)
        group = groups["-".join(record["id"].split("-")[:2])]
        group.extend([record["original"]] if not group else [])
        group.append(record["id"])
    with searchcore.open_index(index) as ix:
        stories = ix.stories()
        whole = sum(len({stories.story_id(i) for i in ids}) == 1 for ids in groups.values())
    result["groups_in_one_story"] = whole / max(1, len(groups))
    return result


def story_sizes(ix: Any) -> dict[str, Any]:
    """How many stories of each size the index holds, and the largest."""
    story = ix.stories().story
    sizes = np.bincount(story[story >= 0])
    sizes = sizes[sizes > 0]
    hist = {str(k): int(np.sum(sizes == k)) for k in range(1, 6)}
    hist["6-10"] = int(np.sum((sizes >= 6) & (sizes <= 10)))
    hist[">10"] = int(np.sum(sizes > 10))
    return {"stories": int(len(sizes)), "articles": int(sizes.sum()),
            "in_multi_article_stories": int(sizes[sizes > 1].sum()),
            "largest": int(sizes.max()) if len(sizes) else 0, "by_size": hist}


def speed(corpus: Path, index_dir: Path, queries: int = 60,
          index: Path | None = None, planted: int = 0) -> dict[str, Any]:
    """Signature cost, collapse overhead and similar p50 on an index of ``corpus``
    (with ``planted``: copies of that many articles added first, see :func:`plant`).

    Times are CPU time of this process (``time.process_time``): the machine these
    figures come from is shared, and wall time there measures the other jobs.
    """
    import statistics

    import searchcore
    from searchcore.news.stories import StoryStore

    docs = [orjson.loads(line) for _, line in zip(range(20_000), corpus.open("rb"))]
    t = time.process_time()
    minhash.signatures([d.get("body", "") for d in docs])
    per_sig = (time.process_time() - t) / len(docs)
    t = time.process_time()
    StoryStore(index_dir / "unused").add([(d["id"], d.get("body", "")) for d in docs])
    per_story = (time.process_time() - t) / len(docs)
    path = index or index_dir / "index"
    built = None
    if not (path / "searchcore.json").exists():
        t = time.process_time()
        searchcore.build_index([corpus], path, workers=2)
        built = time.process_time() - t
    rng = random.Random(5)
    out: dict[str, Any] = {"corpus": str(corpus), "signature_us_per_article": per_sig * 1e6,
                           "story_assignment_us_per_article_20k": per_story * 1e6,
                           "build_seconds": built}
    if planted:
        out["plant"] = plant(corpus, path, planted)
    with searchcore.open_index(path) as ix:
        out["build"] = ix.manifest.get("build")
        out["story_sizes"] = story_sizes(ix)
        titles = [d["title"] for d in rng.sample(docs, queries * 3) if d.get("title")]
        words = [w for t in titles for w in minhash.normalise(t) if len(w) > 4 and w.isalpha()]
        qs = [" ".join(rng.sample(words, k)) for k in (1, 2) for _ in range(queries // 2)]
        qs = [q.split()[0] if i % 2 else q for i, q in enumerate(qs)]
        for q in qs[:5]:
            ix.search(q, collapse=True)      # warm: columns, story store
        # Interleaved, so that both see the same load: exact totals (the library's
        # default) and pruned (exact_total=False, the CLI's), each with and without.
        plain, collapsed, plain_pruned, collapsed_pruned = [], [], [], []
        for q in qs:
            for flag, exact, bucket in ((False, True, plain), (True, True, collapsed),
                                        (False, False, plain_pruned),
                                        (True, False, collapsed_pruned)):
                t = time.process_time()
                ix.search(q, collapse=flag, suggest=False, exact_total=exact)
                bucket.append((time.process_time() - t) * 1000)
        seeds = [d["id"] for d in rng.sample(docs, queries * 2) if ix.get(d["id"])][:queries]
        ix.similar(seeds[0])
        sim = []
        for seed in seeds:
            t = time.process_time()
            ix.similar(seed)
            sim.append((time.process_time() - t) * 1000)
        sim_nosnip = []
        for seed in seeds:
            t = time.process_time()
            ix.similar(seed, snippets=0)
            sim_nosnip.append((time.process_time() - t) * 1000)
        out.update(documents=len(ix), queries=len(qs),
                   search_p50_ms=statistics.median(plain),
                   search_collapse_p50_ms=statistics.median(collapsed),
                   collapse_overhead=statistics.median(collapsed) / statistics.median(plain) - 1,
                   search_pruned_p50_ms=statistics.median(plain_pruned),
                   search_collapse_pruned_p50_ms=statistics.median(collapsed_pruned),
                   collapse_pruned_overhead=(statistics.median(collapsed_pruned)
                                             / statistics.median(plain_pruned) - 1),
                   load_average=os.getloadavg(),
                   similar_p50_ms=statistics.median(sim),
                   similar_no_snippets_p50_ms=statistics.median(sim_nosnip))
    return out


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split(
        "Example::")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 originals instead of 1500")
    ap.add_argument("--no-grid", action="store_true",
                    help="only the shipped parameters (pairwise and clustered), no grid")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "stories.json")
    ap.add_argument("--speed", type=Path, metavar="CORPUS", help="measure cost on CORPUS")
    ap.add_argument("--index-dir", type=Path, default=HERE / "out" / "stories-speed")
    ap.add_argument("--plant", type=int, default=0, metavar="N",
                    help="with --speed: first add copies of N articles (6 variants each)")
    ap.add_argument("--index", type=Path, default=None,
                    help="with --speed: an index of CORPUS already built (e.g. "
                         "/work/bench-data/x1m-index), used as it is")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.speed:
        result = speed(args.speed, args.index_dir, index=args.index, planted=args.plant)
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        out = args.out.with_name("stories-speed.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        return 0
    if not (SHARED_DATA / "reuters21578").is_dir():
        print(f"needs {SHARED_DATA}/reuters21578 and bbc-news", file=sys.stderr)
        return 1
    started = time.perf_counter()
    pairs = labelled_pairs(300 if args.quick else 1500)
    kinds = np.array([p[0] for p in pairs])
    truth = np.array([p[1] for p in pairs])
    print(f"{len(pairs)} labelled pairs ({int(truth.sum())} same story), "
          + ", ".join(f"{k} {int(np.sum(kinds == k))}" for k in POSITIVE + NEGATIVE))
    report: dict[str, Any] = {"pairs": {k: int(np.sum(kinds == k)) for k in POSITIVE + NEGATIVE},
                              "grid": []}
    best: dict[str, Any] | None = None
    print("\n| shingle | perms | measure | threshold | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for shingle in () if args.no_grid else (3, 4, 5, 6):
        for perms in (64, 128):
            m = measure(pairs, shingle, perms)
            enough = m["small"] >= minhash.MIN_SHINGLES
            for name in ("jaccard", "containment", "containment+floor"):
                for threshold in np.round(np.arange(0.3, 0.95, 0.05), 2):
                    if name == "containment+floor":
                        predicted = ((m["containment"] >= threshold) & enough
                                     & (m["jaccard"] >= minhash.JACCARD_FLOOR))
                    else:
                        predicted = (m[name] >= threshold) & enough
                    p, r, f = prf(predicted, truth)
                    row = {"shingle": shingle, "perms": perms, "measure": name,
                           "threshold": float(threshold), "precision": p, "recall": r, "f1": f}
                    report["grid"].append(row)
                    if best is None or f > best["f1"] + 1e-9:
                        best = row
                    if threshold in (0.4, 0.5, 0.6, 0.7, 0.8):
                        print(f"| {shingle} | {perms} | {name} | {threshold:.2f} | {p:.3f} | "
                              f"{r:.3f} | {f:.3f} |")
    if best is not None:
        print(f"\nbest F1: {best}")
    # The shipped parameters, per kind of pair.
    m = measure(pairs, minhash.SHINGLE, minhash.PERMUTATIONS)
    predicted = (m["containment"] >= minhash.THRESHOLD) & (m["small"] >= minhash.MIN_SHINGLES) & (
        m["jaccard"] >= minhash.JACCARD_FLOOR)
    p, r, f = prf(predicted, truth)
    cand = candidate_recall(m, truth & predicted, minhash.BANDS, minhash.ROWS)
    shipped = {"shingle": minhash.SHINGLE, "perms": minhash.PERMUTATIONS,
               "threshold": minhash.THRESHOLD, "precision": p, "recall": r, "f1": f,
               "lsh_candidate_recall_of_found": cand,
               "recall_with_lsh": r * cand}
    print(f"\nshipped: shingle {minhash.SHINGLE}, {minhash.PERMUTATIONS} permutations, "
          f"containment >= {minhash.THRESHOLD}: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f}; "
          f"LSH {minhash.BANDS}x{minhash.ROWS} finds {cand:.4f} of those pairs")
    print("\n| kind | label | pairs | judged same story |")
    print("|---|---|---|---|")
    shipped["per_kind"] = share_by_kind(kinds, predicted)
    for kind, share in shipped["per_kind"].items():
        print(f"| {kind} | {label_of(kind)} | {int((kinds == kind).sum())} | {share:.3f} |")
    # Through the stories: every text (and all of Reuters and BBC News) clustered at once.
    background = [d.get("body", "") for name in ("reuters21578", "bbc-news") for d in read(name)
                  if d.get("body")]
    together, info = clustered(pairs, background)
    cp, cr, cf = prf(together, truth)
    shipped["clustered"] = {"precision": cp, "recall": cr, "f1": cf, **info}
    print(f"\nclustered ({info['articles']:,} articles with Reuters and BBC News, "
          f"{info['multi']:,} multi-article stories, largest {info['largest']}): "
          f"precision {cp:.3f}, recall {cr:.3f}, F1 {cf:.3f}")
    print("\n| kind | label | pairs | pairwise same story | in one story |")
    print("|---|---|---|---|---|")
    shipped["clustered"]["per_kind"] = share_by_kind(kinds, together)
    for kind, share in shipped["clustered"]["per_kind"].items():
        print(f"| {kind} | {label_of(kind)} | {int((kinds == kind).sum())} | "
              f"{shipped['per_kind'][kind]:.3f} | {share:.3f} |")
    report["shipped"] = shipped
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 |
                                      orjson.OPT_SERIALIZE_NUMPY))
    print(f"\nwrote {args.out} ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
