"""`report` as a workflow: read what `build`, `check`, `scan`, `sbom` and `release` left
behind (build/report.json, build/policy.json, build/scan.json, build/sbom/, the
release records and the CHANGELOG's `### Images` lines) and write the page. It runs
no build, no scan and no engine call: the page shows the last results, and says
which command makes a missing part."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockwright.build.record import read_report, report_path
from dockwright.config import Project
from dockwright.engine import git
from dockwright.errors import ConfigError, EngineError, ScannerUnavailableError
from dockwright.flows.check import policy_path
from dockwright.flows.sbom import FOLDER as SBOM_FOLDER
from dockwright.policy import expectations_from
from dockwright.registry.record import load_records, records_folder
from dockwright.release.changelog import image_sizes
from dockwright.repo import project as repo
from dockwright.repo.compose import select
from dockwright.report import Page, Source, render, size_history
from dockwright.scan import sbom

MB = 1_000_000
DEFAULT_OUTPUT = Path("build") / "report.html"


@dataclass(frozen=True, kw_only=True)
class Written:
    path: Path
    size: int  # bytes
    page: Page


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_json(path: Path, remedy: str) -> dict[str, Any] | None:
    """A JSON document a command left, None when there is none; ConfigError when it
    cannot be read (one line: which file, and the command that writes it again)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not the JSON dockwright wrote; run `{remedy}` again")
    return data


def _release_sizes(root: Path) -> tuple[dict[str, dict[str, int]], str]:
    """version -> service -> bytes from the release records whose gates passed, and
    where they are ("" outside a git repository)."""
    try:
        folder = records_folder(git.git_dir(root))
    except (EngineError, ConfigError):
        return {}, ""
    sizes: dict[str, dict[str, int]] = {}
    for record in load_records(folder):
        images = (record.inputs or {}).get("images") or {}
        found = {s: int(i.get("size") or 0) for s, i in images.items() if isinstance(i, dict)}
        if record.gates and any(found.values()):
            sizes[record.version] = {s: n for s, n in found.items() if n}
    return sizes, str(folder)


def gather(project: Project) -> Page:
    """Everything the page shows, from the files the last commands wrote."""
    root = project.root
    services = select(repo.load_services(project), [], buildable=True)
    defaults = dataclasses.asdict(project.settings.policy)
    budgets = {
        s.name: int(expectations_from(s.extension, defaults).size_budget_mb * MB) for s in services
    }
    policy_file, scan_file = policy_path(root), root / "build" / "scan.json"
    sbom_folder = root / SBOM_FOLDER
    sboms: dict[str, dict[str, int]] = {}
    for s in services:
        path = sbom_folder / f"{s.name}.cdx.json"
        if path.is_file():
            try:
                sboms[s.name] = sbom.read(path.read_text(encoding="utf-8"), s.name).counts()
            except ScannerUnavailableError as exc:
                raise ConfigError(f"{path}: {exc}; run `invoke sbom` again") from None
    records, records_at = _release_sizes(root)
    changelog_file = root / project.settings.changelog
    changelog = (
        image_sizes(changelog_file.read_text(encoding="utf-8")) if changelog_file.is_file() else {}
    )
    build = read_report(root) or None
    policy = _read_json(policy_file, "invoke check")
    scan = _read_json(scan_file, "invoke scan")
    sources = (
        Source(
            what="build",
            path=_relative(root, report_path(root)),
            found=build is not None,
            hint="`invoke build` writes it",
        ),
        Source(
            what="policy",
            path=_relative(root, policy_file),
            found=policy is not None,
            hint="`invoke check` writes it",
        ),
        Source(
            what="scan",
            path=_relative(root, scan_file),
            found=scan is not None,
            hint="`invoke scan` writes it",
        ),
        Source(
            what="sbom",
            path=_relative(root, sbom_folder),
            found=bool(sboms),
            hint="`invoke sbom` writes them",
        ),
        Source(
            what="releases",
            path=_relative(root, Path(records_at)) if records_at else "(no git repository)",
            found=bool(records),
            hint="`invoke release` records each release's sizes",
        ),
        Source(
            what="releases",
            path=_relative(root, changelog_file),
            found=bool(changelog),
            hint="`invoke release` writes an `### Images` section per release",
        ),
    )
    try:
        state = git.state(root)
        revision = state.sha + ("-dirty" if state.dirty else "")
    except (EngineError, ConfigError):
        revision = "(no git repository)"
    return Page(
        project=project.name,
        revision=revision,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        build=build,
        policy=policy,
        scan=scan,
        sboms=sboms,
        sizes=size_history(budgets, records, changelog),
        sources=sources,
    )


def write(project: Project, output: Path | None = None) -> Written:
    """Gather and write the page (default build/report.html); the page's text is
    written whole or not at all."""
    page = gather(project)
    path = output if output is not None else root_output(project)
    text = render(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return Written(path=path, size=len(text.encode()), page=page)


def root_output(project: Project) -> Path:
    return project.root / DEFAULT_OUTPUT
