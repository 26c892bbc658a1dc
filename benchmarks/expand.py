"""Make a larger news corpus from the real ones: real paragraphs, recombined.

Why: the real news corpora here total about 50k articles, and cost at 100k or 1M
documents is what a user with a real archive meets. Synthetic text (random words)
would get the statistics wrong — vocabulary growth, document frequencies, lengths —
so every new article is made only of real material:

* **Paragraphs** of every input article's body (split at blank lines, or at a line
  break followed by indentation as in Reuters-21578), 40-2,000 characters each, go
  into one pool (duplicates kept once).
* Each new article takes the **title, source and category** of one real article
  picked at random, and **as many paragraphs as that article had** (at least 1, at
  most 12), each drawn at random from the whole pool. So lengths follow the real
  distribution and the vocabulary grows with the corpus as real text does, while
  no new article repeats an old one.
* **Ids** are ``x0000001``, ``x0000002``, ...; **published** is a random moment in
  1987-2024 (UTC), so date sorting and ranges see a spread.
* One ``random.Random(seed)`` drives every choice: the same inputs, size and seed
  give a byte-identical file.

The output is JSON Lines in the format of ../shared/data (id, title, body,
published, source, category), written as it is made (the inputs' paragraph pool is
in memory, the output is not).

Example::

    python benchmarks/expand.py --size 100000 --out benchmarks/out/corpora/x100k.jsonl
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import read_docs  # noqa: E402

SHARED_DATA = HERE.parent.parent / "shared" / "data"
NEWS_CORPORA = ("reuters21578", "20newsgroups-bydate", "ag-news-test", "bbc-news")
DEFAULT_SEED = 20240414
MIN_PARAGRAPH, MAX_PARAGRAPH, MAX_PARAGRAPHS = 40, 2000, 12
_SPLIT = re.compile(r"\n\s*\n|\n(?=[ \t])")
_START = datetime(1987, 1, 1, tzinfo=timezone.utc)
_SPAN_SECONDS = int((datetime(2025, 1, 1, tzinfo=timezone.utc) - _START).total_seconds())


def paragraphs(body: str) -> list[str]:
    """The paragraphs of ``body`` worth reusing (line wraps inside one are kept).

    >>> paragraphs("First paragraph, long enough to be kept as one.\\n\\nshort\\n")
    ['First paragraph, long enough to be kept as one.']
    """
    out = []
    for part in _SPLIT.split(body):
        part = part.strip()
        if MIN_PARAGRAPH <= len(part) <= MAX_PARAGRAPH:
            out.append(part)
    return out


def load_material(inputs: Sequence[Path]) -> tuple[list[tuple[str, str, object, int]], list[str]]:
    """(templates, pool): each template is (title, source, category, paragraph count)."""
    templates: list[tuple[str, str, object, int]] = []
    pool: dict[str, None] = {}                       # insertion-ordered set: deterministic
    for path in inputs:
        for doc in read_docs(path):
            paras = paragraphs(doc.get("body") or "")
            for p in paras:
                pool.setdefault(p, None)
            templates.append((doc.get("title") or "", doc.get("source") or path.parent.name,
                              doc.get("category"), min(max(len(paras), 1), MAX_PARAGRAPHS)))
    if not pool:
        raise SystemExit(f"no paragraphs of {MIN_PARAGRAPH}+ characters in {list(map(str, inputs))}")
    return templates, list(pool)


def expand(inputs: Sequence[Path], size: int, seed: int = DEFAULT_SEED) -> Iterable[dict]:
    """Yield ``size`` new articles made from the paragraphs of ``inputs``."""
    templates, pool = load_material(inputs)
    rng = random.Random(seed)
    for number in range(1, size + 1):
        title, source, category, count = templates[rng.randrange(len(templates))]
        body = "\n\n".join(pool[rng.randrange(len(pool))] for _ in range(count))
        published = _START + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
        doc = {"id": f"x{number:07d}", "title": title, "body": body,
               "published": published.isoformat(), "source": source}
        if category:
            doc["category"] = category
        yield doc


def write_jsonl(docs: Iterable[dict], out: Path) -> int:
    """Write ``docs`` to ``out`` (via a temporary name, so a half file never remains)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    count = 0
    with open(tmp, "wb") as handle:
        for doc in docs:
            handle.write(orjson.dumps(doc) + b"\n")
            count += 1
    tmp.replace(out)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a larger corpus of new articles recombined from real paragraphs.",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, required=True, help="number of articles to write")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl path")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    parser.add_argument("inputs", nargs="*", type=Path,
                        help="docs.jsonl files to draw from (default: the news corpora in "
                             f"{SHARED_DATA}: {', '.join(NEWS_CORPORA)})")
    args = parser.parse_args(argv)
    inputs = args.inputs or [SHARED_DATA / name / "docs.jsonl" for name in NEWS_CORPORA]
    count = write_jsonl(expand(inputs, args.size, args.seed), args.out)
    print(f"wrote {count} articles to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
