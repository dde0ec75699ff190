"""What every task shares: turning our errors into one line and an exit code."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from invoke.exceptions import Exit
from rich.console import Console

from dockwright.errors import DockwrightError, EngineError

F = TypeVar("F", bound=Callable[..., Any])

# Human chatter goes to stderr; machine output (--json) to stdout.
# Tables stay readable in CI logs, where there is no terminal to measure.
_WIDTH = max(shutil.get_terminal_size((140, 24)).columns, 100)
console = Console(stderr=True, highlight=False, width=_WIDTH)
out = Console(highlight=False, soft_wrap=True)


def say(message: str) -> None:
    """A flow's progress line, indented under the step it belongs to (stderr); never
    folded, so a log keeps it on one line, whole, for grep."""
    console.print(f"  {message}", markup=False, soft_wrap=True)


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so every `finally` (a throwaway login
    folder, the release lock) runs before the process ends."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _help_request(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A usage line when `--help` arrived as an argument's value.

    invoke fills a positional argument (`tags VERSION`) with the next word, even
    `--help`: the task would then read it as a version. Say how to get the help.
    """
    values = [*args[1:], *kwargs.values()]
    if not any(v in ("-h", "--help") for v in values if isinstance(v, str)):
        return ""
    params = list(inspect.signature(func).parameters.values())[1:]
    positional = " ".join(p.name.upper() for p in params if p.default is p.empty)
    name = func.__name__.rstrip("_").replace("_", "-")
    return f"usage: invoke {name} {positional} [--options]; every option: invoke --help {name}"


def guarded(func: F) -> F:
    """Catch DockwrightError once and exit with its one-line message and code.

    SIGTERM (a CI runner cancelling the job) unwinds the task like Ctrl-C does and
    exits 143. Set DOCKWRIGHT_DEBUG=1 to get the traceback instead.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if usage := _help_request(func, args, kwargs):
            raise Exit(usage, code=0)
        try:
            with _sigterm_unwinds():
                return func(*args, **kwargs)
        except Terminated:
            raise Exit("error: stopped by SIGTERM; cleaned up", code=143) from None
        except DockwrightError as error:
            if os.environ.get("DOCKWRIGHT_DEBUG"):
                raise
            raise Exit(f"error: {error}", code=error.exit_code) from None
        except Exception as error:
            # An engine failure the engine layer did not anticipate: still one line.
            if os.environ.get("DOCKWRIGHT_DEBUG") or not type(error).__module__.startswith(
                "python_on_whales"
            ):
                raise
            detail = (getattr(error, "stderr", None) or str(error)).strip().splitlines()
            last = detail[-1] if detail else type(error).__name__
            raise Exit(
                f"error: docker failed: {last} (DOCKWRIGHT_DEBUG=1 shows the details)",
                code=EngineError.exit_code,
            ) from None

    return wrapper  # type: ignore[return-value]


def split_names(positional: str | None, repeated: list[str] | None) -> list[str]:
    """Service names from `a,b` (positional) and repeated `--service` flags, in order."""
    names = [n.strip() for n in (positional or "").split(",") if n.strip()]
    for n in repeated or []:
        names += [p.strip() for p in n.split(",") if p.strip()]
    return list(dict.fromkeys(names))
