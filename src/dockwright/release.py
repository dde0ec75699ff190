"""`release --bump`: one transaction from a version bump to a pushed, tagged release.

Steps, in order; when one fails nothing after it happens:
1. preconditions (clean tree on the release branch, engine, registry reachable
   and authenticated, .env valid, no other release running: a lock);
2. plan (next version, every tag) — `--dry-run` stops here;
3. build with those tags and labels, then the policy and scan gates;
4. push the immutable tags of every image and verify their digests;
5. move the floating tags (`1.4`, `1`, `latest`);
6. write VERSION and CHANGELOG.md, commit, annotated tag `vX.Y.Z`.
VERSION and CHANGELOG.md are written only in step 6 and restored if it fails.
Rerunning after a failure in 4 or 5 completes the release: tags the registry
already holds with the same image are not pushed again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout

from dockwright.changelog import release_changelog
from dockwright.engine import git
from dockwright.errors import DockwrightError, ReleaseError
from dockwright.publish import PushItem
from dockwright.tags import Flavor, TagPlan, plan_tags
from dockwright.versions import next_version, write_version

STEPS = ("preconditions", "plan", "build", "gates", "push", "floating", "finalize")


@dataclass(frozen=True, kw_only=True)
class ReleaseImage:
    service: str
    local_repository: str
    repository: str
    tags: TagPlan


@dataclass(frozen=True, kw_only=True)
class ReleasePlan:
    current: str
    version: str
    bump: str
    sha: str
    registry: str
    published: tuple[str, ...]
    images: tuple[ReleaseImage, ...]
    push: bool = True

    @property
    def git_tag(self) -> str:
        return f"v{self.version}"

    def local_tags(self) -> tuple[str, ...]:
        """Every tag the build puts on each image (immutable first)."""
        first = self.images[0].tags
        return (*first.immutable, *first.floating)

    def push_items(self) -> list[PushItem]:
        return [
            PushItem(
                service=i.service,
                source=f"{i.local_repository}:{i.tags.immutable[0]}",
                repository=i.repository,
                immutable=i.tags.immutable,
                floating=i.tags.floating,
            )
            for i in self.images
        ]

    def describe(self) -> list[str]:
        lines = [
            f"release {self.current} -> {self.version} ({self.bump}) of commit {self.sha[:12]}",
            f"registry {self.registry}; already published: {', '.join(self.published) or 'none'}",
        ]
        for i in self.images:
            lines.append(f"  {i.service}: {i.repository}")
            lines.append(f"    immutable: {', '.join(i.tags.immutable)}")
            floating = ", ".join(i.tags.floating) or "none (not the highest stable version)"
            lines.append(f"    floating:  {floating}")
        if not self.push:
            lines.append("  --no-push: images are built and tagged locally only")
        lines.append(f"then: write VERSION, release CHANGELOG.md, commit, tag {self.git_tag}")
        return lines


def plan_release(
    *,
    current: str,
    bump: str,
    pre: str,
    sha: str,
    registry: str,
    published: list[str],
    services: list[tuple[str, str, str]],
    flavor: Flavor,
    push: bool = True,
) -> ReleasePlan:
    """`services` holds (name, local repository, registry repository)."""
    version = str(next_version(current, bump, pre))
    tag_plan = plan_tags(version, sha=sha, published=published, flavor=flavor)
    return ReleasePlan(
        current=current,
        version=version,
        bump=bump,
        sha=sha,
        registry=registry,
        published=tuple(published),
        images=tuple(
            ReleaseImage(service=name, local_repository=local, repository=remote, tags=tag_plan)
            for name, local, remote in services
        ),
        push=push,
    )


def compare_base(source: str) -> str | None:
    """`https://github.com/o/r` from a GitHub remote (https or ssh), for changelog links."""
    m = re.match(r"^(?:https://|git@|ssh://git@)github\.com[/:]([^/]+)/(.+?)(?:\.git)?$", source)
    return f"https://github.com/{m.group(1)}/{m.group(2)}" if m else None


@dataclass
class Hooks:
    """What the transaction calls; the task layer supplies them (and prints)."""

    build: Callable[[ReleasePlan], None]
    gates: Callable[[ReleasePlan], None]
    push_immutable: Callable[[ReleasePlan], None]
    push_floating: Callable[[ReleasePlan], None]
    on_step: Callable[[str], None] = field(default=lambda _s: None)


def lock(root: Path) -> FileLock:
    """The per-repository release lock (held for the whole transaction)."""
    gitdir = root / ".git"
    path = (gitdir if gitdir.is_dir() else root) / "dockwright-release.lock"
    return FileLock(str(path), timeout=0)


def acquire(release_lock: FileLock) -> None:
    try:
        release_lock.acquire()
    except Timeout:
        raise ReleaseError(
            f"another release is running in this repository (lock {release_lock.lock_file}); "
            "wait for it to finish"
        ) from None


def finalize(
    plan: ReleasePlan, *, root: Path, version_file: Path, changelog: Path, source: str, today: date
) -> None:
    """Write VERSION and CHANGELOG.md, commit them, tag; restore both files on failure."""
    saved = {
        p: p.read_text(encoding="utf-8") if p.is_file() else None for p in (version_file, changelog)
    }
    try:
        write_version(version_file, plan.version)
        if changelog.is_file():
            changelog.write_text(
                release_changelog(
                    saved[changelog] or "",
                    plan.version,
                    today,
                    compare_url_base=compare_base(source),
                    # A release with no listed change (a rebuild on new base images,
                    # say) still gets its section.
                    allow_empty=True,
                ),
                encoding="utf-8",
            )
        paths = [str(p.relative_to(root)) for p in (version_file, changelog) if p.is_file()]
        git.commit_paths(root, paths, f"Release {plan.version}")
        git.annotated_tag(root, plan.git_tag, f"Release {plan.version}")
    except BaseException:
        for path, text in saved.items():
            if text is not None:
                path.write_text(text, encoding="utf-8")
        raise


def run_release(plan: ReleasePlan, hooks: Hooks, finish: Callable[[], None]) -> None:
    """Carry out steps 3-6; the failing step is named in the error."""
    steps: list[tuple[str, Callable[[], None]]] = [
        ("build", lambda: hooks.build(plan)),
        ("gates", lambda: hooks.gates(plan)),
    ]
    if plan.push:
        steps += [
            ("push", lambda: hooks.push_immutable(plan)),
            ("floating", lambda: hooks.push_floating(plan)),
        ]
    steps.append(("finalize", finish))
    for name, action in steps:
        hooks.on_step(name)
        try:
            action()
        except DockwrightError as exc:
            resume = (
                "rerun the same release command to resume: tags already pushed are reused"
                if name in ("push", "floating")
                else "fix the cause and rerun the same release command"
            )
            moved = (
                "no floating tag has moved"
                if name != "floating"
                else ("some floating tags may have moved")
            )
            raise ReleaseError(
                f"release {plan.version} failed at step {name!r}: {exc}; nothing after it "
                f"happened, VERSION and CHANGELOG.md are unchanged, {moved}; {resume}"
            ) from exc
