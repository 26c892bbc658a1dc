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
