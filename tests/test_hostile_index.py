"""An index folder is untrusted input: a pickle planted in it must never run.

Each test builds a real index, plants a crafted pickle whose payload would create a
marker file (the classic ``os.system`` ``__reduce__``), then goes through every entry
point: the library's ``open_index``, ``search``, ``get``, ``stats`` and the CLI's
``search``, ``show``, ``index stats`` and ``index check``. Each must fail with a
SearchcoreError (``Error: ...``, exit 1) and the marker must stay absent.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import orjson
import pytest
import whoosh.columns
from click.testing import CliRunner
from whoosh.filedb.structfile import StructFile

import searchcore
from searchcore.cli.main import cli
from searchcore.whoosh_boundary import safe_pickle

ARTICLES = [
    {"id": "a1", "title": "Oil prices rise", "body": "Crude oil rose on Monday.",
     "published": "2024-04-14", "source": "Reuters"},
    {"id": "evil", "title": "Oil film", "body": "An oil tanker in a film.",
     "published": "2024-04-15", "source": "Reuters"},
]


class _Payload:
    """Unpickling this runs ``touch MARKER``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


def payload(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker), 2)


def test_the_payload_really_runs_without_the_defence(tmp_path: Path) -> None:
    """The crafted pickle is a real attack: plain pickle runs it; ours refuses it."""
    marker = tmp_path / "ran"
    pickle.loads(payload(marker))
    assert marker.exists()
    marker.unlink()
    with pytest.raises(safe_pickle.UnsafePickleError, match="posix.system|os.system"):
        safe_pickle.loads(payload(marker))
    assert not marker.exists()


def live_generation(index: Path) -> Path:
    with searchcore.open_index(index) as ix:
        return index / ix.manifest["generation"]


def plant_toc_schema(index: Path, data: bytes) -> None:
    """Replace the pickled schema inside the live generation's TOC with ``data``."""
    toc = next(live_generation(index).glob("_MAIN_*.toc"))
    raw = toc.read_bytes()
    src = StructFile(io.BytesIO(raw))
    for _ in range(3):
        src.read_varint()                          # int, long, float sizes
    src.read_int()                                 # -12345
    src.read_int()                                 # TOC version
    for _ in range(3):
        src.read_varint()                          # whoosh release
    start = src.tell()
    end = start + src.read_varint()
    end += src.tell() - start
    out = io.BytesIO()
    dst = StructFile(out)
    dst.write(raw[:start])
    dst.write_string(data)
    dst.write(raw[end:])
    toc.write_bytes(out.getvalue())


def plant_toc_segments(index: Path, data: bytes) -> None:
    """Replace the pickled segment list at the end of the TOC with ``data``."""
    toc = next(live_generation(index).glob("_MAIN_*.toc"))
    raw = toc.read_bytes()
    src = StructFile(io.BytesIO(raw))
    for _ in range(3):
        src.read_varint()
    src.read_int()
    src.read_int()
    for _ in range(3):
        src.read_varint()
    src.skip_string()
    src.read_int()                                 # generation
    src.read_int()                                 # unused
    toc.write_bytes(raw[:src.tell()] + data)


@contextlib.contextmanager
def evil_stored_fields(marker: Path) -> Iterator[None]:
    """While building, whoosh writes the payload as the stored fields of ``evil``."""
    real = whoosh.columns.dumps

    def dumps(value, protocol=None):  # type: ignore[no-untyped-def]
        if isinstance(value, dict) and value.get("id") == "evil":
            return payload(marker)
        return real(value, protocol)

    whoosh.columns.dumps = dumps
    try:
        yield
    finally:
        whoosh.columns.dumps = real


def build(path: Path) -> Path:
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    return path


def cli_run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"SEARCHCORE_INDEX": None, "NO_COLOR": "1"},
                              catch_exceptions=False)


def assert_every_entry_point_refuses(index: Path, marker: Path, open_fails: bool) -> None:
    calls = {
        "search": lambda ix: ix.search("oil film", limit=10),
        "get": lambda ix: ix.get("evil"),
        "stats": lambda ix: ix.stats(),
    }
    if open_fails:
        with pytest.raises(searchcore.SearchcoreError):
            searchcore.open_index(index)
    else:
        for name, call in calls.items():
            with searchcore.open_index(index) as ix:
                with pytest.raises(searchcore.SearchcoreError, match="damaged"):
                    call(ix)
            assert not marker.exists(), name
    for args in (["search", "oil film"], ["show", "evil"], ["index", "stats"]):
        result = cli_run(*args, "--index", str(index))
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("Error: "), result.stderr
        assert "Traceback" not in result.output
        assert not marker.exists(), args
    check = cli_run("index", "check", "--index", str(index))
    assert check.exit_code == 1, check.output
    assert "No problems" not in check.output
    assert not marker.exists()


def test_a_crafted_toc_schema_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    index = build(tmp_path / "ix")
    plant_toc_schema(index, payload(marker))
    assert_every_entry_point_refuses(index, marker, open_fails=True)


