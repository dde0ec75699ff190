"""One attempt at a release: what an earlier attempt already published, and what
this one publishes, recorded as it goes (see `registry.record`).

A version tag that already holds an image is this release's own when its digest
is the recorded one, or, with the record gone (another CI runner), when the
image's revision and version labels are this commit's and this version's. Any
other image under the version tag stops the release before anything is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from dockwright.build.plan import OCI
from dockwright.engine import docker as engine
from dockwright.errors import ReleaseError
from dockwright.registry.publish import Publisher
from dockwright.registry.record import ReleaseRecord, load_record, record_path, save_record
from dockwright.release.plan import ReleasePlan
from dockwright.release.promote import Promotion


class ReleaseAttempt:
    """This release attempt's pushes: resumed from an earlier one, recorded as they happen."""

    def __init__(
        self,
        plan: ReleasePlan,
        pub: Publisher,
        *,
        git_dir: Path,
        on_event: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.plan = plan
        self.pub = pub
        self.on_event = on_event
        self.path = record_path(git_dir, plan.version)
        found = load_record(self.path)
        fresh = ReleaseRecord(version=plan.version, commit=plan.sha, registry=plan.registry)
        applies = found is not None and found.applies_to(
            version=plan.version, commit=plan.sha, registry=plan.registry
        )
        self.record = found if found is not None and applies else fresh
        self.digests: dict[str, str] = {}

    def is_ours(self, config: dict[str, Any]) -> bool:
        """An image under our version tag built from this commit for this version:
        an earlier attempt of this release whose record is gone (another CI runner)."""
        labels = (config.get("config") or {}).get("Labels") or {}
        return bool(
            labels.get(f"{OCI}.revision") == self.plan.sha
            and labels.get(f"{OCI}.version") == self.plan.version
        )

    def resume(self) -> dict[str, str]:
        """Images an earlier attempt published (repository -> digest), checked in the
        registry; ReleaseError, before anything is built, when a version tag holds an
        image that is not this release's."""
        found = {}
        for item in self.plan.push_items():
            tag = item.immutable[0]
            remote = self.pub.api.image_config(item.path, tag)
            if remote is None:
                continue
            digest, config = remote
            recorded = self.record.images.get(item.repository)
            if digest == recorded or self.is_ours(self.pub.api.config_blob(item.path, config)):
                found[item.repository] = digest
                self._save(item.repository, digest)
                continue
            raise ReleaseError(
                f"tag {tag} already in {item.repository} with another digest ({digest[:19]}), "
                f"not from this commit; nothing was pushed; bump the version or delete that tag "
                "from the registry"
            )
        self.digests.update(found)
        return found

    def passed_gates(self, when: str, scanned: tuple[str, ...]) -> None:
        """Record that this release's images passed the policy and scan gates, so a
        later release of the same code may re-tag them (`release.promote`)."""
        self.record = self.record.passed(when, scanned)
        save_record(self.path, self.record)

    def built_from(self, inputs: dict[str, Any]) -> None:
        """Record what this release's images were built from (`release.evidence`)."""
        self.record = replace(self.record, inputs=inputs)
        save_record(self.path, self.record)

    def promote(self, promotion: Promotion) -> None:
        """Publish `promotion`'s verified digests under this release's tags (manifest
        copies in `push_immutable`), with their recorded gate verdicts."""
        self.digests.update(
            {i.repository: promotion.digests[i.repository] for i in self.plan.images}
        )
        self.record = replace(
            self.record.passed(promotion.gates, promotion.scanned),
            promoted_from=promotion.version,
            inputs=promotion.inputs,
        )
        save_record(self.path, self.record)

    def _save(self, repository: str, digest: str) -> None:
        self.record = self.record.with_image(repository, digest)
        save_record(self.path, self.record)

    def push_immutable(self, plan: ReleasePlan) -> None:
        for item in plan.push_items():
            known = self.digests.get(item.repository, "")
            image_id = "" if known else engine.inspect_image(item.source).id
            done = self.pub.push_immutable(item, image_id=image_id, known=known, adopt=self.is_ours)
            self.digests[item.repository] = done.digest
            self._save(item.repository, done.digest)
            self.on_event(f"ok {item.repository}:{item.immutable[0]} {done.digest[:19]}")

    def push_floating(self, plan: ReleasePlan) -> None:
        for item in plan.push_items():
            self.pub.move_floating(item, self.digests[item.repository])

    def progress(self) -> str:
        done = sum(1 for i in self.plan.images if i.repository in self.digests)
        return (
            f"{done} of {len(self.plan.images)} images have their version tag published "
            f"(recorded in {self.path})"
        )
