"""Registry access shared by the tasks that push: build --push, push, tags, release."""

from __future__ import annotations

from pathlib import Path

from dockwright import project as repo
from dockwright.compose import select
from dockwright.config import Project, RegistrySettings
from dockwright.envfile import parse_env_text
from dockwright.publish import Publisher, PushItem, credentials_for, target_repository
from dockwright.tasks._common import console


def dotenv(project: Project) -> dict[str, str]:
    path = project.path(project.settings.env_file)
    if not path.is_file():
        return {}
    return parse_env_text(path.read_text(encoding="utf-8"), str(path)).values()


def publisher(project: Project, name: str, config_dir: Path) -> tuple[RegistrySettings, Publisher]:
    _, registry = project.registry(name or None)
    creds = credentials_for(registry, dotenv(project))
    return registry, Publisher(
        registry, creds, config_dir, on_event=lambda m: console.print(f"  {m}", markup=False)
    )


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
    tags: tuple[str, ...],
    registry: RegistrySettings,
    floating: tuple[str, ...] = (),
) -> list[PushItem]:
    return [
        PushItem(
            service=name,
            source=f"{local}:{tags[0]}",
            repository=remote,
            immutable=tags,
            floating=floating,
        )
        for name, local, remote in destinations(project, names, registry)
    ]
