"""The build plan: which images, with which tags, labels, secrets and cache.

Pure: the plan is a value that `--dry-run` prints, the executor carries out as
one buildx bake (one BuildKit session, shared stages built once), and the unit
tests check without an engine.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockwright.errors import ConfigError
from dockwright.repo.compose import Service

TARGETS = ("prod", "dev")
OCI = "org.opencontainers.image"
# Drivers that cannot export build cache (buildx: "Cache export is not
# supported for the docker driver"); checked before building, not after.
NO_CACHE_EXPORT_DRIVERS = frozenset({"docker"})


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where the images come from: version, commit and time, for tags and labels."""

    version: str
    sha: str
    dirty: bool
    source: str
    created: datetime

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def created_rfc3339(self) -> str:
        return self.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class ImageBuild:
    service: str
    context: Path
    dockerfile: Path
    stage: str | None
    repository: str
    tags: tuple[str, ...]
    args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(f"{self.repository}:{t}" for t in self.tags)


@dataclass(frozen=True, kw_only=True)
class BuildPlan:
    target: str
    platform: str
    builder: str
    images: tuple[ImageBuild, ...]
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    no_cache: bool = False

    @property
    def services(self) -> list[str]:
        return [i.service for i in self.images]

    def bake_definition(self) -> dict[str, Any]:
        """The bake file (JSON form) that builds every image in one session."""
        targets: dict[str, Any] = {}
        for image in self.images:
            target: dict[str, Any] = {
                "context": str(image.context),
                "dockerfile": str(image.dockerfile),
                "args": image.args,
                "labels": image.labels,
                "tags": list(image.refs),
                "platforms": [self.platform],
                "secret": list(image.secrets),
                # Always into the engine: the policy gate checks the image there,
                # and pushing is a separate, verified step (publish.Publisher).
                "output": ["type=docker"],
            }
            if image.stage:
                target["target"] = image.stage
            if self.cache_from:
                target["cache-from"] = list(self.cache_from)
            if self.cache_to:
                target["cache-to"] = list(self.cache_to)
            if self.no_cache:
                target["no-cache"] = True
            targets[image.service] = target
        return {"group": {"default": {"targets": self.services}}, "target": targets}

    def command(self, definition: Path, metadata: Path) -> list[str]:
        """The exact engine call the executor makes."""
        cmd = ["docker", "buildx", "bake"]
        if self.builder:
            cmd += ["--builder", self.builder]
        cmd += ["--file", str(definition), "--metadata-file", str(metadata), "--progress", "plain"]
        return [*cmd, *self.services]

    def describe(self, definition: Path, metadata: Path) -> str:
        return shlex.join(self.command(definition, metadata))


def dev_tags(prov: Provenance, target: str) -> tuple[str, ...]:
    """Tags of a non-release build: `sha-<short>[-dirty]` plus a moving name; a dev
    target's are prefixed with it. Never decorated with the tag flavor's prefix or
    suffix: `build --push` publishes them by these names (`publish.tag_kinds`)."""
    sha = f"sha-{prov.short}" + ("-dirty" if prov.dirty else "")
    if target == "prod":
        return (sha, "dev")
    return (f"{target}-{sha}", f"{target}-target")


def oci_labels(prov: Provenance, title: str, extra: dict[str, str]) -> dict[str, str]:
    labels = {
        f"{OCI}.version": prov.version,
        f"{OCI}.created": prov.created_rfc3339,
        f"{OCI}.revision": prov.sha,
        f"{OCI}.source": prov.source,
        f"{OCI}.title": title,
        "org.dockwright.dirty": "true" if prov.dirty else "false",
    }
    labels.update(extra)
    return labels


def stage_for(service: Service, target: str, mapping: dict[str, str]) -> str | None:
    """The Dockerfile stage for our `prod`/`dev` target.

    `prod` defaults to the stage compose names, else the last stage; `dev` to a
    stage named `dev` unless the settings map it to the repo's own name.
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; use one of: {', '.join(TARGETS)}")
    if target in mapping:
        return mapping[target]
    if target == "prod":
        return service.build.target if service.build else None
    return "dev"


def plan_build(
    services: list[Service],
    *,
    target: str,
    prov: Provenance,
    project: str,
    platform: str,
    builder: str = "",
    tags: tuple[str, ...] | None = None,
    stage_map: dict[str, str] | None = None,
    extra_labels: dict[str, str] | None = None,
    secret_files: dict[str, str] | None = None,
    cache_from: tuple[str, ...] = (),
    cache_to: tuple[str, ...] = (),
    no_cache: bool = False,
    registry: str | None = None,
) -> BuildPlan:
    """Resolve services and options into a BuildPlan. `tags` overrides the dev tags."""
    images = []
    for svc in services:
        assert svc.build is not None
        repository = svc.local_repository(project)
        if registry:
            repository = f"{registry}/{repository.rsplit('/', 1)[-1]}"
        title = f"{project}-{svc.name}"
        labels = oci_labels(prov, title, extra_labels or {})
        args = dict(svc.build.args)
        # The Dockerfiles turn these build args into the OCI labels themselves too.
        args.update(
            VERSION=prov.version,
            CREATED=prov.created_rfc3339,
            REVISION=prov.sha,
            SOURCE=prov.source,
            TITLE=title,
        )
        # Secret *paths* go into the bake file; their contents reach BuildKit only
        # as secret mounts, never argv, never a layer.
        sources = {
            **svc.build.secrets,
            **{k: v for k, v in (secret_files or {}).items() if k in svc.build.secrets},
        }
        for sid, src in sources.items():
            if not Path(src).is_file():
                raise ConfigError(
                    f"service {svc.name}: build secret {sid!r} file {src} does not exist; "
                    "pass --ca-bundle PATH or set DOCKWRIGHT_CA_BUNDLE"
                )
        images.append(
            ImageBuild(
                service=svc.name,
                context=svc.build.context,
                dockerfile=svc.build.dockerfile,
                stage=stage_for(svc, target, stage_map or {}),
                repository=repository,
                tags=tags if tags is not None else dev_tags(prov, target),
                args=args,
                labels=labels,
                secrets=tuple(f"id={k},src={v}" for k, v in sorted(sources.items())),
            )
        )
    return BuildPlan(
        target=target,
        platform=platform,
        builder=builder,
        images=tuple(images),
        cache_from=cache_from,
        cache_to=cache_to,
        no_cache=no_cache,
    )


def check_cache_export(plan: BuildPlan, driver: str) -> None:
    if plan.cache_to and driver in NO_CACHE_EXPORT_DRIVERS:
        raise ConfigError(
            f"builder {plan.builder or 'default'} uses the {driver!r} driver, which cannot export "
            "cache (cache_to is set); create one with `docker buildx create --driver "
            "docker-container --name ci` and pass --builder ci, or remove cache_to"
        )


def plan_json(plan: BuildPlan) -> str:
    return json.dumps(plan.bake_definition(), indent=2, sort_keys=True)
