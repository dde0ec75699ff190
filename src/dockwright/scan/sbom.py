"""SBOMs: what is inside an image, as CycloneDX JSON (trivy writes it offline).

Pure functions: the command line and the reading of its file. `flows/sbom.py` runs it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from dockwright.errors import ScannerUnavailableError

# No update notices or telemetry; the package list needs no vulnerability database.
_FLAGS = ("--quiet", "--skip-version-check", "--disable-telemetry")


def command(
    trivy: str, image: str, output: str, *, cache_dir: str | None = None
) -> tuple[str, ...]:
    """`trivy image` writing the CycloneDX SBOM of `image` (from the engine) to `output`."""
    argv = [trivy, "image", "--format", "cyclonedx", "--output", output, *_FLAGS]
    argv += ["--scanners", "license"]  # packages (and licenses), never the vulnerability DB
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    argv.append(image)
    return tuple(argv)


@dataclass(frozen=True, kw_only=True)
class Package:
    name: str
    version: str
    kind: str  # the purl type: pypi, npm, deb, apk...
    purl: str = ""


@dataclass(frozen=True, kw_only=True)
class Sbom:
    image: str
    spec: str
    packages: tuple[Package, ...]

    def counts(self) -> dict[str, int]:
        """Packages per kind, most first."""
        return dict(Counter(p.kind for p in self.packages).most_common())


def read(text: str, image: str) -> Sbom:
    """A CycloneDX JSON document's packages (components with a package URL)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ScannerUnavailableError(f"the SBOM of {image} is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise ScannerUnavailableError(f"the SBOM of {image} is not a CycloneDX document")
    packages = sorted(
        {p for c in _components(data) if (p := _package(c)) is not None},
        key=lambda p: (p.kind, p.name, p.version),
    )
    return Sbom(image=image, spec=str(data.get("specVersion", "")), packages=tuple(packages))


def _components(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    todo = list(data.get("components") or [])
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            found.append(item)
            todo.extend(item.get("components") or [])
    return found


def _package(component: dict[str, Any]) -> Package | None:
    purl = str(component.get("purl") or "")
    if not purl.startswith("pkg:"):
        return None  # the image, its OS, a lock file: containers, not packages
    kind = purl[4:].split("/", 1)[0]
    return Package(
        name=str(component.get("name", "")),
        version=str(component.get("version", "")),
        kind=kind,
        purl=purl,
    )
