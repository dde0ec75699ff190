"""What a release attempt published, so that a rerun finishes with exactly those images.

One JSON file per version in the repository's git folder (never committed, never
in an image): the commit and registry it belongs to and, per repository, the
digest its version tag was verified at. A rerun of the same release from the
same commit re-tags these digests instead of depending on a bit-identical rebuild.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dockwright.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class ReleaseRecord:
    version: str
    commit: str
    registry: str
    images: dict[str, str] = field(default_factory=dict)  # repository -> digest
    # When these images passed the release's policy and scan gates (UTC, ISO 8601),
    # and which scan kinds that gate ran; empty until they have.
    gates: str = ""
    scanned: tuple[str, ...] = ()
    promoted_from: str = ""  # the version whose verified images this release re-tagged
    inputs: dict[str, Any] = field(default_factory=dict)  # release.evidence.build_inputs

    def applies_to(self, *, version: str, commit: str, registry: str) -> bool:
        return (self.version, self.commit, self.registry) == (version, commit, registry)

    def with_image(self, repository: str, digest: str) -> ReleaseRecord:
        return replace(self, images={**self.images, repository: digest})

    def passed(self, when: str, scanned: tuple[str, ...]) -> ReleaseRecord:
        return replace(self, gates=when, scanned=scanned)


def records_folder(git_dir: Path) -> Path:
    return git_dir / "dockwright" / "releases"


def record_path(git_dir: Path, version: str) -> Path:
    return records_folder(git_dir) / f"{version}.json"


def load_record(path: Path) -> ReleaseRecord | None:
    """The record at `path`, or None when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReleaseRecord(
            version=str(data["version"]),
            commit=str(data["commit"]),
            registry=str(data["registry"]),
            images={str(k): str(v) for k, v in dict(data["images"]).items()},
            gates=str(data.get("gates", "")),
            scanned=tuple(str(k) for k in data.get("scanned", ())),
            promoted_from=str(data.get("promoted_from", "")),
            inputs=dict(data.get("inputs") or {}),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            f"{path} (what an earlier release attempt pushed) is unreadable; delete it and "
            "rerun: the registry's image labels still tell which images that attempt pushed"
        ) from None


def load_records(folder: Path) -> list[ReleaseRecord]:
    """Every readable record in `folder` (an unreadable one is skipped: it only
    means its images cannot be re-tagged, and `load_record` names it when its own
    release runs again)."""
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = load_record(path)
        except ConfigError:
            continue
        if record is not None:
            found.append(record)
    return found


def save_record(path: Path, record: ReleaseRecord) -> None:
    """Write atomically: a crash leaves the old record or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    data = {
        "version": record.version,
        "commit": record.commit,
        "registry": record.registry,
        "images": record.images,
        "gates": record.gates,
        "scanned": list(record.scanned),
        "promoted_from": record.promoted_from,
        "inputs": record.inputs,
    }
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
