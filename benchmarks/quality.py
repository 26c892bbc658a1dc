"""Ranking quality: searchcore and its peers on test collections with relevance judgments.

For each collection (``docs.jsonl``, ``queries.tsv``, ``qrels.txt``), every engine in
``peers/`` indexes the same documents with its default settings, runs every judged
query in "any terms" mode (top 100) and is scored with ir-measures: nDCG@10,
AP@100 (MAP@100) and R@100, averaged over the judged queries (a query with no hits
counts 0). Queries reach every engine as the same plain words (``peers.words``:
punctuation dropped, lower-cased) and each engine analyses them its own way.

Collections: ``time``, ``scifact``, ``cranfield``, ``cisi`` from ``--data`` (the
development sets: defaults are chosen on these, see ``--tune``); ``--holdout``
reports the acceptance sets in ``--holdout-dir`` instead (SciFact test split, NPL,
Medline) next to Anserini's published BM25 figure for SciFact. Relevance grades are
used as given (Cranfield's 1-4 as gains).

``--tune`` runs a small grid over searchcore's RankingConfig (k1, b, title_b, title
weight) on the development sets and prints each point; the chosen defaults live in
``searchcore/scoring/ranking.py``.

Examples::

    python benchmarks/quality.py                 # dev sets, all engines
    python benchmarks/quality.py --quick         # 3 small sets, 40 queries each (~1 min)
    python benchmarks/quality.py --tune          # grid search for searchcore defaults
    python benchmarks/quality.py --holdout       # acceptance sets, report once
    python benchmarks/quality.py --diagnose      # searchcore variants: BM25F, title weight, idf

Prints markdown tables and writes JSON to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import ENGINES, cpu_info, load_engine, read_docs, words  # noqa: E402

SHARED = HERE.parent.parent / "shared"
DEV_COLLECTIONS = ("time", "scifact", "cranfield", "cisi")
HOLDOUT_COLLECTIONS = ("scifact-test", "npl", "medline")
MEASURES = ("nDCG@10", "AP@100", "R@100")
#: Published reference figures (Anserini BM25 flat, BEIR v1.0.0 regressions).
PUBLISHED = {"scifact-test": {"engine": "Anserini BM25 (published)", "nDCG@10": 0.6789,
                              "R@100": 0.9253}}
DEPTH = 100
#: The tuning grid (--tune): stage 1 k1 x b, stage 2 title weight x title_b.
K1_GRID, B_GRID = (0.9, 1.2, 1.6, 2.0), (0.5, 0.75, 0.9)
TITLE_WEIGHT_GRID, TITLE_B_GRID = (1.0, 1.5, 2.0, 3.0), (0.3, 0.5, 0.75, 0.9)


# -- collections ------------------------------------------------------------------------
def collection_paths(name: str, data: Path, holdout: Path) -> dict[str, Path]:
    """docs/queries/qrels for ``name``; scifact-test borrows the dev SciFact documents."""
    if name in HOLDOUT_COLLECTIONS:
        folder = holdout / name
        docs = data / "scifact" / "docs.jsonl" if name == "scifact-test" else folder / "docs.jsonl"
    else:
        folder = data / name
        docs = folder / "docs.jsonl"
    return {"docs": docs, "queries": folder / "queries.tsv", "qrels": folder / "qrels.txt"}


def read_queries(path: Path) -> dict[str, str]:
    """``qid<TAB>text`` lines -> {qid: text}."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            qid, _, text = line.partition("\t")
            out[qid.strip()] = text.strip()
    return out


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels ``qid 0 docid rel`` -> {qid: {docid: rel}}."""
    out: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            out.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return out


# -- evaluation -------------------------------------------------------------------------
def evaluate(run: Mapping[str, Mapping[str, float]], qrels: Mapping[str, Mapping[str, int]],
             measures: Iterable[str] = MEASURES) -> dict[str, float]:
    """Mean of each measure over every *judged* query; a judged query missing from
    ``run`` (or with no hits) scores 0 instead of being skipped, which plain
    pytrec_eval would do and so flatter an engine that returns nothing.

    >>> evaluate({"q1": {"d1": 2.0, "d2": 1.0}}, {"q1": {"d1": 1}, "q2": {"d9": 1}}, ["P@1"])
    {'P@1': 0.5}
    """
    import ir_measures

    parsed = {m: ir_measures.parse_measure(m) for m in measures}
    by_measure: dict[str, dict[str, float]] = {m: {} for m in parsed}
    names = {repr(p): m for m, p in parsed.items()}
    judged = {q: dict(d) for q, d in qrels.items()}
    nonempty = {q: dict(d) for q, d in run.items() if d and q in judged}
    if nonempty:
        for metric in ir_measures.iter_calc(list(parsed.values()), judged, nonempty):
            by_measure[names[repr(metric.measure)]][metric.query_id] = float(metric.value)
    return {m: sum(by_measure[m].get(q, 0.0) for q in judged) / len(judged) for m in parsed}


# -- running engines --------------------------------------------------------------------
def open_searchcore(folder: Path, docs_path: Path):  # type: ignore[no-untyped-def]
    """A searchcore engine with ``docs_path`` indexed into ``folder``, open for queries."""
    from peers.searchcore import Engine

    engine = Engine(folder)
    engine.build_from_file(docs_path)
    engine.open()
    return engine


def run_engine(name: str, docs_path: Path, queries: Mapping[str, str], workdir: Path,
               **options: object) -> tuple[dict[str, dict[str, float]], dict[str, object]]:
    """Index ``docs_path`` with engine ``name`` and run every query; (run, info)."""
    engine = load_engine(name, workdir / name, **options)
    started = time.perf_counter()
    count = engine.build_from_file(docs_path)
    build_s = time.perf_counter() - started
    engine.open()
    run: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for qid, text in queries.items():
        run[qid] = {doc: score for doc, score in engine.search(words(text), "any", DEPTH)}
    search_s = time.perf_counter() - started
    info = {"engine": engine.describe(), "docs": count, "build_s": round(build_s, 2),
            "search_s": round(search_s, 2)}
    engine.close()
    return run, info


def judged_queries(paths: Mapping[str, Path], max_queries: int | None
                   ) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    queries = read_queries(paths["queries"])
    qrels = read_qrels(paths["qrels"])
    judged = {q: queries[q] for q in queries if q in qrels}
    if max_queries:
        judged = dict(itertools.islice(judged.items(), max_queries))
        qrels = {q: qrels[q] for q in judged}
    return judged, qrels


def compare(collections: Iterable[str], engines: Iterable[str], data: Path, holdout: Path,
            workdir: Path, max_queries: int | None) -> list[dict[str, object]]:
    """One row per (collection, engine) with the measures and timings."""
    rows = []
    for collection in collections:
        paths = collection_paths(collection, data, holdout)
        queries, qrels = judged_queries(paths, max_queries)
        for name in engines:
            run, info = run_engine(name, paths["docs"], queries, workdir / collection)
            scores = evaluate(run, qrels)
            row = {"collection": collection, "engine_name": name, **info,
                   "queries": len(queries), **{m: round(v, 4) for m, v in scores.items()}}
            rows.append(row)
            print(f"  {collection:12} {name:12} " + "  ".join(
                f"{m} {row[m]:.4f}" for m in MEASURES), file=sys.stderr, flush=True)
        if collection in PUBLISHED and max_queries is None:
            rows.append({"collection": collection, "engine_name": "published",
                         "queries": len(queries), **PUBLISHED[collection]})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    """Markdown: per collection, each engine's measures; best nDCG@10 in bold,
    and searchcore's nDCG@10 gap to the best peer."""
    lines = ["| collection | engine | nDCG@10 | MAP@100 | R@100 | queries | index s |",
             "|---|---|---|---|---|---|---|"]
    by_collection: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_collection.setdefault(str(row["collection"]), []).append(row)
    gaps = []
    for collection, group in by_collection.items():
        measured = [r for r in group if r["engine_name"] != "published"]
        best = max(float(r["nDCG@10"]) for r in measured)
        for r in group:
            ndcg = f"{r['nDCG@10']:.4f}"
            if r["engine_name"] != "published" and float(r["nDCG@10"]) == best:
                ndcg = f"**{ndcg}**"
            fmt = (lambda k: f"{r[k]:.4f}" if k in r else "–")  # noqa: E731
            lines.append(f"| {collection} | {r.get('engine', r['engine_name'])} | {ndcg} | "
                         f"{fmt('AP@100')} | {fmt('R@100')} | {r['queries']} | "
                         f"{r.get('build_s', '–')} |")
        ours = [r for r in measured if r["engine_name"] == "searchcore"]
        peers = [r for r in measured if r["engine_name"] != "searchcore"]
        if ours and peers:
            top = max(peers, key=lambda r: float(r["nDCG@10"]))
            gaps.append(f"| {collection} | {float(ours[0]['nDCG@10']) - float(top['nDCG@10']):+.4f}"
                        f" | {top['engine_name']} |")
    if gaps:
        lines += ["", "| collection | searchcore nDCG@10 minus best peer | best peer |",
                  "|---|---|---|", *gaps]
    return "\n".join(lines)


