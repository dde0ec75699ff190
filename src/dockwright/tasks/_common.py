"""What every task shares: turning our errors into one line and an exit code."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
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


def guarded(func: F) -> F:
    """Catch DockwrightError once and exit with its one-line message and code.

    Set DOCKWRIGHT_DEBUG=1 to get the traceback instead.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
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
