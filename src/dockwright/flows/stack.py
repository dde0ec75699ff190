"""The stack as a workflow: `up`'s plan, bringing it up and waiting for health, what
runs now, and taking it down. It reports through `on_event` and never prints."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockwright import stack
from dockwright.build.record import read_report
from dockwright.config import Project, RegistrySettings
from dockwright.engine import docker as engine
from dockwright.engine.docker import ComposeProject
from dockwright.errors import ConfigError, StackError
from dockwright.flows.env import env_path
from dockwright.flows.events import Say
from dockwright.registry.publish import repository_prefix
from dockwright.repo import project as repo
from dockwright.repo.compose import extensions_from_files, split_image
from dockwright.stack import ContainerState, Row, UpPlan


@dataclass(frozen=True)
class Building:
    """`docker compose build` of the dev images starts."""


@dataclass(frozen=True)
class BuildLine:
    line: str


@dataclass(frozen=True)
class Built:
    seconds: float


@dataclass(frozen=True)
class Waiting:
    """Each service's state while `up` waits for health (every poll)."""

    rows: list[Row]


@dataclass(frozen=True)
class Waited:
    """The wait is over (healthy or not)."""


@dataclass(frozen=True)
class Failed:
    """A service did not become healthy (`service` "" when compose itself failed)."""

    rows: list[Row]
    service: str
    logs: list[str]


UpEvent = Say | Building | BuildLine | Built | Waiting | Waited | Failed
OnUpEvent = Callable[[UpEvent], None]


def variables(
    project: Project, env_file: Path, version: str, registry: RegistrySettings | None = None
) -> dict[str, str]:
    """What compose interpolates on top of the env file: where the env file is
    (for env_file:), the image tag and build version, the build CA bundle, and for
    prod where `release` pushed the images (`DOCKWRIGHT_REGISTRY`)."""
    values = {"DOCKWRIGHT_ENV_FILE": str(env_file), "APP_VERSION": version}
    if registry is not None:
        values["DOCKWRIGHT_REGISTRY"] = repository_prefix(registry, project.name)
    ca = repo.ca_bundle("", project)
    if ca:
        values["DOCKWRIGHT_CA_BUNDLE"] = ca
    return values


def compose_project(project: Project, plan: UpPlan, files: tuple[Path, ...] = ()) -> ComposeProject:
    return ComposeProject(
        name=plan.project,
        files=files or plan.files,
        env_file=plan.env_file,
        variables=plan.variables,
    )


def plan_up(
    project: Project,
    env: str,
    *,
    env_file: Path,
    version: str = "",
    name: str = "",
    build: bool = True,
    registry: str = "",
) -> UpPlan:
    """Resolve `up`'s options into a plan (reads files and lists containers; changes nothing)."""
    engine.ensure_engine()
    if env == "prod":
        tag, source = stack.prod_version(
            version, read_report(project.root), repo.read_version(project)
        )
    else:
        if version:
            raise ConfigError("--version picks a prod image; dev builds its own (drop --version)")
        tag, source = repo.read_version(project), "VERSION"
    files = tuple(repo.files_for(project, env))
    other = tuple(repo.files_for(project, stack.other_env(env)))
    project_name = name or project.name
    states = [stack.container_state(c) for c in engine.project_containers(project_name)]
    return UpPlan(
        env=env,
        project=project_name,
        files=files,
        env_file=env_file,
        variables=variables(
            project, env_file, tag, project.registry(registry or None)[1] if env == "prod" else None
        ),
        version=tag,
        version_source=source,
        switch_from=other if stack.stale(states, files) else (),
        build=build and env == "dev",
    )


def _prepare_prod(
    project: Project, cp: ComposeProject, config: Mapping[str, Any], on_event: OnUpEvent
) -> None:
    """prod runs released images as they are: no source mounts; pull what is missing."""
    mounts = stack.source_mounts(config, project.root)
    if mounts:
        service, source = mounts[0]
        raise ConfigError(
            f"prod must not bind-mount source, but {service} mounts {source}; "
            "remove that volume from the prod compose files"
        )
    services = config.get("services") or {}
    images = {name: str(s["image"]) for name, s in services.items() if s.get("image")}
    missing = {name: ref for name, ref in images.items() if not engine.image_exists(ref)}
    if not missing:
        return
    on_event(Say(f"pulling {', '.join(missing.values())}"))
    try:
        engine.stack_pull(cp, list(missing))
    except StackError as exc:
        tag = split_image(next(iter(missing.values())))[1]
        raise StackError(
            f"{', '.join(missing.values())} not in the engine and not pullable ({exc}); "
            f"build it with `invoke build`, or pass --version (now {tag})"
        ) from exc