# -- tuning -----------------------------------------------------------------------------
def tune(collections: Iterable[str], data: Path, holdout: Path, workdir: Path,
         max_queries: int | None, grid: Mapping[str, list[float]] | None = None
         ) -> dict[str, object]:
    """Coordinate grid over RankingConfig on the dev sets; objective: mean nDCG@10.

    Stage 1: k1 x b (title settings at their defaults). Stage 2: title weight x
    title_b at the best k1, b. With ``grid`` (``--grid``), one stage: the full product
    of the given values (defaults for keys not given). One index per collection;
    only the ranking changes.
    """
    from searchcore.scoring.ranking import RankingConfig

    setups = []
    for collection in collections:
        paths = collection_paths(collection, data, holdout)
        queries, qrels = judged_queries(paths, max_queries)
        engine = open_searchcore(workdir / "tune" / collection, paths["docs"])
        setups.append((collection, engine, {q: words(t) for q, t in queries.items()}, qrels))

    def score(config: RankingConfig) -> dict[str, float]:
        result = {}
        for collection, engine, queries, qrels in setups:
            engine.options["ranking"] = config
            run = {q: dict(engine.search(terms, "any", DEPTH)) for q, terms in queries.items()}
            result[collection] = round(evaluate(run, qrels, ["nDCG@10"])["nDCG@10"], 4)
        result["mean"] = round(sum(result.values()) / len(result), 4)
        return result

    default = RankingConfig()
    points = []

    def point(k1: float, b: float, title_b: float, title_w: float) -> dict[str, object]:
        cfg = RankingConfig(k1=k1, b=b, title_b=title_b,
                            field_weights={"title": title_w, "body": 1.0})
        entry = {"k1": k1, "b": b, "title_b": title_b, "title_weight": title_w, **score(cfg)}
        points.append(entry)
        print(f"  tune {entry}", file=sys.stderr, flush=True)
        return entry

    title_w0 = default.field_weights.get("title", 1.0)
    if grid:
        values = {"k1": [default.k1], "b": [default.b], "title_b": [default.title_b],
                  "title_weight": [title_w0], **grid}
        done = [point(k1, b, tb, tw) for k1 in values["k1"] for b in values["b"]
                for tb in values["title_b"] for tw in values["title_weight"]]
        for _, engine, _, _ in setups:
            engine.close()
        return {"grid": done, "best": max(done, key=lambda e: e["mean"]), "current_defaults": None}
    stage1 = [point(k1, b, default.title_b, title_w0)
              for k1 in K1_GRID for b in B_GRID]
    best1 = max(stage1, key=lambda e: e["mean"])
    stage2 = [point(best1["k1"], best1["b"], tb, tw)
              for tw in TITLE_WEIGHT_GRID for tb in TITLE_B_GRID]
    best = max(stage1 + stage2, key=lambda e: e["mean"])
    current = next((p for p in points if p["k1"] == default.k1 and p["b"] == default.b
                    and p["title_b"] == default.title_b and p["title_weight"] == title_w0), None)
    for _, engine, _, _ in setups:
        engine.close()
    return {"grid": points, "best": best, "current_defaults": current}


