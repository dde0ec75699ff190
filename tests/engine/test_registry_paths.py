"""The image `up --env prod` runs is the one `release` pushed, for every registry the
docs name: registry:2 (local), Docker Hub (a namespace) and GHCR (owner/repository)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dockwright.config import RegistrySettings, load_project
from dockwright.engine import docker as engine
from dockwright.flows.stack import compose_project, plan_up
from dockwright.registry.publish import target_repository
from dockwright.repo import project as repo
from dockwright.repo.compose import select

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]

EXAMPLES = {
    # name: (settings as docs/configuration.md shows them, what a person expects by hand)
    "local": (
        RegistrySettings(url="localhost:5000", insecure=True),
        "localhost:5000/dockwright-ref/backend:1.4.2",
    ),
    "dockerhub": (
        RegistrySettings(url="docker.io", namespace="acme"),
        "docker.io/acme/backend:1.4.2",
    ),
    "ghcr": (
        RegistrySettings(url="ghcr.io", namespace="acme/shop"),
        "ghcr.io/acme/shop/backend:1.4.2",
    ),
    "self-hosted": (
        RegistrySettings(url="registry.example.com:5443", namespace="team"),
        "registry.example.com:5443/team/backend:1.4.2",
    ),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_prod_runs_the_image_release_pushed(name: str) -> None:
    settings, expected_backend = EXAMPLES[name]
    loaded = load_project(ROOT)
    registries = {**loaded.settings.registries, name: settings}
    project = replace(loaded, settings=replace(loaded.settings, registries=registries))
    plan = plan_up(project, "prod", env_file=ROOT / ".env.example", version="1.4.2", registry=name)
    config = engine.stack_config(compose_project(project, plan))
    services = select(repo.load_services(project), [], buildable=True)
    assert {s.name for s in services} == {"backend", "frontend"}
    for svc in services:
        pushed = target_repository(settings, project.name, svc.local_repository(project.name))
        assert config["services"][svc.name]["image"] == f"{pushed}:1.4.2"
    assert config["services"]["backend"]["image"] == expected_backend
