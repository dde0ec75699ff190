"""The release as a workflow around its transaction (`release.plan.run_release`): what
is checked before anything is touched, the lock, the plan, resuming an earlier attempt,
the build and scan plans of a release, and the command that continues it. It reports
through the caller's `Show`, and nothing here prints."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockwright.build.plan import BuildPlan
from dockwright.build.run import BuildResult
from dockwright.config import Project, RegistrySettings
from dockwright.engine import docker as engine
from dockwright.engine import git
from dockwright.errors import ConfigError, EnvFileError, ReleaseError
from dockwright.flows.build import base_refs as bases_of
from dockwright.flows.build import builder_driver, prod_plan, require_ok
from dockwright.flows.env import env_path, env_problems
from dockwright.flows.registry import (
    attach_sboms,
    destinations,
    publisher,
    registry_settings,
    sboms_alongside,
)
from dockwright.flows.scan import ScanPlan, make_plan, resolve
from dockwright.policy import expectations_from
from dockwright.registry.publish import Publisher, push_attempts, registry_path
from dockwright.registry.record import load_record, load_records, record_path, records_folder
from dockwright.release import plan as rel
from dockwright.release.attempt import ReleaseAttempt
from dockwright.release.diff import MB, size_line
from dockwright.release.evidence import attestation_note, build_inputs
from dockwright.release.notes import grouped, note_of
from dockwright.release.promote import BuildInput, Promotion, choose
from dockwright.release.tags import Flavor
from dockwright.release.versions import next_version
from dockwright.repo import dockerignore
from dockwright.repo import project as repo


@dataclass(frozen=True, kw_only=True)
class Request:
    """`invoke release`'s options."""

    bump: str
    pre: str = "rc"
    registry: str = ""
    dry_run: bool = False
    no_push: bool = False
    allow_dirty: bool = False
    allow_empty: bool = False
    rebuild: bool = False


@dataclass(frozen=True, kw_only=True)
class Show:
    """How the caller shows a release and runs its rendered parts: the step that
    starts (preconditions, plan, then `run_release`'s steps), one line, the plan;
    the build (a live table) and the policy and scan gates (their tables), each
    raising when it fails."""

    step: Callable[[str], None]
    say: Callable[[str], None]
    plan: Callable[[rel.ReleasePlan], None]
    build: Callable[[BuildPlan], BuildResult]
    gates: Callable[[rel.ReleasePlan], None]


@dataclass(frozen=True)
class Inputs:
    """What the checks before the release found: the versions, the commit, and the
    notes of the commits since the last release tag (heading -> lines)."""

    current: str
    version: str
    state: git.GitState
    since: str | None = None
    commits: int = 0
    notes: dict[str, list[str]] = field(default_factory=dict)


def check_inputs(project: Project, request: Request, today: dt.date) -> Inputs:
    """Every input, checked before the engine or the network is touched: VERSION,
    the bump, the registry settings, the push attempts, the work tree and branch,
    that the version is new to CHANGELOG and git, that something was committed since
    the last release (unless `allow_empty`), and the .env."""
    rel.check_version_file(project.root, project.path(project.settings.version_file))
    current = repo.read_version(project)
    version = str(next_version(current, request.bump, request.pre))
    registry_settings(project, request.registry)
    push_attempts(os.environ)
    state = preconditions(project, request.allow_dirty)
    since = git.last_version_tag(project.root)
    commits = git.commits_since(project.root, since)
    notes = grouped(n for c in commits if (n := note_of(c.subject, c.body, c.sha)))
    rel.check_finalize(
        version,
        root=project.root,
        version_file=project.path(project.settings.version_file),
        changelog=project.path(project.settings.changelog),
        today=today,
        notes=notes,
    )
    if since and not commits and not request.allow_empty:
        raise ReleaseError(
            f"nothing was committed since {since}: {version} would release the same code; "
            "commit a change, or pass --allow-empty (with --rebuild to build on new base images)"
        )
    check_env(project)
    return Inputs(current, version, state, since, len(commits), notes)


