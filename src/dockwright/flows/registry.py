"""Registry access for the flows that push (build --push, push, tags, release): which
registry, whose credentials, a Publisher, and what goes where. Nothing here prints."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from dockwright.build.plan import BuildPlan
from dockwright.build.record import last_build_tag
from dockwright.config import Project, RegistrySettings
from dockwright.engine import docker as engine
from dockwright.engine.credhelper import helper_get
from dockwright.errors import DockwrightError
from dockwright.registry.access import Access, config_dir, read_docker_config, resolve_access
from dockwright.registry.publish import (
    Published,
    Publisher,
    PushItem,
    publishing,
    push_attempts,
    tag_kinds,
    target_repository,
)
from dockwright.repo import project as repo
from dockwright.repo.compose import select

if TYPE_CHECKING:
    from dockwright.flows import sbom as sbom_flow


def registry_settings(project: Project, name: str) -> RegistrySettings:
    """The named (or configured) registry, its URL checked: before any engine or network."""
    _, registry = project.registry(name or None)
    return registry


def access_for(registry: RegistrySettings) -> Access:
    """Token from the environment, else the user's own docker login (read-only)."""
    return resolve_access(
        registry,
        os.environ,
        lambda: read_docker_config(config_dir(os.environ, Path.home())),
        helper_get,
    )


@contextmanager
def publisher(
    project: Project, name: str, say: Callable[[str], None]
) -> Iterator[tuple[RegistrySettings, Publisher]]:
    """The registry's settings and a Publisher; no login is left behind when the block
    ends. `say` gets where the credentials come from, then the publisher's events."""
    registry = registry_settings(project, name)
    attempts = push_attempts(os.environ)
    access = access_for(registry)
    say(f"registry {registry.url}: credentials from {access.source}")
    with publishing(registry, access, attempts=attempts, on_event=say) as pub:
        yield registry, pub


def destinations(
    project: Project, names: list[str], registry: RegistrySettings
) -> list[tuple[str, str, str]]:
    """(service, local repository, registry repository) of each buildable service."""
    services = select(repo.load_services(project), names, buildable=True)
    return [
        (svc.name, local, target_repository(registry, project.name, local))
        for svc in services
        for local in (svc.local_repository(project.name),)
    ]


def push_items(
    project: Project,
    names: list[str],
    *,
    registry: RegistrySettings,
    source_tag: str,
    immutable: tuple[str, ...] = (),
    once: tuple[str, ...] = (),
    floating: tuple[str, ...] = (),
) -> list[PushItem]:
    return [
        PushItem(
            service=name,
            source=f"{local}:{source_tag}",
            repository=remote,
            immutable=immutable,
            once=once,
            floating=floating,
        )
        for name, local, remote in destinations(project, names, registry)
    ]


def published_versions(project: Project, name: str, say: Callable[[str], None]) -> list[str]:
    """The release versions the registry holds for any of the project's images."""
    with publisher(project, name, say) as (registry, pub):
        return pub.published_versions([r for *_, r in destinations(project, [], registry)])


# service -> the SBOM made from its local image, and the seconds it took to make them
Made = tuple[dict[str, "sbom_flow.Written"], float]


def sboms_alongside(project: Project, items: list[PushItem]) -> Future[Made]:
    """Start making each item's SBOM from its local image in a thread, so trivy reads
    the engine while the push uploads (`attach_sboms` takes the result). Only for
    images this engine holds: those just built or about to be pushed."""
    from dockwright.flows import sbom as sbom_flow

    images = list(dict.fromkeys((i.service, i.source) for i in items))
    started = time.monotonic()

    def make() -> Made:
        written = sbom_flow.write(sbom_flow.plan_for(project, images))
        return {w.service: w for w in written}, time.monotonic() - started

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockwright-sbom")
    try:
        return pool.submit(make)
    finally:
        pool.shutdown(wait=False)


def attach_sboms(
    project: Project,
    pub: Publisher,
    items: list[PushItem],
    digests: dict[str, str],
    say: Callable[[str], None],
    made: Future[Made] | None = None,
) -> None:
    """Each pushed image's SBOM, attached to its digest in the registry
    (`flows.evidence`); an image no longer in this engine (a release that re-tagged
    an earlier one's images) keeps the SBOM attached to it then, if any. `made`:
    the SBOMs `sboms_alongside` made during the push (any it could not make are made
    here, so its failure surfaces only when an SBOM is really needed)."""
    from dockwright.flows import evidence  # trivy and the OCI artifacts: only when pushing

    ready: dict[str, sbom_flow.Written] = {}
    if made is not None:
        with suppress(DockwrightError):
            ready, seconds = made.result()
            say(f"evidence (alongside the push): SBOMs made by trivy in {seconds:.2f} s")
    started = time.monotonic()
    images = []
    for item in items:
        digest = digests[item.repository]
        listed, _ = evidence.sboms(pub.api, item.path, digest)
        if not listed and item.service not in ready and not engine.image_exists(item.source):
            say(f"sbom {item.service}: not attached: {item.source} is not in this engine")
            continue
        images.append((item.service, item.source, item.repository, digest))
    evidence.attach(project, pub.api, images, say, ready)
    say(f"evidence: SBOMs in the registry in {time.monotonic() - started:.2f} s")


def publish_build(
    project: Project,
    pub: Publisher,
    plan: BuildPlan,
    registry: RegistrySettings,
    say: Callable[[str], None],
) -> list[Published]:
    """`build --push`: the build's clean `sha-` tag is written once (the first image
    published from a commit keeps it), `dev` and a dirty tree's tag move; then each
    image's SBOM is attached to its digest."""
    tags = plan.images[0].tags
    items = push_items(
        project, plan.services, registry=registry, source_tag=tags[0], **tag_kinds(tags)
    )
    made = sboms_alongside(project, items)
    published = pub.publish(items)
    attach_sboms(project, pub, items, {p.repository: p.digest for p in published}, say, made)
    return published


def push(
    project: Project, name: str, services: list[str], tag: str, say: Callable[[str], None]
) -> tuple[str, list[Published]]:
    """`invoke push`: the images of `tag` (default: the last build's sha tag) with
    retries, each digest verified in the registry; the tag pushed and what was
    published. Bad settings fail before the engine."""
    registry_settings(project, name)
    push_attempts(os.environ)
    tag = tag or last_build_tag(project.root)
    engine.ensure_engine()
    with publisher(project, name, say) as (registry, pub):
        pub.preflight()
        items = push_items(
            project, services, registry=registry, source_tag=tag, **tag_kinds((tag,))
        )
        made = sboms_alongside(project, items)
        published = pub.publish(items)
        attach_sboms(project, pub, items, {p.repository: p.digest for p in published}, say, made)
        return tag, published
