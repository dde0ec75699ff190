"""`invoke version`, `tags`, `push`, `release` and `registry.up/down`."""

from __future__ import annotations

import datetime as dt
import json
import os

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from dockwright.build.record import last_build_tag
from dockwright.config import Project, load_project
from dockwright.engine import docker as engine
from dockwright.engine import git
from dockwright.errors import ConfigError, VersionError
from dockwright.flows import release as flow
from dockwright.registry.local import registry_down, registry_up
from dockwright.registry.publish import push_attempts, tag_kinds
from dockwright.release import plan as rel
from dockwright.release.attempt import ReleaseAttempt
from dockwright.release.tags import plan_tags
from dockwright.release.versions import bump_table, next_version, parse_version
from dockwright.repo import project as repo
from dockwright.scan import render_table
from dockwright.scan.gate import check as check_gate
from dockwright.tasks._build import execute
from dockwright.tasks._common import console, guarded, out, split_names
from dockwright.tasks._policy import run_checks
from dockwright.tasks._registry import destinations, publisher, push_items, registry_settings
from dockwright.tasks._scan import gate


@task(
    help={
        "bump": "show only this bump: major|minor|patch|prerelease|release",
        "pre": "prerelease label for prerelease bumps: rc (default), beta, alpha",
    }
)
@guarded
def version(c: Context, bump: str = "", pre: str = "rc") -> None:
    """Print the current version (VERSION) and what each bump would give."""
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
    project = load_project()
    flavor = flow.flavor(project)
    commit = sha or git.state(project.root).sha
    parse_version(version.removeprefix("v"), source="version")
    if published is None:
        with publisher(project, registry) as (reg, pub):
            repositories = [r for _, _, r in destinations(project, [], reg)]
            seen = pub.published_versions(repositories)
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
    project = load_project()
    registry_settings(project, registry)
    push_attempts(os.environ)
    if not tag:
        tag = last_build_tag(project.root)
    engine.ensure_engine()
    with publisher(project, registry) as (reg, pub):
        pub.preflight()
        names = split_names(None, service)
        items = push_items(project, names, registry=reg, source_tag=tag, **tag_kinds((tag,)))
        for done in pub.publish(items):
            console.print(f"[green]ok[/] {done.repository}:{tag} {done.digest}")


def _build_for_release(project: Project, plan: rel.ReleasePlan) -> None:
    flow.require_built(execute(flow.build_plan(project, plan), project, quiet=False))


def _gates(project: Project, plan: rel.ReleasePlan) -> None:
    """The policy gate, then the scan gate on the kinds `[tool.dockwright.scan]`
    names in `release_kinds` (default: vulnerabilities and secrets)."""
    run_checks(project, [i.service for i in plan.images], target="prod")
    kinds = flow.scan_kinds(project)
    scan_plan = flow.scan_plan(project, plan)
    results, verdict = gate(scan_plan, project)
    console.print(render_table(results), markup=False, highlight=False)
    check_gate(verdict)
    console.print(f"[green]scan gate passed[/] ({', '.join(kinds)})")


@task(
    help={
        "bump": "major | minor | patch | prerelease | release",
        "pre": "prerelease label: rc (default), beta, alpha",
        "registry": "registry name from settings (default: settings.registry, i.e. local)",
        "dry_run": "print the release plan (version, every tag) and stop",
        "no_push": "build, check and tag locally; push nothing",
        "allow_dirty": "release from a dirty tree or another branch (for trials)",
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
) -> None:
    """Bump VERSION, build, gate, push (immutable then floating tags), changelog, git tag."""
    if not bump:
        # A flag, not a positional argument: invoke would read `release --help` as the bump.
        raise VersionError("release needs --bump major|minor|patch|prerelease|release")
    project = load_project()
    # Every input is checked before the engine or the network is touched, and
    # before anything is printed: a bad input gives its one error line only.
    rel.check_version_file(project.root, project.path(project.settings.version_file))
    current = repo.read_version(project)
    version = str(next_version(current, bump, pre))
    registry_settings(project, registry)
    push_attempts(os.environ)
    today = dt.date.today()
    state = flow.preconditions(project, allow_dirty)
    rel.check_finalize(
        version,
        root=project.root,
        version_file=project.path(project.settings.version_file),
        changelog=project.path(project.settings.changelog),
        today=today,
    )
    flow.check_env(project)
    console.print("[bold]1/6 preconditions[/]")
    release_lock = rel.lock(project.root)
    rel.acquire(release_lock)
    try:
        engine.ensure_engine()
        with publisher(project, registry) as (reg, pub):
            if not no_push:
                pub.preflight()
            triples = destinations(project, [], reg)
            published = [] if no_push else pub.published_versions([r for _, _, r in triples])
            plan = rel.plan_release(
                current=current,
                bump=bump,
                pre=pre,
                sha=state.sha,
                registry=reg.url,
                published=published,
                services=triples,
                flavor=flow.flavor(project),
                push=not no_push,
            )
            console.print("[bold]2/6 plan[/]")
            for line in plan.describe():
                console.print(line, markup=False)
            if dry_run:
                return
            attempt = ReleaseAttempt(
                plan,
                pub,
                git_dir=git.git_dir(project.root),
                on_event=lambda m: console.print(f"  {m}", markup=False),
            )
            resumed = attempt.resume() if plan.push else {}
            rebuild = len(resumed) < len(plan.images)
            if not rebuild:
                console.print(
                    "every image was published by an earlier attempt of this release "
                    f"({attempt.path}); finishing without rebuilding",
                    markup=False,
                )
            numbers = {"build": 3, "gates": 3, "push": 4, "floating": 5, "finalize": 6}
            hooks = rel.Hooks(
                build=lambda p: _build_for_release(project, p),
                gates=lambda p: _gates(project, p),
                push_immutable=attempt.push_immutable,
                push_floating=attempt.push_floating,
                on_step=lambda s: console.print(f"[bold]{numbers[s]}/6 {s}[/]"),
                progress=attempt.progress,
            )
            rel.run_release(
                plan,
                hooks,
                lambda: rel.finalize(
                    plan,
                    root=project.root,
                    version_file=project.path(project.settings.version_file),
                    changelog=project.path(project.settings.changelog),
                    source=state.source,
                    today=today,
                ),
                rerun=flow.rerun_command(bump, pre, registry, allow_dirty),
                build=rebuild,
            )
            console.print(f"[green]released {plan.version}[/] (git tag {plan.git_tag})")
    finally:
        release_lock.release()


@task(help={"registry": "registry name from settings (default: local)"})
@guarded
def up(c: Context, registry: str = "") -> None:
    """Start the local registry:2 (named volume: images survive restarts)."""
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
    _, reg = load_project().registry(registry or "local")
    registry_down(reg, volumes=volumes)
    console.print("registry stopped" + (" and its volume removed" if volumes else ""))


registry_ns = Collection("registry")
registry_ns.add_task(up)
registry_ns.add_task(down)
