"""A running compose stack: which env and image tag, health verdicts, status rows.

Pure: the engine layer turns `docker inspect` output into `ContainerState`
values, and everything here decides on them (healthy yet? over budget? which
containers belong to the other env?) without an engine, so it is unit-tested
on saved JSON. `watch` takes its polling and clock as arguments for the same
reason.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rich.table import Table

from dockwright.compose import ENVIRONMENTS, split_image
from dockwright.errors import ConfigError
from dockwright.masking import looks_secret, mask, mask_url_passwords

ENV_VARIABLE = "DOCKWRIGHT_ENV"
LOG_TAIL = 50
# Without a healthcheck a service is ready once running; this long at most.
NO_HEALTHCHECK_BUDGET = 30.0
# Time for the engine to notice and report a verdict after the last probe.
BUDGET_SLACK = 5.0
# Health verdicts come from the engine's own probe log, so polling faster buys
# nothing but load (each poll is a docker CLI call).
POLL_INTERVAL = 0.5


def default_env(environ: Mapping[str, str], explicit: str = "") -> str:
    """`--env`, else $DOCKWRIGHT_ENV, else dev; anything else is a ConfigError."""
    env = explicit or environ.get(ENV_VARIABLE, "") or "dev"
    if env not in ENVIRONMENTS:
        source = "--env" if explicit else f"${ENV_VARIABLE}"
        raise ConfigError(f"{source} is {env!r}; use one of: {', '.join(ENVIRONMENTS)}")
    return env


def other_env(env: str) -> str:
    return "prod" if env == "dev" else "dev"


def prod_version(explicit: str, report: Mapping[str, Any] | None, version: str) -> tuple[str, str]:
    """The image tag prod runs, and where it came from.

    `--version`, else the tag of the latest prod build (build/report.json), else VERSION.
    """
    if explicit:
        return explicit.removeprefix("v") if explicit[1:2].isdigit() else explicit, "--version"
    if report and report.get("target") == "prod":
        for service in report.get("services") or ():
            tags = service.get("tags") or ()
            if service.get("ok") and tags:
                tag = split_image(str(tags[0]))[1]
                if tag:
                    return tag, "build/report.json"
    return version, "VERSION"


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


# -- switching and config ------------------------------------------------------------------


def stale(states: Iterable[ContainerState], files: Sequence[Path]) -> list[ContainerState]:
    """Containers of the project created from another set of compose files (the other env)."""
    wanted = tuple(str(f) for f in files)
    return [c for c in states if c.config_files and c.config_files != wanted]


def source_mounts(config: Mapping[str, Any], root: Path) -> list[tuple[str, str]]:
    """(service, host path) of bind mounts from inside the repository: prod has none."""
    found = []
    for name, svc in (config.get("services") or {}).items():
        for volume in svc.get("volumes") or ():
            if isinstance(volume, dict) and volume.get("type") == "bind":
                source = Path(str(volume.get("source", ""))).resolve()
                if source == root or root in source.parents:
                    found.append((name, str(source)))
    return found


def _mask_text(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, mask(secret))
    return mask_url_passwords(text)


def mask_config(config: Any, secrets: Iterable[str], *, _key: str = "") -> Any:
    """A copy of a compose config with every secret value, every URL password and
    every value of a *PASSWORD/*SECRET/*TOKEN/*KEY variable masked."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    if isinstance(config, dict):
        return {k: mask_config(v, ordered, _key=str(k)) for k, v in config.items()}
    if isinstance(config, list):
        return [mask_config(v, ordered, _key=_key) for v in config]
    if isinstance(config, str):
        if looks_secret(_key) and config:
            return mask(config)
        if "=" in config and looks_secret(config.split("=", 1)[0]):
            name, value = config.split("=", 1)
            return f"{name}={mask(value)}"
        return _mask_text(config, ordered)
    return config


def compose_argv(files: Sequence[Path], env_file: Path | None, project: str) -> list[str]:
    """`docker compose` and its global flags, as python-on-whales passes them."""
    cmd = ["docker", "compose"]
    for f in files:
        cmd += ["--file", str(f)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    return [*cmd, "--project-name", project]


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpPlan:
    """What `up` does, in order; `--dry-run` prints `commands()`."""

    env: str
    project: str
    files: tuple[Path, ...]
    env_file: Path
    variables: Mapping[str, str] = field(default_factory=dict)
    version: str = ""
    version_source: str = ""
    switch_from: tuple[Path, ...] = ()
    build: bool = False
    pull: Literal["missing", "never"] = "missing"

    def _compose(self, files: Sequence[Path]) -> list[str]:
        return compose_argv(files, self.env_file, self.project)

    def up_args(self) -> list[str]:
        """Arguments after `docker compose ... ` for the up call itself."""
        return ["up", "--detach", "--remove-orphans", "--no-build", "--pull", self.pull]

    def commands(self) -> list[str]:
        assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.variables.items()))
        steps = []
        if self.switch_from:
            steps.append([*self._compose(self.switch_from), "down", "--remove-orphans"])
        if self.build:
            steps.append([*self._compose(self.files), "build", "--progress", "plain"])
        steps.append([*self._compose(self.files), *self.up_args()])
        return [f"{assign} {shlex.join(step)}".strip() for step in steps]
