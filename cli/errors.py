"""How failures reach the user: ``Error: <message>`` and an exit code, never a traceback.

Exit codes (the same as click's):

* 0 — success (a search with no hits is a success);
* 1 — the user's input or environment is wrong: any
  :class:`~searchcore.errors.SearchcoreError` (bad query, missing index, unreadable
  file, index locked by another writer...) or an unreadable path, shown as
  ``Error: <message>``;
* 2 — the command line itself is wrong (unknown option, missing argument), shown by
  click with a ``Try 'searchcore CMD -h' for help.`` hint.

Every command class here funnels its callback through :func:`translate_errors`, so a
new command gets the same behaviour by being declared on the ``searchcore`` group.
A closed pipe (``searchcore search oil | head -1``) ends quietly, like ``cat``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator

import click

from searchcore.errors import QuerySyntaxError, SearchcoreError


class UserError(click.ClickException):
    """A mistake the user can fix: printed as ``Error: message``, exit code 1."""

    exit_code = 1


def describe(exc: BaseException) -> str:
    """The message for ``exc``; a query error points at the offending character."""
    message = str(exc)
    if isinstance(exc, QuerySyntaxError) and exc.position is not None and exc.query:
        line = exc.query.replace("\n", " ")
        if len(line) <= 120 and 0 <= exc.position <= len(line):
            message += f"\n  {line}\n  {' ' * exc.position}^"
    return message


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def _os_message(exc: OSError) -> str:
    what = exc.strerror or exc.__class__.__name__
    if exc.filename is not None:
        return f"cannot read {os.fsdecode(exc.filename)!r}: {what}"
    return what


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn library errors into :class:`UserError`, a closed pipe into a quiet exit."""
    try:
        yield
    except SearchcoreError as exc:
        raise UserError(describe(exc)) from None
    except BrokenPipeError:
        _quiet_broken_pipe()
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        raise UserError(_os_message(exc)) from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - the one place a traceback becomes a message
        if os.environ.get(DEBUG_ENV):
            raise
        message = unexpected_message(exc)
        _release(exc)
        raise UserError(message) from None


def _release(exc: BaseException) -> None:
    """Free what the failed call still holds (whoosh leaves a half-opened segment's
    files to the garbage collector), so no ResourceWarning follows the message."""
    import gc
    import traceback
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        if exc.__traceback__ is not None:
            traceback.clear_frames(exc.__traceback__)
        exc.__traceback__ = None
        gc.collect()


#: Set to see the traceback of an unexpected error instead of the message.
DEBUG_ENV = "SEARCHCORE_DEBUG"


def unexpected_message(exc: BaseException) -> str:
    """The message for an error searchcore did not raise on purpose.

    Almost always a damaged index: whoosh reports a truncated or overwritten segment
    as ``OSError: [Errno 22]``, ``struct.error`` or ``Exception: Block tag error``,
    never as one of our errors. So the message names the index and the two commands
    that settle it, instead of a traceback; ``$SEARCHCORE_DEBUG=1`` shows the traceback.
    """
    from searchcore.cli.options import resolve_index_path

    name = type(exc).__name__
    if name == "error":                  # zlib.error, struct.error: say which
        name = f"{type(exc).__module__}.error"
    detail = f"{name}: {exc}" if str(exc) else name
    try:
        index = str(resolve_index_path(None))
    except Exception:  # noqa: BLE001 - no click context: name no index
        index = ""
    where = f" reading the index at {index!r}" if index else ""
    target = f" --index {index}" if index else ""
    return (f"unexpected {detail}{where}. The index may be damaged: run "
            f"`searchcore index check{target}`, and if it reports problems, rebuild it "
            f"(`searchcore index build SOURCE...{target}`). If the check finds nothing, "
            f"this is a bug in searchcore; {DEBUG_ENV}=1 shows the traceback to report.")


def _quiet_broken_pipe() -> None:
    # Python would print "Exception ignored ... BrokenPipeError" when it flushes
    # stdout at exit; point stdout at /dev/null so that flush succeeds.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise click.exceptions.Exit(1)


class SearchcoreCommand(click.Command):
    """A command whose library errors become ``Error: ...`` with exit code 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)            # click consumes ``args`` as it parses
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            hint = self._dash_query_hint(ctx, given, exc.option_name)
            if hint:
                exc.message += hint
            raise

    def _dash_query_hint(self, ctx: click.Context, args: list[str], option: str) -> str:
        """``search -opec``: click reads ``-opec`` as options ``-o -p -e -c``; a command
        that takes a QUERY says how to search for a word that starts with ``-``."""
        if not any(isinstance(p, click.Argument) and p.name == "query" for p in self.params):
            return ""
        word = next((a for a in args if a.startswith(option) and not a.startswith("--")), None)
        if word is None or "--" in args[:args.index(word)]:
            return ""
        before = [a for a in args if a != word]
        example = " ".join([ctx.command_path, *map(_quote, before), "--", _quote(word)])
        return (f"\nA query that starts with '-' goes after '--' (options before it): "
                f"{example}")

    def invoke(self, ctx: click.Context) -> Any:
        with translate_errors():
            return super().invoke(ctx)


class SearchcoreGroup(click.Group):
    """A group whose commands (and sub-groups) are :class:`SearchcoreCommand`\\ s."""

    command_class = SearchcoreCommand
    group_class = type  # sub-groups are SearchcoreGroups too

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # the order they were added, not alphabetical

    def invoke(self, ctx: click.Context) -> Any:
        with translate_errors():
            return super().invoke(ctx)
