"""A cold search imports only what it uses (the CLI start-up target of the array issue).

Each check runs in a fresh interpreter, since this test process has imported
everything already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Modules a search of an English index with ISO dates never calls into: the web
#: client whoosh.compat imports, the date parsers for written-out dates, the export's
#: process pool.
UNUSED_BY_SEARCH = ("urllib.request", "http.client", "dateutil", "email.utils",
                    "concurrent.futures", "multiprocessing")


def python(code: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_stock_whoosh_compat_still_imports_the_web_client() -> None:
    """The bug the stand-in works around; when this fails, drop lean_imports."""
    assert python("import sys, whoosh.compat; print('urllib.request' in sys.modules)") == "True"


def test_a_search_loads_none_of_the_unused_modules(news_index_path: Path) -> None:
    code = ("import sys, searchcore\n"
            "ix = searchcore.open_index(sys.argv[1])\n"
            "results = ix.search('governments', snippets=3)\n"
            "dated = ix.search('governments published:[2000-01-01 TO 2030-12-31]', since='2001-02-03')\n"
            "print(results.total > 0, sorted(m for m in sys.argv[2:] if m in sys.modules))")
    assert python(code, str(news_index_path), *UNUSED_BY_SEARCH) == "True []"


def test_what_was_deferred_still_works_when_needed(tmp_path: Path) -> None:
    """whoosh's urlretrieve, written-out dates and the real urllib.request after it."""
    page = tmp_path / "page.txt"
    page.write_text("fetched")
    code = ("import sys, searchcore, whoosh.compat\n"
            "from searchcore.dates import parse_date_text as parse_date\n"
            "copy, _ = whoosh.compat.urlretrieve(sys.argv[1], sys.argv[2])\n"
            "import urllib.request\n"
            "print(open(copy).read(), hasattr(urllib.request, 'urlopen'),\n"
            "      parse_date('April 14, 2024')[0].date(), parse_date('Sun, 14 Apr 2024 09:30:00 GMT')[1])")
    out = python(code, page.as_uri(), str(tmp_path / "copy.txt"))
    assert out == "fetched True 2024-04-14 second"