def tune_table(result: Mapping[str, object]) -> str:
    points = list(result["grid"])  # type: ignore[arg-type]
    cols = [c for c in points[0] if c not in ("k1", "b", "title_b", "title_weight")]
    lines = ["| k1 | b | title_b | title weight | " + " | ".join(cols) + " |",
             "|" + "---|" * (4 + len(cols))]
    best = result["best"]
    for p in points:
        mark = " **best**" if p is best or p == best else ""
        lines.append(f"| {p['k1']} | {p['b']} | {p['title_b']} | {p['title_weight']} | "
                     + " | ".join(f"{p[c]:.4f}" for c in cols) + f" |{mark}")
    return "\n".join(lines)


# -- diagnosis --------------------------------------------------------------------------
def _score_variants(engine, variants, collection: str, queries: Mapping[str, str],  # type: ignore[no-untyped-def]
                    qrels: object, rows: list[dict[str, object]]) -> None:
    """Append one row per ``(label, RankingConfig)`` variant, searched on ``engine``."""
    for label, config in variants:
        engine.options["ranking"] = config
        run = {q: dict(engine.search(words(t), "any", DEPTH)) for q, t in queries.items()}
        score = evaluate(run, qrels)
        rows.append({"collection": collection, "variant": label, "queries": len(queries),
                     **{m: round(v, 4) for m, v in score.items()}})
        print(f"  diagnose {rows[-1]}", file=sys.stderr, flush=True)


