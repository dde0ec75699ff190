"""`invoke version`, `tags`, `push`, `release` and `registry.up/down`."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from dockwright import project as repo
from dockwright import release as rel
from dockwright.config import Project, load_project
from dockwright.engine import docker as engine
from dockwright.engine import git
from dockwright.envfile import parse_env_text
from dockwright.errors import BuildError, ConfigError, EnvFileError, ReleaseError
from dockwright.publish import Publisher
from dockwright.registry_stack import registry_down, registry_up
from dockwright.scan import render_table
from dockwright.scan.gate import check as check_gate
from dockwright.tags import Flavor, plan_tags
from dockwright.tasks._common import console, guarded, out, split_names
from dockwright.tasks._registry import destinations, publisher, push_items
from dockwright.tasks.build import execute
from dockwright.tasks.build import make_plan as make_build_plan
from dockwright.tasks.check import run_checks
from dockwright.tasks.scan import gate, make_plan, resolve
from dockwright.versions import bump_table, parse_version


def _flavor(project: Project) -> Flavor:
    t = project.settings.tags
    return Flavor(prefix=t.prefix, suffix=t.suffix, latest=t.latest)


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
    commit = sha or git.state(project.root).sha
    if published is None:
        with tempfile.TemporaryDirectory(prefix="dockwright-docker-") as cfg:
            _, pub = publisher(project, registry, Path(cfg))
            repositories = [r for _, _, r in destinations(project, [], pub.registry)]
            seen = pub.published_versions(repositories)
    else:
        seen = [p.strip() for p in published.split(",") if p.strip()]
    plan = plan_tags(version, sha=commit, published=seen, flavor=_flavor(project))
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
    engine.ensure_engine()
    if not tag:
        report = project.root / "build" / "report.json"
        if not report.is_file():
            raise ConfigError("nothing built yet; run `invoke build` first or pass --tag")
        first = json.loads(report.read_text())["services"][0]["tags"][0]
        tag = first.rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory(prefix="dockwright-docker-") as cfg:
        reg, pub = publisher(project, registry, Path(cfg))
        pub.preflight()
        items = push_items(project, split_names(None, service), tags=(tag,), registry=reg)
        for pushed in pub.push(items, floating=False):
            console.print(f"[green]ok[/] {pushed.ref} {pushed.digest}")


def _build_for_release(project: Project, plan: rel.ReleasePlan) -> None:
    build_plan = make_build_plan(
        project,
        [],
        target="prod",
        platform="",
        builder="",
        ca_bundle="",
        no_cache=False,
        tags=plan.local_tags(),
        version=plan.version,
    )
    result = execute(build_plan, project, quiet=False)
    if not result.ok:
        failed = ", ".join(s.service for s in result.services if not s.ok)
        raise BuildError(f"build failed for {failed}; nothing was pushed (see build/report.json)")


def _gates(project: Project, plan: rel.ReleasePlan) -> None:
    """The policy gate, then the scan gate on the kinds `[tool.dockwright.scan]`
    names in `release_kinds` (default: vulnerabilities and secrets)."""
    run_checks(project, [i.service for i in plan.images], target="prod")
    kinds = set(project.settings.scan.get("release_kinds", ["vulnerability", "secret"]))
    scan_plan = resolve(
        make_plan(
            project,
            [i.service for i in plan.images],
            target="prod",
            scanner="",
            fail_on="",
            secrets="secret" in kinds,
            dockerfiles="misconfig" in kinds,
            vulns="vulnerability" in kinds,
        )
    )
    results, verdict = gate(scan_plan, project)
    console.print(render_table(results), markup=False, highlight=False)
    check_gate(verdict)
    console.print(f"[green]scan gate passed[/] ({', '.join(sorted(kinds))})")


def _push_all(pub: Publisher, plan: rel.ReleasePlan, *, floating: bool) -> None:
    for pushed in pub.push(plan.push_items(), floating=floating):
        console.print(f"  [green]ok[/] {pushed.ref} {pushed.digest[:19]}")


def _preconditions(project: Project, allow_dirty: bool) -> git.GitState:
    state = git.state(project.root)
    if state.dirty and not allow_dirty:
        raise ReleaseError(
            "the work tree has uncommitted changes; commit or stash them (or pass --allow-dirty)"
        )
    branch = project.settings.release_branch
    if branch and state.branch != branch and not allow_dirty:
        raise ReleaseError(
            f"releases are made from branch {branch!r}, not {state.branch!r}; "
            "switch branch or set release_branch in [tool.dockwright]"
        )
    engine.ensure_engine()
    env_file = project.path(project.settings.env_file)
    example = project.path(project.settings.env_example)
    if env_file.is_file() and example.is_file():
        from dockwright.envfile import parse_rules, validate

        env = parse_env_text(env_file.read_text(encoding="utf-8"), str(env_file))
        rules = parse_rules(example.read_text(encoding="utf-8"), str(example))
        errors = [p for p in validate(env, rules) if p.level == "error"]
        if errors:
            raise EnvFileError(
                f"{errors[0]} (and {len(errors) - 1} more; run invoke env.check)"
                if len(errors) > 1
                else f"{errors[0]}; run invoke env.check"
            )
    return state


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
    bump: str,
    pre: str = "rc",
    registry: str = "",
    dry_run: bool = False,
    no_push: bool = False,
    allow_dirty: bool = False,
) -> None:
    """Bump VERSION, build, gate, push (immutable then floating tags), changelog, git tag."""
    project = load_project()
    release_lock = rel.lock(project.root)
    rel.acquire(release_lock)
    try:
        with tempfile.TemporaryDirectory(prefix="dockwright-docker-") as cfg:
            console.print("[bold]1/6 preconditions[/]")
            state = _preconditions(project, allow_dirty)
            reg, pub = publisher(project, registry, Path(cfg))
            if not no_push:
                pub.preflight()
            current = repo.read_version(project)
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
                flavor=_flavor(project),
                push=not no_push,
            )
            if git.tag_exists(project.root, plan.git_tag):
                raise ReleaseError(f"git tag {plan.git_tag} already exists; bump differently")
            console.print("[bold]2/6 plan[/]")
            for line in plan.describe():
                console.print(line, markup=False)
            if dry_run:
                return
            numbers = {"build": 3, "gates": 3, "push": 4, "floating": 5, "finalize": 6}
            hooks = rel.Hooks(
                build=lambda p: _build_for_release(project, p),
                gates=lambda p: _gates(project, p),
                push_immutable=lambda p: _push_all(pub, p, floating=False),
                push_floating=lambda p: _push_all(pub, p, floating=True),
                on_step=lambda s: console.print(f"[bold]{numbers[s]}/6 {s}[/]"),
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
                    today=dt.date.today(),
                ),
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
