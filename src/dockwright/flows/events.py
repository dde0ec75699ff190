"""Events every flow may send to its caller's `on_event`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Say:
    """One line for the person running it (a skipped part, a pull, a switch)."""

    message: str