def release(project: Project, request: Request, show: Show, today: dt.date) -> rel.ReleasePlan:
    """The whole release under the repository's release lock. With `dry_run` it stops
    after the plan."""
    inputs = check_inputs(project, request, today)
    show.step("preconditions")
    release_lock = rel.lock(project.root)
    rel.acquire(release_lock)
    try:
        engine.ensure_engine()
        with publisher(project, request.registry, show.say) as (registry, pub):
            if not request.no_push:
                pub.preflight()
            plan = plan_release(project, request, inputs, registry, pub)
            promotion, reason = None, ""
            if plan.push and not request.rebuild and not inputs.state.dirty:
                promotion, reason = find_promotion(project, plan, pub)
            show.step("plan")
            show.plan(plan)
            show.say(_notes_line(inputs))
            if promotion:
                show.say(promotion.describe())
            elif reason:
                show.say(f"building: the images of an earlier release do not apply ({reason})")
            if not request.dry_run:
                _run(project, request, show, plan, pub, inputs, today, promotion)
            return plan
    finally:
        release_lock.release()


def _notes_line(inputs: Inputs) -> str:
    since = f"since {inputs.since}" if inputs.since else "in the history (no release tag yet)"
    if not inputs.commits:
        return f"changelog: no commit {since} (--allow-empty)"
    counts = ", ".join(f"{name} {len(lines)}" for name, lines in inputs.notes.items())
    return f"changelog: {inputs.commits} commit(s) {since}: {counts or 'only release commits'}"


def plan_release(
    project: Project,
    request: Request,
    inputs: Inputs,
    registry: RegistrySettings,
    pub: Publisher,
) -> rel.ReleasePlan:
    """The version and every tag of every image (the registry says what is published)."""
    triples = destinations(project, [], registry)
    published = [] if request.no_push else pub.published_versions([r for *_, r in triples])
    return rel.plan_release(
        current=inputs.current,
        bump=request.bump,
        pre=request.pre,
        sha=inputs.state.sha,
        registry=registry.url,
        published=published,
        services=triples,
        flavor=flavor(project),
        push=not request.no_push,
    )


def find_promotion(
    project: Project, plan: rel.ReleasePlan, pub: Publisher
) -> tuple[Promotion | None, str]:
    """The earlier release whose verified images this release re-tags instead of
    building (`release.promote`), checked in the registry; else None and why not
    ("" when there is no earlier release to consider)."""
    root = project.root
    records = load_records(records_folder(git.git_dir(root)))
    if not records:
        return None, ""
    files = {project.settings.version_file, project.settings.changelog}
    build = [
        source
        for svc in repo.build_services(project)
        if svc.build
        for source in context_inputs(root, svc.build.context, svc.build.dockerfile)
    ]
    promotion, reason = choose(
        records,
        version=plan.version,
        registry=plan.registry,
        repositories=[i.repository for i in plan.images],
        changed_since=lambda commit: git.changed_paths(root, commit),
        release_files={_relative(root, project.path(f)) for f in files},
        build=build,
    )
    if promotion is None:
        return None, reason
    for image in plan.images:
        digest = promotion.digests[image.repository]
        if pub.api.manifest(registry_path(image.repository), digest) is None:
            return None, f"{image.repository}@{digest[:19]} is gone from the registry"
    return promotion, ""


def context_inputs(root: Path, context: Path, dockerfile: Path) -> list[BuildInput]:
    """What one image's build reads: its Dockerfile, and its context less what the
    context's ignore file (`<Dockerfile>.dockerignore`, else `.dockerignore`) leaves out."""
    context = context if context.is_absolute() else root / context
    dockerfile = dockerfile if dockerfile.is_absolute() else context / dockerfile
    return [
        BuildInput(_relative(root, dockerfile)),
        BuildInput(_relative(root, context), dockerignore.read(context, dockerfile)),
    ]


def _relative(root: Path, path: Path) -> str:
    """`path` relative to the repository, `/`-separated (`.` for the root itself)."""
    full = path if path.is_absolute() else root / path
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


