"""`invoke version`, `tags`, `push`, `release` and `registry.up/down`."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from dockwright.errors import ConfigError, VersionError
from dockwright.tasks._common import console, guarded, out, say, split_names

if TYPE_CHECKING:
    from dockwright.config import Project
    from dockwright.release.plan import ReleasePlan


@task(
    help={
        "bump": "show only this bump: major|minor|patch|prerelease|release",
        "pre": "prerelease label for prerelease bumps: rc (default), beta, alpha",
    }
)
@guarded
def version(c: Context, bump: str = "", pre: str = "rc") -> None:
    """Print the current version (VERSION) and what each bump would give."""
    from dockwright.config import load_project
    from dockwright.release.versions import bump_table, parse_version
    from dockwright.repo import project as repo

    project = load_project()
    current = repo.read_version(project)
    parse_version(current)
    table = bump_table(current, pre)
    if bump:
        if bump not in table:
            raise ConfigError(f"unknown bump {bump!r}; use one of: {', '.join(table)}")
        out.print(str(table[bump] or ""), markup=False)
        return
    out.print(current, markup=False)
    for name, nxt in table.items():
        console.print(f"  --bump {name:<10} -> {nxt if nxt is not None else '(not applicable)'}")


@task(
    help={
        "version": "the version to compute tags for (a leading v is allowed)",
        "published": "comma-separated versions the registry already holds ('' = none); "
        "default: ask the configured registry",
        "sha": "git commit for the sha- tag (default: HEAD)",
        "json": "print the tags as JSON",
        "registry": "registry name from settings (when asking it)",
    }
)
@guarded
def tags(
    c: Context,
    version: str,
    published: str | None = None,
    sha: str = "",
    json_: bool = False,
    registry: str = "",
) -> None:
    """Print the tags a release of VERSION gets (same rules as release)."""
    from dockwright.config import load_project
    from dockwright.engine import git
    from dockwright.flows import release as flow
    from dockwright.flows.registry import published_versions
    from dockwright.release.tags import plan_tags
    from dockwright.release.versions import parse_version

    project = load_project()
    flavor = flow.flavor(project)
    commit = sha or git.state(project.root).sha
    parse_version(version.removeprefix("v"), source="version")
    if published is None:
        seen = published_versions(project, registry, say)
    else:
        seen = [p.strip() for p in published.split(",") if p.strip()]
    plan = plan_tags(version, sha=commit, published=seen, flavor=flavor)
    if json_:
        out.print(
            json.dumps({"immutable": list(plan.immutable), "floating": list(plan.floating)}),
            markup=False,
        )
        return
    for tag in plan.all:
        out.print(tag, markup=False)


@task(
    iterable=["service"],
    help={
        "service": "service(s) to push (default: all buildable)",
        "registry": "registry name from settings (default: settings.registry, i.e. local)",
        "tag": "the local tag to push (default: the last build's sha tag)",
    },
)
@guarded
def push(c: Context, service: list[str] | None = None, registry: str = "", tag: str = "") -> None:
    """Push built images with retries, then verify each digest in the registry."""
    from dockwright.config import load_project
    from dockwright.flows.registry import push as push_images

    project = load_project()
    pushed, published = push_images(project, registry, split_names(None, service), tag, say)
    for done in published:
        console.print(f"[green]ok[/] {done.repository}:{pushed} {done.digest}")


def _gates(project: Project, plan: ReleasePlan) -> None:
    """The policy gate, then the scan gate on the kinds `[tool.dockwright.scan]`
    names in `release_kinds` (default: vulnerabilities and secrets)."""
    from dockwright.flows import release as flow
    from dockwright.scan import render_table
    from dockwright.scan.gate import check as check_gate
    from dockwright.tasks._policy import run_checks
    from dockwright.tasks._scan import gate

    run_checks(project, [i.service for i in plan.images], target="prod")
    kinds = flow.scan_kinds(project)
    scan_plan = flow.scan_plan(project, plan)
    results, verdict = gate(scan_plan, project)
    console.print(render_table(results), markup=False, highlight=False)
    check_gate(verdict)
    console.print(f"[green]scan gate passed[/] ({', '.join(kinds)})")


def _show_plan(plan: ReleasePlan) -> None:
    for line in plan.describe():
        console.print(line, markup=False)


@task(
    help={
        "bump": "major | minor | patch | prerelease | release",
        "pre": "prerelease label: rc (default), beta, alpha",
        "registry": "registry name from settings (default: settings.registry, i.e. local)",
        "dry_run": "print the release plan (version, every tag) and stop",
        "no_push": "build, check and tag locally; push nothing",
        "allow_dirty": "release from a dirty tree or another branch (for trials)",
        "allow_empty": "release although nothing was committed since the last release tag",
        "rebuild": "build and gate the images even when an earlier release's verified "
        "images are this code's (default: re-tag those, no build, no layer upload)",
    }
)
@guarded
def release(
    c: Context,
    bump: str = "",
    pre: str = "rc",
    registry: str = "",
    dry_run: bool = False,
    no_push: bool = False,
    allow_dirty: bool = False,
    allow_empty: bool = False,
    rebuild: bool = False,
) -> None:
    """Bump VERSION, build, gate, push (immutable then floating tags), changelog, git tag."""
    from dockwright.config import load_project
    from dockwright.flows import release as flow
    from dockwright.tasks._build import execute

    if not bump:
        # A flag, not a positional argument: invoke would read `release --help` as the bump.
        raise VersionError("release needs --bump major|minor|patch|prerelease|release")
    project = load_project()
    request = flow.Request(
        bump=bump,
        pre=pre,
        registry=registry,
        dry_run=dry_run,
        no_push=no_push,
        allow_dirty=allow_dirty,
        allow_empty=allow_empty,
        rebuild=rebuild,
    )
    # The step numbers of the transaction: "floating" is step 5 of 6 when pushing.
    numbers = {"preconditions": 1, "plan": 2, "build": 3, "gates": 3, "push": 4}
    numbers |= {"floating": 5, "finalize": 6}
    show = flow.Show(
        step=lambda s: console.print(f"[bold]{numbers[s]}/6 {s}[/]"),
        say=say,
        plan=_show_plan,
        build=lambda p: execute(p, project, quiet=False),
        gates=lambda p: _gates(project, p),
    )
    plan = flow.release(project, request, show, dt.date.today())
    if not dry_run:
        console.print(f"[green]released {plan.version}[/] (git tag {plan.git_tag})")


@task(help={"registry": "registry name from settings (default: local)"})
@guarded
def up(c: Context, registry: str = "") -> None:
    """Start the local registry:2 (named volume: images survive restarts)."""
    from dockwright.config import load_project
    from dockwright.registry.local import registry_up

    project = load_project()
    _, reg = project.registry(registry or "local")
    url, catalog = registry_up(reg)
    console.print(f"registry up at {url}")
    out.print(json.dumps({"url": url, "repositories": catalog}), markup=False)


@task(
    help={
        "volumes": "also delete the registry's volume (all its images)",
        "registry": "registry name from settings (default: local)",
    }
)
@guarded
def down(c: Context, volumes: bool = False, registry: str = "") -> None:
    """Stop the local registry:2 (its images are kept unless --volumes)."""
    from dockwright.config import load_project
    from dockwright.registry.local import registry_down

    _, reg = load_project().registry(registry or "local")
    registry_down(reg, volumes=volumes)
    console.print("registry stopped" + (" and its volume removed" if volumes else ""))


registry_ns = Collection("registry")
registry_ns.add_task(up)
registry_ns.add_task(down)