def diagnose(collections: Iterable[str], data: Path, holdout: Path, workdir: Path,
             max_queries: int | None) -> list[dict[str, object]]:
    """nDCG@10 of searchcore variants that isolate suspected causes of a gap: BM25F
    proper against whoosh's per-field sum (each field saturated on its own, then
    added), the title weight, the idf (whoosh's ``log(N/(df+1)) + 1`` against
    Lucene's, the default) and title and body indexed as one field."""
    from searchcore.scoring.ranking import RankingConfig

    whoosh_idf = RankingConfig(idf="whoosh")
    variants = [("defaults (BM25F, Lucene idf)", RankingConfig()),
                ("per-field sum (whoosh's BM25F)", RankingConfig(field_scoring="sum")),
                ("equal weights (title 1.0)", RankingConfig(field_weights={"title": 1.0, "body": 1.0})),
                ("body only (title weight 0)", RankingConfig(field_weights={"title": 0.0, "body": 1.0})),
                ("whoosh idf", whoosh_idf)]
    rows: list[dict[str, object]] = []
    for collection in collections:
        paths = collection_paths(collection, data, holdout)
        queries, qrels = judged_queries(paths, max_queries)
        engine = open_searchcore(workdir / "diagnose" / collection, paths["docs"])
        _score_variants(engine, variants, collection, queries, qrels, rows)
        engine.close()
        # One field: title and body concatenated into body, as bm25s indexes them. Isolates
        # whoosh's per-field sum (each field saturated on its own, then added) from
        # BM25F proper (frequencies combined before saturation, as FTS5 does).
        single = workdir / "diagnose" / f"{collection}.one-field.jsonl"
        with open(single, "wb") as handle:
            for doc in read_docs(paths["docs"]):
                text = f"{doc.get('title') or ''}\n{doc.get('body') or ''}".strip()
                if text:
                    handle.write(orjson.dumps({"id": doc["id"], "title": "", "body": text}) + b"\n")
        engine = open_searchcore(workdir / "diagnose" / f"{collection}-one-field", single)
        _score_variants(engine, [("one field (title+body as body)", RankingConfig()),
                                 ("one field + whoosh idf", whoosh_idf)],
                        collection, queries, qrels, rows)
        engine.close()
    return rows


