"""The severity gate and its reasoned, expiring ignore list."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockwright.errors import ConfigError, ScanError
from dockwright.scan.gate import (
    GateVerdict,
    Ignore,
    check,
    evaluate,
    image_names,
    load_ignores,
    parse_ignores,
)
from dockwright.scan.model import Finding, Kind, Severity

TODAY = dt.date(2026, 6, 15)
BACKEND = "localhost:5000/todo-backend:1.4.2"
WEB = "localhost:5000/todo-web:1.4.2"


def finding(
    fid: str,
    severity: Severity,
    package: str = "",
    image: str = BACKEND,
    kind: Kind = "vulnerability",
) -> Finding:
    return Finding(image=image, id=fid, severity=severity, kind=kind, package=package)


FINDINGS = (
    finding("CVE-1", Severity.CRITICAL, "openssl"),
    finding("CVE-2", Severity.HIGH, "bash"),
    finding("CVE-2", Severity.HIGH, "bash", image=WEB),
    finding("CVE-3", Severity.MEDIUM, "zlib", image=WEB),
    finding("CVE-4", Severity.LOW, "tar"),
    finding("CVE-5", Severity.UNKNOWN, "gcc"),
    finding("aws-access-key-id", Severity.CRITICAL, image=WEB, kind="secret"),
)


def ignore(fid: str, *, package: str = "", image: str = "", expires: str = "2026-12-31") -> Ignore:
    return Ignore(
        id=fid,
        reason="not reachable",
        expires=dt.date.fromisoformat(expires),
        package=package,
        image=image,
        source="scan-ignore.toml entry 1",
    )


@dataclass(frozen=True)
class Case:
    fail_on: Severity | None
    ignores: tuple[Ignore, ...] = ()
    blocking: set[tuple[str, str]] = field(default_factory=set)  # (id, image)
    ignored: set[tuple[str, str]] = field(default_factory=set)
    expired: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.blocking


ALL = {(f.id, f.image) for f in FINDINGS}
AT_LEAST_HIGH = {
    ("CVE-1", BACKEND),
    ("CVE-2", BACKEND),
    ("CVE-2", WEB),
    ("aws-access-key-id", WEB),
}

CASES = {
    "high-blocks-high-and-critical": Case(Severity.HIGH, blocking=AT_LEAST_HIGH),
    "critical-blocks-only-critical": Case(
        Severity.CRITICAL, blocking={("CVE-1", BACKEND), ("aws-access-key-id", WEB)}
    ),
    "low-blocks-all-but-unknown": Case(Severity.LOW, blocking=ALL - {("CVE-5", BACKEND)}),
    "unknown-blocks-everything": Case(Severity.UNKNOWN, blocking=ALL),
    "none-only-reports": Case(None),
    "ignore-by-id-everywhere": Case(
        Severity.HIGH,
        (ignore("CVE-2"),),
        blocking=AT_LEAST_HIGH - {("CVE-2", BACKEND), ("CVE-2", WEB)},
        ignored={("CVE-2", BACKEND), ("CVE-2", WEB)},
    ),
    "ignore-id-in-any-case": Case(
        Severity.CRITICAL,
        (ignore("AWS-ACCESS-KEY-ID"),),
        blocking={("CVE-1", BACKEND)},
        ignored={("aws-access-key-id", WEB)},
    ),
    "ignore-by-matching-package": Case(
        Severity.CRITICAL,
        (ignore("CVE-1", package="openssl"),),
        blocking={("aws-access-key-id", WEB)},
        ignored={("CVE-1", BACKEND)},
    ),
    "ignore-for-other-package-does-not-apply": Case(
        Severity.CRITICAL,
        (ignore("CVE-1", package="libssl3"),),
        blocking={("CVE-1", BACKEND), ("aws-access-key-id", WEB)},
    ),
    "ignore-by-image-short-name": Case(
        Severity.HIGH,
        (ignore("CVE-2", image="todo-web"),),
        blocking=AT_LEAST_HIGH - {("CVE-2", WEB)},
        ignored={("CVE-2", WEB)},
    ),
    "ignore-by-image-glob": Case(
        Severity.HIGH,
        (ignore("CVE-2", image="localhost:5000/todo-*"),),
        blocking=AT_LEAST_HIGH - {("CVE-2", WEB), ("CVE-2", BACKEND)},
        ignored={("CVE-2", WEB), ("CVE-2", BACKEND)},
    ),
    "ignore-for-other-image-does-not-apply": Case(
        Severity.HIGH, (ignore("CVE-2", image="todo-db"),), blocking=AT_LEAST_HIGH
    ),
    "expired-ignore-stops-ignoring-and-is-reported": Case(
        Severity.HIGH,
        (ignore("CVE-1", expires="2026-06-14"),),
        blocking=AT_LEAST_HIGH,
        expired=("CVE-1",),
    ),
    "ignore-still-applies-on-its-expiry-day": Case(
        Severity.CRITICAL,
        (ignore("CVE-1", expires="2026-06-15"),),
        blocking={("aws-access-key-id", WEB)},
        ignored={("CVE-1", BACKEND)},
    ),
    "ignored-below-threshold-counts-as-ignored": Case(
        Severity.CRITICAL,
        (ignore("CVE-4"), ignore("aws-access-key-id"), ignore("CVE-1")),
        ignored={("CVE-4", BACKEND), ("aws-access-key-id", WEB), ("CVE-1", BACKEND)},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_evaluate(case: Case) -> None:
    verdict = evaluate(FINDINGS, case.fail_on, case.ignores, TODAY)
    assert {(f.id, f.image) for f in verdict.blocking} == case.blocking
    assert {(i.finding.id, i.finding.image) for i in verdict.ignored} == case.ignored
    below = ALL - case.blocking - case.ignored
    assert {(f.id, f.image) for f in verdict.below_threshold} == below
    assert tuple(e.id for e in verdict.expired) == case.expired
    assert verdict.passed is case.passed


class TestVerdict:
    """The verdict explains itself in one line and fails through ScanError."""

    def test_blocking_findings_are_most_severe_first(self) -> None:
        verdict = evaluate(FINDINGS, Severity.LOW, (), TODAY)
        severities = [f.severity for f in verdict.blocking]
        assert severities == sorted(severities, reverse=True)

    def test_failed_summary_counts_per_severity_and_says_what_to_do(self) -> None:
        verdict = evaluate(FINDINGS, Severity.HIGH, (ignore("CVE-9", expires="2020-01-01"),), TODAY)
        assert verdict.summary() == (
            "scan gate failed: 4 findings at or above HIGH (2 CRITICAL, 2 HIGH) in "
            f"{BACKEND}, {WEB}; 1 expired ignore entry; fix them, or add an entry with a "
            "reason and an expiry date to .dockwright/scan-ignore.toml"
        )

    def test_passed_summary(self) -> None:
        verdict = evaluate(
            FINDINGS, Severity.CRITICAL, (ignore("CVE-1"), ignore("aws-access-key-id")), TODAY
        )
        assert verdict.summary() == (
            "scan gate passed: nothing at or above CRITICAL (5 below threshold, 2 ignored)"
        )

    def test_an_image_that_was_not_scanned_fails_the_gate(self) -> None:
        verdict = evaluate((), Severity.CRITICAL, (), TODAY, unscanned=("todo-db:17",))
        assert not verdict.passed
        assert "not scanned: todo-db:17" in verdict.summary()

    def test_check_raises_scan_error_with_the_summary(self) -> None:
        verdict = evaluate(FINDINGS, Severity.HIGH, (), TODAY)
        with pytest.raises(ScanError) as caught:
            check(verdict)
        assert str(caught.value) == verdict.summary()
        assert caught.value.exit_code == 10

    def test_check_is_silent_when_passed(self) -> None:
        check(GateVerdict(fail_on=Severity.HIGH))


VALID = """
[[ignore]]
id = "CVE-2019-18276"
package = "bash"
image = "todo-backend"
reason = "bash is not reachable from the app"
expires = 2026-12-31

