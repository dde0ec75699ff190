"""What the engine says about containers, as values: state, health probe, ports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Time for the engine to notice and report a verdict after the last probe.
BUDGET_SLACK = 5.0


# -- what the engine says about containers ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Probe:
    """A container's effective healthcheck timings, in seconds."""

    interval: float = 30.0
    timeout: float = 30.0
    start_period: float = 0.0
    retries: int = 3

    def budget(self) -> float:
        """Longest the engine can take to call the container healthy or unhealthy."""
        return self.start_period + self.retries * self.interval + self.timeout + BUDGET_SLACK


@dataclass(frozen=True, kw_only=True)
class Published:
    host: str
    port: int
    container_port: str

    @property
    def address(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


@dataclass(frozen=True, kw_only=True)
class ContainerState:
    """The parts of `docker inspect` that say how a compose service is doing."""

    id: str
    name: str
    service: str
    status: str
    health: str = ""
    exit_code: int = 0
    started_at: float | None = None
    healthy_at: float | None = None
    probe: Probe | None = None
    last_probe: str = ""
    published: tuple[Published, ...] = ()
    config_files: tuple[str, ...] = ()
    env_file: str = ""


def parse_timestamp(text: str | None) -> float | None:
    """Docker's RFC 3339 time (nanoseconds, Z) as epoch seconds; None for Go's zero time."""
    if not text or text.startswith("0001-"):
        return None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if match is None:
        return None
    zone = "+00:00" if match[3] == "Z" else match[3]
    base = datetime.fromisoformat(match[1] + zone).timestamp()
    return base + float(f"0.{match[2] or 0}")


def _seconds(nanoseconds: Any, default: float) -> float:
    return float(nanoseconds) / 1e9 if nanoseconds else default


def _probe(config: Mapping[str, Any] | None) -> Probe | None:
    if not config or not config.get("Test") or config["Test"][0] == "NONE":
        return None
    return Probe(
        interval=_seconds(config.get("Interval"), 30.0),
        timeout=_seconds(config.get("Timeout"), 30.0),
        start_period=_seconds(config.get("StartPeriod"), 0.0),
        retries=int(config.get("Retries") or 3),
    )


def container_state(data: Mapping[str, Any]) -> ContainerState:
    """A ContainerState from one `docker inspect` object of a compose container."""
    state = data.get("State") or {}
    config = data.get("Config") or {}
    labels = config.get("Labels") or {}
    health = state.get("Health") or {}
    started = parse_timestamp(state.get("StartedAt"))
    healthy_at, last = None, ""
    for entry in health.get("Log") or ():
        begun = parse_timestamp(entry.get("Start"))
        if started is not None and begun is not None and begun < started:
            continue  # a probe of an earlier run of this container
        last = str(entry.get("Output") or "").strip()
        if entry.get("ExitCode") == 0 and healthy_at is None:
            healthy_at = parse_timestamp(entry.get("End"))
    ports = (data.get("NetworkSettings") or {}).get("Ports") or {}
    published = [
        Published(host=b.get("HostIp", ""), port=int(b["HostPort"]), container_port=inside)
        for inside, bindings in ports.items()
        for b in bindings or ()
        if b.get("HostPort")
    ]
    files = labels.get("com.docker.compose.project.config_files", "")
    return ContainerState(
        id=str(data.get("Id", "")),
        name=str(data.get("Name", "")).lstrip("/"),
        service=labels.get("com.docker.compose.service", ""),
        status=str(state.get("Status", "")),
        health=str(health.get("Status", "")),
        exit_code=int(state.get("ExitCode") or 0),
        started_at=started,
        healthy_at=healthy_at,
        probe=_probe(config.get("Healthcheck")),
        last_probe=last.splitlines()[-1][:200] if last else "",
        # IPv6 duplicates (::) of an IPv4 binding say nothing new.
        published=tuple(p for p in published if p.host != "::"),
        config_files=tuple(f for f in files.split(",") if f),
        env_file=labels.get("com.docker.compose.project.environment_file", ""),
    )