def _wait(
    cp: ComposeProject,
    plan: UpPlan,
    config: Mapping[str, Any],
    timeout: float | None,
    on_event: OnUpEvent,
) -> tuple[stack.Outcome, float]:
    services = list(config.get("services") or {})
    ext = extensions_from_files(list(plan.files))

    def budget(c: ContainerState) -> float:
        return stack.budget_for(c.probe, ext.get(c.service, {}), timeout)

    known: list[str] = []

    def poll() -> list[ContainerState]:
        # compose creates every container before starting the first: once all are
        # there, inspect just those (one docker call per poll, not two).
        found = engine.inspect_containers(known) if len(known) >= len(services) else []
        if len(found) < len(services):  # not all created yet, or one replaced
            found = engine.project_containers(plan.project)
            known[:] = [c["Id"] for c in found]
        return [stack.container_state(c) for c in found]

    started = time.time()
    up = engine.start_up(cp, plan.up_args())
    outcome: stack.Outcome | None = None
    try:

        def show(states: Mapping[str, ContainerState]) -> None:
            on_event(Waiting(stack.make_rows(services, states, ext, started=started)))

        outcome = stack.watch(
            services,
            poll,
            budget=budget,
            up_finished=up.finished,
            since=started,
            on_poll=show,
        )
        on_event(Waited())
    finally:
        # On failure compose may still wait for a dependency that will never be
        # healthy: stop it rather than wait.
        up.stop(timeout=30 if outcome is not None and outcome.ok else 0)
    return outcome, started


def bring_up(
    project: Project,
    plan: UpPlan,
    *,
    on_event: OnUpEvent = lambda _event: None,
    timeout: float | None = None,
) -> list[Row]:
    """Switch env if needed, build (dev), start, wait for health (the env file is the
    caller's to check first).

    Raises StackError naming the first service that did not become healthy, after a
    `Failed` event with the rows and that service's last log lines.
    """
    cp = compose_project(project, plan)
    config = engine.stack_config(cp)
    if plan.env == "prod":
        _prepare_prod(project, cp, config, on_event)
    if plan.switch_from:
        on_event(Say(f"switching to {plan.env}: removing the containers of the other env"))
        engine.stack_down(compose_project(project, plan, plan.switch_from), volumes=False)
    if plan.build and any("build" in s for s in (config.get("services") or {}).values()):
        started = time.monotonic()
        on_event(Building())
        engine.stack_build(cp, lambda line: on_event(BuildLine(line)))
        on_event(Built(time.monotonic() - started))
    outcome, started = _wait(cp, plan, config, timeout, on_event)
    services = list(config.get("services") or {})
    ext = extensions_from_files(list(plan.files))
    rows = stack.make_rows(services, outcome.states, ext, started=started)
    if not outcome.ok:
        if outcome.failed is None:
            on_event(Failed(rows, "", []))
            raise StackError(f"docker compose up failed for {plan.project}: {outcome.reason}")
        logs = engine.stack_logs(cp, [outcome.failed], tail=stack.LOG_TAIL)
        on_event(Failed(rows, outcome.failed, list(logs)))
        raise StackError(
            f"{outcome.failed} {outcome.reason}; its last {stack.LOG_TAIL} log lines are above "
            "(`invoke down` removes the stack)"
        )
    return rows


def _files_in_use(states: list[ContainerState], fallback: list[Path]) -> tuple[Path, ...]:
    """The compose files the running containers were created from, when they still exist."""
    for c in states:
        files = tuple(Path(f) for f in c.config_files)
        if files and all(f.is_file() for f in files):
            return files
    return tuple(fallback)


def current(
    project: Project, env: str, env_file: str = "", name: str = ""
) -> tuple[ComposeProject, list[ContainerState]]:
    """The project as it runs now: its containers, and the compose files and env
    file they were created with (when those still exist)."""
    engine.ensure_engine()
    project_name = name or project.name
    states = [stack.container_state(c) for c in engine.project_containers(project_name)]
    files = _files_in_use(states, repo.files_for(project, env))
    used = next((Path(c.env_file) for c in states if c.env_file), None)
    path = env_path(project, env_file)
    if not env_file and used is not None and used.is_file():
        path = used
    cp = ComposeProject(
        name=project_name,
        files=files,
        env_file=path,
        variables=variables(project, path, repo.read_version(project)),
    )
    return cp, states


def take_down(project: Project, cp: ComposeProject, *, volumes: bool) -> dict[str, list[str]]:
    """`down --remove-orphans [--volumes]`; returns what is left of the project."""
    engine.stack_down(cp, volumes=volumes)
    left = engine.project_resources(cp.name)
    if left["containers"] or left["networks"]:
        raise StackError(
            f"after down, project {cp.name} still has {left['containers'] + left['networks']}; "
            "remove them with docker rm -f / docker network rm"
        )
    return left
