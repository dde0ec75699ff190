"""registry.referrers: OCI 1.1 artifact manifests and the referrers tag schema's index."""

from __future__ import annotations

import hashlib
import json

from dockwright.registry import referrers as ref

SUBJECT = ref.Descriptor(
    media_type="application/vnd.oci.image.manifest.v1+json", digest="sha256:" + "a" * 64, size=812
)
SBOM = b'{"bomFormat":"CycloneDX","components":[]}'


def manifest() -> bytes:
    return ref.artifact_manifest(
        SUBJECT, artifact_type=ref.CYCLONEDX, blob=SBOM, title="api.cdx.json", annotations={}
    )


def test_the_artifact_manifest_refers_to_its_subject_with_the_sbom_as_its_layer() -> None:
    data = json.loads(manifest())
    assert data["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert data["artifactType"] == "application/vnd.cyclonedx+json"
    # The empty config of OCI 1.1 artifacts: `{}`, 2 bytes.
    assert data["config"] == {
        "mediaType": "application/vnd.oci.empty.v1+json",
        "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "size": 2,
    }
    assert data["layers"] == [
        {
            "mediaType": "application/vnd.cyclonedx+json",
            "digest": "sha256:" + hashlib.sha256(SBOM).hexdigest(),
            "size": len(SBOM),
            "annotations": {"org.opencontainers.image.title": "api.cdx.json"},
        }
    ]
    assert data["subject"] == {
        "mediaType": SUBJECT.media_type,
        "digest": SUBJECT.digest,
        "size": 812,
    }
    assert manifest() == manifest()  # the same bytes every time


def test_the_fallback_tag_and_index_list_each_referrer_once() -> None:
    assert ref.fallback_tag("sha256:" + "ab" * 32) == "sha256-" + "ab" * 32
    referrer = ref.referrer_of(manifest())
    first = ref.with_referrer(None, referrer)
    assert first is not None
    index = json.loads(first)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert index["manifests"] == [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": ref.digest_of(manifest()),
            "size": len(manifest()),
            "artifactType": "application/vnd.cyclonedx+json",
        }
    ]
    assert ref.with_referrer(index, referrer) is None
    other = ref.Descriptor(
        media_type=ref.OCI_MANIFEST, digest="sha256:" + "c" * 64, size=5, artifact_type="x/sig"
    )
    both = json.loads(ref.with_referrer(index, other) or b"{}")
    assert [m["digest"] for m in both["manifests"]] == [referrer.digest, other.digest]
    assert [d.digest for d in ref.listed(both, ref.CYCLONEDX)] == [referrer.digest]
