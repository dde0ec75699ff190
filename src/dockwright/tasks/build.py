"""`invoke build`: every service with a build: section, in one buildx bake.

Like every task module, it imports the workflows inside the task: `invoke --list`
and `--help` load only the declarations (see docs/architecture.md)."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.tasks import task

from dockwright.errors import BuildError
from dockwright.tasks._common import console, guarded, out, say, split_names

if TYPE_CHECKING:
    from dockwright.build.plan import BuildPlan
    from dockwright.build.run import BuildResult
    from dockwright.config import Project, RegistrySettings
    from dockwright.registry.publish import Publisher

HELP = {
    "all": "build every service with a build: section (the default when none is named)",
    "service": "service(s) to build: -s backend -s frontend or -s backend,frontend",
    "target": "prod (default) or dev: which Dockerfile stage to build",
    "platform": "platform to build for (default from settings: linux/amd64)",
    "no_cache": "do not use the build cache",
    "push": "push the images to the configured registry after building",
    "registry": "registry name from settings (with --push)",
    "dry_run": "print the resolved plan and the exact engine call; build nothing",
    "json": "print the machine-readable result on stdout",
    "builder": "buildx builder to run on (default: settings, else the engine's)",
    "ca_bundle": "CA bundle passed to builds as the BuildKit secret `ca`",
    "no_check": "skip the image policy gate after building",
    "pull": "pull each base image first, so the build is on what its tag names now",
}


def _print_plan(plan: BuildPlan, project: Project) -> None:
    from dockwright.build.plan import plan_json

    workdir = project.root / "build"
    console.print(
        f"[bold]build plan[/] ({plan.target}, {plan.platform}, builder {plan.builder or 'default'})"
    )
    for image in plan.images:
        stage = image.stage or "(last stage)"
        console.print(f"  {image.service}: {image.dockerfile} stage {stage}")
        for ref in image.refs:
            console.print(f"    -> {ref}")
    console.print(
        f"engine call: {plan.describe(workdir / 'bake.json', workdir / 'bake-metadata.json')}"
    )
    out.print(plan_json(plan), markup=False)


def _show(result: BuildResult, as_json: bool) -> None:
    from dockwright.build.record import result_table

    data = result.as_dict()
    if as_json:
        out.print(json.dumps(data, indent=2), markup=False)
        return
    console.print(result_table(data))
    for s in data["services"]:
        if not s["ok"]:
            console.print(f"[red]{s['service']} failed:[/] {s['error']}")
            console.print("\n".join(s["log_tail"]), markup=False, highlight=False)


def _push(pub: Publisher, project: Project, plan: BuildPlan, registry: RegistrySettings) -> None:
    """Push a development build: its clean `sha-` tag is written once (the first
    image published from a commit keeps it); `dev` and a dirty tree's tag move."""
    from dockwright.flows.registry import publish_build

    for done in publish_build(project, pub, plan, registry, say):
        console.print(f"[green]pushed[/] {done.repository} {done.digest[:19]}")


@task(help=HELP, iterable=["service"])
@guarded
def build(
    c: Context,
    all_: bool = False,
    service: list[str] | None = None,
    target: str = "prod",
    platform: str = "",
    no_cache: bool = False,
    push: bool = False,
    registry: str = "",
    dry_run: bool = False,
    json_: bool = False,
    builder: str = "",
    ca_bundle: str = "",
    no_check: bool = False,
    pull: bool = False,
) -> None:
    """Build service images in parallel with buildx bake (tags, OCI labels, secrets)."""
    from dockwright.config import load_project
    from dockwright.flows.build import make_plan, pull_bases
    from dockwright.flows.env import env_path
    from dockwright.tasks._build import execute
    from dockwright.tasks._env import require_valid_env

    project = load_project()
    # A broken .env would give compose wrong values (image names, build args):
    # check it first. No .env is fine: builds read no secrets from it.
    require_valid_env(project, env_path(project), missing_ok=True)
    if push:  # bad registry settings fail before any engine call
        from dockwright.flows.registry import publisher, registry_settings
        from dockwright.registry.publish import push_attempts

        registry_settings(project, registry)
        push_attempts(os.environ)
    names = [] if all_ else split_names(None, service)
    plan = make_plan(
        project,
        names,
        target=target,
        platform=platform,
        builder=builder,
        ca_bundle=ca_bundle,
        no_cache=no_cache,
    )
    if dry_run:
        if pull:
            for ref in pull_bases(plan, dry_run=True):
                console.print(f"pull first: docker pull {ref}", markup=False)
        _print_plan(plan, project)
        return
    if pull:
        pull_bases(plan, on_pull=lambda ref: say(f"pulling {ref}"))
    with ExitStack() as stack:
        pub = reg = None
        if push:
            reg, pub = stack.enter_context(publisher(project, registry, say))
            pub.preflight()  # reachable and authenticated before anything is built
        result = execute(plan, project, quiet=json_)
        _show(result, json_)
        if not result.ok:
            failed = ", ".join(s.service for s in result.services if not s.ok)
            raise BuildError(
                f"build failed for {failed}; see the log lines above and build/report.json"
            )
        if not no_check:
            from dockwright.tasks._policy import run_checks

            run_checks(project, plan.services, target=target)
        if pub is not None and reg is not None:
            _push(pub, project, plan, reg)
