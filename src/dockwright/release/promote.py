"""Re-releasing without rebuilding: which earlier release's verified images this
release may re-tag.

An earlier release (its record in the git folder, `registry.record`) qualifies
when it pushed to the same registry, its images passed the policy and scan gates,
it has an image for every repository of this release, and the commits since then
changed nothing but the files a release writes itself (VERSION, CHANGELOG.md),
neither of them inside a build context or a Dockerfile. Its images are then the
images this commit would build, and the release tags their digests remotely
(manifest copies): no build, no layer upload.

The images keep their labels: `org.opencontainers.image.version` names the
version they were first released as; the version tag and this release's record
name the new one. `release --rebuild` builds instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dockwright.registry.record import ReleaseRecord
from dockwright.repo.dockerignore import excludes


@dataclass(frozen=True, kw_only=True)
class Promotion:
    """An earlier release's verified images, to be tagged with this release's tags."""

    version: str
    commit: str
    gates: str
    scanned: tuple[str, ...]
    digests: dict[str, str]  # repository -> digest
    inputs: dict[str, Any] = field(default_factory=dict)  # what they were built from

    def describe(self) -> str:
        return (
            f"re-tagging the images of {self.version} (commit {self.commit[:12]}, gates passed "
            f"{self.gates}): no build, no layer upload; --rebuild builds them again"
        )


@dataclass(frozen=True)
class BuildInput:
    """A folder or file a build reads (repository-relative, `/`-separated, `.` = the
    root) and, for a context, its `.dockerignore` patterns."""

    path: str
    ignore: tuple[str, ...] = ()

    def holds(self, path: str) -> bool:
        """Whether `path` reaches the build through this input."""
        if self.path in (".", ""):
            rest = path
        elif path == self.path:
            return True
        elif path.startswith(self.path.rstrip("/") + "/"):
            rest = path[len(self.path.rstrip("/")) + 1 :]
        else:
            return False
        return not excludes(self.ignore, rest)


def why_not(
    record: ReleaseRecord,
    changed: list[str] | None,
    release_files: set[str],
    build: list[BuildInput],
) -> str | None:
    """Why `record`'s images are not this commit's (None: they are)."""
    if changed is None:
        return f"{record.version}'s commit {record.commit[:12]} is not in this clone"
    code = [p for p in changed if p not in release_files]
    if code:
        more = f" and {len(code) - 1} more" if len(code) > 1 else ""
        return f"{code[0]}{more} changed since {record.version}"
    for path in changed:
        for source in build:
            if source.holds(path):
                return (
                    f"{path} changed since {record.version} and is in the build context "
                    f"{source.path} (list it in that context's .dockerignore to re-tag)"
                )
    return None


def choose(
    records: Iterable[ReleaseRecord],
    *,
    version: str,
    registry: str,
    repositories: list[str],
    changed_since: Callable[[str], list[str] | None],
    release_files: set[str],
    build: list[BuildInput],
) -> tuple[Promotion | None, str]:
    """The newest qualifying earlier release, or None and why the newest candidate
    does not qualify ("" when no earlier release of this registry passed its gates)."""
    candidates = sorted(
        (
            r
            for r in records
            if r.registry == registry
            and r.version != version
            and r.gates
            and all(repo in r.images for repo in repositories)
        ),
        # The newest verdicts first; of one set, the release that built the images.
        key=lambda r: (r.gates, not r.promoted_from),
        reverse=True,
    )
    first_reason = ""
    for record in candidates:
        reason = why_not(record, changed_since(record.commit), release_files, build)
        if reason is None:
            return (
                Promotion(
                    version=record.version,
                    commit=record.commit,
                    gates=record.gates,
                    scanned=record.scanned,
                    digests={repo: record.images[repo] for repo in repositories},
                    inputs=record.inputs,
                ),
                "",
            )
        first_reason = first_reason or reason
    return None, first_reason
