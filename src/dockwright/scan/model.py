"""One normalised model for what every scanner reports.

Trivy's JSON and Docker Scout's SARIF are parsed into these values; the gate and
the renderers only ever see them.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["vulnerability", "secret", "misconfig"]
KINDS: tuple[Kind, ...] = ("vulnerability", "secret", "misconfig")


class Severity(enum.IntEnum):
    """Ordered severities: comparisons follow risk (`CRITICAL > HIGH`)."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def from_report(cls, text: str | None) -> Severity:
        """Map a scanner's label (any case) to ours; labels we do not know become UNKNOWN."""
        label = (text or "").strip().upper()
        return _ALIASES.get(label, cls.UNKNOWN)

    @classmethod
    def parse(cls, text: str) -> Severity:
        """A severity a person typed (`--fail-on high`); raises ValueError on anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls.descending())
            raise ValueError(f"unknown severity {text!r}; use one of {names}") from None

    @classmethod
    def descending(cls) -> tuple[Severity, ...]:
        """CRITICAL first: the order reports are printed in."""
        return tuple(sorted(cls, reverse=True))


# Scout says UNSPECIFIED, Grype-style feeds say NEGLIGIBLE, GitHub advisories MODERATE.
_ALIASES: dict[str, Severity] = {
    **{s.name: s for s in Severity},
    "UNSPECIFIED": Severity.UNKNOWN,
    "NEGLIGIBLE": Severity.LOW,
    "MODERATE": Severity.MEDIUM,
}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem in one image (or Dockerfile).

    `image` is what was scanned (an image reference or a Dockerfile path),
    `location` where inside it (a file, `file:line`, or the OS package database).
    """

    image: str
    id: str
    severity: Severity
    kind: Kind
    title: str = ""
    package: str = ""
    installed: str = ""
    fixed: str = ""
    url: str = ""
    location: str = ""


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    """What one scanner found in one image; `ran=False` means no verdict exists.

    A result that did not run carries a `reason` and no findings: it must never
    be shown or counted as a clean scan.
    """

    image: str
    scanner: str
    scanner_version: str = ""
    kinds: tuple[Kind, ...] = ()
    findings: tuple[Finding, ...] = ()
    ran: bool = True
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.ran and self.findings:
            raise ValueError("a scan that did not run cannot have findings")
        if not self.ran and not self.reason:
            raise ValueError("a scan that did not run needs a reason")

    @classmethod
    def not_run(cls, *, image: str, scanner: str, reason: str) -> ScanResult:
        """A placeholder for an image that could not be scanned, with the reason why."""
        return cls(image=image, scanner=scanner, ran=False, reason=reason)

    def counts(self) -> dict[Severity, int]:
        """Findings per severity, every severity present (zeros included), CRITICAL first."""
        tally = Counter(f.severity for f in self.findings)
        return {s: tally[s] for s in Severity.descending()}


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then by id, package and location so output is stable."""
    return tuple(
        sorted(findings, key=lambda f: (-f.severity, f.image, f.id, f.package, f.location))
    )


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 finding`, `2 findings`; `many` for irregular plurals (`entry`/`entries`)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
