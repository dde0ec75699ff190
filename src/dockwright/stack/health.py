"""Health verdicts: each service's budget, whether it is ready, failed or still
starting, and the watch loop (its polling and clock are arguments: unit-tested)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dockwright.stack.state import ContainerState, Probe

# Without a healthcheck a service is ready once running; this long at most.
NO_HEALTHCHECK_BUDGET = 30.0
# Health verdicts come from the engine's own probe log, so polling faster buys
# nothing but load (each poll is a docker CLI call).
POLL_INTERVAL = 0.5


# -- verdicts --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Verdict:
    state: Literal["ready", "waiting", "failed"]
    reason: str = ""


def budget_for(
    probe: Probe | None, extension: Mapping[str, Any], override: float | None = None
) -> float:
    """Seconds a service may take from its start to healthy: `--timeout`, else
    `x-dockwright.health_budget`, else what its healthcheck allows."""
    if override is not None:
        return override
    if "health_budget" in extension:
        return float(extension["health_budget"])
    return probe.budget() if probe else NO_HEALTHCHECK_BUDGET


def judge(
    c: ContainerState | None, *, now: float, budget: float, since: float | None = None
) -> Verdict:
    """Is this service ready, still coming up, or failed?

    With `since` (when `up` began), a stopped container that last ran before
    then is one compose is about to replace or start, not a failure.
    """
    if c is None:
        return Verdict(state="waiting", reason="not created yet")
    stopped = c.status in ("exited", "dead", "restarting")
    if stopped and since is not None and (c.started_at is None or c.started_at < since - 1):
        return Verdict(state="waiting", reason="being replaced")
    if c.status in ("exited", "dead"):
        if c.exit_code == 0 and c.probe is None:
            return Verdict(state="ready", reason="completed")
        return Verdict(state="failed", reason=f"exited with code {c.exit_code}")
    if c.status == "restarting":
        return Verdict(state="failed", reason=f"keeps restarting (last exit code {c.exit_code})")
    if c.health == "unhealthy":
        detail = f" (last probe: {c.last_probe})" if c.last_probe else ""
        return Verdict(state="failed", reason=f"is unhealthy{detail}")
    if c.health == "healthy" or (c.probe is None and c.status == "running"):
        return Verdict(state="ready")
    if c.status == "created" or c.started_at is None:
        return Verdict(state="waiting", reason="waiting for its dependencies")
    if now - c.started_at > budget:
        health = c.health or c.status
        reason = f"not healthy within its budget of {budget:.0f} s (health: {health})"
        return Verdict(state="failed", reason=reason)
    return Verdict(state="waiting", reason=c.health or c.status)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How `watch` ended: every service ready, or the first one that failed and why."""

    ok: bool
    states: Mapping[str, ContainerState]
    failed: str | None = None
    reason: str = ""


def by_service(states: Iterable[ContainerState]) -> dict[str, ContainerState]:
    """One container per service: a running one over a stopped one, then the newest
    (while compose recreates a container, the old and the new one both exist)."""

    def rank(c: ContainerState) -> tuple[bool, float, str]:
        return (c.status == "running", c.started_at or 0.0, c.name)

    return {c.service: c for c in sorted(states, key=rank)}


def watch(
    services: Sequence[str],
    poll: Callable[[], list[ContainerState]],
    *,
    budget: Callable[[ContainerState], float],
    up_finished: Callable[[], tuple[int, str] | None],
    since: float | None = None,
    on_poll: Callable[[Mapping[str, ContainerState]], None] = lambda _states: None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = POLL_INTERVAL,
) -> Outcome:
    """Poll until every service is ready or one has failed.

    `budget` gives a container's seconds from start to healthy; `up_finished`
    tells whether `docker compose up` has exited: (code, its last output line);
    `since` is when it began.
    """
    while True:
        finished = up_finished()
        now = clock()
        states = by_service(poll())
        on_poll(states)
        verdicts = {}
        for service in services:
            c = states.get(service)
            verdicts[service] = judge(c, now=now, budget=budget(c) if c else 0.0, since=since)
            if verdicts[service].state == "failed":
                return Outcome(
                    ok=False, states=states, failed=service, reason=verdicts[service].reason
                )
        if all(v.state == "ready" for v in verdicts.values()):
            return Outcome(ok=True, states=states)
        if finished is not None:
            code, error = finished
            if code != 0:
                return Outcome(ok=False, states=states, reason=error or f"exit code {code}")
            missing = [s for s in services if s not in states]
            if missing:
                reason = "was not created by docker compose up"
                return Outcome(ok=False, states=states, failed=missing[0], reason=reason)
        sleep(interval)
