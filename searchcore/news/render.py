"""Facets and timelines as compact text for a terminal: tables and bar charts.

One bar renderer for both the ``--facet`` tables of ``searchcore search`` and
``searchcore timeline``, so a month looks the same in each. Bars use the Unicode
block characters with eighths (``█▉▊▋▌▍▎▏``) so small counts still differ; with
``ascii=True`` (an output that cannot encode them) they are ``#``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from searchcore.news.facets import Facet

BAR_WIDTH = 40
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(count: int, largest: int, width: int = BAR_WIDTH, ascii: bool = False) -> str:
    """A bar ``count / largest`` of ``width`` characters; never empty for a count > 0."""
    if count <= 0 or largest <= 0:
        return ""
    if ascii:
        return "#" * max(1, round(width * count / largest))
    eighths = max(1, round(8 * width * count / largest))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def bar_chart(rows: Sequence[tuple[str, int]], *, width: int = BAR_WIDTH,
              ascii: bool = False, indent: str = "  ") -> list[str]:
    """``label  count  bar`` lines, the bars scaled to the largest count."""
    if not rows:
        return []
    largest = max(c for _, c in rows)
    label_w = max(len(v) for v, _ in rows)
    count_w = max(len(f"{c:,}") for _, c in rows)
    return [f"{indent}{v:<{label_w}}  {c:>{count_w},}  {bar(c, largest, width, ascii)}".rstrip()
            for v, c in rows]


def facet_lines(facet: Facet, *, ascii: bool = False) -> list[str]:
    """One facet as a small table: a heading, a line per value, then other/missing."""
    rows = [(b.value, b.count) for b in facet.buckets]
    if facet.is_date:
        lines = [f"{facet.name}:"] + bar_chart(rows, ascii=ascii)
        extra = [("(undated)", facet.missing)] if facet.missing else []
    else:
        lines = [f"{facet.name}:"] + _table(rows)
        extra = [(label, n) for label, n in (("(other)", facet.other), ("(none)", facet.missing))
                 if n]
    if not rows and not extra:
        lines.append("  (no values)")
    lines += _table(extra, label_w=max([len(v) for v, _ in rows + extra] or [0]))
    return lines


def _table(rows: Iterable[tuple[str, int]], label_w: int | None = None) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    label_w = label_w or max(len(v) for v, _ in rows)
    count_w = max(len(f"{c:,}") for _, c in rows)
    return [f"  {v:<{label_w}}  {c:>{count_w},}" for v, c in rows]


def facets_text(facets: Iterable[Facet], *, ascii: bool = False) -> str:
    """Every facet, separated by blank lines, ending with a newline (empty: "")."""
    blocks = ["\n".join(facet_lines(f, ascii=ascii)) for f in facets]
    return "\n\n".join(blocks) + "\n" if blocks else ""
