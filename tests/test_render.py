"""Output forms: plain markers, ANSI, HTML escaping, whole result pages."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson

import searchcore
from searchcore.results.render import (ANSI_MATCH, PLAIN_MARKS, footer, mark, render_html, render_text,
                               snippet_ansi, snippet_html, snippet_plain, strip_ansi)
from searchcore.results.types import Hit, Results, Snippet

_TEXT = "…about 100 ballistic missiles were heading…"
SNIP = Snippet("body", _TEXT, ((_TEXT.index("ballistic"), _TEXT.index(" were")),))
WHEN = datetime(2024, 4, 14, tzinfo=timezone.utc)


def results(*hits: Hit, total: int | None = None, exact: bool = True, limit: int = 10) -> Results:
    return Results(query="q", total=len(hits) if total is None else total, page=1, limit=limit,
                   elapsed_ms=3.25, hits=hits, total_is_exact=exact)


def hit(rank=1, **kw) -> Hit:
    base = dict(rank=rank, id="seed", score=1.5, title="US Informs Israel", published=WHEN,
                source="Seed Wire", url="https://example.com/a?x=1&y=2",
                snippets=(SNIP, Snippet("title", "US Informs Israel", ((11, 17),))))
    base.update(kw)
    return Hit(**base)


def test_plain_marks_wrap_each_span():
    assert snippet_plain(SNIP) == "…about 100 **ballistic missiles** were heading…"
    assert snippet_plain(SNIP, ("[", "]")) == "…about 100 [ballistic missiles] were heading…"
    assert PLAIN_MARKS == ("**", "**")


def test_mark_skips_bad_spans_instead_of_garbling():
    assert mark("abcdef", [(0, 2), (1, 3), (4, 99), (3, 3), (4, 5)], "<", ">") == "<ab>cd<e>f"


def test_ansi_styles_matches_and_resets_them():
    out = snippet_ansi(SNIP)
    assert out == "…about 100 " + ANSI_MATCH[0] + "ballistic missiles" + ANSI_MATCH[1] + " were heading…"
    assert strip_ansi(out) == SNIP.text


def test_ansi_defuses_control_characters_without_moving_spans():
    snip = Snippet("body", "evil \x1b[2J text\u202e here", ((10, 14),))
    out = strip_ansi(snippet_ansi(snip))
    assert "\x1b" not in out and "\u202e" not in out
    assert out == "evil \ufffd[2J text\ufffd here"
    assert "\x1b[1;31mtext\x1b[22;39m" in snippet_ansi(snip)


def test_html_escapes_text_and_marks_spans():
    text = "<script>alert(1)</script> & Bank of America <b>"
    start = text.index("Bank")
    snip = Snippet("body", text, ((start, start + len("Bank of America")),))
    out = snippet_html(snip)
    assert out == ("&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>Bank of America</mark> "
                   "&lt;b&gt;")
    amp = Snippet("body", "A&B <x> said", ((0, 3),))
    assert snippet_html(amp) == "<mark>A&amp;B</mark> &lt;x&gt; said"


def test_json_form_is_text_plus_spans():
    assert orjson.loads(orjson.dumps(SNIP.to_dict())) == {
        "field": "body", "text": SNIP.text, "spans": [[11, 29]]}


def test_footer_counts_pages_and_lower_bounds():
    assert footer(results(hit())) == "1 hit in 3.2 ms"
    assert footer(results(hit(), total=25, limit=10)) == "25 hits in 3.2 ms, page 1 of 3"
    assert footer(results(hit(), total=25, exact=False, limit=30)) == "at least 25 hits in 3.2 ms"
    assert footer(results()) == "0 hits in 3.2 ms"


def test_render_text_without_color_is_exact_and_has_no_escapes():
    out = render_text(results(hit(), hit(rank=2, id="b", title="Other", snippets=(),
                                         source="", published=None)))
    assert out == (
        "1. US Informs **Israel**\n"
        "   Seed Wire · 2024-04-14 · seed\n"
        "   …about 100 **ballistic missiles** were heading…\n"
        "\n"
        "2. Other\n"
        "   b\n"
        "\n"
        "2 hits in 3.2 ms\n")
    assert "\x1b" not in out


def test_render_text_with_color_strips_to_the_unmarked_text():
    page = results(hit(), hit(rank=2, id="b\x1b[31m", title="", snippets=()))
    colored = render_text(page, color=True)
    assert "\x1b[1;31mballistic missiles\x1b[22;39m" in colored
    assert "\x1b[1mUS Informs \x1b[31mIsrael\x1b[39m\x1b[22m" in colored
    assert strip_ansi(colored) == render_text(page, marks=("", ""))
    assert "(untitled)" in colored and "b\ufffd[31m" in colored


def test_render_text_right_aligns_ranks_and_can_show_scores():
    page = Results(query="q", total=12, page=2, limit=10, elapsed_ms=1.0,
                   hits=(hit(rank=11), hit(rank=12)))
    out = render_text(page, show_score=True)
    assert out.startswith("11. US Informs")
    assert "score 1.50" in out and out.endswith("12 hits in 1.0 ms, page 2 of 2\n")


def test_render_text_of_no_hits_is_just_the_footer():
    assert render_text(results()) == "0 hits in 3.2 ms\n"
    assert strip_ansi(render_text(results(), color=True)) == "0 hits in 3.2 ms\n"


def test_render_html_escapes_everything_and_links_only_http():
    evil = hit(id='x"><script>', title="<b>Tom & Jerry</b>", source="A&B",
               url="javascript:alert(1)",
               snippets=(Snippet("body", "<script>x</script> & missiles", ((21, 29),)),))
    out = render_html(results(hit(), evil))
    assert "<script>" not in out and "javascript:" not in out
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in out
    assert 'data-id="x&quot;&gt;&lt;script&gt;"' in out
    assert "&lt;script&gt;x&lt;/script&gt; &amp; <mark>missiles</mark>" in out
    assert '<a href="https://example.com/a?x=1&amp;y=2">US Informs <mark>Israel</mark></a>' in out
    assert '<ol class="searchcore-hits" start="1">' in out
    assert out.rstrip().endswith('<p class="searchcore-footer">2 hits in 3.2 ms</p>\n</div>')


def test_render_a_real_search(news_index):
    page = news_index.search("missile")
    text = render_text(page)
    assert text.startswith("1. US Informs Israel")
    assert "**missiles**" in text and "Seed Wire · 2024-04-14 · seed" in text
    html_out = render_html(page)
    assert "<mark>missiles</mark>" in html_out
    assert "\x1b[1;31m" in render_text(page, color=True)


def test_render_a_tmp_index_with_markup_in_the_body(tmp_path):
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add([{"id": "a", "title": "Markup", "body": "Use <script> & escape missiles <now>."}])
        page = ix.search("missiles")
    out = render_html(page)
    assert "&lt;script&gt; &amp; escape <mark>missiles</mark> &lt;now&gt;." in out
