"""A timeline as a picture for a report: SVG written here, PNG through matplotlib if installed.

The SVG is a plain bar chart built from strings: a title (the query), a y axis with
round ticks and grid lines, bucket labels along the x axis (thinned to about a dozen
so they never overlap), an axis title on each side, and a footer with the total and
the undated matches. A hundred lines of code instead of a plotting dependency: the
chart is one kind, it must work on machines without extras, and SVG opens in every
browser and word processor. PNG needs a rasteriser; when matplotlib is importable it
draws the same chart, otherwise the error says how to get one (or to write ``.svg``).
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from searchcore.errors import SearchcoreError
from searchcore.news.timeline import Timeline

WIDTH, HEIGHT = 900, 440
LEFT, RIGHT, TOP, BOTTOM = 76, 24, 56, 96
MAX_X_LABELS = 12
BAR_COLOUR = "#3b6ea8"


class PlotError(SearchcoreError):
    """The chart cannot be written (unknown file type, no PNG library, unwritable file)."""


def nice_ticks(largest: int, count: int = 5) -> list[int]:
    """Round tick values from 0 covering ``largest`` (steps of 1, 2 or 5 times 10^k)."""
    if largest <= 0:
        return [0, 1]
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    top = step * math.ceil(largest / step)
    return list(range(0, top + 1, step))


def timeline_svg(tl: Timeline) -> str:
    """The timeline as a standalone SVG document."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    counts = [b.count for b in tl.buckets]
    ticks = nice_ticks(max(counts, default=0))
    top = ticks[-1]
    n = max(1, len(counts))
    slot = plot_w / n
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="28" font-size="18" text-anchor="middle" '
           f'font-weight="bold">{escape(tl.query)}</text>',
           f'<text x="{WIDTH / 2}" y="46" font-size="12" text-anchor="middle" fill="#555">'
           f'articles per {tl.by} (UTC)</text>']
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
                   f'stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{tick:,}</text>')
    for i, bucket in enumerate(tl.buckets):
        if not bucket.count:
            continue
        h = plot_h * bucket.count / top
        x = LEFT + i * slot + slot * 0.1
        out.append(f'<rect x="{x:.2f}" y="{TOP + plot_h - h:.2f}" width="{max(slot * 0.8, 0.5):.2f}" '
                   f'height="{h:.2f}" fill="{BAR_COLOUR}"><title>{escape(bucket.value)}: '
                   f'{bucket.count:,}</title></rect>')
    every = max(1, math.ceil(len(tl.buckets) / MAX_X_LABELS))
    for i in range(0, len(tl.buckets), every):
        x = LEFT + (i + 0.5) * slot
        y = TOP + plot_h + 14
        out.append(f'<line x1="{x:.1f}" y1="{TOP + plot_h}" x2="{x:.1f}" y2="{TOP + plot_h + 4}" '
                   f'stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="end" '
                   f'transform="rotate(-35 {x:.1f} {y})">{escape(tl.buckets[i].value)}</text>')
    out += [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
            f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
            f'stroke="#333"/>',
            f'<text x="18" y="{TOP + plot_h / 2}" font-size="12" text-anchor="middle" '
            f'transform="rotate(-90 18 {TOP + plot_h / 2})">articles</text>',
            f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" font-size="12" '
            f'text-anchor="middle">{escape(tl.by)} · {tl.total:,} matches'
            + (f', {tl.undated:,} undated (not shown)' if tl.undated else "") + '</text>',
            "</svg>"]
    if not tl.buckets:
        out.insert(-1, f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" font-size="14" '
                       f'text-anchor="middle" fill="#555">no dated matches</text>')
    return "\n".join(out) + "\n"


def write_plot(tl: Timeline, path: str | Path) -> Path:
    """Write the chart to ``path``: ``.svg`` always works, ``.png`` needs matplotlib."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".svg":
            path.write_text(timeline_svg(tl), encoding="utf-8")
        elif suffix == ".png":
            _write_png(tl, path)
        else:
            raise PlotError(f"cannot plot to {str(path)!r}: the file name must end in .svg or .png")
    except OSError as exc:
        raise PlotError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return path


def _write_png(tl: Timeline, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        raise PlotError(f"writing {str(path)!r} as PNG needs matplotlib (pip install matplotlib); "
                        "an .svg file needs nothing") from None
    fig, ax = plt.subplots(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
    labels = [b.value for b in tl.buckets]
    ax.bar(range(len(labels)), [b.count for b in tl.buckets], color=BAR_COLOUR)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    ax.set_xticks(range(0, len(labels), every), labels[::every], rotation=35, ha="right")
    ax.set_title(tl.query)
    ax.set_ylabel("articles")
    ax.set_xlabel(f"{tl.by} · {tl.total:,} matches"
                  + (f", {tl.undated:,} undated (not shown)" if tl.undated else ""))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
