"""Services as the compose files describe them: the single source of truth.

Takes the merged config (`docker compose config --format json`) and keeps
what dockwright needs: how each service is built, its image repository, and its
`x-dockwright` extension (size budget, expected UID, health path, waivers).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from dockwright.errors import ConfigError

EXTENSION = "x-dockwright"
ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True, kw_only=True)
class BuildSpec:
    context: Path
    dockerfile: Path
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    # Build secret id -> file on the host (from the top-level `secrets:`).
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Service:
    name: str
    image: str | None
    build: BuildSpec | None
    ports: tuple[dict[str, Any], ...] = ()
    healthcheck: dict[str, Any] | None = None
    extension: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def repository(self) -> str | None:
        """The image name without its tag (`localhost:5000/app/backend`)."""
        return None if self.image is None else split_image(self.image)[0]

    def local_repository(self, project: str) -> str:
        """Where `build` puts this service's image: its `image:` name, else `<project>-<name>`."""
        return self.repository or f"{project}-{self.name}"


def split_image(image: str) -> tuple[str, str | None]:
    """`host:5000/ns/name:tag` -> (`host:5000/ns/name`, `tag`); digests are kept on the name."""
    if "@" in image:
        return image, None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, None


def _build_spec(name: str, build: Any, secrets: dict[str, Any]) -> BuildSpec:
    if isinstance(build, str):
        build = {"context": build}
    context = Path(build.get("context", "."))
    dockerfile = Path(build.get("dockerfile", "Dockerfile"))
    if not dockerfile.is_absolute():
        dockerfile = context / dockerfile
    args = {k: "" if v is None else str(v) for k, v in (build.get("args") or {}).items()}
    names = []
    for item in build.get("secrets") or ():
        names.append(item["source"] if isinstance(item, dict) else str(item))
    files = {}
    for secret in names:
        source = (secrets.get(secret) or {}).get("file")
        if not source:
            raise ConfigError(
                f"service {name}: build secret {secret!r} has no `file:` in the top-level secrets:"
            )
        files[secret] = str(source)
    return BuildSpec(
        context=context,
        dockerfile=dockerfile,
        target=build.get("target"),
        args=args,
        secrets=files,
    )


def services_from_config(config: dict[str, Any]) -> list[Service]:
    """The services of a merged compose config, in file order."""
    secrets = config.get("secrets") or {}
    result = []
    for name, svc in (config.get("services") or {}).items():
        build = svc.get("build")
        result.append(
            Service(
                name=name,
                image=svc.get("image"),
                build=None if build is None else _build_spec(name, build, secrets),
                ports=tuple(svc.get("ports") or ()),
                healthcheck=svc.get("healthcheck"),
                extension=dict(svc.get(EXTENSION) or {}),
                raw=svc,
            )
        )
    return result


# libyaml's loader when PyYAML has it (ten times faster than the pure-Python one).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


def read_yaml(path: Path) -> Any:
    """A compose file, parsed once per process for the same text. Treat it as read-only."""
    return _parsed(path.read_text(encoding="utf-8"))


def extensions_from_files(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """`x-dockwright` of each service, read from the files themselves.

    `docker compose config` (2.26) drops service-level `x-*` keys, so they are
    read from the YAML (anchors and `<<` merges resolved); later files win.
    """
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            data = read_yaml(path) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        for name, svc in (data.get("services") or {}).items():
            ext = (svc or {}).get(EXTENSION)
            if isinstance(ext, dict):
                found.setdefault(name, {}).update(ext)
    return found


def build_view(config: dict[str, Any]) -> dict[str, Any]:
    """What a build reads of a merged config: each service's image, build section and
    x-dockwright, and the top-level secrets' files. No environment, healthcheck or
    ports: nothing a container gets at run time, so no runtime secret."""
    keep = ("image", "build", EXTENSION)
    services = {
        name: {k: svc[k] for k in keep if k in svc}
        for name, svc in (config.get("services") or {}).items()
    }
    secrets = {
        name: {"file": spec["file"]}
        for name, spec in (config.get("secrets") or {}).items()
        if isinstance(spec, dict) and spec.get("file")
    }
    return {"name": config.get("name", ""), "services": services, "secrets": secrets}


def build_inputs(paths: list[Path]) -> tuple[list[Path], set[str]]:
    """What else `compose config` reads for a build: the files these files include or
    extend (recursively), and the names of the build args given without a value (compose
    takes those from the environment)."""
    files: list[Path] = []
    names: set[str] = set()
    todo = list(paths)
    seen: set[Path] = set()
    while todo:
        path = todo.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            data = read_yaml(path) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        if not isinstance(data, dict):
            continue
        found = _included(data) + _extended(data)
        for other in found:
            todo.append(other if other.is_absolute() else path.parent / other)
        files += [f if f.is_absolute() else path.parent / f for f in found]
        names |= _bare_args(data)
    return files, names


def _included(data: dict[str, Any]) -> list[Path]:
    found = []
    for item in data.get("include") or ():
        paths = item.get("path") if isinstance(item, dict) else item
        found += [Path(p) for p in ([paths] if isinstance(paths, str) else paths or ())]
    return found


def _extended(data: dict[str, Any]) -> list[Path]:
    found = []
    for svc in (data.get("services") or {}).values():
        extends = (svc or {}).get("extends") if isinstance(svc, dict) else None
        if isinstance(extends, dict) and isinstance(extends.get("file"), str):
            found.append(Path(extends["file"]))
    return found


def _bare_args(data: dict[str, Any]) -> set[str]:
    names = set()
    for svc in (data.get("services") or {}).values():
        build = (svc or {}).get("build") if isinstance(svc, dict) else None
        args = build.get("args") if isinstance(build, dict) else None
        if isinstance(args, dict):
            names |= {str(k) for k, v in args.items() if v is None}
        elif isinstance(args, list):
            names |= {str(a) for a in args if "=" not in str(a)}
    return names


def with_extensions(services: list[Service], ext: dict[str, dict[str, Any]]) -> list[Service]:
    return [replace(s, extension={**ext.get(s.name, {}), **s.extension}) for s in services]


def select(services: list[Service], names: list[str], *, buildable: bool) -> list[Service]:
    """Services named on the command line (all buildable ones when `names` is empty)."""
    pool = [s for s in services if s.build is not None] if buildable else services
    if not names:
        if not pool:
            raise ConfigError("no service has a build: section in the compose files")
        return pool
    known = {s.name: s for s in pool}
    unknown = [n for n in names if n not in known]
    if unknown:
        what = "buildable service" if buildable else "service"
        raise ConfigError(
            f"unknown {what} {unknown[0]!r}; choose from: {', '.join(known) or '(none)'}"
        )
    return [known[n] for n in names]


def compose_files(root: Path, base: tuple[str, ...], overrides: tuple[str, ...]) -> list[Path]:
    """Absolute compose file paths; a missing one is an error naming it."""
    paths = [(root / f).resolve() for f in (*base, *overrides)]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"compose file {path} does not exist; fix compose_files in settings")
    return paths
