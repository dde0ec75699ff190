"""The build as a workflow: the plan from the compose files and settings, then one
bake with per-service progress through `on_update`, and the reports it leaves in
build/. It never prints."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from dockwright.build.plan import BuildPlan, ImageBuild, check_cache_export, plan_build
from dockwright.build.progress import BakeProgress
from dockwright.build.record import report_path, write_reports
from dockwright.build.run import BuildResult, ServiceResult, run_plan
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.errors import BuildError, ConfigError, EngineError
from dockwright.repo import cache, dockerignore
from dockwright.repo import project as repo
from dockwright.repo.compose import select
from dockwright.repo.dockerfile import base_images


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
    fresh = UpToDate.of(plan, project, driver)
    result = fresh.result() if fresh else None
    if result is None:
        result = run_plan(plan, workdir, on_update)
        if not any(s.ok or s.steps for s in result.services):
            engine.ensure_engine()
        if fresh and result.ok:
            fresh.remember()
    result = with_bases(result, fresh.facts if fresh else {})
    write_reports(
        result.as_dict(),
        report_path(project.root),
        plan.images[0].labels.get("org.opencontainers.image.version", ""),
    )
    return result


def base_refs(image: ImageBuild) -> tuple[str, ...]:
    """The external images a service's Dockerfile builds FROM (not `scratch`)."""
    text = Path(image.dockerfile).read_text(encoding="utf-8")
    return tuple(b for b in base_images(text, image.args) if b.lower() != "scratch")


def pull_bases(
    plan: BuildPlan, *, on_pull: Callable[[str], None] = lambda _r: None, dry_run: bool = False
) -> list[str]:
    """`docker pull` each base image of the plan (the engine's mirrors, your docker
    login), so the `docker` driver, which takes bases from the engine, builds on what
    each tag names now; the bases, in order. RegistryError when one cannot be pulled."""
    refs = sorted(
        {ref for i in plan.images if Path(i.dockerfile).is_file() for ref in base_refs(i)}
    )
    for ref in [] if dry_run else refs:
        on_pull(ref)
        engine.pull(ref)
    return refs


def _base_facts(refs: list[str]) -> dict[str, engine.ImageFacts]:
    """The engine's facts of each base it holds (one call; one per base if one is missing:
    a base only a builder or a registry holds)."""
    try:
        return dict(zip(refs, engine.inspect_images(refs), strict=True))
    except EngineError:
        found = {}
        for ref in refs:
            with suppress(EngineError):
                found[ref] = engine.inspect_image(ref)
        return found


def with_bases(result: BuildResult, known: Mapping[str, engine.ImageFacts]) -> BuildResult:
    """Each built service's base images as the engine held them: on the `docker` driver
    these are what the build used (`check` compares them with the registry's)."""
    images = {i.service: i for i in result.plan.images if Path(i.dockerfile).is_file()}
    refs = {name: base_refs(image) for name, image in images.items()}
    wanted = sorted({r for name, rs in refs.items() for r in rs} - set(known))
    facts = {**known, **(_base_facts(wanted) if wanted else {})}
    services = tuple(
        replace(
            s,
            bases={
                ref: {
                    "id": facts[ref].id,
                    "digests": list(facts[ref].repo_digests),
                    "created": str(facts[ref].raw.get("Created", "")),
                }
                for ref in refs.get(s.service, ())
                if ref in facts
            },
        )
        if s.ok
        else s
        for s in result.services
    )
    return replace(result, services=services)


class UpToDate:
    """A build whose every input is as it was when it last produced these images, which
    are still in the engine: bake is not run (`docker buildx bake` of it would only
    send the contexts and find every step cached).

    The inputs, keyed in build/cache/ (`repo.cache`): the bake definition (tags,
    labels, args, target, secrets' paths), the builder, each context's every entry
    (path, size, mode, mtime; folders its .dockerignore leaves out are skipped), each
    Dockerfile and secret file by content; and, checked in the engine in one call,
    the image ID behind every tag and every base image. Only on the `docker` driver,
    which takes bases from the engine's own store (a `docker-container` builder asks
    the registry), never with `--no-cache` or a cache export, and never for a dirty
    tree (its images are stamped with the time of the build, so the key is new)."""

    def __init__(self, plan: BuildPlan, project: Project, key: str, bases: list[str]) -> None:
        self.plan = plan
        self.store = cache.Cache(project.root, os.environ)
        self.kind = f"up-to-date-{plan.target}-{'-'.join(sorted(plan.services))}"
        self.key = key
        self.bases = bases
        self.facts: dict[str, engine.ImageFacts] = {}  # what the last engine call found

    @classmethod
    def of(cls, plan: BuildPlan, project: Project, driver: str) -> UpToDate | None:
        if driver != "docker" or plan.no_cache or plan.cache_to or not cache.enabled(os.environ):
            return None
        parts = [
            json.dumps(plan.bake_definition(), sort_keys=True),
            *cache.builder_parts(plan.builder, os.environ, Path.home()),
        ]
        bases: list[str] = []
        for image in plan.images:
            context, dockerfile = Path(image.context), Path(image.dockerfile)
            if not context.is_dir() or not dockerfile.is_file():
                return None  # a remote context (git, URL): bake decides
            names, paths = dockerignore.pruned(dockerignore.read(context, dockerfile))
            tree = cache.tree_part(context, names=names, paths=paths)
            if tree is None:
                return None
            secrets = [Path(src) for spec in image.secrets for src in _secret_source(spec)]
            parts += [tree, cache.file_part(dockerfile), *map(cache.file_part, secrets)]
            # A base named by a variable it cannot resolve comes out wrong ("python:"),
            # is not found in the engine, and so the build runs.
            bases += base_refs(image)
        return cls(plan, project, cache.key(parts), sorted(set(bases)))

    def _refs(self) -> list[str]:
        return [ref for image in self.plan.images for ref in image.refs] + self.bases

    def _facts(self) -> dict[str, engine.ImageFacts] | None:
        """Every tag's and base's image in one engine call; None when one is gone (or
        a base is only in a registry)."""
        refs = [ref for image in self.plan.images for ref in image.refs] + self.bases
        try:
            self.facts = dict(zip(refs, engine.inspect_images(refs), strict=True))
        except EngineError:
            return None
        return self.facts

    def result(self) -> BuildResult | None:
        """The result of a build that did not need to run, or None when it does."""
        started = time.monotonic()
        recorded = self.store.get(self.kind, self.key)
        facts = self._facts() if isinstance(recorded, dict) else None
        if facts is None or {ref: f.id for ref, f in facts.items()} != recorded:
            return None
        services = tuple(
            ServiceResult(
                service=image.service,
                ok=True,
                refs=image.refs,
                seconds=0.0,
                cached=0,
                steps=0,
                size=facts[image.refs[0]].size,
                image_id=facts[image.refs[0]].id,
                up_to_date=True,
            )
            for image in self.plan.images
        )
        return BuildResult(plan=self.plan, services=services, seconds=time.monotonic() - started)

    def remember(self) -> None:
        """After a build that succeeded: what it produced, from what."""
        facts = self._facts()
        if facts is not None:
            self.store.put(self.kind, self.key, {ref: f.id for ref, f in facts.items()})


def _secret_source(spec: str) -> list[str]:
    """The file of a bake secret (`id=ca,src=/path`)."""
    fields = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
    return [fields["src"]] if "src" in fields else []


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
