"""`invoke up/down/ps/logs/config`: the compose stack in its dev or prod form (the
flow: flows/stack.py; `up` on the console: _stack.py)."""

from __future__ import annotations

import json
import os
import shlex

from invoke.context import Context
from invoke.tasks import task

from dockwright.errors import ConfigError, StackError
from dockwright.tasks._common import console, guarded, out, split_names

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
    from dockwright import stack
    from dockwright.config import load_project
    from dockwright.flows import stack as flow
    from dockwright.flows.env import env_path
    from dockwright.tasks._stack import bring_up, print_plan

    project = load_project()
    chosen = stack.default_env(os.environ, env)
    if registry and chosen != "prod":
        raise ConfigError("--registry picks where prod images come from; add --env prod")
    plan = flow.plan_up(
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
    from dockwright import stack
    from dockwright.config import load_project
    from dockwright.flows import stack as flow

    project = load_project()
    cp, states = flow.current(project, stack.default_env(os.environ, env), env_file)
    if dry_run:
        argv = stack.compose_argv(cp.files, cp.env_file, cp.name)
        argv += ["down", "--remove-orphans", *(["--volumes"] if volumes else [])]
        console.print(f"would remove {len(states)} container(s) of {cp.name}:")
        console.print(f"  {shlex.join(argv)}", markup=False, highlight=False, soft_wrap=True)
        return
    left = flow.take_down(project, cp, volumes=volumes)
    console.print(
        f"removed {len(states)} container(s) of {cp.name}" + (" and its volumes" if volumes else "")
    )
    if left["volumes"]:
        console.print(f"kept volumes: {', '.join(left['volumes'])} (--volumes removes them)")


@task(help=_help("env", "json"))
@guarded
def ps(c: Context, env: str = "", json_: bool = False) -> None:
    """Show each service of the stack: state, health, published URL."""
    from dockwright import stack
    from dockwright.config import load_project
    from dockwright.flows import stack as flow
    from dockwright.repo.compose import extensions_from_files

    project = load_project()
    cp, states = flow.current(project, stack.default_env(os.environ, env))
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
    from dockwright import stack
    from dockwright.config import load_project
    from dockwright.engine import docker as engine
    from dockwright.flows import stack as flow

    project = load_project()
    cp, states = flow.current(project, stack.default_env(os.environ, env))
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
    import yaml

    from dockwright import stack
    from dockwright.build.record import read_report
    from dockwright.config import load_project
    from dockwright.engine import docker as engine
    from dockwright.engine.docker import ComposeProject
    from dockwright.flows import stack as flow
    from dockwright.flows.env import env_path
    from dockwright.repo import project as repo

    project = load_project()
    chosen = stack.default_env(os.environ, env)
    path = env_path(project, env_file)
    reg = None
    if chosen == "prod":
        report = read_report(project.root)
        tag, _ = stack.prod_version(version, report, repo.read_version(project))
        reg = project.registry(registry or None)[1]
    else:
        tag = repo.read_version(project)
    cp = ComposeProject(
        name=project.name,
        files=tuple(repo.files_for(project, chosen)),
        env_file=path,
        variables=flow.variables(project, path, tag, reg),
    )
    masked = stack.mask_config(engine.stack_config(cp), repo.secret_values(project, path).values())
    if json_:
        out.print(json.dumps(masked, indent=2), markup=False, highlight=False)
    else:
        out.print(yaml.safe_dump(masked, sort_keys=False), markup=False, highlight=False, end="")
