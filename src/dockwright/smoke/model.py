"""A smoke run as values: its steps, their timings, and the JSON written as an artifact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True, kw_only=True)
class Step:
    """One finished step: what it was, how long it took, how it ended and why."""

    name: str
    status: Status
    seconds: float = 0.0
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True, kw_only=True)
class Event:
    """What the runner reports while it works: a step starting (`step` None), a step
    ending (`step` set), or a progress line (`message`)."""

    name: str
    step: Step | None = None
    message: str = ""


OnEvent = Callable[[Event], None]


@dataclass(kw_only=True)
class SmokeResult:
    """The whole run. Mutable while it runs; the runner returns it finished."""

    env: str
    project: str
    steps: list[Step] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    @property
    def failed(self) -> Step | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "project": self.project,
            "ok": self.ok,
            "total_s": round(sum(s.seconds for s in self.steps), 2),
            "steps": [s.as_dict() for s in self.steps],
            "services": self.services,
            "artifacts": self.artifacts,
        }