def _run(
    project: Project,
    request: Request,
    show: Show,
    plan: rel.ReleasePlan,
    pub: Publisher,
    inputs: Inputs,
    today: dt.date,
    promotion: Promotion | None = None,
) -> None:
    """The transaction. A rerun of a release that pushed every image finishes it
    without rebuilding; so does a release of code an earlier release published."""
    attempt = ReleaseAttempt(plan, pub, git_dir=git.git_dir(project.root), on_event=show.say)
    resumed = attempt.resume() if plan.push else {}
    rebuild = len(resumed) < len(plan.images)
    if not rebuild:
        show.say(
            "every image was published by an earlier attempt of this release "
            f"({attempt.path}); finishing without rebuilding"
        )
    elif promotion and all(promotion.digests.get(r) == d for r, d in resumed.items()):
        attempt.promote(promotion)
        rebuild = False
    steps = _Steps(project, show, attempt, pub, inputs.current)
    if not rebuild and promotion and attempt.record.promoted_from:
        steps.promoted_sizes(plan)
    hooks = rel.Hooks(
        build=steps.build,
        gates=steps.gates,
        push_immutable=steps.push,
        push_floating=attempt.push_floating,
        on_step=show.step,
        progress=attempt.progress,
    )
    rel.run_release(
        plan,
        hooks,
        lambda: rel.finalize(
            plan,
            root=project.root,
            version_file=project.path(project.settings.version_file),
            changelog=project.path(project.settings.changelog),
            source=inputs.state.source,
            today=today,
            notes={**inputs.notes, **steps.notes},
        ),
        rerun=rerun_command(request),
        build=rebuild,
    )


class _Steps:
    """The release's own steps inside `run_release`: build (and record what the images
    were built from, and their sizes), the gates, the push with its SBOMs."""

    def __init__(
        self, project: Project, show: Show, attempt: ReleaseAttempt, pub: Publisher, since: str
    ) -> None:
        self.project = project
        self.show = show
        self.attempt = attempt
        self.pub = pub
        self.since = since
        self.kinds = tuple(scan_kinds(project))
        self.notes: dict[str, list[str]] = {}  # the CHANGELOG entry's "Images" lines
        self.built = False

    def _sizes(self, plan: rel.ReleasePlan, sizes: dict[str, int]) -> None:
        self.notes["Images"] = size_notes(self.project, plan, sizes, self.since)
        summarize(plan, self.notes["Images"])

    def promoted_sizes(self, plan: rel.ReleasePlan) -> None:
        """The sizes of the re-tagged images, as their first release recorded them."""
        promoted = (self.attempt.record.inputs.get("images") or {}).items()
        self._sizes(plan, {svc: int(i.get("size") or 0) for svc, i in promoted})

    def build(self, plan: rel.ReleasePlan) -> None:
        images = build_plan(self.project, plan)
        result = self.show.build(images)
        require_built(result)
        self.built = True
        started = time.monotonic()
        found, note = evidence(self.project, images, result)
        self.attempt.built_from(found)
        self.show.say(note)
        self.show.say(f"evidence: build inputs recorded in {time.monotonic() - started:.2f} s")
        self._sizes(plan, {s.service: s.size for s in result.services})

    def gates(self, plan: rel.ReleasePlan) -> None:
        self.show.gates(plan)
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.attempt.passed_gates(when, self.kinds)

    def push(self, plan: rel.ReleasePlan) -> None:
        items = plan.push_items()
        # Images this release built are in the engine: trivy reads them during the push.
        made = sboms_alongside(self.project, items) if self.built else None
        self.attempt.push_immutable(plan)
        attach_sboms(self.project, self.pub, items, self.attempt.digests, self.show.say, made)


def size_notes(
    project: Project, plan: rel.ReleasePlan, sizes: dict[str, int], since: str
) -> list[str]:
    """A CHANGELOG line per image: its size, the change since the previous release
    (`since`, from its record, else its image in this engine) and the budget."""
    try:
        record = load_record(record_path(git.git_dir(project.root), since))
    except ConfigError:
        record = None  # unreadable: the engine's image is the other witness
    before = (record.inputs.get("images") or {}) if record else {}
    services = {s.name: s for s in repo.build_services(project)}
    defaults = dataclasses.asdict(project.settings.policy)
    lines = []
    for image in plan.images:
        size = sizes.get(image.service)
        svc = services.get(image.service)
        if not size or svc is None:
            continue
        old = int((before.get(image.service) or {}).get("size") or 0) or None
        if old is None:
            local = f"{image.local_repository}:{since}"
            old = engine.inspect_image(local).size if engine.image_exists(local) else None
        budget = int(expectations_from(svc.extension, defaults).size_budget_mb * MB)
        lines.append(f"- {size_line(image.service, size, old, since, budget)}")
    return lines


