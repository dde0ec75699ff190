"""The smoke's verdicts, offline: health shapes, HTTP checks, prod hardening."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dockwright.smoke.checks import (
    hardening_problems,
    health_problems,
    http_problems,
    seed_problems,
)
from dockwright.smoke.settings import HttpCheck
from tests.conftest import ROOT

INSPECT = ROOT / "tests" / "fixtures" / "stacks" / "switch-inspect"
GOOD = {"status": "healthy", "timestamp": "2026-01-02T03:04:05Z", "version": "1.2.3", "uptime": 0}


class TestSeedProblems:
    """The seed shape: status, ISO timestamp, version == VERSION, integer uptime >= 0."""

    def test_good_answer(self) -> None:
        assert seed_problems(GOOD, "1.2.3") == []

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            pytest.param({"status": "unhealthy"}, "status is 'unhealthy'", id="status"),
            pytest.param({"timestamp": "yesterday"}, "timestamp 'yesterday' is not", id="time"),
            pytest.param({"timestamp": 1700000000}, "timestamp 1700000000 is not", id="epoch"),
            pytest.param({"version": "1.2.4"}, "version is '1.2.4', expected '1.2.3'", id="ver"),
            pytest.param({"uptime": -1}, "uptime -1 is not", id="negative-uptime"),
            pytest.param({"uptime": 1.5}, "uptime 1.5 is not", id="float-uptime"),
            pytest.param({"uptime": True}, "uptime True is not", id="bool-uptime"),
            pytest.param({"extra": 1}, "keys are", id="extra-key"),
        ],
    )
    def test_each_fault_named(self, change: dict[str, Any], problem: str) -> None:
        [found] = seed_problems({**GOOD, **change}, "1.2.3")
        assert found.startswith(problem)

    def test_not_an_object(self) -> None:
        assert seed_problems(["healthy"], "1") == ["not a JSON object: ['healthy']"]


class TestHealthProblems:
    """Each configurable shape, from the HTTP status and body text."""

    @pytest.mark.parametrize(
        ("status", "body", "shape", "expected"),
        [
            pytest.param(200, json.dumps(GOOD), "seed", [], id="seed-ok"),
            pytest.param(503, json.dumps(GOOD), "seed", ["HTTP 503, expected 200"], id="seed-503"),
            pytest.param(200, "OK", "seed", ["not JSON: 'OK'"], id="seed-not-json"),
            pytest.param(200, "OK", "http-200", [], id="http-200-any-body"),
            pytest.param(500, "", "http-200", ["HTTP 500, expected 200"], id="http-200-500"),
            pytest.param(200, '{"status": "ok"}', "json-status", [], id="json-status-ok"),
            pytest.param(200, '{"status": "healthy", "db": 1}', "json-status", [], id="extra-ok"),
            pytest.param(
                200,
                '{"status": "degraded"}',
                "json-status",
                ["status is 'degraded', expected 'healthy' or 'ok'"],
                id="json-status-degraded",
            ),
            pytest.param(
                200,
                '["ok"]',
                "json-status",
                ["status is None, expected 'healthy' or 'ok'"],
                id="json-status-list",
            ),
        ],
    )
    def test_shape(self, status: int, body: str, shape: str, expected: list[str]) -> None:
        assert health_problems(status, body, shape, "1.2.3") == expected


class TestHttpProblems:
    """A configured check: the expected status, and the text when one is asked for."""

    @pytest.mark.parametrize(
        ("check", "status", "text", "expected"),
        [
            pytest.param(HttpCheck(service="w"), 200, "", [], id="default-200"),
            pytest.param(HttpCheck(service="w", status=401), 401, "", [], id="expected-401"),
            pytest.param(
                HttpCheck(service="w"), 404, "", ["HTTP 404, expected 200"], id="wrong-status"
            ),
            pytest.param(
                HttpCheck(service="w", contains="x"),
                200,
                "yes",
                ["the answer does not contain 'x'"],
                id="text-missing",
            ),
            pytest.param(
                HttpCheck(service="w", status=201, contains="x"),
                500,
                "",
                ["HTTP 500, expected 201", "the answer does not contain 'x'"],
                id="both",
            ),
        ],
    )
    def test_problems(self, check: HttpCheck, status: int, text: str, expected: list[str]) -> None:
        assert http_problems(check, status, text, check.contains) == expected


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

    def test_user_name_counts_by_the_uid_its_processes_run_as(self) -> None:
        info = inspected("web-prod-healthy.json")
        named = {**info, "Config": {**info["Config"], "User": "node"}}
        assert hardening_problems(named, [1000], 1000) == []
        assert hardening_problems(named, [1000, 1001], 1000) == [
            "user 'node' runs processes as uids [1001], expected 1000"
        ]
        numeric = {**info, "Config": {**info["Config"], "User": "1000:1000"}}
        assert hardening_problems(numeric, [1000], 1001) == ["user is '1000', expected 1001"]

    def test_plain_container_lacks_everything(self) -> None:
        assert hardening_problems(inspected("sick-unhealthy.json"), [1001], None) == [
            "root filesystem is writable",
            "no-new-privileges is not set",
            "cap_drop is None, expected [ALL]",
        ]
