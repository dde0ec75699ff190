"""The build run's per-service failure path without an engine: `engine.bake` replays
BuildKit logs saved from a real engine (tests/fixtures/bake/), and the run must report
the failed service with its log tail while the others are baked again and reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockwright.build import run
from dockwright.build.plan import BuildPlan, ImageBuild
from dockwright.engine.docker import BakeFailed, ImageFacts
from dockwright.errors import ConfigError, EngineError
from tests.conftest import ROOT

LOGS = ROOT / "tests" / "fixtures" / "bake"


def plan() -> BuildPlan:
    images = tuple(
        ImageBuild(
            service=name,
            context=Path("."),
            dockerfile=Path("Dockerfile"),
            stage=None,
            repository=f"mini/{name}",
            tags=("sha-0123abc", "dev"),
        )
        for name in ("one", "two")
    )
    return BuildPlan(target="prod", platform="linux/amd64", builder="", images=images)


def facts(ref: str) -> ImageFacts:
    return ImageFacts(
        id=f"sha256:{ref.split('/')[1].split(':')[0]:0>64}",
        size=1234,
        user="1001",
        exposed=(),
        healthcheck=None,
        labels={},
        env=(),
        repo_digests=(),
        raw={},
    )


@pytest.fixture
def bakes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each `bake` call's targets. The first replays `one two` with `two` failing (and
    exits 1); a second bake of the rest replays the cached, successful run."""
    calls: list[list[str]] = []

    def bake(definition: Path, targets: list[str], **_: Any) -> Iterator[str]:
        calls.append(list(targets))
        name = "mini-one-two-fail.log" if len(calls) == 1 else "mini-one-two-ok.log"
        yield from (LOGS / name).read_text().splitlines()
        if len(calls) == 1:
            raise BakeFailed("bake exited 1")

    monkeypatch.setattr(run.engine, "bake", bake)
    monkeypatch.setattr(run.engine, "inspect_images", lambda refs: [facts(r) for r in refs])
    return calls


def test_a_failed_service_is_reported_and_the_others_still_finish(
    bakes: list[list[str]], tmp_path: Path
) -> None:
    updates: list[object] = []
    result = run.run_plan(plan(), tmp_path, updates.append)
    assert bakes == [["one", "two"], ["one"]]
    one, two = result.services
    assert (one.service, one.ok, one.size, one.error) == ("one", True, 1234, "")
    assert (two.service, two.ok, two.size) == ("two", False, 0)
    assert two.error and two.log_tail and len(two.log_tail) <= run.TAIL
    assert not result.ok
    assert result.as_dict()["services"][1]["log_tail"] == list(two.log_tail)
    assert updates, "progress was reported while baking"


def test_a_bake_that_fails_before_any_target_fails_every_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def bake(definition: Path, targets: list[str], **_: Any) -> Iterator[str]:
        yield from ()
        raise BakeFailed("ERROR: failed to find target default\nbuilder dockwright not found")

    monkeypatch.setattr(run.engine, "bake", bake)
    result = run.run_plan(plan(), tmp_path, lambda _p: None)
    assert [(s.service, s.ok, s.error) for s in result.services] == [
        ("one", False, "builder dockwright not found"),
        ("two", False, "builder dockwright not found"),
    ]


class TestEngineAskedOnlyOnFailure:
    """flows.build.execute asks `docker version` only when something failed, so a
    stopped engine still gets its own error and a warm build pays nothing for it."""

    @pytest.fixture
    def calls(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
        from dockwright.flows import build as flow

        seen: list[str] = []

        def ensure_engine() -> str:
            seen.append("ensure_engine")
            raise EngineError("no Docker engine answers (docker version failed: x)")

        monkeypatch.setattr(flow.engine, "ensure_engine", ensure_engine)
        monkeypatch.setattr(flow, "write_reports", lambda *a, **k: None)
        return seen

    def project(self, tmp_path: Path) -> Any:
        from dockwright.config import Project, Settings

        return Project(root=tmp_path, source=None, settings=Settings())

    def test_a_builder_lookup_failing_on_a_stopped_engine_says_so(
        self, calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        from dockwright.flows import build as flow

        def missing(project: object, name: str) -> str:
            raise ConfigError("buildx builder 'default' not found")

        monkeypatch.setattr(flow, "builder_driver", missing)
        with pytest.raises(EngineError):
            flow.execute(plan(), self.project(tmp_path))
        assert calls == ["ensure_engine"]

    def test_a_bake_that_never_started_asks_the_engine(
        self, calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        from dockwright.flows import build as flow

        def bake(definition: Path, targets: list[str], **_: Any) -> Iterator[str]:
            raise BakeFailed("Cannot connect to the Docker daemon")
            yield ""  # a generator, as the real one

        monkeypatch.setattr(flow, "builder_driver", lambda project, name: "docker")
        monkeypatch.setattr(run.engine, "bake", bake)
        with pytest.raises(EngineError):
            flow.execute(plan(), self.project(tmp_path))
        assert calls == ["ensure_engine"]

    def test_a_build_that_ran_does_not_ask(
        self,
        bakes: list[list[str]],
        calls: list[str],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        from dockwright.flows import build as flow

        monkeypatch.setattr(flow, "builder_driver", lambda project, name: "docker")
        result = flow.execute(plan(), self.project(tmp_path))
        assert not result.ok  # `two` failed, after it ran: an engine was there
        assert calls == []
