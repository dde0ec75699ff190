"""Unit tests for dockwright.policy: verdicts per rule, expectations, UIDs, base images."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from dockwright.errors import ConfigError
from dockwright.policy.rules import (
    NS,
    RULES,
    Evidence,
    Expectations,
    Verdict,
    evaluate,
    expectations_from,
    is_pinned,
    resolve_uid,
)
from dockwright.repo.dockerfile import base_images

GOOD = Evidence(
    image="todo-backend:dev",
    size=150_000_000,
    user="app",
    passwd={"root": 0, "app": 1001},
    healthcheck={
        "Test": ["CMD", "curl", "-f", "http://localhost:8000/health"],
        "Interval": 30 * NS,
        "Timeout": 10 * NS,
        "StartPeriod": 40 * NS,
        "Retries": 3,
    },
    exposed=("8000/tcp",),
    labels={
        f"org.opencontainers.image.{k}": "x"
        for k in ("version", "created", "revision", "source", "title")
    },
    base_images=("python:3.13-slim",),
    sensitive_files=(),
    secret_hits=(),
    compilers=(),
    hadolint=(),
)
EXPECT = Expectations(ports=(8000,))
WAIVER = "ships the ML model in the image; approved by ops"


def verdict(rule: str, evidence: Evidence = GOOD, expect: Expectations = EXPECT) -> Verdict:
    return {v.rule: v for v in evaluate(evidence, expect)}[rule]


class TestEvaluateAllPassing:
    """A compliant image passes every rule, reported in RULES order."""

    def test_every_rule_passes(self) -> None:
        verdicts = evaluate(GOOD, EXPECT)
        assert [v.rule for v in verdicts] == list(RULES)
        assert [v.status for v in verdicts] == ["PASS"] * len(RULES)

    @pytest.mark.parametrize(
        ("rule", "measured", "expected"),
        [
            pytest.param("size", "150.0 MB", "<= 500 MB", id="size"),
            pytest.param("user", "user app (uid 1001)", "non-root, uid 1001", id="user"),
            pytest.param(
                "healthcheck",
                "interval 30, timeout 10, start_period 40, retries 3",
                "interval 30, timeout 10, start_period 40, retries 3",
                id="healthcheck",
            ),
            pytest.param("ports", "8000", "8000", id="ports"),
            pytest.param(
                "labels",
                "all present",
                "org.opencontainers.image.version/created/revision/source/title",
                id="labels",
            ),
            pytest.param(
                "base-pinned", "python:3.13-slim", "explicit tags, never latest", id="base"
            ),
            pytest.param(
                "sensitive-files", "none", "no .env, private keys or id_rsa", id="sensitive-files"
            ),
            pytest.param(
                "compilers", "none", "no gcc, cc, c++, g++, clang, make, ld", id="compilers"
            ),
            pytest.param("hadolint", "none", "no finding at or above warning", id="hadolint"),
        ],
    )
    def test_measured_and_expected_texts(self, rule: str, measured: str, expected: str) -> None:
        v = verdict(rule)
        assert (v.measured, v.expected) == (measured, expected)


def changed(**fields: Any) -> Evidence:
    return dataclasses.replace(GOOD, **fields)


class TestEvaluateFailing:
    """Each rule fails on its own kind of bad evidence and says what it measured."""

    @pytest.mark.parametrize(
        ("rule", "evidence", "measured"),
        [
            pytest.param("size", changed(size=600_000_000), "600.0 MB", id="size-over-budget"),
            pytest.param("user", changed(user=""), "user root (unset) (uid 0)", id="user-unset"),
            pytest.param("user", changed(user="root"), "user root (uid 0)", id="user-root"),
            pytest.param("user", changed(user="0:0"), "user 0:0 (uid 0)", id="user-uid-0"),
            pytest.param("user", changed(user="1000"), "user 1000 (uid 1000)", id="user-other-uid"),
            pytest.param("user", changed(user="ghost"), "user ghost", id="user-not-in-passwd"),
            pytest.param("healthcheck", changed(healthcheck=None), "none", id="hc-missing"),
            pytest.param(
                "healthcheck", changed(healthcheck={"Test": ["NONE"]}), "none", id="hc-disabled"
            ),
            pytest.param(
                "healthcheck",
                changed(healthcheck={**(GOOD.healthcheck or {}), "Interval": 10 * NS}),
                "interval 10, timeout 10, start_period 40, retries 3",
                id="hc-untuned-interval",
            ),
            pytest.param(
                "healthcheck",
                changed(healthcheck={"Test": ["CMD-SHELL", "true"]}),
                "interval 0, timeout 0, start_period 0, retries 0",
                id="hc-engine-defaults",
            ),
            pytest.param("ports", changed(exposed=()), "none", id="ports-none-exposed"),
            pytest.param("ports", changed(exposed=("8080/tcp",)), "8080", id="ports-wrong"),
            pytest.param(
                "ports", changed(exposed=("9000/tcp", "8000/tcp")), "8000, 9000", id="ports-extra"
            ),
            pytest.param(
                "labels",
                changed(
                    labels={
                        "org.opencontainers.image.version": "1.4.2",
                        "org.opencontainers.image.created": "now",
                        "org.opencontainers.image.source": "https://x",
                        "org.opencontainers.image.title": "  ",
                    }
                ),
                "missing revision, title",
                id="labels-missing-and-blank",
            ),
            pytest.param(
                "base-pinned",
                changed(base_images=("python:3.13-slim", "node", "nginx:latest")),
                "node, nginx:latest",
                id="base-unpinned",
            ),
            pytest.param("base-pinned", changed(base_images=()), "no FROM", id="base-none"),
            pytest.param(
                "sensitive-files",
                changed(sensitive_files=("/app/.env",)),
                "/app/.env",
                id="sensitive-file",
            ),
            pytest.param(
                "secret-values",
                changed(secret_hits=("env POSTGRES_PASSWORD",)),
                "env POSTGRES_PASSWORD",
                id="secret-value",
            ),
            pytest.param(
                "compilers",
                changed(compilers=tuple("abcdefg")),
                "a, b, c, d, e (+2 more)",
                id="listing-capped-at-five",
            ),
            pytest.param(
                "hadolint",
                changed(hadolint=("DL3008 pin versions",)),
                "DL3008 pin versions",
                id="hadolint",
            ),
        ],
    )
    def test_rule_fails(self, rule: str, evidence: Evidence, measured: str) -> None:
        v = verdict(rule, evidence)
        assert (v.passed, v.status, v.blocking, v.measured) == (False, "FAIL", True, measured)

    def test_only_the_broken_rule_fails(self) -> None:
        verdicts = evaluate(changed(size=600_000_000), EXPECT)
        assert [v.rule for v in verdicts if not v.passed] == ["size"]


class TestEvaluateBoundaries:
    """Limits are inclusive, and unset expectations accept any sensible value."""

    @pytest.mark.parametrize(
        ("rule", "evidence", "expect", "passed"),
        [
            pytest.param("size", changed(size=500_000_000), EXPECT, True, id="size-at-budget"),
            pytest.param("size", changed(size=500_100_000), EXPECT, False, id="size-just-over"),
            pytest.param(
                "user", changed(user="app:app"), EXPECT, True, id="user-with-group-by-name"
            ),
            pytest.param(
                "user", changed(user="1000"), Expectations(uid=None), True, id="any-non-root-uid"
            ),
            pytest.param(
                "user", changed(user="root"), Expectations(uid=None), False, id="root-never"
            ),
            pytest.param(
                "ports",
                changed(exposed=("8080/tcp",)),
                Expectations(),
                True,
                id="any-port-when-none-expected",
            ),
            pytest.param("ports", changed(exposed=()), Expectations(), False, id="no-port-never"),
            pytest.param(
                "healthcheck",
                changed(healthcheck={"Test": ["CMD", "true"], "Interval": 5 * NS}),
                Expectations(healthcheck={"interval": 5}),
                True,
                id="only-expected-fields-compared",
            ),
        ],
    )
    def test_boundary(
        self, rule: str, evidence: Evidence, expect: Expectations, passed: bool
    ) -> None:
        assert verdict(rule, evidence, expect).passed is passed

    def test_expected_texts_follow_expectations(self) -> None:
        expect = Expectations(size_budget_mb=250.5, uid=None, hadolint_threshold="error")
        assert verdict("size", GOOD, expect).expected == "<= 250.5 MB"
        assert verdict("user", GOOD, expect).expected == "non-root"
        assert verdict("ports", GOOD, expect).expected == "at least one"
        assert verdict("hadolint", GOOD, expect).expected == "no finding at or above error"


class TestWaivers:
    """A waiver turns a failure into WAIVED (not blocking); it does nothing to a pass."""

    def test_waived_failure_is_not_blocking(self) -> None:
        expect = dataclasses.replace(EXPECT, waivers={"size": WAIVER})
        v = verdict("size", changed(size=600_000_000), expect)
        assert (v.passed, v.status, v.blocking, v.waived) == (False, "WAIVED", False, WAIVER)

    def test_waiver_on_passing_rule_is_dropped(self) -> None:
        expect = dataclasses.replace(EXPECT, waivers={"size": WAIVER})
        v = verdict("size", GOOD, expect)
        assert (v.status, v.waived) == ("PASS", "")

    def test_waiver_covers_only_its_rule(self) -> None:
        expect = dataclasses.replace(EXPECT, waivers={"size": WAIVER})
        v = verdict("user", changed(user="root"), expect)
        assert (v.status, v.blocking) == ("FAIL", True)


class TestExpectationsFrom:
    """x-dockwright is merged over [tool.dockwright.policy] and converted to Expectations."""

    @pytest.mark.parametrize(
        ("extension", "defaults", "expected"),
        [
            pytest.param({}, {}, Expectations(), id="all-defaults"),
            pytest.param(
                {"uid": 1001},
                {"size_budget_mb": 300, "uid": 1000},
                Expectations(size_budget_mb=300.0, uid=1001),
                id="extension-over-defaults",
            ),
            pytest.param({"uid": None}, {}, Expectations(uid=None), id="uid-none-any-non-root"),
            pytest.param({"uid": "1002"}, {}, Expectations(uid=1002), id="uid-string"),
            pytest.param({"port": 8000}, {}, Expectations(ports=(8000,)), id="single-port"),
            pytest.param(
                {"ports": ["80", 443]}, {}, Expectations(ports=(80, 443)), id="ports-list"
            ),
            pytest.param(
                {"ports": [3000], "port": 8000}, {}, Expectations(ports=(3000,)), id="ports-win"
            ),
            pytest.param(
                {"healthcheck": {"interval": 10, "retries": "5"}},
                {},
                Expectations(healthcheck={"interval": 10.0, "retries": 5.0}),
                id="healthcheck-replaced",
            ),
            pytest.param(
                {"hadolint_threshold": "error"},
                {},
                Expectations(hadolint_threshold="error"),
                id="hadolint-threshold",
            ),
            pytest.param({"health_path": "/health"}, {}, Expectations(), id="health-path-accepted"),
            pytest.param(
                {"waivers": {"size": WAIVER}},
                {},
                Expectations(waivers={"size": WAIVER}),
                id="waiver-with-reason",
            ),
            pytest.param(
                {},
                {"waivers": {"hadolint": "ten chars!"}},
                Expectations(waivers={"hadolint": "ten chars!"}),
                id="waiver-reason-exactly-10",
            ),
        ],
    )
    def test_merge(
        self, extension: dict[str, Any], defaults: dict[str, Any], expected: Expectations
    ) -> None:
        assert expectations_from(extension, defaults) == expected

    @pytest.mark.parametrize(
        ("extension", "defaults", "name"),
        [
            pytest.param({"size_budget_gb": 1}, {}, "size_budget_gb", id="typo-in-extension"),
            pytest.param({}, {"user": 1001}, "user", id="typo-in-defaults"),
            pytest.param({"zz": 1, "aa": 2}, {}, "aa", id="first-sorted-named"),
            pytest.param({"size_budget": 300}, {}, "size_budget", id="size-budget-without-mb"),
        ],
    )
    def test_unknown_key_is_an_error_naming_it(
        self, extension: dict[str, Any], defaults: dict[str, Any], name: str
    ) -> None:
        with pytest.raises(ConfigError) as info:
            expectations_from(extension, defaults)
        assert str(info.value) == (
            f"x-dockwright: unknown key {name!r}; known: base_freshness, hadolint_threshold, "
            "health_budget, health_path, healthcheck, port, ports, size_budget_mb, uid, waivers"
        )

    @pytest.mark.parametrize(
        "reason",
        [
            pytest.param("", id="empty"),
            pytest.param("legacy", id="too-short"),
            pytest.param("   nine!!!   ", id="short-after-strip"),
            pytest.param(None, id="none"),
            pytest.param(True, id="not-text"),
        ],
    )
    def test_waiver_needs_a_written_reason(self, reason: object) -> None:
        with pytest.raises(ConfigError) as info:
            expectations_from({"waivers": {"user": reason}}, {})
        assert str(info.value) == "waiver for 'user' needs a written reason (10+ characters)"

    def test_waiver_for_unknown_rule_lists_the_rules(self) -> None:
        with pytest.raises(ConfigError) as info:
            expectations_from({"waivers": {"sise": WAIVER}}, {})
        assert str(info.value) == (
            "waiver for unknown rule 'sise'; rules: size, user, healthcheck, ports, labels, "
            "base-pinned, sensitive-files, secret-values, compilers, hadolint, base-fresh, "
            "ports-all-interfaces, literal-secret, container-name, home-mount, healthcheck-socket"
        )


class TestResolveUid:
    """The numeric UID of a USER value: root when unset, names through /etc/passwd."""

    @pytest.mark.parametrize(
        ("user", "uid"),
        [
            pytest.param("", 0, id="unset-is-root"),
            pytest.param("root", 0, id="root"),
            pytest.param("root:root", 0, id="root-with-group"),
            pytest.param("0", 0, id="uid-0"),
            pytest.param("1001", 1001, id="numeric"),
            pytest.param("1001:1001", 1001, id="numeric-with-group"),
            pytest.param("app", 1001, id="name"),
            pytest.param("app:staff", 1001, id="name-with-group"),
            pytest.param("ghost", None, id="unknown-name"),
        ],
    )
    def test_uid(self, user: str, uid: int | None) -> None:
        assert resolve_uid(user, {"app": 1001, "nobody": 65534}) == uid


class TestIsPinned:
    """An explicit tag other than latest, or a digest, pins a base; a registry port does not."""

    @pytest.mark.parametrize(
        ("ref", "pinned"),
        [
            pytest.param("python:3.13-slim", True, id="tag"),
            pytest.param("docker.io/library/node:22-alpine", True, id="full-name-tag"),
            pytest.param("localhost:5000/python:3.13", True, id="registry-port-and-tag"),
            pytest.param("python@sha256:" + "a" * 64, True, id="digest"),
            pytest.param("python:latest@sha256:" + "a" * 64, True, id="latest-with-digest"),
            pytest.param("scratch", True, id="scratch"),
            pytest.param("python", False, id="no-tag"),
            pytest.param("python:latest", False, id="latest"),
            pytest.param("ghcr.io/acme/base:latest", False, id="full-name-latest"),
            pytest.param("localhost:5000/python", False, id="registry-port-no-tag"),
        ],
    )
    def test_pinned(self, ref: str, pinned: bool) -> None:
        assert is_pinned(ref) is pinned


class TestBaseImages:
    """External FROM images in order, once each; stage names and ARGs resolved."""

    @pytest.mark.parametrize(
        ("dockerfile", "build_args", "expected"),
        [
            pytest.param("FROM python:3.13-slim\n", None, ("python:3.13-slim",), id="single"),
            pytest.param(
                "FROM node:22-alpine AS build\nRUN npm ci\n"
                "FROM nginx:1.27-alpine AS runtime\nCOPY --from=build /app /usr/share/nginx\n",
                None,
                ("node:22-alpine", "nginx:1.27-alpine"),
                id="multi-stage",
            ),
            pytest.param(
                "FROM python:3.13-slim AS base\nFROM base AS dev\nFROM Base AS prod\n",
                None,
                ("python:3.13-slim",),
                id="stage-references-any-case",
            ),
            pytest.param(
                "FROM python:3.13-slim AS a\nFROM python:3.13-slim AS b\nFROM scratch\n",
                None,
                ("python:3.13-slim", "scratch"),
                id="duplicates-once",
            ),
            pytest.param(
                "ARG PY=3.13\nFROM python:${PY}-slim\n",
                None,
                ("python:3.13-slim",),
                id="arg-braces",
            ),
            pytest.param(
                'ARG PY="3.12"\nFROM python:$PY\n', None, ("python:3.12",), id="arg-quoted-bare"
            ),
            pytest.param(
                "ARG PY=3.13\nFROM python:${PY}-slim\n",
                {"PY": "3.11"},
                ("python:3.11-slim",),
                id="build-arg-overrides-default",
            ),
            pytest.param(
                "ARG BASE=debian:12\nFROM $BASE AS a\nARG BASE=alpine:3.20\nFROM $BASE\n",
                None,
                ("debian:12",),
                id="arg-after-from-ignored",
            ),
            pytest.param(
                "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
                "FROM gcr.io/distroless/base\n",
                None,
                ("golang:1.22", "gcr.io/distroless/base"),
                id="platform-flag",
            ),
            pytest.param(
                "# FROM ubuntu:24.04\nfrom alpine:3.20 as tiny\n",
                None,
                ("alpine:3.20",),
                id="comment-and-lowercase",
            ),
            pytest.param("RUN echo no from\n", None, (), id="no-from"),
        ],
    )
    def test_bases(
        self, dockerfile: str, build_args: dict[str, str] | None, expected: tuple[str, ...]
    ) -> None:
        assert base_images(dockerfile, build_args) == expected
