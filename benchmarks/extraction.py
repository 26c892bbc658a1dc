"""Article extraction from real news pages, scored as the article-extraction benchmark does.

Data: ``../shared/data/article-html`` (121 development pages) and, with ``--holdout``,
``../shared/holdout/article-html`` (60 pages: report once, never tune on them). Each
page's predicted body is compared with the body a person marked
(``ground-truth.json``): word 4-shingles (``re.findall(r"\\w+", text.lower())``, 4
consecutive tokens) as multisets, precision and recall per page (an empty prediction
for a non-empty truth scores precision 0 and recall 0; both empty score 1), averaged
over pages, F1 from the two means — the benchmark's ``evaluate.py``.

Extractors, side by side on the same bytes:

* **searchcore**: our pipeline, ``searchcore.index.web.html.html_record`` (the page's
  declared charset, trafilatura without comments, the article body we index);
* **trafilatura**: ``trafilatura.extract(page_bytes)`` with its defaults;
* **readability**: readability-lxml's ``Document(page).summary()`` as text, when it is
  installed (``pip install readability-lxml``; not in the bench extra because pip's
  resolver trips over its and trafilatura's lxml extras together).

Then throughput: pages per second through a full ``searchcore.build_index`` of
``pages.warc.gz`` and of the ``html/`` folder (extraction, language detection,
indexing), and WARC parsing alone with fastwarc and warcio (records/s, payloads read
in full), when warcio is installed.

Examples::

    python benchmarks/extraction.py                 # development pages, builds, WARC readers
    python benchmarks/extraction.py --quick         # 30 pages, no builds
    python benchmarks/extraction.py --holdout       # the holdout pages (once)
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
DEV = SHARED / "data" / "article-html"
HOLDOUT = SHARED / "holdout" / "article-html"
OUT = HERE / "out"

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    """The multiset of ``n`` consecutive lower-cased word tokens of ``text``."""
    words = _WORD.findall((text or "").lower())
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def page_scores(predicted: str, true: str) -> tuple[float, float]:
    """``(precision, recall)`` of one page, as the benchmark's evaluate.py."""
    pred, gold = shingles(predicted), shingles(true)
    if not pred and not gold:
        return 1.0, 1.0
    if not pred or not gold:
        return 0.0, 0.0
    common = sum((pred & gold).values())
    return common / sum(pred.values()), common / sum(gold.values())


