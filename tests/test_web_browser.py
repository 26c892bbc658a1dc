"""The search page in a real browser: Debian's chromium driven by Playwright.

Playwright's own browser download (``playwright install``) cannot run here or in CI,
so the test points Playwright at the system chromium (``.ci/run`` installs it with
apt-get when missing) and skips, saying why, only when there is none. Screenshots go
to ``$SEARCHCORE_SCREENSHOTS`` when set (to look at them), else to the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import bbc_articles, seed_article
from live_server import running

import searchcore
from searchcore.web import create_app
from searchcore.web.app import library_features

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' brings playwright")

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and Path(p).exists()), None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium found: apt-get install chromium")]

XSS_TITLE = "<script>alert(1)</script> market report"
XSS = {"id": "xss", "title": XSS_TITLE, "body": "The market <img src=x onerror=alert(2)> rose.",
       "source": "Evil Wire", "published": "2005-03-01", "category": ["business"]}


def dated(articles: list[dict]) -> list[dict]:
    """The BBC sample has no dates: spread them over 2005 (made up, for the histogram)."""
    return [dict(a, published=f"2005-{1 + n % 12:02d}-{1 + n % 28:02d}")
            for n, a in enumerate(articles)]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("web") / "index"
    with searchcore.create_index(path) as ix:
        seed_copy = dict(seed_article(), id="seed-copy", source="Copy Wire",
                         title="Iran's missiles, reprinted")
        ix.add(dated(bbc_articles()) + [seed_article(), seed_copy, XSS])
    with running(create_app(path)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SEARCHCORE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, base_url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and "400 (Bad Request)" not in m.text else None)
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(base_url)
    page.wait_for_selector("body.ready")
    return page, problems


def total(page) -> int:
    return int(page.get_attribute("#total", "data-total"))


def search(page, query: str) -> None:
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_function("q => document.querySelector('#q').value === q && "
                           "!document.querySelector('#results').classList.contains('busy') && "
                           "document.querySelector('#total')", arg=query)


def test_search_facet_page_article_on_desktop(browser, base_url: str, shots: Path) -> None:
    page, problems = open_page(browser, base_url, 1280, 900)
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('articles from')")
    search(page, "economy OR market")
    assert page.locator("#hits mark").count() > 0
    assert page.locator("#hits mark").first.inner_text().lower() in ("economy", "market", "markets",
                                                                      "economic")
    before = total(page)
    assert before > 20 and page.locator("#hits > li").count() == 10

    if library_features()["facets"]:
        facet = page.locator("a.facet[data-facet='category'][data-value='tech']")
        expected = int(facet.get_attribute("data-count"))
        assert 10 < expected < before
        facet.click()
        page.wait_for_function("n => document.querySelector('#total') && "
                               "Number(document.querySelector('#total').dataset.total) === n",
                               arg=expected)
        assert "category=tech" in page.url
        assert page.locator("#filters .chip").inner_text().startswith("category: tech")
        # the date histogram: a bar per month of the matches; a click narrows to it
        bars = page.locator("#timeline .bar")
        assert bars.count() >= 2
        # the tallest bar stays inside the histogram, clear of what is above it
        tallest = min(f["y"] for f in page.locator("#timeline .fill").evaluate_all(
            "fs => fs.map(f => f.getBoundingClientRect().toJSON())"))
        box = page.locator("#timeline").bounding_box()
        assert tallest >= box["y"] + 6
        page.screenshot(path=str(shots / "desktop-results.png"))
        bar = page.locator("#timeline .bar:not([disabled])").nth(1)
        month = bar.get_attribute("data-value")
        in_month = int(re.search(r": (\d+)", bar.get_attribute("title")).group(1))
        bar.click()
        page.wait_for_function("n => document.querySelector('#total') && "
                               "Number(document.querySelector('#total').dataset.total) === n",
                               arg=in_month)
        assert f"since={month}" in page.url and f"until={month}" in page.url
        assert all(t.startswith(month) for t in
                   page.locator("#hits time").evaluate_all("ts => ts.map(t => t.textContent)"))
        page.go_back()
        page.wait_for_function("n => document.querySelector('#total') && "
                               "Number(document.querySelector('#total').dataset.total) === n",
                               arg=expected)
    else:
        page.screenshot(path=str(shots / "desktop-results.png"))

    first_page_ids = page.locator("#hits h2 a").evaluate_all("as => as.map(a => a.href)")
    page.click("#pager a.next")
    page.wait_for_function("() => location.search.includes('page=2') && "
                           "!document.querySelector('#results').classList.contains('busy')")
    page.wait_for_selector("#pager .current:text('2')")
    second_page_ids = page.locator("#hits h2 a").evaluate_all("as => as.map(a => a.href)")
    assert second_page_ids and not set(first_page_ids) & set(second_page_ids)
    assert page.get_attribute("#hits", "start") == "11"

    title = page.locator("#hits h2 a").first.inner_text()
    page.locator("#hits h2 a").first.click()
    page.wait_for_selector("#article h1")
    assert page.inner_text("#article h1") == title
    assert page.locator("#article .body p").count() >= 2
    assert page.is_hidden("#results")
    page.screenshot(path=str(shots / "desktop-article.png"))
    page.click("#article .back")
    page.wait_for_selector("#pager .current:text('2')")
    assert not problems, problems


def test_article_text_is_escaped(browser, base_url: str, shots: Path) -> None:
    page, problems = open_page(browser, base_url, 1280, 900)
    search(page, "market report")
    heading = page.locator("#hits h2 a", has_text="alert(1)")
    assert heading.inner_text() == XSS_TITLE
    assert page.locator("#hits script").count() == 0
    heading.click()
    page.wait_for_selector("#article h1")
    assert page.inner_text("#article h1") == XSS_TITLE
    assert "<img src=x onerror=alert(2)>" in page.inner_text("#article .body")
    assert page.locator("#article img").count() == 0
    assert not problems, problems                       # no alert() dialog ran


@pytest.mark.skipif(not library_features()["collapse"], reason="collapse has not landed")
def test_collapsed_copies(browser, base_url: str, shots: Path) -> None:
    page, problems = open_page(browser, base_url, 1280, 900)
    search(page, "ballistic missiles")
    assert page.locator("#hits > li").count() == 2
    page.check("#collapse")
    page.wait_for_function("() => location.search.includes('collapse=1') && "
                           "!document.querySelector('#results').classList.contains('busy') && "
                           "document.querySelectorAll('#hits > li').length === 1")
    copies = page.locator("#hits details.copies")
    assert copies.locator("summary").inner_text() == "and 1 other copy"
    copies.locator("summary").click()
    assert copies.locator("li").count() == 1
    page.screenshot(path=str(shots / "desktop-collapsed.png"))
    assert not problems, problems


def test_query_error_is_shown(browser, base_url: str) -> None:
    page, problems = open_page(browser, base_url, 1280, 900)
    page.fill("#q", '"central bank')
    page.press("#q", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "unclosed quote" in page.inner_text("#error")
    assert re.search(r"\n\^", page.inner_text("#error .caret"))
    assert not problems, problems


def test_phone_width(browser, base_url: str, shots: Path) -> None:
    page, problems = open_page(browser, base_url, 390, 844)
    search(page, "economy OR market")
    assert page.locator("#hits mark").count() > 0
    # nothing wider than the screen: no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "phone-results.png"))
    page.locator("#hits h2 a").first.click()
    page.wait_for_selector("#article h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "phone-article.png"))
    assert not problems, problems
