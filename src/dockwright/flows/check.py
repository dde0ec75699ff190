"""The policy gate as a workflow: which images to check, the compose files' findings,
each image's verdicts; it reports through `on_event` and never prints."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockwright.build.plan import TARGETS, dev_tags
from dockwright.build.record import read_report
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.errors import ConfigError, DockwrightError, EngineError, PolicyError, RegistryError
from dockwright.flows.events import Say
from dockwright.policy import Verdict, evaluate, expectations_from
from dockwright.policy.compose import Finding, apply_waivers, lint_files
from dockwright.policy.evidence import base_states, gather
from dockwright.repo import project as repo
from dockwright.repo.compose import Service, compose_files, select
from dockwright.repo.dockerfile import base_images


@dataclass(frozen=True)
class ComposeChecked:
    findings: list[Finding]


@dataclass(frozen=True)
class Checking:
    """An image is being measured (slow: every layer is read)."""

    service: str
    image: str


@dataclass(frozen=True)
class Checked:
    service: str
    image: str
    verdicts: list[Verdict]


CheckEvent = Say | ComposeChecked | Checking | Checked
OnCheckEvent = Callable[[CheckEvent], None]


@dataclass
class PolicyOutcome:
    """Every finding of the compose files and every verdict of each checked image."""

    findings: list[Finding] = field(default_factory=list)
    results: dict[str, list[Verdict]] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # service -> the image checked

    def as_json(self) -> str:
        # "@compose" cannot be a service name, so it never clashes with one.
        data: dict[str, list[dict[str, object]]] = {
            "@compose": [f.as_dict() for f in self.findings]
        }
        for name, vs in self.results.items():
            data[name] = [v.__dict__ | {"status": v.status} for v in vs]
        return json.dumps(data, indent=2)

    def raise_if_failing(self) -> None:
        """PolicyError naming every blocking finding and verdict."""
        failing = [f"{f.service}: {f.rule} ({f.where})" for f in self.findings if f.blocking]
        failing += [
            f"{n}: {v.rule} ({v.measured})"
            for n, vs in self.results.items()
            for v in vs
            if v.blocking
        ]
        if failing:
            raise PolicyError(f"policy failed: {'; '.join(failing)}")


def wanted_target(requested: str, report: Mapping[str, Any]) -> str:
    """`--target` when given, else the target of the last build, else prod."""
    target = requested or str(report.get("target") or "prod")
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; use one of: {', '.join(TARGETS)}")
    return target


def built_image(report: Mapping[str, Any], service: str, target: str) -> str | None:
    """The image the last build made for `service`, when that build was for `target`."""
    if report.get("target") != target:
        return None
    for s in report.get("services", []):
        if s.get("service") == service and s.get("ok") and s.get("image"):
            return str(s["image"])
    return None


def build_command(target: str, services: list[str]) -> str:
    """The `invoke build` call that makes the images of `services` for `target`."""
    flag = "" if target == "prod" else f" --target {target}"
    return f"invoke build{flag} -s {','.join(services)}"


def missing_message(missing: Mapping[str, str], target: str) -> str:
    """One line: which images (service -> ref) are not in the engine, and how to build them."""
    refs = ", ".join(missing.values())
    noun, them = ("image", "it") if len(missing) == 1 else ("images", "them")
    return (
        f"{target} {noun} {refs} not in the engine; "
        f"build {them} with `{build_command(target, list(missing))}`"
    )


def _images(
    project: Project, services: list[Service], target: str, report: Mapping[str, Any]
) -> dict[str, str]:
    """service -> image: what the last build made when it was for `target`, else the
    tag `build --target TARGET` gives the current tree."""
    found = {svc.name: built_image(report, svc.name, target) for svc in services}
    tag = "" if all(found.values()) else dev_tags(repo.provenance(project), target)[0]
    return {
        svc.name: found[svc.name] or f"{svc.local_repository(project.name)}:{tag}"
        for svc in services
    }


def image_for(project: Project, svc: Service, target: str) -> str:
    """The image `build` made for this service for `target` (`scan` finds its images so)."""
    report = read_report(project.root)
    return _images(project, [svc], target, report)[svc.name]


def images_to_check(
    project: Project,
    services: list[Service],
    requested: str,
    report: dict[str, Any],
    on_event: OnCheckEvent,
) -> dict[str, str]:
    """service -> image, for `requested` target or else the last build's (`report`:
    build/report.json as read).

    ConfigError naming the missing images and the build command when one is not
    in the engine (after `build --target dev`, the prod images usually are not).
    In a repository where nothing was built yet (no build report, none of the
    images in the engine) the image rules are skipped: {} and a Say event.
    """
    target = wanted_target(requested, report)
    images = _images(project, services, target, report)
    missing = {name: ref for name, ref in images.items() if not engine.image_exists(ref)}
    if missing and not report and len(missing) == len(images):
        on_event(
            Say(
                f"image rules skipped: nothing built yet; `{build_command(target, list(missing))}` "
                "builds the images and checks them"
            )
        )
        return {}
    if missing:
        raise ConfigError(missing_message(missing, target))
    return images


def recorded_bases(report: Mapping[str, Any], service: str, image: str) -> dict[str, Any]:
    """The base images the last build recorded for `service`, when it built `image`."""
    for s in report.get("services", []):
        if s.get("service") == service and s.get("image") == image:
            return dict(s.get("bases") or {})
    return {}


def _memo(resolve: Callable[[str], str]) -> Callable[[str], str]:
    """`resolve` asked once per base across the services, its failure kept too."""
    seen: dict[str, str | DockwrightError] = {}

    def lookup(ref: str) -> str:
        if ref not in seen:
            try:
                seen[ref] = resolve(ref)
            except (RegistryError, EngineError) as exc:
                seen[ref] = exc
        found = seen[ref]
        if isinstance(found, DockwrightError):
            raise found
        return found

    return lookup


def compose_findings(project: Project, services: list[Service], names: list[str]) -> list[Finding]:
    """Findings in every configured compose file (base, dev, prod), waivers applied."""
    s = project.settings
    files = compose_files(project.root, s.compose_files, (*s.dev_files, *s.prod_files))
    found = apply_waivers(lint_files(files, project.root), {v.name: v.extension for v in services})
    return [f for f in found if not names or f.service in names]


def check_policy(
    project: Project,
    names: list[str],
    *,
    target: str,
    on_event: OnCheckEvent,
    env_file: Path | None = None,
) -> PolicyOutcome:
    """Check the compose files and each service's built image (not raising on a failed
    rule: `PolicyOutcome.raise_if_failing`). `target` "" checks what the last build made
    (build/report.json says which target)."""
    engine.ensure_engine()
    every = repo.load_services(project)
    services = select(every, names, buildable=True)
    report = read_report(project.root)
    images = images_to_check(project, services, target, report, on_event)
    outcome = PolicyOutcome(findings=compose_findings(project, every, names))
    on_event(ComposeChecked(outcome.findings))
    secrets = repo.secret_values(project, env_file)
    defaults = dataclasses.asdict(project.settings.policy)
    lookup = _memo(engine.registry_digest)
    now = datetime.now(UTC)
    for svc in (s for s in services if s.name in images):
        assert svc.build is not None
        exp = expectations_from(svc.extension, defaults)
        image = images[svc.name]
        on_event(Checking(svc.name, image))
        refs = base_images(svc.build.dockerfile.read_text(encoding="utf-8"), svc.build.args)
        bases = (
            base_states(refs, recorded_bases(report, svc.name, image), lookup, now)
            if exp.base_freshness != "off"
            else ()
        )
        evidence = gather(
            image,
            dockerfile=svc.build.dockerfile,
            build_args=svc.build.args,
            secrets=secrets,
            hadolint_threshold=exp.hadolint_threshold,
            bases=bases,
        )
        verdicts = evaluate(evidence, exp)
        outcome.results[svc.name] = verdicts
        outcome.images[svc.name] = image
        on_event(Checked(svc.name, image, verdicts))
    keep(project.root, outcome)
    return outcome


def policy_path(root: Path) -> Path:
    """Where the last `check` leaves its verdicts (`report` reads them)."""
    return root / "build" / "policy.json"


def keep(root: Path, outcome: PolicyOutcome) -> None:
    """build/policy.json: when, which images, and every finding and verdict."""
    path = policy_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "checked": datetime.now(UTC).isoformat(timespec="seconds"),
        "images": outcome.images,
        "results": json.loads(outcome.as_json()),
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
