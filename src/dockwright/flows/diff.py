"""`dockwright diff OLD NEW` as a workflow: each service's image at OLD and at NEW (a
tag in this engine, else a tag in the registry, pulled with the login a release
pushes with: token mode's throwaway one, or yours), its layers from the engine,
its packages from the SBOM attached to it in the registry (else made here by trivy),
its base images from the release record; compared by `release.diff`. It reports
through `say` and never prints."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from dockwright.build.record import last_build_tag
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.engine import git
from dockwright.errors import ConfigError
from dockwright.flows import evidence
from dockwright.flows import sbom as sbom_flow
from dockwright.flows.registry import publisher
from dockwright.policy import expectations_from
from dockwright.registry.publish import Publisher, registry_path, target_repository
from dockwright.registry.record import load_record, record_path
from dockwright.release import diff as d
from dockwright.repo import project as repo
from dockwright.repo.compose import Service, select
from dockwright.scan import sbom

LAST_RELEASE = "last-release"
LAST_BUILD = "last-build"


@dataclass(frozen=True, kw_only=True)
class Request:
    old: str
    new: str
    services: tuple[str, ...] = ()
    registry: str = ""


def refs(project: Project, request: Request) -> tuple[str, str]:
    """OLD and NEW, with `last-release` (the newest release tag's version) and
    `last-build` (the tag build/report.json names) resolved."""

    def resolve(ref: str) -> str:
        if ref == LAST_BUILD:
            return last_build_tag(project.root)
        if ref != LAST_RELEASE:
            return ref
        tag = git.last_version_tag(project.root)
        if tag is None:
            raise ConfigError(
                f"{LAST_RELEASE}: this repository has no release tag (vX.Y.Z) yet; "
                "name a version or tag to compare"
            )
        return tag.removeprefix("v")

    return resolve(request.old), resolve(request.new)


def diff(
    project: Project, request: Request, say: Callable[[str], None]
) -> tuple[str, str, list[d.ServiceDiff]]:
    old, new = refs(project, request)
    engine.ensure_engine()
    services = select(repo.build_services(project), list(request.services), buildable=True)
    defaults = dataclasses.asdict(project.settings.policy)
    found = []
    with publisher(project, request.registry, say) as (registry, pub):
        for svc in services:
            local = svc.local_repository(project.name)
            remote = target_repository(registry, project.name, local)
            budget = expectations_from(svc.extension, defaults).size_budget_mb
            found.append(
                d.compare(
                    svc.name,
                    side(project, pub, svc, local, remote, old, say),
                    side(project, pub, svc, local, remote, new, say),
                    budget=int(budget * d.MB),
                )
            )
    return old, new, found


def side(
    project: Project,
    pub: Publisher,
    svc: Service,
    local: str,
    remote: str,
    ref: str,
    say: Callable[[str], None],
) -> d.Side:
    """One service's image at `ref`: this engine's tag, else the registry's (pulled)."""
    image = f"{local}:{ref}"
    if not engine.image_exists(image):
        if pub.api.manifest(registry_path(remote), ref) is None:
            raise ConfigError(
                f"{ref!r} is neither a tag of {local} in this engine nor a tag of {remote}; "
                f"see `docker image ls {local}` and `invoke tags`"
            )
        image = f"{remote}:{ref}"
        say(f"pulling {image}")
        pub.pull(image)
    facts = engine.inspect_image(image)
    diff_ids = [str(i) for i in (facts.raw.get("RootFS") or {}).get("Layers") or []]
    return d.Side(
        ref=ref,
        image_id=facts.id,
        size=facts.size,
        layers=d.layers(diff_ids, engine.layer_history(image)),
        packages=packages(project, pub, svc.name, image, remote, facts.repo_digests, say),
        bases=recorded_bases(project, svc.name, ref),
    )


def packages(
    project: Project,
    pub: Publisher,
    service: str,
    image: str,
    remote: str,
    repo_digests: tuple[str, ...],
    say: Callable[[str], None],
) -> tuple[sbom.Package, ...]:
    """The image's packages: from the SBOM attached to its digest in the registry,
    else from one trivy makes here (build/sbom/<service>@<tag>.cdx.json)."""
    path = registry_path(remote)
    for entry in repo_digests:
        name, _, digest = entry.partition("@")
        if name != remote:
            continue
        listed, via = evidence.sboms(pub.api, path, digest)
        if listed:
            data = evidence.read_back(pub.api, path, listed[0].digest)
            say(f"sbom {service} {image}: from the registry ({via})")
            return sbom.read(data.decode(), image).packages
    name = f"{service}@{re.sub(r'[^A-Za-z0-9_.-]+', '_', image.rsplit(':', 1)[-1])}"
    (written,) = sbom_flow.write(sbom_flow.plan_for(project, [(name, image)]))
    say(f"sbom {service} {image}: made here by trivy ({written.path.name})")
    return written.sbom.packages


def recorded_bases(project: Project, service: str, ref: str) -> dict[str, str]:
    """The base images (-> image ID) a release recorded it built `service` on; {} when
    `ref` is no release of this clone."""
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+-]*", ref):
        return {}
    try:
        record = load_record(record_path(git.git_dir(project.root), ref))
    except ConfigError:
        return {}
    if record is None:
        return {}
    image = (record.inputs.get("images") or {}).get(service) or {}
    return {str(b): str((f or {}).get("id", "")) for b, f in (image.get("bases") or {}).items()}
