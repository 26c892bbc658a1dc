"""Ingestion and index building: ``searchcore.index``.

``build_index`` (full rebuild into a new generation, atomic switch) and
``add_sources`` (incremental add/replace) live in :mod:`.build`; readers and
normalisation in :mod:`.ingest`/:mod:`.readers`. Re-exported lazily so importing a
reader does not load the writer machinery.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_sources", "build_index"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from searchcore.index import build

        return getattr(build, name)
    raise AttributeError(f"module 'searchcore.index' has no attribute {name!r}")
