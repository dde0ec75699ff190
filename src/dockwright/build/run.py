"""Carry out a BuildPlan: one buildx bake, per-service progress, then the facts.

When one service fails, the others still finish: bake stops the whole session
on the first error, so the targets that did not fail are baked again (from the
cache, so nothing is rebuilt twice) and reported on their own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockwright.build.plan import BuildPlan
from dockwright.build.progress import BakeProgress, TargetProgress
from dockwright.engine import docker as engine

TAIL = 30


@dataclass(frozen=True, kw_only=True)
class ServiceResult:
    service: str
    ok: bool
    refs: tuple[str, ...]
    seconds: float
    cached: int
    steps: int
    size: int = 0
    image_id: str = ""
    digest: str = ""
    error: str = ""
    log_tail: tuple[str, ...] = ()
    up_to_date: bool = False  # not built: nothing it is built from changed (flows.build)
    # base ref -> {id, digests, created} as the engine held it when the image was built
    bases: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "ok": self.ok,
            "image": self.refs[0] if self.refs else "",
            "tags": list(self.refs),
            "size": self.size,
            "seconds": round(self.seconds, 2),
            "cache_hits": self.cached,
            "steps": self.steps,
            "image_id": self.image_id,
            "digest": self.digest,
            "error": self.error,
            "log_tail": list(self.log_tail),
            "up_to_date": self.up_to_date,
            "bases": self.bases,
        }


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    plan: BuildPlan
    services: tuple[ServiceResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.services)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "target": self.plan.target,
            "platform": self.plan.platform,
            "seconds": round(self.seconds, 2),
            "services": [s.as_dict() for s in self.services],
        }


OnLine = Callable[[BakeProgress], None]


def _bake_once(
    plan: BuildPlan, targets: list[str], workdir: Path, on_update: OnLine
) -> tuple[BakeProgress, dict[str, Any], str]:
    definition = workdir / "bake.json"
    metadata = workdir / "bake-metadata.json"
    metadata.unlink(missing_ok=True)
    definition.write_text(json.dumps(plan.bake_definition(), indent=2))
    progress = BakeProgress(targets)
    error = ""
    try:
        for line in engine.bake(definition, targets, builder=plan.builder, metadata=metadata):
            progress.feed(line, time.monotonic())
            on_update(progress)
        progress.finish(time.monotonic(), success=True)
    except engine.BakeFailed as exc:
        error = str(exc)
        progress.finish(time.monotonic(), success=False)
    on_update(progress)
    meta = json.loads(metadata.read_text()) if metadata.is_file() else {}
    return progress, meta, error or ""


def _results(
    plan: BuildPlan, progress: BakeProgress, names: list[str], meta: dict[str, Any]
) -> dict[str, ServiceResult]:
    """Each target's result; the built images are inspected in one engine call."""
    images = {i.service: i for i in plan.images}
    built = [n for n in names if progress.targets[n].state == "done"]
    facts = dict(zip(built, engine.inspect_images([images[n].refs[0] for n in built]), strict=True))
    return {n: _result(plan, progress.targets[n], meta, facts.get(n)) for n in names}


def _result(
    plan: BuildPlan, tp: TargetProgress, meta: dict[str, Any], facts: engine.ImageFacts | None
) -> ServiceResult:
    image = next(i for i in plan.images if i.service == tp.name)
    ok = tp.state == "done"
    info = meta.get(tp.name) or {}
    return ServiceResult(
        service=tp.name,
        ok=ok,
        refs=image.refs,
        seconds=tp.elapsed(time.monotonic()),
        cached=tp.cached,
        steps=tp.steps,
        size=facts.size if facts else 0,
        image_id=facts.id if facts else str(info.get("containerimage.config.digest", "")),
        digest=str(info.get("containerimage.digest", "")),
        error="" if ok else (tp.error or "build failed"),
        log_tail=() if ok else tuple(list(tp.log)[-TAIL:]),
    )


def run_plan(plan: BuildPlan, workdir: Path, on_update: OnLine) -> BuildResult:
    """Build every image of the plan; never raises for a failed service."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    targets = plan.services
    progress, meta, error = _bake_once(plan, targets, workdir, on_update)
    results: dict[str, ServiceResult] = {}
    failed = progress.failed()
    if error and not failed:
        # bake failed before any target ran (bad definition, engine gone).
        for t in targets:
            tp = progress.targets[t]
            tp.state, tp.error = "failed", error.splitlines()[-1] if error else "bake failed"
            tp.log.extend(error.splitlines()[-TAIL:])
        failed = list(targets)
    results.update(_results(plan, progress, failed, meta))
    rest = [t for t in targets if t not in failed]
    if error and rest:
        # The session was cancelled by the failure: finish the others.
        progress2, meta2, _ = _bake_once(plan, rest, workdir, on_update)
        for t in rest:
            first = progress.targets[t]
            second = progress2.targets[t]
            if first.started is not None and second.started is not None:
                second.started = min(first.started, second.started)
        results.update(_results(plan, progress2, rest, meta2))
    else:
        results.update(_results(plan, progress, rest, meta))
    return BuildResult(
        plan=plan,
        services=tuple(results[t] for t in targets),
        seconds=time.monotonic() - started,
    )
