"""Registry access shared by the tasks that push: build --push, push, tags, release."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dockwright.config import Project, RegistrySettings
from dockwright.engine.credhelper import helper_get
from dockwright.registry.access import Access, config_dir, read_docker_config, resolve_access
from dockwright.registry.publish import (
    Publisher,
    PushItem,
    publishing,
    push_attempts,
    target_repository,
)
from dockwright.repo import project as repo
from dockwright.repo.compose import select
from dockwright.tasks._common import console


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
def publisher(project: Project, name: str) -> Iterator[tuple[RegistrySettings, Publisher]]:
    """The registry's settings and a Publisher; no login is left behind when the block ends."""
    registry = registry_settings(project, name)
    attempts = push_attempts(os.environ)
    access = access_for(registry)
    console.print(f"  registry {registry.url}: credentials from {access.source}", markup=False)
    with publishing(
        registry,
        access,
        attempts=attempts,
        on_event=lambda m: console.print(f"  {m}", markup=False),
    ) as pub:
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
