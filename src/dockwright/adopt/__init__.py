"""What `dockwright init` writes into a repository, planned from what `discover` found.

Pure apart from reading the repository's files: every change is a `FileChange`
value that `--dry-run` shows and the task writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dockwright.adopt._changelog import (
    CHANGELOG_MD,
    changelog_version,
    plan_changelog,
    version_from_tag,
    with_unreleased,
)
from dockwright.adopt._files import FileChange, plan_file, plan_settings, strip_section
from dockwright.adopt._registry import (
    RegistryGuess,
    infer_registry,
    registry_of_image,
    split_reference,
)
from dockwright.adopt._render import (
    NOXFILE_PY,
    TASKS_PY,
    WORKFLOW,
    describe_service,
    render_env_example,
    render_noxfile,
    render_override,
    render_settings,
    render_workflow,
)
from dockwright.repo.discover import (
    COMPOSE_NAMES,
    OVERRIDE,
    ComposeLayout,
    ServiceInfo,
    TargetChoice,
    choose_targets,
    compose_variables,
    discover_services,
    find_compose_files,
    root_build,
    with_root_build,
)

__all__ = [
    "CHANGELOG_MD",
    "NOXFILE_PY",
    "TASKS_PY",
    "WORKFLOW",
    "FileChange",
    "InitPlan",
    "RegistryGuess",
    "changelog_version",
    "describe_service",
    "infer_registry",
    "is_python_repo",
    "plan_changelog",
    "plan_file",
    "plan_init",
    "plan_settings",
    "registry_of_image",
    "render_env_example",
    "render_noxfile",
    "render_override",
    "render_settings",
    "render_workflow",
    "split_reference",
    "strip_section",
    "version_from_tag",
    "with_unreleased",
]

PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile")


def is_python_repo(root: Path) -> bool:
    return any((root / m).is_file() for m in PYTHON_MARKERS)


@dataclass(frozen=True, kw_only=True)
class InitPlan:
    """What init found and what it would write."""

    layout: ComposeLayout
    services: tuple[ServiceInfo, ...]
    choice: TargetChoice
    changes: tuple[FileChange, ...]


def _override_path(layout: ComposeLayout) -> str:
    return (Path(layout.base[0]).parent / OVERRIDE).as_posix()


def plan_init(root: Path, *, project: str, latest_tag: str | None, force: bool = False) -> InitPlan:
    """Inspect `root` and decide every file init writes (nothing is written here)."""
    from dockwright.errors import ConfigError

    layout = find_compose_files(root)
    if not layout.base:
        raise ConfigError(
            f"no compose file with services in {root} or {root / 'compose'} "
            f"(looked for {', '.join(COMPOSE_NAMES)}); write one, or run init where it is"
        )
    services = discover_services(root, layout)
    changes: list[FileChange] = []
    mapped = root_build(root, layout, services, project)
    if mapped is not None:
        override = _override_path(layout)
        changes.append(plan_file(root, override, render_override(mapped), force=force))
        layout = replace(layout, base=(*layout.base, override))
        services = [
            with_root_build(root, s, mapped) if s.name == mapped.service else s for s in services
        ]
    choice = choose_targets(services)
    if not any(s.context is not None for s in services):
        choice = replace(
            choice,
            notes=(
                *choice.notes,
                "no service has a build: and no root Dockerfile could be mapped to one; "
                "add build: to the service the Dockerfile builds",
            ),
        )
    registry, registry_notes = infer_registry([s.image for s in services if s.context and s.image])
    choice = replace(choice, notes=(*choice.notes, *registry_notes))
    body = {
        key: render_settings(
            project=project,
            layout=layout,
            services=services,
            choice=choice,
            table=table,
            registry=registry,
        )
        for key, table in (("table", True), ("top", False))
    }
    changes.insert(0, plan_settings(root, body, force=force))
    if is_python_repo(root):
        changes.append(plan_file(root, "tasks.py", TASKS_PY, force=force))
    changes.append(plan_file(root, "noxfile.py", render_noxfile(), force=force))
    changes.append(plan_file(root, WORKFLOW, render_workflow(), force=force))
    texts = {
        f: (root / f).read_text(encoding="utf-8") for f in layout.files if (root / f).is_file()
    }
    env_text = render_env_example(compose_variables(texts))
    changelog = root / "CHANGELOG.md"
    released = changelog.read_text(encoding="utf-8") if changelog.is_file() else None
    changes += [
        plan_file(root, "VERSION", version_from_tag(latest_tag, released) + "\n", force=force),
        plan_changelog(root),
        plan_file(root, ".env.example", env_text, force=force),
    ]
    return InitPlan(layout=layout, services=tuple(services), choice=choice, changes=tuple(changes))
