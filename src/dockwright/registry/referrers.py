"""Artifacts that refer to an image (an SBOM, say), the OCI 1.1 way: an image manifest
whose `subject` is the image's manifest, found through the registry's referrers API
(`GET /v2/<name>/referrers/<digest>`), or, where the registry has none (registry:2),
through the referrers tag schema: an image index under the tag `sha256-<hex of the
subject digest>` listing every referrer's descriptor.

Pure values: building manifests and indexes and reading them back. The registry
calls are `engine.registry_api`'s; `flows.evidence` puts them together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = b"{}"
CYCLONEDX = "application/vnd.cyclonedx+json"
TITLE = "org.opencontainers.image.title"
CREATED = "org.opencontainers.image.created"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    artifact_type: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            data["artifactType"] = self.artifact_type
        if self.annotations:
            data["annotations"] = dict(self.annotations)
        return data

    @classmethod
    def of(cls, data: dict[str, Any]) -> Descriptor:
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=str(data.get("digest", "")),
            size=int(data.get("size", 0)),
            artifact_type=str(data.get("artifactType", "")),
            annotations={str(k): str(v) for k, v in dict(data.get("annotations") or {}).items()},
        )


def artifact_manifest(
    subject: Descriptor,
    *,
    artifact_type: str,
    blob: bytes,
    title: str,
    annotations: dict[str, str],
) -> bytes:
    """An OCI image manifest carrying `blob` as its one layer, referring to `subject`
    (the empty config, as OCI 1.1 artifacts use). Deterministic bytes: the same SBOM
    for the same image gives the same manifest digest."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": Descriptor(media_type=EMPTY_TYPE, digest=digest_of(EMPTY), size=2).as_dict(),
        "layers": [
            Descriptor(
                media_type=artifact_type,
                digest=digest_of(blob),
                size=len(blob),
                annotations={TITLE: title},
            ).as_dict()
        ],
        "subject": subject.as_dict(),
        "annotations": dict(sorted(annotations.items())),
    }
    return json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()


def referrer_of(manifest: bytes) -> Descriptor:
    """The descriptor a referrers list (or fallback index) holds for `manifest`."""
    data = json.loads(manifest)
    return Descriptor(
        media_type=OCI_MANIFEST,
        digest=digest_of(manifest),
        size=len(manifest),
        artifact_type=str(data.get("artifactType", "")),
        annotations=dict(data.get("annotations") or {}),
    )


def fallback_tag(subject_digest: str) -> str:
    """The referrers tag schema's tag for a subject (`sha256:ab..` -> `sha256-ab..`)."""
    algorithm, _, hex_ = subject_digest.partition(":")
    return f"{algorithm}-{hex_}"


def with_referrer(index: dict[str, Any] | None, referrer: Descriptor) -> bytes | None:
    """The fallback index with `referrer` added, or None when it is already listed."""
    manifests = list((index or {}).get("manifests") or [])
    if any(m.get("digest") == referrer.digest for m in manifests):
        return None
    manifests.append(referrer.as_dict())
    body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    return json.dumps(body, separators=(",", ":")).encode()


def listed(index: dict[str, Any], artifact_type: str) -> list[Descriptor]:
    """The referrers of one artifact type in a referrers response or fallback index."""
    found = [Descriptor.of(m) for m in index.get("manifests") or [] if isinstance(m, dict)]
    return [d for d in found if d.artifact_type == artifact_type]
