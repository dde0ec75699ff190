"""The release as a workflow, apart from its transaction (`release.plan.run_release`):
what is checked before anything is touched, the build and scan plans of a release, and
the command that continues it. Nothing here prints."""

from __future__ import annotations

from dockwright.build.plan import BuildPlan
from dockwright.build.run import BuildResult
from dockwright.config import Project
from dockwright.engine import git
from dockwright.errors import EnvFileError, ReleaseError
from dockwright.flows.build import prod_plan, require_ok
from dockwright.flows.env import env_path, env_problems
from dockwright.flows.scan import ScanPlan, make_plan, resolve
from dockwright.release import plan as rel
from dockwright.release.tags import Flavor


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


def rerun_command(bump: str, pre: str, registry: str, allow_dirty: bool) -> str:
    """The exact command that continues this release."""
    words = ["invoke", "release", "--bump", bump]
    if bump == "prerelease" and pre != "rc":
        words += ["--pre", pre]
    if registry:
        words += ["--registry", registry]
    if allow_dirty:
        words.append("--allow-dirty")
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
