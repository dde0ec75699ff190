"""`invoke up/down/ps/logs/config`: the compose stack in its dev or prod form.

`bring_up` and `take_down` are plain functions as well, so the smoke session
runs exactly what `invoke up` and `invoke down` run.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from invoke.context import Context
from invoke.tasks import task
from rich.live import Live

from dockwright import project as repo
from dockwright import stack
from dockwright.compose import extensions_from_files, split_image
from dockwright.config import Project, RegistrySettings, load_project
from dockwright.engine import docker as engine
from dockwright.engine.docker import ComposeProject
from dockwright.errors import ConfigError, StackError
from dockwright.flows.env import env_path
from dockwright.progress import VERTEX
from dockwright.publish import repository_prefix
from dockwright.stack import ContainerState, Row, UpPlan
from dockwright.tasks._common import console, guarded, out, split_names
from dockwright.tasks._env import require_valid_env

HELP = {
    "env": "dev or prod (default: $DOCKWRIGHT_ENV, else dev)",
    "registry": "prod: the registry whose released images run (default: settings.registry)",
    "version": "prod: image tag to run (default: latest prod build in build/report.json, "
    "else VERSION)",
    "env_file": "the env file (default from settings: .env)",
    "timeout": "seconds each service may take to become healthy (default: from its "
    "healthcheck, or x-dockwright.health_budget)",
    "no_build": "dev: do not build the dev images first",
    "dry_run": "print the plan and the exact compose calls; start nothing",
    "json": "print the machine-readable result on stdout",
    "volumes": "also remove the named volumes (data is lost)",
    "service": "service(s): -s backend -s frontend or -s backend,frontend",
    "follow": "keep printing new log lines until Ctrl-C",
    "tail": "number of lines from the end of each log (default: all)",
}


def _help(*names: str) -> dict[str, str]:
    return {n: HELP[n] for n in names}


def _read_report(project: Project) -> dict[str, Any] | None:
    path = project.root / "build" / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _variables(
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
        tag, source = stack.prod_version(version, _read_report(project), repo.read_version(project))
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
        variables=_variables(
            project, env_file, tag, project.registry(registry or None)[1] if env == "prod" else None
        ),
        version=tag,
        version_source=source,
        switch_from=other if stack.stale(states, files) else (),
        build=build and env == "dev",
    )


def print_plan(plan: UpPlan) -> None:
    console.print(
        f"[bold]up plan[/] ({plan.env}, project {plan.project}, "
        f"image tag {plan.version} from {plan.version_source})"
    )
    for command in plan.commands():
        console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    console.print("  then wait until every service is healthy (or fails its budget)")


def _prepare_prod(project: Project, cp: ComposeProject, config: Mapping[str, Any]) -> None:
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
    console.print(f"pulling {', '.join(missing.values())}")
    try:
        engine.stack_pull(cp, list(missing))
    except StackError as exc:
        tag = split_image(next(iter(missing.values())))[1]
        raise StackError(
            f"{', '.join(missing.values())} not in the engine and not pullable ({exc}); "
            f"build it with `invoke build`, or pass --version (now {tag})"
        ) from exc


def _print_logs(cp: ComposeProject, service: str) -> None:
    console.rule(f"last {stack.LOG_TAIL} log lines of {service}")
    for line in engine.stack_logs(cp, [service], tail=stack.LOG_TAIL):
        console.print(line, markup=False, highlight=False)
    console.rule()


def _wait(
    cp: ComposeProject, plan: UpPlan, config: Mapping[str, Any], timeout: float | None
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
        with Live(console=console, refresh_per_second=4, transient=True) as live:

            def show(states: Mapping[str, ContainerState]) -> None:
                rows = stack.make_rows(services, states, ext, started=started)
                live.update(stack.status_table(rows, title="starting", timings=False))

            outcome = stack.watch(
                services,
                poll,
                budget=budget,
                up_finished=up.finished,
                since=started,
                on_poll=show,
            )
    finally:
        # On failure compose may still wait for a dependency that will never be
        # healthy: stop it rather than wait.
        up.stop(timeout=30 if outcome is not None and outcome.ok else 0)
    return outcome, started


def bring_up(project: Project, plan: UpPlan, *, timeout: float | None = None) -> list[Row]:
    """Check the env file, switch env if needed, build (dev), start, wait for health.

    Raises StackError naming the first service that did not become healthy,
    after printing its last log lines.
    """
    require_valid_env(project, plan.env_file)
    cp = compose_project(project, plan)
    config = engine.stack_config(cp)
    if plan.env == "prod":
        _prepare_prod(project, cp, config)
    if plan.switch_from:
        console.print(f"switching to {plan.env}: removing the containers of the other env")
        engine.stack_down(compose_project(project, plan, plan.switch_from), volumes=False)
    if plan.build and any("build" in s for s in (config.get("services") or {}).values()):
        started = time.monotonic()
        console.print("building the dev images (docker compose build)")
        if console.is_terminal:
            with console.status("building the dev images") as status:
                engine.stack_build(cp, lambda line: status.update(f"building: {line[:100]}"))
        else:
            # No terminal (CI logs, pipes): a spinner shows nothing there, so print each
            # build step as BuildKit starts it (`#7 [backend runtime 3/6] RUN ...`).
            engine.stack_build(cp, _print_build_step)
        console.print(f"built the dev images in {time.monotonic() - started:.1f}s")
    outcome, started = _wait(cp, plan, config, timeout)
    services = list(config.get("services") or {})
    ext = extensions_from_files(list(plan.files))
    rows = stack.make_rows(services, outcome.states, ext, started=started)
    if not outcome.ok:
        console.print(stack.status_table(rows, title=f"{plan.project} ({plan.env})", timings=True))
        if outcome.failed is None:
            raise StackError(f"docker compose up failed for {plan.project}: {outcome.reason}")
        _print_logs(cp, outcome.failed)
        raise StackError(
            f"{outcome.failed} {outcome.reason}; its last {stack.LOG_TAIL} log lines are above "
            "(`invoke down` removes the stack)"
        )
    return rows


def _print_build_step(line: str) -> None:
    if m := VERTEX.match(line):
        console.print(f"  [{m.group(2)}] {m.group(3)[:100]}", markup=False, highlight=False)


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
        variables=_variables(project, path, repo.read_version(project)),
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


@task(
    help=_help("env", "version", "registry", "env_file", "timeout", "no_build", "dry_run", "json")
)
@guarded
def up(
    c: Context,
    env: str = "",
    version: str = "",
    registry: str = "",
    env_file: str = "",
    timeout: int = 0,
    no_build: bool = False,
    dry_run: bool = False,
    json_: bool = False,
) -> None:
    """Start the stack (dev or prod) and wait until every service is healthy."""
    project = load_project()
    chosen = stack.default_env(os.environ, env)
    if registry and chosen != "prod":
        raise ConfigError("--registry picks where prod images come from; add --env prod")
    plan = plan_up(
        project,
        chosen,
        env_file=env_path(project, env_file),
        version=version,
        build=not no_build,
        registry=registry,
    )
    if dry_run:
        print_plan(plan)
        return
    console.print(
        f"starting {plan.project} ({plan.env}, image tag {plan.version} from {plan.version_source})"
    )
    rows = bring_up(project, plan, timeout=timeout or None)
    if json_:
        out.print(json.dumps([r.as_dict() for r in rows], indent=2), markup=False)
    else:
        console.print(stack.status_table(rows, title=f"{plan.project} ({plan.env})", timings=True))


@task(help=_help("volumes", "env", "env_file", "dry_run"))
@guarded
def down(
    c: Context, volumes: bool = False, env: str = "", env_file: str = "", dry_run: bool = False
) -> None:
    """Stop and remove the stack's containers and networks (volumes with --volumes)."""
    project = load_project()
    cp, states = current(project, stack.default_env(os.environ, env), env_file)
    if dry_run:
        argv = stack.compose_argv(cp.files, cp.env_file, cp.name)
        argv += ["down", "--remove-orphans", *(["--volumes"] if volumes else [])]
        console.print(f"would remove {len(states)} container(s) of {cp.name}:")
        console.print(f"  {shlex.join(argv)}", markup=False, highlight=False, soft_wrap=True)
        return
    left = take_down(project, cp, volumes=volumes)
    console.print(
        f"removed {len(states)} container(s) of {cp.name}" + (" and its volumes" if volumes else "")
    )
    if left["volumes"]:
        console.print(f"kept volumes: {', '.join(left['volumes'])} (--volumes removes them)")


