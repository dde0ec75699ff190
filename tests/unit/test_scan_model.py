"""The normalised scan model: ordered severities and results that say whether they ran."""

from __future__ import annotations

import pytest

from dockwright.scan.model import Finding, ScanResult, Severity, sort_findings


def finding(fid: str, severity: Severity, image: str = "app:1") -> Finding:
    return Finding(image=image, id=fid, severity=severity, kind="vulnerability")


class TestSeverity:
    """Severities compare by risk and read any scanner's label."""

    def test_orders_by_risk(self) -> None:
        assert Severity.UNKNOWN < Severity.LOW < Severity.MEDIUM < Severity.HIGH
        assert Severity.HIGH < Severity.CRITICAL
        assert Severity.descending()[0] is Severity.CRITICAL

    @pytest.mark.parametrize(
        ("label", "expected"),
        [
            ("CRITICAL", Severity.CRITICAL),
            ("high", Severity.HIGH),
            (" Medium ", Severity.MEDIUM),
            ("MODERATE", Severity.MEDIUM),
            ("NEGLIGIBLE", Severity.LOW),
            ("UNSPECIFIED", Severity.UNKNOWN),
            ("", Severity.UNKNOWN),
            (None, Severity.UNKNOWN),
            ("bogus", Severity.UNKNOWN),
        ],
        ids=lambda v: repr(v),
    )
    def test_from_report_maps_scanner_labels(self, label: str | None, expected: Severity) -> None:
        assert Severity.from_report(label) is expected

    def test_parse_accepts_names_in_any_case(self) -> None:
        assert Severity.parse("High") is Severity.HIGH

    def test_parse_rejects_unknown_words_listing_the_choices(self) -> None:
        with pytest.raises(ValueError, match="critical, high, medium, low, unknown"):
            Severity.parse("severe")


class TestScanResult:
    """A result that did not run has a reason and never any findings."""

    def test_not_run_needs_a_reason(self) -> None:
        with pytest.raises(ValueError, match="reason"):
            ScanResult(image="a", scanner="trivy", ran=False)

    def test_not_run_cannot_carry_findings(self) -> None:
        with pytest.raises(ValueError, match="cannot have findings"):
            ScanResult(
                image="a",
                scanner="trivy",
                ran=False,
                reason="x",
                findings=(finding("CVE-1", Severity.LOW),),
            )

    def test_counts_lists_every_severity_most_severe_first(self) -> None:
        result = ScanResult(
            image="a",
            scanner="trivy",
            findings=(finding("CVE-1", Severity.LOW), finding("CVE-2", Severity.LOW)),
        )
        assert list(result.counts().items()) == [
            (Severity.CRITICAL, 0),
            (Severity.HIGH, 0),
            (Severity.MEDIUM, 0),
            (Severity.LOW, 2),
            (Severity.UNKNOWN, 0),
        ]


def test_sort_findings_puts_the_most_severe_first_then_sorts_by_id() -> None:
    found = [finding("B", Severity.LOW), finding("Z", Severity.HIGH), finding("A", Severity.LOW)]
    assert [f.id for f in sort_findings(found)] == ["Z", "A", "B"]
