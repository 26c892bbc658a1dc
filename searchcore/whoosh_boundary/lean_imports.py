"""Importing whoosh without the web client it never uses for searching.

``whoosh.compat`` (imported by every whoosh module) runs ``from urllib.request import
urlretrieve`` at import, and ``urllib.request`` pulls in ``http.client``, ``email``,
``ssl``, ``hashlib`` and ``tempfile``: about 60 ms of a cold ``searchcore search`` on
an idle machine, a fifth of it, for a function whoosh calls nowhere in its package.
:func:`import_whoosh_compat` imports ``whoosh.compat`` with a stand-in
``urllib.request`` whose ``urlretrieve`` imports the real one on first call, then
removes the stand-in, so any later ``import urllib.request`` gets the real module.
``tests/test_lean_imports.py`` shows stock whoosh still imports it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["import_whoosh_compat"]


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    """``urllib.request.urlretrieve``, imported when first called."""
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def import_whoosh_compat() -> None:
    """Import ``whoosh.compat`` without importing ``urllib.request``; idempotent."""
    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules:
        return
    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
    sys.modules["urllib.request"] = stand_in
    try:
        importlib.import_module("whoosh.compat")
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]
