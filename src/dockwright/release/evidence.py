"""What a release's images were built from, kept in its record (`registry.record`):
the commit and whether the tree was dirty, each Dockerfile by digest, each base image
as the engine resolved it, and the build args with secret-looking ones left out.

BuildKit's own SLSA provenance needs a builder that stores attestations: the
`docker-container` driver, or the `docker` driver on the containerd image store. On
the classic store (overlay2) it cannot, and `attestation_note` says so in one line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from dockwright.build.plan import OCI, BuildPlan
from dockwright.masking import looks_secret


def attestation_note(driver: str, store: str) -> str:
    """One line on provenance attestations for this builder and engine."""
    if driver == "docker" and store != "containerd":
        return (
            f"provenance: not attested: the `docker` driver on the engine's {store} image "
            "store keeps no attestations (a docker-container builder or the containerd "
            "image store can); the build's inputs are in the release record"
        )
    return (
        f"provenance: not attested: dockwright does not ask the {driver} builder for "
        "attestations yet; the build's inputs are in the release record"
    )


def build_inputs(
    plan: BuildPlan,
    *,
    dockerfiles: Mapping[str, tuple[str, str]],
    bases: Mapping[str, Mapping[str, Any]],
    base_refs: Mapping[str, tuple[str, ...]],
    sizes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The record's `inputs`. `dockerfiles`: service -> (repository-relative path,
    text); `base_refs`: service -> its base images; `bases`: base -> facts
    (`id`, `digests`) as the engine resolved them ({} when it could not)."""
    first = plan.images[0].labels if plan.images else {}
    images: dict[str, Any] = {}
    for image in plan.images:
        path, text = dockerfiles[image.service]
        images[image.service] = {
            "dockerfile": path,
            "dockerfile_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "target": image.stage or "",
            "args": {k: v for k, v in sorted(image.args.items()) if not looks_secret(k)},
            "args_left_out": sorted(k for k in image.args if looks_secret(k)),
            "bases": {ref: dict(bases.get(ref, {})) for ref in base_refs[image.service]},
            "size": (sizes or {}).get(image.service, 0),  # bytes, as the engine reports it
        }
    return {
        "revision": first.get(f"{OCI}.revision", ""),
        "dirty": first.get("org.dockwright.dirty") == "true",
        "images": images,
    }
