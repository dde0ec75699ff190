"""Facts that cost an engine call, kept between runs in `build/cache/`, each keyed by
the content of everything it is computed from: a changed input gives another key,
and the fact is computed again.

One entry per kind (`compose-prod`, `builder-default`, ...): the last one written.
The files are JSON, mode 0600, and hold no secret: what is cached is chosen so
(see `repo.project.build_services`). `DOCKWRIGHT_CACHE=off` turns caching off.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
FOLDER = Path("build") / "cache"
# Variables compose itself reads, besides those a file names.
ENGINE_VARIABLES = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "BUILDX_BUILDER")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_SAFE_KIND = re.compile(r"[^A-Za-z0-9_.-]+")
# Where the compose plugin may live (an upgrade may change its output).
PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get("DOCKWRIGHT_CACHE", "").lower() not in ("off", "0", "false", "no")


def file_part(path: Path) -> str:
    """A file by its path and content (`missing` when there is none)."""
    try:
        content = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return f"{path}\0missing"
    return f"{path}\0{hashlib.sha256(content).hexdigest()}"


def stat_part(path: Path) -> str:
    """A program by its path, size and modification time (cheaper than its content)."""
    try:
        st = path.stat()
    except OSError:
        return f"{path}\0missing"
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"


TREE_LIMIT = 20_000


def tree_part(
    folder: Path,
    *,
    names: frozenset[str] = frozenset(),
    paths: frozenset[str] = frozenset(),
    limit: int = TREE_LIMIT,
) -> str | None:
    """A folder by every entry in it: relative path, type, size, mode and modification
    time (what a build context sends, without reading the files). Folders named in
    `names` (anywhere) or `paths` (relative) are skipped: the build never sees them.
    None when the folder holds more than `limit` entries (walking it would cost more
    than the build it could save)."""
    digest = hashlib.sha256()
    count = 0
    pending = [(folder, "")]
    while pending:
        current, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            return None
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            if entry.name in names or rel in paths:
                continue
            count += 1
            if count > limit:
                return None
            st = entry.stat(follow_symlinks=False)
            digest.update(f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            if entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), f"{rel}/"))
    return f"{folder}\0tree\0{digest.hexdigest()}"


def referenced(texts: Iterable[str]) -> set[str]:
    """The variable names `$NAME` / `${NAME...}` in these texts."""
    return {m.group(1) for text in texts for m in _REFERENCE.finditer(text)}


def environment_part(names: Iterable[str], environ: Mapping[str, str]) -> str:
    """These variables' values (set or not), and every COMPOSE_* and engine variable."""
    wanted = set(names) | set(ENGINE_VARIABLES) | {k for k in environ if k.startswith("COMPOSE_")}
    return json.dumps({k: environ.get(k) for k in sorted(wanted)})


def docker_part(environ: Mapping[str, str], home: Path) -> list[str]:
    """The docker CLI and compose plugin as installed (an upgrade is a new key)."""
    docker = shutil.which("docker", path=environ.get("PATH"))
    config = Path(environ.get("DOCKER_CONFIG") or home / ".docker")
    plugins = [config / "cli-plugins", *map(Path, PLUGIN_DIRS)]
    return [
        stat_part(Path(docker or "docker")),
        *(stat_part(d / "docker-compose") for d in plugins),
    ]


def builder_parts(name: str, environ: Mapping[str, str], home: Path) -> list[str]:
    """A buildx builder as its name, the builder buildx uses now (`buildx use`), its
    stored instance (rewritten when the builder is removed and created again), the
    docker context, the engine variables and the docker CLI."""
    config = Path(environ.get("DOCKER_CONFIG") or home / ".docker")
    return [
        f"builder\0{name}",
        *_buildx_parts(name, config / "buildx"),
        f"context\0{_current_context(config / 'config.json')}",
        environment_part((), environ),
        *docker_part(environ, home)[:1],
    ]


def _buildx_parts(name: str, buildx: Path) -> list[str]:
    instance = name or _current_builder(buildx / "current")
    stored = file_part(buildx / "instances" / instance) if instance else "instance\0none"
    return [file_part(buildx / "current"), stored]


def _current_context(path: Path) -> str:
    """`docker context use`'s choice (only that field: config.json also holds logins)."""
    try:
        return str(json.loads(path.read_text()).get("currentContext", ""))
    except (OSError, ValueError, AttributeError):
        return ""  # no config.json, or not an object: the default context


def _current_builder(path: Path) -> str:
    try:
        return str(json.loads(path.read_text()).get("Name", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def key(parts: Iterable[str]) -> str:
    digest = hashlib.sha256(f"dockwright-cache-{FORMAT}".encode())
    for part in parts:
        digest.update(b"\n\x00")
        digest.update(part.encode())
    return digest.hexdigest()


class Cache:
    """The entries of one repository (`root/build/cache`)."""

    def __init__(self, root: Path, environ: Mapping[str, str]) -> None:
        self.folder = root / FOLDER
        self.on = enabled(environ)

    def _path(self, kind: str) -> Path:
        return self.folder / f"{_SAFE_KIND.sub('_', kind)}.json"

    def get(self, kind: str, key: str) -> Any | None:
        """The value stored for `kind` under `key`; None when absent, stale or unreadable."""
        if not self.on:
            return None
        try:
            entry = json.loads(self._path(kind).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry.get("value")

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store the value (atomically: a reader sees the old entry or the new one)."""
        if not self.on:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(kind)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "value": value}, handle)
        os.replace(temporary, path)
