"""Damaged segment files: a clear IndexCorruptError naming the index and the file.

Real indexes are built, then one of their segment files is truncated or has bytes
flipped, as a full disk, a bad copy or a failing drive would leave it. search, get
and stats must raise :class:`~searchcore.errors.IndexCorruptError` (a SearchcoreError)
naming the index folder and the damaged file; the CLI prints ``Error: ...`` with the
``searchcore index check`` command and exits 1, never a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchcore
from searchcore.cli.main import cli
from searchcore.errors import IndexCorruptError

from conftest import bbc_articles


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damage") / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(bbc_articles()[:150])
    return path


def damaged_copy(pristine: Path, tmp_path: Path, suffix: str, how: str) -> tuple[Path, str]:
    """A copy of ``pristine`` whose segment file ending in ``suffix`` is damaged."""
    index = tmp_path / "ix"
    shutil.copytree(pristine, index)
    with searchcore.open_index(index) as ix:
        generation = ix.manifest["generation"]
    (target,) = [p for p in (index / generation).iterdir() if p.name.endswith(suffix)]
    data = target.read_bytes()
    if how == "truncate":
        data = data[:len(data) // 3]
    else:                                   # flip every byte of the second half
        half = len(data) // 2
        data = data[:half] + bytes(b ^ 0x5A for b in data[half:])
    target.write_bytes(data)
    return index, f"{generation}/{target.name}"


CASES = [(".trm", "truncate"), (".trm", "corrupt"), ("_stored.col", "truncate"),
         ("_stored.col", "corrupt"), (".pst", "truncate")]


@pytest.mark.parametrize("suffix,how", CASES)
def test_damage_raises_index_corrupt_error_naming_the_file(pristine: Path, tmp_path: Path,
                                                           suffix: str, how: str) -> None:
    index, file = damaged_copy(pristine, tmp_path, suffix, how)
    ids = [a["id"] for a in bbc_articles()[:150]]
    calls = {"search": lambda ix: ix.search("film OR oil OR government OR \"prime minister\"",
                                            limit=50),
             "get": lambda ix: [ix.get(i) for i in ids],
             "stats": lambda ix: ix.stats()}
    raised = 0
    for name, call in calls.items():
        with searchcore.open_index(index) as ix:
            try:
                call(ix)
            except IndexCorruptError as exc:
                raised += 1
                assert exc.file == file, name
                assert exc.path == str(index)
                assert str(index) in str(exc) and file in str(exc)
                assert "searchcore index check" in str(exc)
    # Some damage is invisible to some calls (stats reads no postings); each file's
    # damage is seen by at least one of them.
    assert raised >= 1


def test_the_cli_reports_damage_without_a_traceback(pristine: Path, tmp_path: Path) -> None:
    index, file = damaged_copy(pristine, tmp_path, ".trm", "truncate")
    for args in (["search", "oil"], ["show", bbc_articles()[0]["id"]], ["index", "stats"]):
        result = CliRunner().invoke(cli, [*args, "--index", str(index)],
                                    env={"SEARCHCORE_INDEX": None, "NO_COLOR": "1"})
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.startswith("Error: index "), result.stderr
        assert file in result.stderr and "searchcore index check" in result.stderr
        assert "Traceback" not in result.output
    check = CliRunner().invoke(cli, ["index", "check", "--index", str(index)])
    assert check.exit_code == 1 and "No problems" not in check.output


def test_a_bug_is_not_disguised_as_damage(news_index) -> None:
    """Only exceptions from whoosh's file reading count as damage."""
    from searchcore.whoosh_boundary.damage import is_damage

    try:
        {}["missing"]
    except KeyError as exc:
        assert not is_damage(exc)
    assert news_index.search("oil").total >= 0
