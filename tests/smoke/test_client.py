"""The smoke's own verdicts, offline: the health shape and the hardening checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.smoke.client import hardening_problems, health_problems

INSPECT = ROOT / "tests" / "fixtures" / "stacks" / "switch-inspect"
GOOD = {"status": "healthy", "timestamp": "2026-01-02T03:04:05Z", "version": "1.2.3", "uptime": 0}


class TestHealthProblems:
    """The seed shape: status, ISO timestamp, version == VERSION, integer uptime >= 0."""

    def test_good_answer(self) -> None:
        assert health_problems(GOOD, "1.2.3") == []

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            pytest.param({"status": "unhealthy"}, "status is 'unhealthy'", id="status"),
            pytest.param({"timestamp": "yesterday"}, "timestamp 'yesterday' is not", id="time"),
            pytest.param({"version": "1.2.4"}, "version is '1.2.4', expected '1.2.3'", id="ver"),
            pytest.param({"uptime": -1}, "uptime -1 is not", id="negative-uptime"),
            pytest.param({"uptime": 1.5}, "uptime 1.5 is not", id="float-uptime"),
            pytest.param({"uptime": True}, "uptime True is not", id="bool-uptime"),
            pytest.param({"extra": 1}, "keys are", id="extra-key"),
        ],
    )
    def test_each_fault_named(self, change: dict[str, Any], problem: str) -> None:
        [found] = health_problems({**GOOD, **change}, "1.2.3")
        assert found.startswith(problem)

    def test_not_an_object(self) -> None:
        assert health_problems(["healthy"], "1") == ["not a JSON object: ['healthy']"]


def inspected(name: str) -> dict[str, Any]:
    return dict(json.loads((INSPECT / name).read_text()))


class TestHardeningProblems:
    """Checked on real `docker inspect` output of fixture containers."""

    def test_hardened_but_root(self) -> None:
        info = inspected("web-prod-healthy.json")  # read-only, cap_drop ALL, no-new-privs
        assert hardening_problems(info, [1001], None) == []
        assert hardening_problems(info, [0, 1001], 1001) == [
            "runs processes as root (uids [0, 1001])",
            "user is 'root', expected 1001",
        ]

    def test_plain_container_lacks_everything(self) -> None:
        assert hardening_problems(inspected("sick-unhealthy.json"), [1001], None) == [
            "root filesystem is writable",
            "no-new-privileges is not set",
            "cap_drop is None, expected [ALL]",
        ]
