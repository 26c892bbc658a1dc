"""The installed ``searchcore`` console script, run as a user runs it.

CliRunner (test_cli.py) calls the click group in-process; these tests start the real
entry point from the virtualenv, so they also cover the console-script wiring, real
pipes (no colour, no pager, a closed pipe), a real terminal (through a pty) and the
process exit codes. Each start costs about a second (importing NLTK), so there are
few of them.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchcore
from searchcore.results.render import ANSI_MATCH

ARTICLES = [
    {"id": "a1", "title": "Oil prices rise", "body": "Crude oil prices rose sharply on Monday.",
     "published": "2024-03-01T09:00:00Z", "source": "Example Wire"},
    {"id": "a2", "title": "Cocoa harvest improves", "body": "Rain helped the cocoa crop in Bahia.",
     "published": "2024-02-01T09:00:00Z", "source": "Farm News"},
    {"id": "a3", "title": "Central bank holds rates",
     "body": "The central bank kept interest rates unchanged; oil was not discussed.",
     "published": "2024-01-15T09:00:00Z", "source": "Example Wire"},
]


def searchcore_exe() -> str:
    """The console script next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("searchcore")
    found = str(beside) if beside.exists() else shutil.which("searchcore")
    if not found:
        pytest.fail("the searchcore console script is not installed: pip install -e '.[test]'")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "CLICOLOR_FORCE", "SEARCHCORE_INDEX", "PAGER", "COLUMNS")}
    return {**env, **extra}


def sc(*args: str, env: dict[str, str] | None = None,
       timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([searchcore_exe(), *args], capture_output=True, text=True,
                          env=env or clean_env(), timeout=timeout, check=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-sub") / "tiny"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    return path


def test_version() -> None:
    version = sc("--version")
    assert (version.returncode, version.stdout) == (0, f"searchcore {searchcore.__version__}\n")


def test_search_through_a_pipe(tiny: Path) -> None:
    text = sc("search", "oil", env=clean_env(SEARCHCORE_INDEX=str(tiny)))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("1. **Oil** prices rise\n   Example Wire · 2024-03-01 · a1\n")
    assert "\x1b[" not in text.stdout  # a pipe is not a terminal: no colour


@pytest.mark.parametrize("args, code, fragment", [
    (["search", "oil", "--index", "{missing}"], 1, "Error: no index at"),
    (["search", "oil", "--bogus", "--index", "{tiny}"], 2, "No such option"),
])
def test_exit_codes(args: list[str], code: int, fragment: str, tiny: Path, tmp_path: Path) -> None:
    values = {"missing": str(tmp_path / "missing"), "tiny": str(tiny)}
    result = sc(*(a.format(**values) for a in args))
    assert result.returncode == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_demo_on_a_fresh_index_location(tmp_path: Path) -> None:
    index = tmp_path / "fresh" / "index"
    result = sc("demo", "ballistic missiles", env=clean_env(SEARCHCORE_INDEX=str(index)))
    assert result.returncode == 0, result.stderr
    assert str(index) in result.stderr
    assert result.stdout.startswith("1. US Informs Israel")
    assert (index / "searchcore.json").exists()


def test_closed_pipe_ends_quietly(news_index_path: Path) -> None:
    with subprocess.Popen([searchcore_exe(), "search", "said", "--limit", "300",
                           "--index", str(news_index_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=clean_env()) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`, long before the ~150 kB of output is written
        stderr = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert first.lstrip().startswith(b"1. ")
    assert "Traceback" not in stderr and "Exception" not in stderr


def run_in_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the script with a pseudo-terminal as stdin/stdout/stderr; (exit code, output)."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([searchcore_exe(), *args], stdin=secondary, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(primary)
    return proc.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_terminal_gets_colour_unless_no_color(tiny: Path) -> None:
    env = clean_env(TERM="xterm", PAGER="cat", COLUMNS="80", LINES="200")
    code, out = run_in_terminal(["search", "oil", "--index", str(tiny)], env)
    assert code == 0, out
    assert ANSI_MATCH[0] + "oil" + ANSI_MATCH[1] in out
    code, out = run_in_terminal(["search", "oil", "--index", str(tiny)], {**env, "NO_COLOR": "1"})
    assert code == 0
    assert "\x1b[" not in out and "Crude **oil** prices" in out


def test_terminal_pages_long_output_only(news_index_path: Path) -> None:
    env = clean_env(TERM="xterm", PAGER="sed -e s/^/PAGED:/", COLUMNS="80", NO_COLOR="1")
    args = ["search", "said", "--limit", "5", "--index", str(news_index_path)]
    code, out = run_in_terminal(args, {**env, "LINES": "10"})
    assert code == 0, out
    assert "PAGED:1. " in out and "PAGED:5. " in out
    code, out = run_in_terminal(args, {**env, "LINES": "500"})  # fits: no pager
    assert code == 0, out
    assert "PAGED:" not in out and "5. " in out
