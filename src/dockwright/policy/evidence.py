"""Gather what the policy gate measures on a built image: the engine's facts, every
layer and the final filesystem read as tar archives, and hadolint's findings."""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from dockwright.engine import docker as engine
from dockwright.engine.hadolint import lint_dockerfile
from dockwright.errors import ConfigError, EngineError, RegistryError
from dockwright.policy.rules import COMPILERS, HADOLINT_LEVELS, BaseState, Evidence
from dockwright.repo.dockerfile import base_images

SENSITIVE_NAMES = re.compile(r"^(\.env(\.[\w-]+)?|id_(rsa|dsa|ecdsa|ed25519))$")
KEY_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
PRIVATE_KEY = b"PRIVATE KEY-----"
BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")
COMPILER_NAME = re.compile(
    r"^(?:[\w-]+-linux-gnu-)?(" + "|".join(re.escape(c) for c in COMPILERS) + r")(-\d+)?$"
)
MAX_SCAN = 64 * 1024 * 1024


def _layers(saved: Path) -> Iterator[tarfile.TarFile]:
    """Each layer of a `docker save` archive (OCI or legacy layout), bottom first."""
    with tarfile.open(saved) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        for layer in manifest[0]["Layers"]:
            fh = outer.extractfile(layer)
            if fh is None:
                continue
            with tarfile.open(fileobj=fh, mode="r|*") as inner:
                yield inner


def _is_sensitive(name: str, head: bytes) -> bool:
    base = PurePosixPath(name).name
    if base == ".env.example":
        return False
    if SENSITIVE_NAMES.match(base):
        return True
    return base.endswith(KEY_SUFFIXES) and PRIVATE_KEY in head


def scan_layers(saved: Path, secrets: dict[str, str]) -> tuple[list[str], list[str]]:
    """Sensitive files and secret-variable values found in any layer (deleted ones too)."""
    sensitive: list[str] = []
    hits: list[str] = []
    needles = {k: v.encode() for k, v in secrets.items() if len(v) >= 6}
    for layer in _layers(saved):
        for member in layer:
            if not member.isfile():
                continue
            name = "/" + member.name.lstrip("./")
            wants_body = needles or PurePosixPath(name).name.endswith(KEY_SUFFIXES)
            body = b""
            if wants_body and member.size <= MAX_SCAN:
                fh = layer.extractfile(member)
                body = fh.read() if fh else b""
            if _is_sensitive(name, body[:65536] if body else b""):
                sensitive.append(name)
            for var, needle in needles.items():
                if body and needle in body:
                    hits.append(f"{var} in {name}")
    return sorted(set(sensitive)), sorted(set(hits))


def scan_filesystem(exported: Path) -> tuple[dict[str, int], list[str]]:
    """/etc/passwd users and compilers on PATH in the final (flattened) filesystem."""
    passwd: dict[str, int] = {}
    compilers: list[str] = []
    with tarfile.open(exported) as tar:
        for member in tar:
            path = PurePosixPath(member.name.lstrip("./"))
            if str(path) == "etc/passwd" and member.isfile():
                fh = tar.extractfile(member)
                for line in (fh.read().decode(errors="replace") if fh else "").splitlines():
                    parts = line.split(":")
                    if len(parts) > 2 and parts[2].isdigit():
                        passwd[parts[0]] = int(parts[2])
            elif (
                str(path.parent) in BIN_DIRS
                and COMPILER_NAME.match(path.name)
                and (member.isfile() or member.issym())
            ):
                compilers.append("/" + str(path))
    return passwd, sorted(compilers)


def hadolint(dockerfile: Path, threshold: str) -> list[str]:
    """hadolint findings at or above `threshold`, as `line N RULE: message`."""
    if threshold not in HADOLINT_LEVELS:
        raise ConfigError(f"hadolint threshold {threshold!r}; use one of {HADOLINT_LEVELS}")
    limit = HADOLINT_LEVELS.index(threshold)
    return [
        f"line {f['line']} {f['code']}: {f['message']}"
        for f in lint_dockerfile(dockerfile)
        if f.get("level") in HADOLINT_LEVELS and HADOLINT_LEVELS.index(f["level"]) <= limit
    ]


def _age_days(created: str, now: datetime) -> int | None:
    """Whole days since an engine timestamp (RFC 3339, nanoseconds); None if unreadable."""
    text = re.sub(r"(\.\d{6})\d*", r"\1", created.strip()).replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, (now - when).days)


def base_states(
    refs: tuple[str, ...],
    recorded: Mapping[str, Mapping[str, Any]],
    lookup: Callable[[str], str],
    now: datetime,
) -> tuple[BaseState, ...]:
    """Each base as the build recorded it (`build/report.json`'s `bases`) beside what its
    tag resolves to now (`lookup`: a digest, or RegistryError/EngineError saying why not)."""
    states = []
    for ref in refs:
        if ref.lower() == "scratch":
            continue
        if "@sha256:" in ref:  # pinned: it cannot move
            states.append(BaseState(ref=ref))
            continue
        facts = recorded.get(ref) or {}
        digests = tuple(d.split("@", 1)[1] for d in facts.get("digests") or () if "@" in d)
        current, error = "", ""
        try:
            current = lookup(ref)
        except (RegistryError, EngineError) as exc:
            error = str(exc)
        states.append(
            BaseState(
                ref=ref,
                built_on=tuple(dict.fromkeys(digests)),
                age_days=_age_days(str(facts.get("created") or ""), now) if facts else None,
                current=current,
                error=error,
            )
        )
    return tuple(states)


def gather(
    ref: str,
    *,
    dockerfile: Path,
    build_args: dict[str, str],
    secrets: dict[str, str],
    hadolint_threshold: str,
    bases: tuple[BaseState, ...] = (),
) -> Evidence:
    """Measure one image: config, history, every layer, the final filesystem, hadolint;
    `bases` as `base_states` found them."""
    facts = engine.inspect_image(ref)
    history = engine.image_history(ref)
    text = json.dumps(facts.raw) + json.dumps(history)
    config_hits = [
        f"{var} in image config/history"
        for var, value in secrets.items()
        if len(value) >= 6 and value in text
    ]
    with tempfile.TemporaryDirectory(prefix="dockwright-check-") as tmp:
        saved = engine.save_image(ref, Path(tmp) / "image.tar")
        sensitive, file_hits = scan_layers(saved, secrets)
        saved.unlink()
        exported = engine.export_filesystem(ref, Path(tmp) / "fs.tar")
        passwd, compilers = scan_filesystem(exported)
    return Evidence(
        image=ref,
        size=facts.size,
        user=facts.user,
        passwd=passwd,
        healthcheck=facts.healthcheck,
        exposed=facts.exposed,
        labels=facts.labels,
        base_images=base_images(dockerfile.read_text(encoding="utf-8"), build_args),
        sensitive_files=tuple(sensitive),
        secret_hits=tuple(config_hits + file_hits),
        compilers=tuple(compilers),
        hadolint=tuple(hadolint(dockerfile, hadolint_threshold)),
        bases=bases,
    )
