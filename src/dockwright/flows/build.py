"""The build as a workflow: the plan from the compose files and settings, then one
bake with per-service progress through `on_update`, and the reports it leaves in
build/. It never prints."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from dockwright.build.plan import BuildPlan, check_cache_export, plan_build
from dockwright.build.progress import BakeProgress
from dockwright.build.record import report_path, write_reports
from dockwright.build.run import BuildResult, run_plan
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.errors import BuildError, ConfigError
from dockwright.repo import cache
from dockwright.repo import project as repo
from dockwright.repo.compose import select


def make_plan(
    project: Project,
    names: list[str],
    *,
    target: str,
    platform: str,
    builder: str,
    ca_bundle: str,
    no_cache: bool,
    tags: tuple[str, ...] | None = None,
    version: str | None = None,
    registry_url: str | None = None,
    env_file: Path | None = None,
) -> BuildPlan:
    s = project.settings
    services = select(repo.build_services(project, env_file), names, buildable=True)
    ca = repo.ca_bundle(ca_bundle, project)
    return plan_build(
        services,
        target=target,
        prov=repo.provenance(project, version),
        project=project.name,
        platform=platform or s.build.platform,
        builder=builder or s.build.builder,
        tags=tags,
        stage_map=s.targets,
        extra_labels=s.build.labels,
        secret_files={"ca": ca} if ca else {},
        cache_from=s.build.cache_from,
        cache_to=s.build.cache_to,
        no_cache=no_cache,
        registry=registry_url,
    )


def execute(
    plan: BuildPlan, project: Project, on_update: Callable[[BakeProgress], None] = lambda _p: None
) -> BuildResult:
    """Run the plan (`on_update` gets the progress as it changes); write the reports.

    The engine is asked whether it answers only when something failed (a missing
    builder, a bake that never started), so a warm build pays no extra call and a
    stopped engine still gets its own error."""
    try:
        driver = builder_driver(project, plan.builder)
    except ConfigError:
        engine.ensure_engine()
        raise
    check_cache_export(plan, driver)
    workdir = project.root / "build"
    result = run_plan(plan, workdir, on_update)
    if not any(s.ok or s.steps for s in result.services):
        engine.ensure_engine()
    write_reports(
        result.as_dict(),
        report_path(project.root),
        plan.images[0].labels.get("org.opencontainers.image.version", ""),
    )
    return result


def builder_driver(project: Project, name: str) -> str:
    """The builder's driver, cached in build/cache/ by `cache.builder_parts`."""
    store = cache.Cache(project.root, os.environ)
    key = cache.key(cache.builder_parts(name, os.environ, Path.home()))
    kind = f"builder-{name or 'current'}"
    driver = store.get(kind, key)
    if not isinstance(driver, str):
        driver = engine.builder_driver(name)
        store.put(kind, key, driver)
    return driver


def prod_plan(
    project: Project,
    *,
    tags: tuple[str, ...] | None = None,
    version: str | None = None,
    env_file: Path | None = None,
) -> BuildPlan:
    """Every service's prod image with the settings' platform and builder: what
    `release` and the smoke build (`tags`/`version` for a release)."""
    return make_plan(
        project,
        [],
        target="prod",
        platform="",
        builder="",
        ca_bundle="",
        no_cache=False,
        tags=tags,
        version=version,
        env_file=env_file,
    )


def require_ok(result: BuildResult, consequence: str) -> None:
    """BuildError naming the services that failed, and what that means here."""
    failed = [s.service for s in result.services if not s.ok]
    if failed:
        raise BuildError(f"build failed for {', '.join(failed)}; {consequence}")
