"""The local registry:2 that dockwright starts itself (`invoke registry.up`)."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from dockwright.config import RegistrySettings
from dockwright.engine import docker as engine
from dockwright.errors import ConfigError, RegistryError

PROJECT = "dockwright-registry"


def project_name(port: int) -> str:
    """One compose project (and volume) per port, so two registries never collide."""
    return PROJECT if port == 5000 else f"{PROJECT}-{port}"


def definition() -> Path:
    return Path(str(resources.files("dockwright") / "data" / "registry.compose.yaml"))


def port_of(url: str) -> int:
    host = url.split("/", 1)[0]
    if host.split(":")[0] not in ("localhost", "127.0.0.1"):
        raise ConfigError(f"registry.up starts a local registry only; {url} is not on localhost")
    return int(host.split(":")[1]) if ":" in host else 5000


def registry_up(reg: RegistrySettings, timeout: float = 30) -> tuple[str, list[str]]:
    """Start it (idempotent), wait until /v2/ answers; return its URL and catalogue."""
    port = port_of(reg.url)
    variables = {"DOCKWRIGHT_REGISTRY_PORT": str(port)}
    engine.compose_up_simple([definition()], project_name(port), variables)
    from dockwright.engine.registry_api import RegistryClient  # httpx on first use

    client = RegistryClient(reg.url, insecure=True, credentials=None)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.check_access()
            break
        except RegistryError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    return f"http://{reg.url}", client.catalog()


def registry_down(reg: RegistrySettings, *, volumes: bool) -> None:
    port = port_of(reg.url)
    variables = {"DOCKWRIGHT_REGISTRY_PORT": str(port)}
    engine.compose_down_simple([definition()], project_name(port), variables, volumes=volumes)