def score(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Mean precision, mean recall, and F1 of the means over ``(predicted, true)`` pairs."""
    scores = [page_scores(p, t) for p, t in pairs]
    if not scores:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "pages": 0}
    precision = sum(p for p, _ in scores) / len(scores)
    recall = sum(r for _, r in scores) / len(scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pages": len(scores)}


def load_pages(folder: Path, limit: int | None = None) -> list[tuple[str, bytes, str]]:
    """``(key, page bytes, true body)`` for each page with a ground truth, sorted."""
    truth = orjson.loads((folder / "ground-truth.json").read_bytes())
    pages = []
    for key in sorted(truth)[:limit]:
        data = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, data, truth[key]["articleBody"]))
    return pages


def searchcore_extract(data: bytes) -> str:
    from searchcore.index.web.html import html_record

    record = html_record(data, "page")
    return record.data["body"] if hasattr(record, "data") else ""


def trafilatura_extract(data: bytes) -> str:
    import trafilatura
    return trafilatura.extract(data) or ""


def readability_extract(data: bytes) -> str:
    import lxml.html
    from readability import Document
    return lxml.html.fromstring(Document(data).summary()).text_content()


def extractors() -> dict[str, Callable[[bytes], str]]:
    found = {"searchcore": searchcore_extract, "trafilatura (defaults)": trafilatura_extract}
    try:
        import readability  # noqa: F401
        found["readability-lxml"] = readability_extract
    except ImportError:
        print("readability-lxml not installed: skipped", file=sys.stderr)
    return found


def run_extraction(pages: list[tuple[str, bytes, str]]) -> dict[str, dict[str, float]]:
    results = {}
    for name, extract in extractors().items():
        extract(pages[0][1])                       # imports and caches out of the timing
        started = time.perf_counter()
        predicted = []
        for _, data, _ in pages:
            try:
                predicted.append(extract(data))
            except Exception as exc:               # noqa: BLE001 - a peer's failure scores 0
                print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                predicted.append("")
        seconds = time.perf_counter() - started
        results[name] = score(zip(predicted, (t for _, _, t in pages))) | {
            "pages_per_sec": len(pages) / seconds}
    return results


def run_builds(folder: Path, workers: int) -> dict[str, dict[str, float]]:
    """Pages per second through a full build of the WARC and of the html/ folder."""
    import searchcore

    results = {}
    for label, source in (("pages.warc.gz", folder / "pages.warc.gz"),
                          ("html/ folder", folder / "html")):
        tmp = Path(tempfile.mkdtemp(prefix="extraction-"))
        try:
            started = time.perf_counter()
            summary = searchcore.build_index([str(source)], tmp / "index", workers=workers)
            seconds = time.perf_counter() - started
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        results[label] = {"indexed": summary.indexed, "skipped": summary.skipped_total,
                          "seconds": seconds, "pages_per_sec": summary.indexed / seconds}
    return results


def run_warc_readers(path: Path, repeats: int = 3) -> dict[str, float]:
    """Response records per second, payload read in full, best of ``repeats``."""
    def fastwarc_read() -> int:
        from fastwarc.warc import ArchiveIterator, WarcRecordType
        n = 0
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, parse_http=True):
                if record.record_type == WarcRecordType.response:
                    record.reader.read()
                    n += 1
        return n

    def warcio_read() -> int:
        from warcio.archiveiterator import ArchiveIterator
        n = 0
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    record.content_stream().read()
                    n += 1
        return n

    readers = {"fastwarc": fastwarc_read}
    try:
        import warcio  # noqa: F401
        readers["warcio"] = warcio_read
    except ImportError:
        print("warcio not installed: WARC reader comparison skipped", file=sys.stderr)
    rates: dict[str, float] = {}
    for _ in range(repeats):
        for name, read in readers.items():
            started = time.perf_counter()
            n = read()
            rate = n / (time.perf_counter() - started)
            rates[name] = max(rates.get(name, 0.0), rate)
    return rates


def table(rows: Mapping[str, Mapping[str, float]], columns: list[str]) -> str:
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = [f"{row[c]:.4f}" if isinstance(row[c], float) and c != "pages_per_sec"
                 and c != "seconds" else f"{row[c]:.1f}" if isinstance(row[c], float)
                 else str(row[c]) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Examples:\n  python benchmarks/extraction.py\n"
               "  python benchmarks/extraction.py --quick\n"
               "  python benchmarks/extraction.py --holdout",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holdout", action="store_true",
                        help="score the holdout pages (report once, never tune)")
    parser.add_argument("--quick", action="store_true", help="30 pages, no builds")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="build workers [default: CPUs]")
    args = parser.parse_args(argv)
    folder = HOLDOUT if args.holdout else DEV
    if not (folder / "ground-truth.json").exists():
        print(f"{folder} is absent", file=sys.stderr)
        return 1
    pages = load_pages(folder, 30 if args.quick else None)
    report: dict[str, object] = {"set": "holdout" if args.holdout else "dev",
                                 "pages": len(pages)}
    quality = run_extraction(pages)
    report["extraction"] = quality
    print(f"## Extraction, {report['set']} pages ({len(pages)})\n")
    print(table(quality, ["precision", "recall", "f1", "pages_per_sec"]))
    if not args.quick and not args.holdout:
        builds = run_builds(folder, args.workers)
        report["builds"] = builds
        print(f"\n## Full builds ({args.workers} workers)\n")
        print(table(builds, ["indexed", "skipped", "seconds", "pages_per_sec"]))
        rates = run_warc_readers(folder / "pages.warc.gz")
        report["warc_readers"] = rates
        print("\n## WARC readers (response records/s, payloads read, best of 3)\n")
        for name, rate in rates.items():
            print(f"- {name}: {rate:,.0f}")
    OUT.mkdir(exist_ok=True)
    out = OUT / f"extraction-{report['set']}{'-quick' if args.quick else ''}.json"
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
