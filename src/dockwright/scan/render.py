"""Scan reports for people (table, Markdown) and machines (JSON, SARIF 2.1.0).

Every function returns a string; the task layer decides where it goes. An
image whose scan did not run is always shown as "NOT SCANNED", never as clean.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from dockwright import __version__
from dockwright.scan.gate import GateVerdict, Ignore, IgnoredFinding
from dockwright.scan.model import Finding, ScanResult, Severity, plural, sort_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# GitHub code scanning reads `security-severity` (0-10) to rank alerts; these sit
# in the middle of its critical/high/medium/low bands.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.UNKNOWN: "note",
}
_TITLE_WIDTH = 60


# --- table ---------------------------------------------------------------------------


def render_table(results: Sequence[ScanResult], verdict: GateVerdict | None = None) -> str:
    """Plain-text report: per image a count line, then findings grouped by severity.

    With a verdict, findings are marked BLOCKING or ignored and the gate's
    decision, ignored findings and expired ignore entries follow.
    """
    lines: list[str] = []
    for result in results:
        lines.append(_headline(result))
        if result.ran and result.findings:
            lines += _finding_lines(result.findings, verdict)
    if verdict is not None:
        lines += _gate_lines(verdict)
    return "\n".join(lines) + "\n"


def _finding_lines(findings: Sequence[Finding], verdict: GateVerdict | None) -> list[str]:
    ordered = sort_findings(findings)
    rows = [_row(f, _status(f, verdict)) for f in ordered]
    # Drop columns no finding fills (secrets have no package, for instance).
    filled = [i for i in range(len(rows[0])) if any(row[i] for row in rows)]
    rows = [tuple(row[i] for i in filled) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(filled))]
    lines = []
    for severity in Severity.descending():
        group = [row for f, row in zip(ordered, rows, strict=True) if f.severity is severity]
        if group:
            lines.append(f"  {severity.name} ({len(group)})")
            for row in group:
                cells = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                lines.append(f"    {cells}".rstrip())
    return lines


def _status(finding: Finding, verdict: GateVerdict | None) -> str:
    if verdict is None:
        return ""
    if finding in verdict.blocking:
        return "BLOCKING"
    entry = next((i.entry for i in verdict.ignored if i.finding == finding), None)
    return f"ignored until {entry.expires}" if entry else ""


def _headline(result: ScanResult) -> str:
    scanner = " ".join(filter(None, [result.scanner, result.scanner_version]))
    kinds = f" ({', '.join(result.kinds)})" if result.kinds else ""
    if not result.ran:
        return f"{result.image} — {scanner}{kinds}: NOT SCANNED: {result.reason}"
    counts = result.counts()
    per = " · ".join(f"{s.name} {n}" for s, n in counts.items())
    return f"{result.image} — {scanner}{kinds}: {plural(len(result.findings), 'finding')}  {per}"


def _row(finding: Finding, status: str) -> tuple[str, ...]:
    package = finding.package
    if finding.installed:
        package += f" {finding.installed}"
    if finding.package:
        package += f" → {finding.fixed or 'no fix'}"
    title = _clip(finding.title, _TITLE_WIDTH)
    # An OS package's "location" is trivy's target ("app:1 (debian 13.8)"): noise here.
    location = finding.location
    if finding.kind == "vulnerability" and " (" in location and not location.startswith("/"):
        location = ""
    return (finding.id, package, title, location, status)


def _gate_lines(verdict: GateVerdict) -> list[str]:
    lines = [""]
    if verdict.ignored:
        lines.append(f"Ignored ({len(verdict.ignored)}):")
        lines += [f"  {_ignored_line(i)}" for i in verdict.ignored]
    if verdict.expired:
        lines.append(f"Expired ignore entries ({len(verdict.expired)}), no longer applied:")
        lines += [f"  {_expired_line(e)}" for e in verdict.expired]
    lines.append(verdict.summary())
    return lines


def _ignored_line(item: IgnoredFinding) -> str:
    f, entry = item.finding, item.entry
    where = f" in {f.package}" if f.package else ""
    return f"{f.id}{where} ({f.image}): {entry.reason} — until {entry.expires}"


def _expired_line(entry: Ignore) -> str:
    return f"{entry.id} ({entry.source}) expired {entry.expires}: {entry.reason}"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- JSON ----------------------------------------------------------------------------


def render_json(results: Sequence[ScanResult], verdict: GateVerdict | None = None) -> str:
    """The normalised model as JSON (severities by name), plus the verdict when given."""
    document: dict[str, Any] = {"results": [_result_dict(r) for r in results]}
    if verdict is not None:
        document["gate"] = {
            "passed": verdict.passed,
            "fail_on": verdict.fail_on.name if verdict.fail_on is not None else None,
            "summary": verdict.summary(),
            "blocking": [_finding_dict(f) for f in verdict.blocking],
            "ignored": [
                {"finding": _finding_dict(i.finding), "entry": _ignore_dict(i.entry)}
                for i in verdict.ignored
            ],
            "expired": [_ignore_dict(e) for e in verdict.expired],
            "unscanned": list(verdict.unscanned),
        }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _result_dict(result: ScanResult) -> dict[str, Any]:
    return {
        "image": result.image,
        "scanner": result.scanner,
        "scanner_version": result.scanner_version,
        "kinds": list(result.kinds),
        "ran": result.ran,
        "reason": result.reason,
        # No counts for a scan that did not run: zeros would read as "clean".
        "counts": {s.name: n for s, n in result.counts().items()} if result.ran else None,
        "findings": [_finding_dict(f) for f in sort_findings(result.findings)],
    }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {**dataclasses.asdict(finding), "severity": finding.severity.name}


def _ignore_dict(entry: Ignore) -> dict[str, Any]:
    return {**dataclasses.asdict(entry), "expires": entry.expires.isoformat()}


# --- Markdown ------------------------------------------------------------------------


def render_markdown(results: Sequence[ScanResult], verdict: GateVerdict | None = None) -> str:
    """A summary table per image and a findings table per image, e.g. for a PR comment."""
    names = [s.name.capitalize() for s in Severity.descending()]
    lines = [
        "## Image scan",
        "",
        f"| Image | Scanner | {' | '.join(names)} |",
        "|" + "---|" * (2 + len(names)),
    ]
    for r in results:
        scanner = _md(" ".join(filter(None, [r.scanner, r.scanner_version])))
        if r.ran:
            counts = " | ".join(str(n) for n in r.counts().values())
            lines.append(f"| `{_md(r.image)}` | {scanner} | {counts} |")
        else:
            cells = " | ".join([f"**not scanned**: {_md(r.reason)}"] + [""] * (len(names) - 1))
            lines.append(f"| `{_md(r.image)}` | {scanner} | {cells} |")
    for r in results:
        if r.ran and r.findings:
            lines += ["", f"### `{_md(r.image)}`", ""]
            lines += [
                "| Severity | ID | Package | Installed | Fixed | Title | Location |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [_md_row(f) for f in sort_findings(r.findings)]
    if verdict is not None:
        lines += ["", f"**{'✅' if verdict.passed else '❌'} {_md(verdict.summary())}**"]
        for item in verdict.ignored:
            lines.append(f"- ignored: {_md(_ignored_line(item))}")
        for entry in verdict.expired:
            lines.append(f"- expired ignore: {_md(_expired_line(entry))}")
    return "\n".join(lines) + "\n"


def _md_row(f: Finding) -> str:
    ident = f"[{_md(f.id)}]({f.url})" if f.url else _md(f.id)
    cells = [f.severity.name, ident, _md(f.package), _md(f.installed), _md(f.fixed)]
    cells += [_md(_clip(f.title, _TITLE_WIDTH)), _md(f.location)]
    return "| " + " | ".join(cells) + " |"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# --- SARIF ---------------------------------------------------------------------------


def render_sarif(results: Sequence[ScanResult]) -> str:
    """SARIF 2.1.0 with one run, for GitHub code scanning (`upload-sarif`).

    One run only: GitHub refuses several runs of the same tool and category in
    one upload. Images that were not scanned appear as failed tool executions.
    """
    findings = [f for r in results for f in sort_findings(r.findings)]
    rule_ids = list(dict.fromkeys(f.id for f in findings))
    first = {rid: next(f for f in findings if f.id == rid) for rid in rule_ids}
    not_run = [r for r in results if not r.ran]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dockwright",
                "version": __version__,
                "rules": [_rule(first[rid]) for rid in rule_ids],
            }
        },
        "results": [_sarif_result(f, rule_ids.index(f.id)) for f in findings],
        "invocations": [
            {
                "executionSuccessful": not not_run,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": f"{r.image}: not scanned: {r.reason}"}}
                    for r in not_run
                ],
            }
        ],
        "properties": {
            "scanners": sorted({f"{r.scanner} {r.scanner_version}".strip() for r in results}),
        },
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule(f: Finding) -> dict[str, Any]:
    title = f.title or f.id
    rule: dict[str, Any] = {
        "id": f.id,
        "name": _rule_name(f),
        "shortDescription": {"text": _clip(title, 120)},
        "fullDescription": {"text": title},
        "help": {"text": "\n".join(filter(None, [title, f.url]))},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"tags": ["security", f.kind, f.severity.name], "precision": "very-high"},
    }
    if f.url:
        rule["helpUri"] = f.url
    if f.severity in _SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = _SECURITY_SEVERITY[f.severity]
    return rule


def _rule_name(f: Finding) -> str:
    words = {"vulnerability": "PackageVulnerability", "secret": "Secret", "misconfig": "Misconfig"}
    return words[f.kind]


def _sarif_result(f: Finding, rule_index: int) -> dict[str, Any]:
    uri, line = _artifact(f)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line:
        physical["region"] = {"startLine": line}
    fingerprint = hashlib.sha256(
        "\0".join([f.image, f.id, f.package, f.installed, f.location]).encode()
    ).hexdigest()
    return {
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": physical}],
        # Image findings share artifact paths across images; keep them apart.
        "partialFingerprints": {"dockwright/v1": fingerprint},
    }


def _message(f: Finding) -> str:
    parts = [f"{f.severity.name} {f.id}: {f.title or f.id}", f"image: {f.image}"]
    if f.package:
        parts.append(f"package: {f.package} {f.installed}".rstrip())
        parts.append(f"fixed in: {f.fixed or 'no fix yet'}")
    if f.location:
        parts.append(f"location: {f.location}")
    return "\n".join(parts)


_LINE_SUFFIX = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")


def _artifact(f: Finding) -> tuple[str, int | None]:
    """A URI and line for a finding: the file when there is one, else the image's name."""
    location = f.location.split(" (+", 1)[0]  # Scout: "path (+N more)"
    line: int | None = None
    match = _LINE_SUFFIX.match(location)
    if match:
        location, line = match["path"], int(match["line"])
    if not location or " " in location:  # e.g. trivy's "image (debian 13.8)" OS target
        return _image_path(f.image), None
    return location.lstrip("/"), line


def _image_path(ref: str) -> str:
    """`localhost:5000/team/app:1.2` → `team/app`: no registry host or tag, which would
    read as a URI scheme or port."""
    bare = ref.split("@", 1)[0]
    parts = bare.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    return "/".join(parts)
