"""The ASGI application: routes, error mapping, write protection, security headers.

Why Starlette and uvicorn: Starlette is a small, maintained ASGI toolkit (the base of
FastAPI) whose only dependency is anyio; it gives routing, static files, CORS and a
test client, and nothing we would have to work around. We need no schema-generation
or dependency injection (FastAPI's reasons to exist, plus pydantic), and a WSGI
framework (Flask) would tie a worker thread to every slow client. uvicorn is the
reference ASGI server, and the app stays mountable in any other ASGI server or app.

Library calls are blocking (whoosh, numpy), so each runs on a worker thread with an
Index of its own borrowed from :class:`~searchcore.web.pool.IndexPool`; the event
loop only parses, routes and writes JSON.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Mapping

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from searchcore.engine import Index
from searchcore.errors import (IndexFormatError, IndexLockedError, IndexNotFoundError,
                               InvalidArticleError, QuerySyntaxError, SearchcoreError)
from searchcore.web import params
from searchcore.web.params import DEFAULT_LIMITS, BadRequest, Limits
from searchcore.web.pool import IndexPool, PoolBusy

log = logging.getLogger("searchcore.web")

STATIC = Path(__file__).parent / "static"
TIMELINE_BYS = ("day", "week", "month", "year")

#: Sent with every response. The page needs nothing but its own scripts, styles and
#: API; inline script and style are refused, so text that slipped through unescaped
#: still could not run.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class JSON(Response):
    """JSON with orjson: datetimes as ISO 8601, the bytes the CLI's ``--json`` prints."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def library_features() -> dict[str, bool]:
    """Which optional library features this build has (they land independently)."""
    search = inspect.signature(Index.search).parameters
    return {"facets": "facets" in search, "collapse": "collapse" in search,
            "after": "after" in search, "language": "language" in search,
            "timeline": callable(getattr(Index, "timeline", None))}


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(index_path: str | os.PathLike[str], allow_writes: bool = False,
               token: str | None = None, cors_origins: Iterable[str] = (), *,
               limits: Limits = DEFAULT_LIMITS, readers: int | None = None) -> Starlette:
    """The searchcore web app over the index at ``index_path``.

    Read-only unless ``allow_writes`` is true, and then ``POST /api/articles`` and
    ``DELETE /api/articles/{id}`` need ``Authorization: Bearer <token>``. No CORS
    unless ``cors_origins`` names the origins allowed to call the API from a browser.
    ``readers`` is how many library calls run at once (one Index each; default: one
    per CPU). The index is opened on the first request, so the app can be created
    before the index exists; ``searchcore serve`` checks it first.
    """
    if allow_writes and not token:
        raise ValueError("allow_writes needs a token: writes are only accepted with "
                         "'Authorization: Bearer <token>'")
    pool = IndexPool(index_path, readers)
    features = library_features()
    stats_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
    write_lock = threading.Lock()

    async def with_index(work: Callable[[Index], Any]) -> Any:
        def run() -> Any:
            with pool.borrow() as ix:
                return work(ix)
        return await run_in_threadpool(run)

    # -- read endpoints -----------------------------------------------------------------
    async def search(request: Request) -> Response:
        args = params.search_arguments(request.query_params, limits, features)
        query = args.pop("query")
        results = await with_index(lambda ix: ix.search(query, **args))
        return JSON(results.to_dict())

    async def article(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        found = await with_index(lambda ix: ix.get(article_id))
        if found is None:
            raise BadRequest(f"no article with id {article_id!r}", status=404)
        return JSON(found.to_dict())

    async def timeline(request: Request) -> Response:
        if not features["timeline"]:
            raise BadRequest("timeline is not supported yet by this searchcore")
        args = params.timeline_arguments(request.query_params, limits, TIMELINE_BYS)
        query = args.pop("query")
        result = await with_index(lambda ix: ix.timeline(query, **args))
        return JSON(_plain(result))

    async def stats(request: Request) -> Response:
        def work(ix: Index) -> dict[str, Any]:
            ix.refresh()                                 # follows a rebuild's switch
            manifest = ix.manifest
            key = (manifest.get("generation"), manifest.get("updated"), manifest.get("documents"))
            if key not in stats_cache:
                stats_cache.clear()
                stats_cache[key] = ix.stats()            # once per generation
            return stats_cache[key]
        return JSON(await with_index(work))

    async def healthz(request: Request) -> Response:
        def work(ix: Index) -> dict[str, Any]:
            ix.refresh()
            manifest = ix.manifest
            return {"status": "ok", "generation": manifest.get("generation"),
                    "documents": manifest.get("documents"), "writes": allow_writes,
                    "features": features, "limits": limits.__dict__}
        return JSON(await with_index(work))

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    # -- write endpoints ----------------------------------------------------------------
    def check_writer(request: Request) -> None:
        if not allow_writes:
            raise BadRequest("this server is read-only; start it with --allow-writes --token T "
                             "to accept writes", status=403)
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 str(token).encode()):
            raise BadRequest("writes need the header 'Authorization: Bearer <token>' with the "
                             "token the server was started with", status=403)

    async def add_articles(request: Request) -> Response:
        check_writer(request)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.max_body_bytes:
                raise BadRequest(f"request body over {limits.max_body_bytes} bytes "
                                 f"(limit max_body_bytes={limits.max_body_bytes})", status=413,
                                 limit="max_body_bytes", max=limits.max_body_bytes)
        try:
            data = orjson.loads(bytes(body))
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the body is not JSON: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("articles"), list):
            data = data["articles"]
        records = data if isinstance(data, list) else [data]
        if not records or not all(isinstance(r, dict) for r in records):
            raise BadRequest("the body must be an article object, a list of them, or "
                             '{"articles": [...]}')

        def work(ix: Index) -> int:
            with write_lock:
                return ix.add(records)
        added = await with_index(work)
        return JSON({"added": added}, status_code=201)

    async def delete_article(request: Request) -> Response:
        check_writer(request)
        article_id = request.path_params["article_id"]

        def work(ix: Index) -> int:
            with write_lock:
                return ix.delete([article_id])
        if not await with_index(work):
            raise BadRequest(f"no article with id {article_id!r}", status=404)
        return JSON({"deleted": 1})

    # -- errors -------------------------------------------------------------------------
    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return JSON(exc.payload, status_code=exc.status)

    async def library_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, QuerySyntaxError):
            return JSON({"error": str(exc), "position": exc.position}, status_code=400)
        if isinstance(exc, IndexLockedError):
            return JSON({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})
        if isinstance(exc, (IndexNotFoundError, IndexFormatError)):
            log.error("index unavailable: %s", exc)
            return JSON({"error": str(exc)}, status_code=503)
        if isinstance(exc, InvalidArticleError):
            return JSON({"error": str(exc), "field": exc.field}, status_code=400)
        return JSON({"error": str(exc)}, status_code=400)

    async def busy(request: Request, exc: Exception) -> Response:
        return JSON({"error": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSON({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Reached only by bugs: every kind of bad input has its own answer above.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSON({"error": "internal error (logged by the server)"}, status_code=500)

    handlers: Mapping[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        BadRequest: bad_request, SearchcoreError: library_error, PoolBusy: busy,
        HTTPException: http_error, Exception: server_error}
    routes = [
        Route("/", page, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/api/search", search, methods=["GET"]),
        Route("/api/timeline", timeline, methods=["GET"]),
        Route("/api/stats", stats, methods=["GET"]),
        Route("/api/articles", add_articles, methods=["POST"]),
        Route("/api/articles/{article_id:path}", article, methods=["GET"]),
        Route("/api/articles/{article_id:path}", delete_article, methods=["DELETE"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    origins = list(cors_origins)
    if origins:
        methods = ["GET", "POST", "DELETE"] if allow_writes else ["GET"]
        middleware.append(Middleware(CORSMiddleware, allow_origins=origins,
                                     allow_methods=methods,
                                     allow_headers=["Authorization", "Content-Type"]))
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    app = Starlette(routes=routes, middleware=middleware, exception_handlers=dict(handlers),
                    lifespan=lifespan)
    app.state.pool = pool
    app.state.features = features
    return app
