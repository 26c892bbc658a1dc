"""Every error searchcore raises on purpose, under one root.

::

    SearchcoreError                 catch this to catch everything below
    ├── IndexNotFoundError          no index at the path (run `searchcore index build`)
    ├── IndexExistsError            create_index() on a path that already holds one
    ├── IndexFormatError            foreign, damaged, too old or too new index
    │   └── IndexCorruptError       a segment file that cannot be read (names index and file)
    ├── IndexLockedError            another process holds the writer lock
    ├── QuerySyntaxError            a query string that cannot be parsed
    │   └── QueryLimitError         a query over its budget (names the limit)
    ├── InvalidRequestError         a bad search argument (sort, limit, ranking, ...); also a ValueError
    ├── InvalidArticleError         a record that cannot be indexed (names file, line, field)
    ├── SourceError                 an input file that cannot be read at all
    └── ClusterError                a sharded build's Dask cluster failed it (lost
                                    scheduler, workers that keep dying, unshared storage)

Messages quote the offending value with ``{value!r}`` and, where there is one, the
file and line, so a user can fix the input without reading our code. We never shadow a
builtin (whoosh's ``IndexError`` does), hence the names end in ``Error`` with a noun.
"""

from __future__ import annotations

from typing import Any


class SearchcoreError(Exception):
    """Root of all searchcore errors: ``except SearchcoreError`` catches every one."""


class IndexNotFoundError(SearchcoreError):
    """There is no searchcore index at the given path."""


class IndexExistsError(SearchcoreError):
    """``create_index`` was asked to create an index where one already exists."""


class IndexFormatError(SearchcoreError):
    """The directory holds something we cannot open: foreign, damaged, too old or too new."""


class IndexCorruptError(IndexFormatError):
    """A file of the index is damaged (truncated, corrupted, tampered with).

    ``path`` is the index folder and ``file`` the damaged file inside it when known
    (``gen-000003/MAIN_x.trm``); the message says to run ``searchcore index check``
    or rebuild.
    """

    def __init__(self, message: str, path: str = "", file: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.file = file


class IndexLockedError(SearchcoreError):
    """Another writer holds the index lock and did not release it within the timeout."""


class QuerySyntaxError(SearchcoreError):
    """A query string could not be parsed.

    ``position`` is the 0-based character offset of the problem when known, so a UI
    can point at it; the message always says what is wrong in words.
    """

    def __init__(self, message: str, query: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.query = query
        self.position = position

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (a Dask worker's search raises it in the client): the default
        # would rebuild it from the message alone.
        return (type(self), (self.args[0], self.query, self.position))


class QueryLimitError(QuerySyntaxError):
    """A query over one of the limits of its :class:`~searchcore.query.budget.QueryBudget`.

    ``limit`` names the limit (``"max_clauses"``, ``"seconds"``, ...) and ``value`` is
    its setting, so a caller can say which one and by how much.
    """

    def __init__(self, message: str, limit: str, value: float, query: str = "") -> None:
        super().__init__(message, query, None)
        self.limit = limit
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.args[0], self.limit, self.value, self.query))


class InvalidRequestError(SearchcoreError, ValueError):
    """A search argument out of range or of the wrong kind; the message names it.

    Also a ``ValueError``, which is what such arguments raised before requests were
    validated up front (``searchcore.query.request``).
    """


class InvalidArticleError(SearchcoreError):
    """A record that cannot become an article. ``origin`` is ``file:line`` when known."""

    def __init__(self, message: str, origin: str | None = None, field: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(f"{origin}: {message}" if origin else message)
        self.origin = origin
        self.field = field
        # A short machine-readable reason ("broken-json", "empty", ...) for summaries.
        self.reason = reason or "invalid"


class SourceError(SearchcoreError):
    """An input source (file, folder, stdin) that cannot be read at all."""


class ClusterError(SearchcoreError):
    """The Dask cluster of a sharded build could not finish it.

    The scheduler cannot be reached or went away, a task's workers kept dying (more
    than Dask's ``distributed.scheduler.allowed-failures``), or the workers cannot see
    the index folder (a sharded index needs storage every worker shares). The live
    index is left as it was.
    """