def diagnose_table(rows: list[dict[str, object]]) -> str:
    lines = ["| collection | searchcore variant | nDCG@10 | MAP@100 | R@100 |", "|---|---|---|---|---|"]
    lines += [f"| {r['collection']} | {r['variant']} | {r['nDCG@10']:.4f} | {r['AP@100']:.4f} | "
              f"{r['R@100']:.4f} |" for r in rows]
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------
def write_json(out_dir: Path, stem: str, payload: Mapping[str, object]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="nDCG@10 / MAP@100 / R@100 of searchcore and peer engines on test "
                    "collections (ir-measures).", epilog=__doc__.split("Examples::")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "data",
                        help="folder with the development collections (default: %(default)s)")
    parser.add_argument("--holdout-dir", type=Path, default=SHARED / "holdout",
                        help="folder with the acceptance collections (default: %(default)s)")
    parser.add_argument("--collections", nargs="+", metavar="NAME",
                        help=f"collections to run (default: {' '.join(DEV_COLLECTIONS)}, or "
                             f"{' '.join(HOLDOUT_COLLECTIONS)} with --holdout)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES,
                        metavar="ENGINE", help=f"engines (default: {' '.join(ENGINES)})")
    parser.add_argument("--holdout", action="store_true",
                        help="report the acceptance sets (never tune on them)")
    parser.add_argument("--tune", action="store_true",
                        help="grid-search searchcore's RankingConfig on the dev sets")
    parser.add_argument("--diagnose", action="store_true",
                        help="searchcore variants that isolate causes of gaps (BM25F, title weight, idf)")
    parser.add_argument("--grid", nargs="+", metavar="KEY=V1,V2",
                        help="with --tune: one full grid instead of the two stages, e.g. "
                             "k1=1.2,1.6,2.0 b=0.75,0.9 title_b=0.3 title_weight=1.0")
    parser.add_argument("--quick", action="store_true",
                        help="time, cranfield, cisi with 40 queries each (about a minute)")
    parser.add_argument("--max-queries", type=int, default=None,
                        help="only the first N judged queries per collection")
    parser.add_argument("--out", type=Path, default=HERE / "out",
                        help="folder for the JSON results (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to build indexes (default: a temporary folder, removed)")
    args = parser.parse_args(argv)

    collections = args.collections or (
        ["time", "cranfield", "cisi"] if args.quick else
        list(HOLDOUT_COLLECTIONS if args.holdout else DEV_COLLECTIONS))
    if args.tune and any(c in HOLDOUT_COLLECTIONS for c in collections):
        parser.error("--tune runs on the development sets only; never tune on the holdout")
    max_queries = args.max_queries or (40 if args.quick else None)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sc-quality-"))
    started = datetime.now(timezone.utc)
    meta = {"date": started.isoformat(timespec="seconds"), **cpu_info(),
            "argv": sys.argv[1:] if argv is None else argv, "collections": collections,
            "max_queries": max_queries}
    try:
        if args.diagnose:
            rows = diagnose(collections, args.data, args.holdout_dir, workdir, max_queries)
            print(diagnose_table(rows))
            path = write_json(args.out, "quality-diagnose", {**meta, "rows": rows})
        elif args.tune:
            grid = None
            if args.grid:
                grid = {}
                for item in args.grid:
                    key, _, vals = item.partition("=")
                    if key not in ("k1", "b", "title_b", "title_weight") or not vals:
                        parser.error(f"--grid item {item!r}: use k1/b/title_b/title_weight=V1,V2")
                    grid[key] = [float(v) for v in vals.split(",")]
            result = tune(collections, args.data, args.holdout_dir, workdir, max_queries, grid)
            print(tune_table(result))
            print(f"\nbest: {result['best']}\ncurrent defaults: {result['current_defaults']}")
            path = write_json(args.out, "quality-tune-grid" if args.grid else "quality-tune",
                              {**meta, **result})
        else:
            rows = compare(collections, args.engines, args.data, args.holdout_dir, workdir,
                           max_queries)
            print(table(rows))
            stem = "quality-holdout" if args.holdout else ("quality-quick" if args.quick
                                                             else "quality")
            path = write_json(args.out, stem, {**meta, "rows": rows})
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nJSON: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
