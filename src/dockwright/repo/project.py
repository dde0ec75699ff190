"""The repository as dockwright sees it: compose services, provenance, CA bundle."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from dockwright.build.plan import Provenance
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.engine import git
from dockwright.errors import ConfigError
from dockwright.release import versions
from dockwright.repo import cache
from dockwright.repo.compose import (
    Service,
    build_inputs,
    build_view,
    compose_files,
    extensions_from_files,
    services_from_config,
    with_extensions,
)

CA_ENV = ("DOCKWRIGHT_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT")


def files_for(project: Project, env: str | None) -> list[Path]:
    s = project.settings
    extra = {"dev": s.dev_files, "prod": s.prod_files}.get(env or "", ())
    return compose_files(project.root, s.compose_files, extra)


def compose_env(project: Project) -> dict[str, str]:
    """Variables compose files may use to find dockwright's own inputs."""
    env_file = project.path(project.settings.env_file)
    if not env_file.is_file():
        env_file = project.path(project.settings.env_example)
    return {"DOCKWRIGHT_ENV_FILE": str(env_file)}


def load_services(
    project: Project, env: str | None = None, env_file: Path | None = None
) -> list[Service]:
    """The services of the compose files, read with `env_file` (default: the settings')."""
    files = files_for(project, env)
    # The user's own environment wins, as for any compose variable.
    variables = {k: v for k, v in compose_env(project).items() if k not in os.environ}
    env_file = env_file or project.path(project.settings.env_file)
    config = engine.compose_config(files, project.name, [env_file], variables)
    return with_extensions(services_from_config(config), extensions_from_files(files))


def build_services(project: Project, env_file: Path | None = None) -> list[Service]:
    """The services as a build reads them (`compose.build_view`: image, build, secrets'
    files; no runtime environment). Cached in build/cache/, keyed by the compose files
    and what they include or extend, the env file, the variables they name, dockwright's
    own variables and the docker CLI and compose plugin as installed."""
    files = files_for(project, None)
    variables = {k: v for k, v in compose_env(project).items() if k not in os.environ}
    env_file = env_file or project.path(project.settings.env_file)
    others, bare = build_inputs(files)
    read = [*files, *others, env_file]
    texts = [p.read_text(encoding="utf-8") for p in read if p.is_file()]
    parts = [
        project.name,
        *map(cache.file_part, read),
        json.dumps(variables, sort_keys=True),
        cache.environment_part(cache.referenced(texts) | bare, os.environ),
        *cache.docker_part(os.environ, Path.home()),
    ]
    store = cache.Cache(project.root, os.environ)
    key = cache.key(parts)
    config = store.get("compose-build", key)
    if not isinstance(config, dict):
        config = build_view(engine.compose_config(files, project.name, [env_file], variables))
        store.put("compose-build", key, config)
    return with_extensions(services_from_config(config), extensions_from_files(files))


def read_version(project: Project) -> str:
    """The settings' VERSION file, checked as a semantic version (`versions.read_version`)."""
    path = project.path(project.settings.version_file)
    if not path.is_file():  # a repository not set up yet: a settings problem, exit 2
        raise ConfigError(f"{path} does not exist; create it with a version such as 0.1.0")
    return str(versions.read_version(path))


def provenance(project: Project, version: str | None = None) -> Provenance:
    state = git.state(project.root)
    # A clean tree's images are stamped with the commit time, not the wall clock:
    # rebuilding the same commit then gives the same image (same digest), so a
    # rerun release or a warm rebuild pushes and changes nothing.
    created = datetime.now(UTC)
    if not state.dirty and state.committed:
        created = datetime.fromisoformat(state.committed)
    return Provenance(
        version=version or read_version(project),
        sha=state.sha,
        dirty=state.dirty,
        source=state.source,
        created=created,
    )


def ca_bundle(explicit: str, project: Project) -> str | None:
    """The CA bundle for builds: --ca-bundle, settings, else the host's trust store
    when one of DOCKWRIGHT_CA_BUNDLE / SSL_CERT_FILE / PIP_CERT names it."""
    for candidate in (explicit, project.settings.build.ca_bundle):
        if candidate:
            if not Path(candidate).is_file():
                raise ConfigError(f"CA bundle {candidate} does not exist; pass an existing file")
            return candidate
    for name in CA_ENV:
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return value
    return None


def secret_values(project: Project, env_file: Path | None = None) -> dict[str, str]:
    """Values of the variables `.env.example` marks `secret`, as set in `.env`.

    Used to prove no secret reached an image; never printed.
    """
    from dockwright.envfile import parse_env_text, parse_rules

    example = project.path(project.settings.env_example)
    env_path = env_file or project.path(project.settings.env_file)
    if not example.is_file() or not env_path.is_file():
        return {}
    rules = parse_rules(example.read_text(encoding="utf-8"), str(example))
    values = parse_env_text(env_path.read_text(encoding="utf-8"), str(env_path)).values()
    return {k: v for k, v in values.items() if k in rules and rules[k].secret and v}
