"""Release evidence in the registry: each published image's SBOM (CycloneDX, made by
trivy offline, `flows.sbom`) attached to the image's exact digest as an OCI artifact
that refers to it (`registry.referrers`): through the referrers API where the
registry has one, else the referrers tag schema. Every attachment is read back from
the registry and checked byte for byte. It reports through `on_event`, never prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dockwright.config import Project
from dockwright.engine.registry_api import RegistryClient
from dockwright.errors import RegistryError
from dockwright.flows import sbom as sbom_flow
from dockwright.registry import referrers as ref
from dockwright.registry.publish import registry_path


@dataclass(frozen=True, kw_only=True)
class Attached:
    service: str
    repository: str
    subject: str  # the image's manifest digest
    manifest: str  # the SBOM artifact's manifest digest
    via: str  # "referrers API" or "tag sha256-..."
    packages: int  # -1: attached earlier, not counted again
    earlier: bool = False

    def line(self) -> str:
        what = "found (attached earlier)" if self.earlier else "attached"
        count = f", {self.packages} packages" if self.packages >= 0 else ""
        return (
            f"sbom {self.service}: {what} {self.manifest[:19]} to {self.repository}@"
            f"{self.subject[:19]} via the {self.via}, read back and verified{count}"
        )


def sboms(api: RegistryClient, path: str, subject: str) -> tuple[list[ref.Descriptor], str]:
    """The CycloneDX artifacts referring to `subject`, and where they were listed."""
    index = api.referrers(path, subject)
    if index is not None:
        return ref.listed(index, ref.CYCLONEDX), "referrers API"
    tag = ref.fallback_tag(subject)
    found = api.manifest(path, tag)
    return (ref.listed(found.json(), ref.CYCLONEDX) if found else []), f"tag {tag[:19]}"


def attach(
    project: Project,
    api: RegistryClient,
    images: list[tuple[str, str, str, str]],
    on_event: Callable[[str], None] = lambda _m: None,
    made: Mapping[str, sbom_flow.Written] | None = None,
) -> list[Attached]:
    """Attach an SBOM to each (service, local image, repository, digest) that has none
    yet; the SBOM is made from the local image, which is the pushed one (`made`: the
    SBOMs already made of these local images, by service)."""
    done: list[Attached] = []
    for service, local, repository, digest in images:
        path = registry_path(repository)
        subject = api.manifest(path, digest)
        if subject is None:
            raise RegistryError(f"{repository}@{digest[:19]} is not in the registry")
        listed, via = sboms(api, path, digest)
        if listed:
            read_back(api, path, listed[0].digest)
            done.append(
                Attached(
                    service=service,
                    repository=repository,
                    subject=digest,
                    manifest=listed[0].digest,
                    via=via,
                    packages=-1,
                    earlier=True,
                )
            )
            on_event(done[-1].line())
            continue
        written = (made or {}).get(service)
        if written is None or written.sbom.image != local:
            (written,) = sbom_flow.write(sbom_flow.plan_for(project, [(service, local)]))
        blob = written.path.read_bytes()
        manifest = ref.artifact_manifest(
            ref.Descriptor(media_type=subject.media_type, digest=digest, size=len(subject.body)),
            artifact_type=ref.CYCLONEDX,
            blob=blob,
            title=written.path.name,
            annotations={ref.CREATED: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        )
        api.put_blob(path, ref.EMPTY)
        api.put_blob(path, blob)
        mdigest, indexed = api.put_manifest_bytes(
            path, ref.digest_of(manifest), manifest, ref.OCI_MANIFEST
        )
        if not indexed and api.referrers(path, digest) is None:
            tag = ref.fallback_tag(digest)
            current = api.manifest(path, tag)
            index = ref.with_referrer(
                current.json() if current else None, ref.referrer_of(manifest)
            )
            if index is not None:
                api.put_manifest_bytes(path, tag, index, ref.OCI_INDEX)
        listed, via = sboms(api, path, digest)
        if mdigest not in [d.digest for d in listed]:
            raise RegistryError(
                f"the SBOM of {repository}@{digest[:19]} was pushed ({mdigest[:19]}) but the "
                f"registry does not list it among the image's referrers ({via})"
            )
        read_back(api, path, mdigest, blob)
        done.append(
            Attached(
                service=service,
                repository=repository,
                subject=digest,
                manifest=mdigest,
                via=via,
                packages=len(written.sbom.packages),
            )
        )
        on_event(done[-1].line())
    return done


def read_back(api: RegistryClient, path: str, manifest: str, blob: bytes | None = None) -> bytes:
    """Read an SBOM artifact back by digest: its manifest, then its layer (checked
    against its digest by the client, and against `blob` when given)."""
    got = api.manifest(path, manifest)
    layers = got.json().get("layers") if got else None
    if not got or not layers:
        raise RegistryError(f"SBOM manifest {manifest[:19]} in {path} is missing or empty")
    data = api.blob(path, str(layers[0].get("digest", "")))
    if data is None or (blob is not None and data != blob):
        raise RegistryError(f"SBOM {manifest[:19]} in {path} does not read back as pushed")
    return data
