"""Status rows and the table `up`, `ps` and the smoke show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from dockwright.stack.state import ContainerState

# -- rows and tables ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Row:
    service: str
    state: str
    health: str
    url: str
    since_up: float | None = None
    since_start: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "state": self.state,
            "health": self.health,
            "url": self.url,
            "healthy_after_up_s": _round(self.since_up),
            "healthy_after_start_s": _round(self.since_start),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def published_url(c: ContainerState, extension: Mapping[str, Any]) -> str:
    """`http://127.0.0.1:PORT` for HTTP services (with a health_path), else `host:port`."""
    http = "health_path" in extension
    return ", ".join(f"http://{p.address}" if http else p.address for p in c.published) or "-"


def _time_to_ready(c: ContainerState, started: float | None) -> tuple[float | None, float | None]:
    """Seconds from `up` and from the container's start to ready; None for a
    container that started before `up` began (the clocks agree to about a second)."""
    ready_at = c.healthy_at if c.probe is not None else c.started_at
    if started is None or ready_at is None or c.started_at is None:
        return None, None
    if c.started_at < started - 1:
        return None, None
    return max(ready_at - started, 0.0), max(ready_at - c.started_at, 0.0)


def make_rows(
    services: Sequence[str],
    states: Mapping[str, ContainerState],
    extensions: Mapping[str, Mapping[str, Any]],
    *,
    started: float | None = None,
) -> list[Row]:
    """One row per service. With `started` (when `up` began), time to healthy: from
    then, and from the container's own start. A container already healthy before
    `up` began gets no time."""
    rows = []
    for service in services:
        c = states.get(service)
        if c is None:
            rows.append(Row(service=service, state="missing", health="-", url="-"))
            continue
        since_up, since_start = _time_to_ready(c, started)
        rows.append(
            Row(
                service=service,
                state=c.status,
                health=c.health or ("starting" if c.probe and c.status == "running" else "-"),
                url=published_url(c, extensions.get(service, {})),
                since_up=since_up,
                since_start=since_start,
            )
        )
    return rows


def _seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def status_table(rows: Sequence[Row], *, title: str, timings: bool) -> Table:
    table = Table(title=title)
    for column in ("service", "state", "health", "published"):
        table.add_column(column)
    if timings:
        table.add_column("healthy after up", justify="right")
        table.add_column("after its start", justify="right")
    for r in rows:
        colour = {"healthy": "green", "unhealthy": "red"}.get(r.health, "yellow")
        cells = [r.service, r.state, f"[{colour}]{r.health}[/]", r.url]
        if timings:
            cells += [_seconds_text(r.since_up), _seconds_text(r.since_start)]
        table.add_row(*cells)
    return table
