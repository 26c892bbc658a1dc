"""The one generation transaction (``searchcore.generations``) that create, build and
the sharded build go live through: an aborted one leaves the live index as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

import searchcore
from searchcore import layout
from searchcore.generations import new_generation
from searchcore.index.build import build_index

from conftest import BBC_FILE


def _gens(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name.startswith("gen-"))


def test_an_aborted_generation_leaves_the_live_one_and_no_debris(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    build_index(BBC_FILE, path, workers=1)
    live = layout.read_manifest(path)["generation"]
    with searchcore.open_index(path) as ix:
        before = [h.id for h in ix.search("economy growth", snippets=0).hits]
    with pytest.raises(RuntimeError, match="half-way"):
        with new_generation(path, lock_timeout=1) as generation:
            assert generation.existing["generation"] == live
            (generation.folder / "partial").write_bytes(b"x" * 100)
            raise RuntimeError("half-way")
    assert _gens(path) == [live]
    # Leaving without commit is an abort too.
    with new_generation(path, lock_timeout=1) as generation:
        (generation.folder / "partial").write_bytes(b"x")
    assert _gens(path) == [live]
    with searchcore.open_index(path) as ix:
        assert [h.id for h in ix.search("economy growth", snippets=0).hits] == before


def test_commit_must_name_the_generation_written(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    searchcore.create_index(path).close()
    live = layout.read_manifest(path)["generation"]
    with pytest.raises(ValueError, match="names"):
        with new_generation(path, lock_timeout=1) as generation:
            generation.commit(dict(layout.read_manifest(path)))    # still names the old one
    assert layout.read_manifest(path)["generation"] == live and _gens(path) == [live]


def test_create_refuses_an_existing_index_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    build_index(BBC_FILE, path, workers=1)
    with pytest.raises(searchcore.SearchcoreError):
        searchcore.create_index(path)
    with searchcore.open_index(path) as ix:
        assert len(ix) > 0
    assert len(_gens(path)) == 1