def test_a_crafted_toc_segment_list_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    index = build(tmp_path / "ix")
    plant_toc_segments(index, pickle.dumps([_Payload(marker)], -1))
    assert_every_entry_point_refuses(index, marker, open_fails=True)


def test_crafted_stored_fields_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with evil_stored_fields(marker):
        # The add commits, then reads the stored fields back for the side columns:
        # that read already refuses the payload.
        with contextlib.suppress(searchcore.SearchcoreError):
            build(tmp_path / "ix")
    index = tmp_path / "ix"
    assert not marker.exists()
    assert_every_entry_point_refuses(index, marker, open_fails=False)


def test_the_allowlist_reads_every_real_index(news_index) -> None:
    """What searchcore writes loads through the allowlist: the whole suite relies on it,
    this is the direct check (stored fields, positions for phrases, schema, segments)."""
    assert whoosh.columns.loads is safe_pickle.loads
    assert news_index.search('"prime minister" OR oil', limit=5).hits
    assert news_index.stats()["documents"] == len(news_index)


# -- the manifest and the lock files ---------------------------------------------------
def rewrite_manifest(index: Path, **fields: object) -> None:
    mpath = index / "searchcore.json"
    manifest = orjson.loads(mpath.read_bytes())
    manifest.update(fields)
    mpath.write_bytes(orjson.dumps(manifest))


@pytest.mark.parametrize("generation", ["../elsewhere/gen-000001", "ABSOLUTE", "gen-1/..",
                                        "gen-000001/../gen-000001", "", "readers.lock"])
def test_a_generation_outside_the_index_folder_is_refused(tmp_path: Path, generation: str) -> None:
    build(tmp_path / "elsewhere")
    index = build(tmp_path / "ix")
    if generation == "ABSOLUTE":
        generation = str(tmp_path / "elsewhere" / "gen-000001")
    rewrite_manifest(index, generation=generation)
    with pytest.raises(searchcore.IndexFormatError, match="generation"):
        searchcore.open_index(index)
    check = cli_run("index", "check", "--index", str(index))
    assert check.exit_code == 1 and "No problems" not in check.output
    assert check.stderr.startswith("Error: ")


def test_a_generation_symlinked_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    build(tmp_path / "elsewhere")
    index = build(tmp_path / "ix")
    link = index / "gen-000009"
    link.symlink_to(tmp_path / "elsewhere" / "gen-000001", target_is_directory=True)
    rewrite_manifest(index, generation="gen-000009")
    with pytest.raises(searchcore.IndexFormatError, match="outside the index folder"):
        searchcore.open_index(index)


@pytest.mark.parametrize("field,value", [("documents", "many"), ("documents", -1),
                                         ("documents", True), ("language", {"a": 1}),
                                         ("analyzer", "snowball"), ("generation", 1),
                                         ("updated", 5)])
def test_manifest_fields_of_the_wrong_type_are_errors(tmp_path: Path, field: str,
                                                      value: object) -> None:
    index = build(tmp_path / "ix")
    rewrite_manifest(index, **{field: value})
    with pytest.raises(searchcore.IndexFormatError, match=repr(field)):
        searchcore.open_index(index)


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_a_linked_write_lock_never_touches_its_target(tmp_path: Path, kind: str) -> None:
    index = build(tmp_path / "ix")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = index / "write.lock"
    lock.unlink(missing_ok=True)
    if kind == "symlink":
        lock.symlink_to(victim)
    else:
        os.link(victim, lock)
    with searchcore.open_index(index) as ix:
        with pytest.raises(searchcore.IndexFormatError, match="write.lock"):
            ix.add([{"id": "new", "title": "New", "body": "Text."}])
    assert victim.read_text() == "precious\n"


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """``chattr +i``: a folder even root cannot write (root ignores permissions)."""
    done: list[Path] = []
    try:
        for path in paths:
            result = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
            if result.returncode != 0:
                pytest.skip(f"chattr +i is not available here: {result.stderr.decode()!r}")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr for a read-only folder")
@pytest.mark.parametrize("with_lock", [True, False])
def test_a_read_only_index_is_searchable(tmp_path: Path, with_lock: bool) -> None:
    index = build(tmp_path / "ix")
    gen_dir = live_generation(index)
    if not with_lock:
        (gen_dir / "readers.lock").unlink()
    before = sorted(p.name for p in gen_dir.iterdir())
    locks = [gen_dir / "readers.lock"] if with_lock else []
    with immutable(index, gen_dir, *locks):
        with pytest.raises(OSError):
            (gen_dir / "probe").touch()         # really read-only, even for root
        with searchcore.open_index(index) as ix:
            assert [h.id for h in ix.search("tanker").hits] == ["evil"]
            assert ix.get("a1") is not None and ix.stats()["documents"] == 2
        result = cli_run("search", "tanker", "--index", str(index))
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in gen_dir.iterdir()) == before