@task(help=_help("env", "json"))
@guarded
def ps(c: Context, env: str = "", json_: bool = False) -> None:
    """Show each service of the stack: state, health, published URL."""
    project = load_project()
    cp, states = current(project, stack.default_env(os.environ, env))
    found = stack.by_service(states)
    ext = extensions_from_files([f for f in cp.files if f.is_file()])
    rows = stack.make_rows(sorted(found), found, ext)
    if json_:
        out.print(json.dumps([r.as_dict() for r in rows], indent=2), markup=False)
    elif not rows:
        console.print(f"no container of {cp.name} exists; start it with `invoke up`")
    else:
        console.print(stack.status_table(rows, title=cp.name, timings=False))


@task(help=_help("service", "follow", "tail", "env"), iterable=["service"])
@guarded
def logs(
    c: Context, service: list[str] | None = None, follow: bool = False, tail: int = 0, env: str = ""
) -> None:
    """Print the services' logs (all, or -s SERVICE ...); --follow keeps printing."""
    project = load_project()
    cp, states = current(project, stack.default_env(os.environ, env))
    if not states:
        raise StackError(f"no container of {cp.name} exists; start it with `invoke up`")
    try:
        for line in engine.stack_logs(
            cp, split_names(None, service), tail=tail or None, follow=follow
        ):
            out.print(line, markup=False, highlight=False)
    except KeyboardInterrupt:
        pass


@task(help=_help("env", "version", "registry", "env_file", "json"))
@guarded
def config(
    c: Context,
    env: str = "",
    version: str = "",
    registry: str = "",
    env_file: str = "",
    json_: bool = False,
) -> None:
    """Print the merged compose config of dev or prod, secrets masked."""
    project = load_project()
    chosen = stack.default_env(os.environ, env)
    path = env_path(project, env_file)
    reg = None
    if chosen == "prod":
        tag, _ = stack.prod_version(version, _read_report(project), repo.read_version(project))
        reg = project.registry(registry or None)[1]
    else:
        tag = repo.read_version(project)
    cp = ComposeProject(
        name=project.name,
        files=tuple(repo.files_for(project, chosen)),
        env_file=path,
        variables=_variables(project, path, tag, reg),
    )
    masked = stack.mask_config(engine.stack_config(cp), repo.secret_values(project, path).values())
    if json_:
        out.print(json.dumps(masked, indent=2), markup=False, highlight=False)
    else:
        out.print(yaml.safe_dump(masked, sort_keys=False), markup=False, highlight=False, end="")
