"""Only the whoosh boundary reaches whoosh's byte level (the array issue's structure rule).

whoosh's codec, file, system-packing and numeric-encoding modules are its on-disk
format; the one package that may import them is ``searchcore/whoosh_boundary``, so a
whoosh upgrade is checked in one place. This reads every module's imports (top level
and inside functions) with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BYTE_LEVEL = ("whoosh.codec", "whoosh.filedb", "whoosh.system", "whoosh.util.numeric",
              "whoosh.util.varints")
BOUNDARY = ROOT / "searchcore" / "whoosh_boundary"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_outside_the_boundary_imports_whoosh_byte_level_modules() -> None:
    offenders = {}
    for package in ("searchcore", "index", "cli"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if BOUNDARY in path.parents:
                continue
            bad = sorted(m for m in imported_modules(path)
                         if any(m == b or m.startswith(b + ".") for b in BYTE_LEVEL))
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from whoosh.codec.whoosh3 import W3Codec\n")
    assert "whoosh.codec.whoosh3" in imported_modules(module)


def whoosh_private_names() -> set[str]:
    """Every private (one underscore) attribute a whoosh class defines."""
    import importlib
    import inspect
    import pkgutil

    import whoosh

    names: set[str] = set()
    for info in pkgutil.walk_packages(whoosh.__path__, "whoosh."):
        try:
            module = importlib.import_module(info.name)
        except Exception:        # optional extras whoosh ships (e.g. its Sphinx support)
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("whoosh"):
                names.update(n for n in vars(cls) if n.startswith("_") and not n.startswith("__"))
    return names


def private_uses(paths: list[Path], whoosh_names: set[str]) -> list[str]:
    """``path:line name`` of each attribute read of a whoosh-private name on
    something other than ``self``/``cls``, unless our own code (outside the
    boundary) defines that name: a subclass's override, or an attribute of ours."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    ours: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in whoosh_names
                    and node.attr not in ours
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"{path.relative_to(path.parents[1])}:{node.lineno} {node.attr}")
    return found


def test_no_module_outside_the_boundary_uses_whoosh_private_attributes() -> None:
    paths = [path for package in ("searchcore", "index", "cli")
             for path in sorted((ROOT / package).rglob("*.py")) if BOUNDARY not in path.parents]
    assert private_uses(paths, whoosh_private_names()) == []


def test_the_private_check_sees_a_private_call(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "m.py"
    module.write_text("def commit(writer, segments):\n    writer._commit_toc(segments)\n")
    assert private_uses([module], whoosh_private_names()) == ["pkg/m.py:2 _commit_toc"]
