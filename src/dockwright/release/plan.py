"""`release --bump`: one transaction from a version bump to a pushed, tagged release.

Steps, in order; when one fails nothing after it happens:
1. preconditions, all before anything moves: the bump, the registry settings,
   a clean tree on the release branch, everything step 6 needs (an
   `## [Unreleased]` heading and no section for the version yet, a git
   identity, no `vX.Y.Z` tag, VERSION inside the repository), the engine, the
   registry reachable and authenticated, .env valid, no other release running;
2. plan (next version, every tag) — `--dry-run` stops here;
3. build with those tags and labels, then the policy and scan gates;
4. push the immutable tags of every image and verify their digests; each
   verified digest is recorded (`registry.record`);
5. move the floating tags (`1.4`, `1`, `latest`) by re-tagging those digests;
6. write VERSION and CHANGELOG.md, commit and tag `vX.Y.Z` together.
VERSION and CHANGELOG.md are written only in step 6 and restored if it fails;
the commit is undone when the tag cannot be made.
Rerunning the same command from the same commit after a failure in 4, 5 or 6
finishes the release with the images the earlier attempt published (from the
record, or from the registry's image labels when the record is gone): when
every image is already published, nothing is built again. A release of code an
earlier release published re-tags that release's verified images instead of steps
3-4's build and push (`release.promote`; `--rebuild` builds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout

from dockwright.engine import git
from dockwright.errors import ConfigError, DockwrightError, ReleaseError
from dockwright.registry.publish import PushItem
from dockwright.release.changelog import release_changelog
from dockwright.release.tags import Flavor, TagPlan, plan_tags
from dockwright.release.versions import next_version, write_version

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
        """The version tag is immutable; the `sha-` tag is written once (see `publish`)."""
        return [
            PushItem(
                service=i.service,
                source=f"{i.local_repository}:{i.tags.immutable[0]}",
                repository=i.repository,
                immutable=i.tags.immutable[:1],
                once=i.tags.immutable[1:],
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
    progress: Callable[[], str] = field(default=lambda: "some version tags may be published")


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


def check_version_file(root: Path, version_file: Path) -> None:
    """A release commits VERSION: refuse one outside the repository (before reading it)."""
    if not version_file.resolve().is_relative_to(root.resolve()):
        raise ConfigError(
            f"version_file {version_file} is outside the repository {root}; "
            "a release commits it, so keep it inside"
        )


def check_finalize(
    version: str,
    *,
    root: Path,
    version_file: Path,
    changelog: Path,
    today: date,
    notes: Mapping[str, list[str]] | None = None,
) -> None:
    """Everything `finalize` needs, checked before any image is pushed."""
    check_version_file(root, version_file)
    if changelog.is_file():
        # The same edit finalize makes, on a copy: no heading, a section for the
        # version already there... fail now, while nothing is published.
        release_changelog(
            changelog.read_text(encoding="utf-8"),
            version,
            today,
            allow_empty=True,
            filename=changelog.name,
            generated=notes,
        )
    if problem := git.identity_problem(root):
        raise ConfigError(
            f"git cannot commit the release: {problem}; set user.name and user.email "
            "(git config) or GIT_AUTHOR_*/GIT_COMMITTER_* variables"
        )
    if git.tag_exists(root, f"v{version}"):
        raise ReleaseError(f"git tag v{version} already exists; bump differently")


def finalize(
    plan: ReleasePlan,
    *,
    root: Path,
    version_file: Path,
    changelog: Path,
    source: str,
    today: date,
    notes: Mapping[str, list[str]] | None = None,
) -> None:
    """Write VERSION and CHANGELOG.md, commit and tag them together; on failure restore
    both files and undo the commit, so the tree is as it was."""
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
                    # say, released with --allow-empty) still gets its section.
                    allow_empty=True,
                    generated=notes,
                ),
                encoding="utf-8",
            )
        paths = [str(p.relative_to(root)) for p in (version_file, changelog) if p.is_file()]
        git.commit_and_tag(root, paths, f"Release {plan.version}", plan.git_tag)
    except BaseException:
        for path, text in saved.items():
            if text is not None:
                path.write_text(text, encoding="utf-8")
        raise


_MOVED = {
    "build": "nothing was pushed",
    "gates": "nothing was pushed",
    "push": "no floating tag moved",
    "floating": "every image's version tag is published; some floating tags may have moved",
    "finalize": "every image tag is published",
}


def run_release(
    plan: ReleasePlan,
    hooks: Hooks,
    finish: Callable[[], None],
    *,
    rerun: str,
    build: bool = True,
) -> None:
    """Carry out steps 3-6; the failing step, what has moved and the command that
    continues are named in the error. `build=False` when every image is already
    published (a resumed release): nothing is built or pushed again."""
    steps: list[tuple[str, Callable[[], None]]] = []
    if build:
        steps += [("build", lambda: hooks.build(plan)), ("gates", lambda: hooks.gates(plan))]
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
            moved = _MOVED[name]
            if name == "push":
                moved = f"{hooks.progress()}; {moved}"
            elif name == "finalize":
                moved += ", VERSION, CHANGELOG.md and git are unchanged (no commit, no tag)"
            else:
                moved += ", VERSION and CHANGELOG.md are unchanged"
            how = (
                "fix the cause and rerun"
                if name in ("build", "gates")
                else "fix the cause; rerunning from this commit reuses the published images:"
            )
            raise ReleaseError(
                f"release {plan.version} failed at step {name!r}: {exc}; {moved}; {how} `{rerun}`"
            ) from exc
