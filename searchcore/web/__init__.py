"""The HTTP face of searchcore: an ASGI app behind ``searchcore serve``, mountable by others.

::

    request -> params.py (query string -> validated library arguments, limits)
            -> pool.py (an Index borrowed for this request, on a worker thread)
            -> the library (Index.search / get / stats / timeline, as the CLI calls it)
            -> JSON of the same shape as the CLI's ``--json`` (orjson)

``create_app(index_path)`` returns a Starlette application; run it with uvicorn (what
``searchcore serve`` does) or mount it inside another ASGI app. The page at ``/`` and
its assets are files in ``static/``, served by the app itself: no CDN, no internet.
"""

from __future__ import annotations

from searchcore.web.app import create_app
from searchcore.web.params import DEFAULT_LIMITS, Limits

__all__ = ["create_app", "Limits", "DEFAULT_LIMITS"]
