"""release.evidence: what a release record keeps about how its images were built."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dockwright.build.plan import BuildPlan, ImageBuild
from dockwright.release.evidence import attestation_note, build_inputs

DOCKERFILE = "FROM python:3.13-slim AS base\nFROM base\n"


def plan() -> BuildPlan:
    image = ImageBuild(
        service="api",
        context=Path("services/api"),
        dockerfile=Path("docker/api.Dockerfile"),
        stage="runtime",
        repository="shop/api",
        tags=("sha-0123abc",),
        args={"VERSION": "1.2.0", "NPM_TOKEN": "s3cr3t-value", "PIP_INDEX_URL": "https://x"},
        labels={
            "org.opencontainers.image.revision": "0123abc" * 5,
            "org.dockwright.dirty": "false",
        },
    )
    return BuildPlan(target="prod", platform="linux/amd64", builder="", images=(image,))


def test_inputs_keep_the_commit_dockerfile_digest_bases_and_no_secret_arg() -> None:
    bases = {"python:3.13-slim": {"id": "sha256:aa", "digests": ["python@sha256:bb"]}}
    inputs = build_inputs(
        plan(),
        dockerfiles={"api": ("docker/api.Dockerfile", DOCKERFILE)},
        bases=bases,
        base_refs={"api": ("python:3.13-slim",)},
    )
    assert inputs["revision"] == "0123abc" * 5 and inputs["dirty"] is False
    api = inputs["images"]["api"]
    assert api["dockerfile"] == "docker/api.Dockerfile"
    assert api["dockerfile_sha256"] == hashlib.sha256(DOCKERFILE.encode()).hexdigest()
    assert api["target"] == "runtime"
    assert api["args"] == {"PIP_INDEX_URL": "https://x", "VERSION": "1.2.0"}
    assert api["args_left_out"] == ["NPM_TOKEN"]
    assert "s3cr3t-value" not in repr(inputs)
    assert api["bases"] == bases


def test_a_base_the_engine_could_not_resolve_is_kept_by_name() -> None:
    inputs = build_inputs(
        plan(),
        dockerfiles={"api": ("docker/api.Dockerfile", DOCKERFILE)},
        bases={},
        base_refs={"api": ("python:3.13-slim",)},
    )
    assert inputs["images"]["api"]["bases"] == {"python:3.13-slim": {}}


def test_the_attestation_line_names_the_reason() -> None:
    classic = attestation_note("docker", "overlay2")
    assert classic.startswith("provenance: not attested: the `docker` driver on the engine's")
    assert "overlay2 image store keeps no attestations" in classic
    assert "does not ask the docker-container builder" in attestation_note("docker-container", "")