def summarize(plan: rel.ReleasePlan, lines: list[str]) -> None:
    """The release's image sizes in the GitHub job summary, when there is one."""
    if path := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"### Release {plan.version}: images\n\n" + "\n".join(lines) + "\n")


def evidence(
    project: Project, images: BuildPlan, result: BuildResult
) -> tuple[dict[str, Any], str]:
    """What the release's images were built from (`release.evidence`): each base as
    the build recorded it (`flows.build.with_bases`), and the line on provenance
    attestations for this builder and engine."""
    dockerfiles: dict[str, tuple[str, str]] = {}
    base_refs: dict[str, tuple[str, ...]] = {}
    bases: dict[str, dict[str, Any]] = {}
    for image in images.images:
        path = Path(image.dockerfile)
        text = path.read_text(encoding="utf-8")
        dockerfiles[image.service] = (_relative(project.root, path), text)
        base_refs[image.service] = bases_of(image)
    for s in result.services:
        # A base only the builder holds (docker-container) was not recorded: {}.
        bases.update({ref: {"id": f["id"], "digests": f["digests"]} for ref, f in s.bases.items()})
    sizes = {s.service: s.size for s in result.services}
    inputs = build_inputs(
        images, dockerfiles=dockerfiles, bases=bases, base_refs=base_refs, sizes=sizes
    )
    note = attestation_note(builder_driver(project, images.builder), engine.image_store())
    return inputs, note


def flavor(project: Project) -> Flavor:
    t = project.settings.tags
    return Flavor(prefix=t.prefix, suffix=t.suffix, latest=t.latest)


def preconditions(project: Project, allow_dirty: bool) -> git.GitState:
    state = git.state(project.root)
    if state.dirty and not allow_dirty:
        raise ReleaseError(
            "the work tree has uncommitted changes; commit or stash them (or pass --allow-dirty)"
        )
    branch = project.settings.release_branch
    if branch and state.branch != branch and not allow_dirty:
        raise ReleaseError(
            f"releases are made from branch {branch!r}, not {state.branch!r}; "
            "switch branch or set release_branch in [tool.dockwright]"
        )
    return state


def check_env(project: Project) -> None:
    """A release stops on a broken .env (when there is one) before building anything."""
    env = env_path(project)
    if not env.is_file():
        return
    errors = [p for p in env_problems(project, env) if p.level == "error"]
    if errors:
        raise EnvFileError(
            f"{errors[0]} (and {len(errors) - 1} more; run invoke env.check)"
            if len(errors) > 1
            else f"{errors[0]}; run invoke env.check"
        )


def rerun_command(request: Request) -> str:
    """The exact command that continues this release."""
    words = ["invoke", "release", "--bump", request.bump]
    if request.bump == "prerelease" and request.pre != "rc":
        words += ["--pre", request.pre]
    if request.registry:
        words += ["--registry", request.registry]
    if request.allow_dirty:
        words.append("--allow-dirty")
    if request.allow_empty:
        words.append("--allow-empty")
    if request.rebuild:
        words.append("--rebuild")
    return " ".join(words)


def build_plan(project: Project, plan: rel.ReleasePlan) -> BuildPlan:
    """The prod build of a release: every service, tagged with the release's tags."""
    return prod_plan(project, tags=plan.local_tags(), version=plan.version)


def require_built(result: BuildResult) -> None:
    require_ok(result, "nothing was pushed (see build/report.json)")


def scan_kinds(project: Project) -> list[str]:
    """What the release's scan gate scans (`[tool.dockwright.scan] release_kinds`)."""
    return sorted(set(project.settings.scan.release_kinds))


def scan_plan(project: Project, plan: rel.ReleasePlan) -> ScanPlan:
    """The scan gate of a release, resolved (scanner chosen, trivy found)."""
    kinds = scan_kinds(project)
    return resolve(
        make_plan(
            project,
            [i.service for i in plan.images],
            target="prod",
            scanner="",
            fail_on="",
            secrets="secret" in kinds,
            dockerfiles="misconfig" in kinds,
            vulns="vulnerability" in kinds,
        )
    )
