"""The Docker engine as dockwright uses it. The only module importing python-on-whales.

Every engine failure is re-raised as one of our errors with one line saying
what failed; the engine's own text is kept on the exception for `--debug`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from python_on_whales import DockerClient, docker
from python_on_whales.exceptions import DockerException, NoSuchImage
from python_on_whales.utils import run

from dockwright.errors import ConfigError, EngineError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """compose logs may start with terminal control sequences even without colour."""
    return ANSI.sub("", text)


def _tail(exc: DockerException) -> str:
    text = (exc.stderr or exc.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit code {exc.return_code}"


def ensure_engine() -> str:
    """The engine's version; EngineError when none answers."""
    try:
        return str(docker.version().server.version)  # type: ignore[union-attr]
    except DockerException as exc:
        raise EngineError(
            "no Docker engine answers (docker version failed: "
            f"{_tail(exc)}); start dockerd or run `bash ci/setup` as root"
        ) from exc


def compose_client(files: list[Path], project: str, env_files: list[Path]) -> DockerClient:
    compose_files: list[str | Path] = list(files)
    return DockerClient(
        compose_files=compose_files,
        compose_project_name=project,
        compose_env_files=[f for f in env_files if f.is_file()],
    )


def compose_config(files: list[Path], project: str, env_files: list[Path]) -> dict[str, Any]:
    """The merged compose config as JSON (the pydantic model drops healthcheck/target)."""
    try:
        data = compose_client(files, project, env_files).compose.config(return_json=True)
    except DockerException as exc:
        raise ConfigError(
            f"docker compose config failed for {', '.join(map(str, files))}: {_tail(exc)}"
        ) from exc
    assert isinstance(data, dict)
    return data


def builder_driver(name: str) -> str:
    try:
        return str(docker.buildx.inspect(name or None).driver)
    except DockerException as exc:
        raise ConfigError(
            f"buildx builder {name or 'default'!r} not found ({_tail(exc)}); "
            "list builders with `docker buildx ls`"
        ) from exc


def bake(definition: Path, targets: list[str], *, builder: str, metadata: Path) -> Iterator[str]:
    """Run buildx bake and yield its plain-progress lines; raises BuildError-worthy
    DockerException at the end on failure (the caller decides what failed)."""
    return cast(
        Iterator[str],
        docker.buildx.bake(
            targets,
            builder=builder or None,
            files=[definition],
            progress="plain",
            metadata_file=metadata,
            stream_logs=True,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ImageFacts:
    id: str
    size: int
    user: str
    exposed: tuple[str, ...]
    healthcheck: dict[str, Any] | None
    labels: dict[str, str]
    env: tuple[str, ...]
    repo_digests: tuple[str, ...]
    raw: dict[str, Any]


def inspect_image(ref: str) -> ImageFacts:
    try:
        out = cast(str, run([*docker.docker_cmd, "image", "inspect", ref]))
    except DockerException as exc:
        raise EngineError(f"image {ref} not found in the engine; build it first") from exc
    data = json.loads(out)[0]
    config = data.get("Config") or {}
    return ImageFacts(
        id=data["Id"],
        size=int(data.get("Size", 0)),
        user=config.get("User") or "",
        exposed=tuple(sorted((config.get("ExposedPorts") or {}).keys())),
        healthcheck=config.get("Healthcheck"),
        labels=dict(config.get("Labels") or {}),
        env=tuple(config.get("Env") or ()),
        repo_digests=tuple(data.get("RepoDigests") or ()),
        raw=data,
    )


def image_exists(ref: str) -> bool:
    try:
        docker.image.inspect(ref)
    except NoSuchImage:
        return False
    return True


def image_history(ref: str) -> list[dict[str, Any]]:
    """`docker image history` rows (python-on-whales' own history() is not implemented)."""
    out = run([*docker.docker_cmd, "image", "history", "--no-trunc", "--format", "{{json .}}", ref])
    return [json.loads(line) for line in str(out).splitlines() if line.strip()]


def export_filesystem(ref: str, dest: Path) -> Path:
    """Write the image's flattened filesystem as a tar file (for file and secret checks)."""
    container = docker.container.create(ref, ["true"])
    try:
        docker.container.export(container, dest)
    finally:
        container.remove(force=True)
    return dest


def save_image(ref: str, dest: Path) -> Path:
    """`docker save`: every layer, so files deleted in a later layer are still seen."""
    docker.image.save(ref, output=dest)
    return dest
