"""`searchcore serve` as a process, and searches over real sockets while the index is rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BBC_FILE, bbc_articles
from live_server import free_port, running

import searchcore
from searchcore.cli.main import cli
from searchcore.web import create_app


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_needs_a_token_for_writes(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--index", str(tmp_path), "--allow-writes"])
    assert result.exit_code == 2 and "--allow-writes needs --token" in result.output


def test_serve_refuses_a_missing_index(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.output.startswith("Error: ")


def test_serve_process_answers_on_loopback(news_index_path: Path) -> None:
    port = free_port()
    exe = Path(sys.executable).with_name("searchcore")
    proc = subprocess.Popen([str(exe) if exe.exists() else "searchcore", "serve", "--index",
                             str(news_index_path), "--port", str(port), "--log-level", "warning"],
                            stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, doc = get(base + "healthz")
                break
            except urllib.error.URLError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert status == 200 and doc["documents"] == 301 and doc["writes"] is False
        status, doc = get(base + "api/search?q=ballistic+missiles")
        assert status == 200 and doc["hits"][0]["id"] == "seed"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Serving" in err and "read-only" in err


@pytest.mark.slow
def test_no_request_fails_during_rebuilds(tmp_path: Path) -> None:
    """Four clients search while the index is rebuilt twice; every answer is a 200."""
    path = tmp_path / "index"
    searchcore.build_index([BBC_FILE], path, workers=1)
    with searchcore.open_index(path) as ix:
        first = ix.manifest["generation"]
    statuses: list[int] = []
    generations: set[str] = set()
    done = threading.Event()

    def client(base: str) -> None:
        while not done.is_set():
            for url in ("api/search?q=oil+OR+economy", "api/search?q=*&sort=newest",
                        "api/articles/" + bbc_articles()[0]["id"], "healthz"):
                status, doc = get(base + url)
                statuses.append(status)
                if url == "healthz":
                    generations.add(doc["generation"])

    with running(create_app(path, readers=2)) as base:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client, base) for _ in range(4)]
            for _ in range(2):
                searchcore.build_index([BBC_FILE], path, workers=1)
                time.sleep(0.3)
            done.set()
            for f in futures:
                f.result()
        status, doc = get(base + "healthz")
    assert statuses and set(statuses) == {200}
    assert doc["generation"] != first and len(generations) >= 2
    # the server's readers let go of old generations, so a rebuild could remove them
    assert len(list(path.glob("gen-*"))) <= 2