[[ignore]]
id = "private-key"
reason = "test key, never used"
expires = "2026-07-01"
"""


class TestParseIgnores:
    """Ignore files are validated entry by entry."""

    def test_reads_full_and_minimal_entries(self) -> None:
        entries = parse_ignores(VALID, source="f.toml")
        assert entries == (
            Ignore(
                id="CVE-2019-18276",
                package="bash",
                image="todo-backend",
                reason="bash is not reachable from the app",
                expires=dt.date(2026, 12, 31),
                source="f.toml entry 1",
            ),
            Ignore(
                id="private-key",
                reason="test key, never used",
                expires=dt.date(2026, 7, 1),
                source="f.toml entry 2",
            ),
        )

    def test_empty_file_has_no_entries(self) -> None:
        assert parse_ignores("", source="f.toml") == ()

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                '[[ignore]]\nid = "CVE-1"\nexpires = 2026-01-01\n',
                "f.toml entry 1 (id CVE-1): missing required 'reason'; every entry needs id, "
                "reason and expires = YYYY-MM-DD",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = ""\nexpires = 2026-01-01\n',
                "f.toml entry 1 (id CVE-1): missing required 'reason'",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "   "\nexpires = 2026-01-01\n',
                "f.toml entry 1 (id CVE-1): 'reason' must be a non-empty string",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\n',
                "f.toml entry 1 (id CVE-1): missing required 'expires'",
            ),
            (
                '[[ignore]]\nreason = "r"\nexpires = 2026-01-01\n',
                "f.toml entry 1: missing required 'id'",
            ),
            (
                '[[ignore]]\nid = 7\nreason = "r"\nexpires = 2026-01-01\n',
                "f.toml entry 1: 'id' must be a non-empty string",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\nexpires = "31/12/2026"\n',
                "f.toml entry 1 (id CVE-1): 'expires' must be a date like 2026-12-31, "
                "not '31/12/2026'",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\nexpires = "2026-13-01"\n',
                "'expires' must be a date like 2026-12-31, not '2026-13-01'",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\nexpires = 2026-12-31T10:00:00\n',
                "'expires' must be a date like 2026-12-31",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\nexpires = 2026-12-31\npakage = "x"\n',
                "f.toml entry 1 (id CVE-1): unknown key(s) pakage",
            ),
            (
                '[[ignore]]\nid = "CVE-1"\nreason = "r"\nexpires = 2026-12-31\n'
                '[[ignore]]\nid = "CVE-2"\nexpires = 2026-12-31\n',
                "f.toml entry 2 (id CVE-2): missing required 'reason'",
            ),
            ("ignores = []\n", "f.toml: unknown key(s) ignores; the file holds only [[ignore]]"),
            ('ignore = "CVE-1"\n', "f.toml: `ignore` must be an array of tables"),
            ('ignore = ["CVE-1"]\n', "f.toml entry 1: not a table"),
            ("[[ignore]\n", "f.toml: not valid TOML"),
        ],
        ids=[
            "missing-reason",
            "empty-reason",
            "blank-reason",
            "missing-expires",
            "missing-id",
            "id-not-a-string",
            "date-wrong-format",
            "date-impossible",
            "datetime-not-date",
            "misspelt-key",
            "second-entry-bad",
            "unknown-top-level-key",
            "ignore-not-an-array",
            "entry-not-a-table",
            "bad-toml",
        ],
    )
    def test_invalid_entries_name_file_and_entry(self, text: str, message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            parse_ignores(text, source="f.toml")
        assert message in str(caught.value)
        assert "\n" not in str(caught.value)


class TestLoadIgnores:
    """The ignore file is optional."""

    def test_missing_file_means_no_exceptions(self, tmp_path: Path) -> None:
        assert load_ignores(tmp_path / "scan-ignore.toml") == ()

    def test_reads_the_file_and_names_it_in_errors(self, tmp_path: Path) -> None:
        path = tmp_path / "scan-ignore.toml"
        path.write_text('[[ignore]]\nid = "CVE-1"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match=f"^{re.escape(str(path))} entry 1 "):
            load_ignores(path)


@pytest.mark.parametrize(
    ("ref", "names"),
    [
        ("todo-backend", ("todo-backend",)),
        ("todo-backend:1.4.2", ("todo-backend:1.4.2", "todo-backend")),
        (
            "localhost:5000/team/todo-backend:1.4.2",
            (
                "localhost:5000/team/todo-backend:1.4.2",
                "localhost:5000/team/todo-backend",
                "todo-backend",
            ),
        ),
        (
            "localhost:5000/todo-backend@sha256:abc",
            (
                "localhost:5000/todo-backend@sha256:abc",
                "localhost:5000/todo-backend",
                "todo-backend",
            ),
        ),
        ("docker/backend/Dockerfile", ("docker/backend/Dockerfile", "Dockerfile")),
    ],
    ids=["bare", "tagged", "registry-port-tag", "digest", "dockerfile-path"],
)
def test_image_names_an_ignore_pattern_is_tried_on(ref: str, names: tuple[str, ...]) -> None:
    assert image_names(ref) == names
