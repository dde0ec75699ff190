"""The report page: the build table, the policy verdicts, the scan findings, the SBOM
package counts and a chart of each image's size across its releases against its
budget, in one HTML file that fetches nothing (inline CSS and SVG, and a
Content-Security-Policy that forbids every fetch), so it opens the same from a CI
artifact, a mail attachment or a laptop without network.

Pure: the data comes in as the JSON documents the commands left in build/ (read by
`flows/report.py`), every value is escaped on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import semver

MB = 1_000_000
TOP_FINDINGS = 20  # per image; the rest are counted
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta, .hint { color: #59636e; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #eaeef2;
         vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; }
.PASS, .ok { color: #1a7f37; font-weight: 600; }
.FAIL, .FAILED, .CRITICAL, .HIGH { color: #cf222e; font-weight: 600; }
.WARN, .WAIVED, .MEDIUM { color: #9a6700; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 11px system-ui, sans-serif; fill: #59636e; }
svg .line { fill: none; stroke: #0969da; stroke-width: 2; }
svg .point { fill: #0969da; }
svg .point.over { fill: #cf222e; }
svg .budget { stroke: #cf222e; stroke-dasharray: 6 4; }
svg .axis { stroke: #d0d7de; }
"""


@dataclass(frozen=True, kw_only=True)
class Point:
    version: str
    size: int  # bytes
    exact: bool = True  # from a release record; False: from the CHANGELOG (0.1 MB)


@dataclass(frozen=True, kw_only=True)
class SizeHistory:
    service: str
    budget: int  # bytes
    points: tuple[Point, ...]


@dataclass(frozen=True, kw_only=True)
class Source:
    """One input of the page: where it was read from, or how to make it."""

    what: str
    path: str
    found: bool
    hint: str = ""  # the command that makes it, when it is missing


@dataclass(frozen=True, kw_only=True)
class Page:
    project: str
    revision: str
    generated: str  # UTC, ISO 8601
    build: Mapping[str, Any] | None  # build/report.json
    policy: Mapping[str, Any] | None  # build/policy.json
    scan: Mapping[str, Any] | None  # build/scan.json
    sboms: Mapping[str, Mapping[str, int]]  # service -> packages by kind
    sizes: tuple[SizeHistory, ...]
    sources: tuple[Source, ...]


def _version_key(version: str) -> tuple[int, semver.Version | str]:
    try:
        return (0, semver.Version.parse(version))
    except ValueError:
        return (1, version)


def size_history(
    budgets: Mapping[str, int],
    records: Mapping[str, Mapping[str, int]],
    changelog: Mapping[str, Mapping[str, int]],
) -> tuple[SizeHistory, ...]:
    """Each service's size per release, oldest first: the release records' exact bytes
    (version -> service -> bytes), else the CHANGELOG's `### Images` lines."""
    versions = sorted(set(records) | set(changelog), key=_version_key)
    histories = []
    for service, budget in budgets.items():
        points = []
        for version in versions:
            if size := records.get(version, {}).get(service):
                points.append(Point(version=version, size=size))
            elif size := changelog.get(version, {}).get(service):
                points.append(Point(version=version, size=size, exact=False))
        histories.append(SizeHistory(service=service, budget=budget, points=tuple(points)))
    return tuple(histories)


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def chart(history: SizeHistory, *, width: int = 520, height: int = 220) -> str:
    """An inline SVG: one point per release, the line through them, the budget dashed."""
    left, right, top, bottom = 64, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max([history.budget, *(p.size for p in history.points)]) or 1
    ceiling = largest * 1.1

    def y(size: int) -> float:
        return top + plot_h * (1 - size / ceiling)

    n = len(history.points)
    xs = [left + (plot_w * (i + 0.5) / n) for i in range(n)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" data-service="{escape(history.service)}" '
        f'aria-label="{escape(history.service)}: image size per release against its budget">',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
        f'y2="{top + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
    ]
    for fraction in (0, 0.5, 1):
        size = int(ceiling * fraction)
        parts.append(
            f'<text x="{left - 6}" y="{y(size) + 4:.1f}" text-anchor="end">{_mb(size)}</text>'
        )
    if history.budget:
        by = y(history.budget)
        parts.append(
            f'<line class="budget" x1="{left}" y1="{by:.1f}" x2="{width - right}" '
            f'y2="{by:.1f}" data-bytes="{history.budget}"/>'
            f'<text x="{width - right}" y="{by - 5:.1f}" text-anchor="end">'
            f"budget {history.budget / MB:g} MB</text>"
        )
    if n > 1:
        path = " ".join(f"{x:.1f},{y(p.size):.1f}" for x, p in zip(xs, history.points, strict=True))
        parts.append(f'<polyline class="line" points="{path}"/>')
    for x, p in zip(xs, history.points, strict=True):
        over = " over" if history.budget and p.size > history.budget else ""
        approx = "" if p.exact else " (from the CHANGELOG)"
        parts.append(
            f'<circle class="point{over}" cx="{x:.1f}" cy="{y(p.size):.1f}" r="4" '
            f'data-version="{escape(p.version)}" data-bytes="{p.size}">'
            f"<title>{escape(p.version)}: {_mb(p.size)}{approx}</title></circle>"
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(p.version)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(text: str) -> str:
    return f'<span class="{escape(text.replace(" ", "-"))}">{escape(text)}</span>'


def _code(text: str) -> str:
    """Escaped text with `backticked` words as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _missing(page: Page, what: str) -> str:
    hints = [
        f"{_code(s.path)} is missing ({_code(s.hint)})"
        for s in page.sources
        if s.what == what and not s.found
    ]
    return f'<p class="hint">Nothing yet: {"; ".join(hints)}.</p>'


def _build_section(page: Page) -> str:
    if not page.build:
        return _missing(page, "build")
    b = page.build
    rows = []
    for s in b.get("services", []):
        status = "FAILED" if not s.get("ok") else ("up to date" if s.get("up_to_date") else "ok")
        rows.append(
            [
                escape(str(s.get("service", ""))),
                _status(status),
                f"<code>{escape(str(s.get('image', '')))}</code>",
                _mb(int(s.get("size") or 0)) if s.get("size") else "-",
                f"{float(s.get('seconds') or 0):.1f}s",
                f"{s.get('cache_hits', 0)}/{s.get('steps', 0)}",
                f"<code>{escape(str(s.get('digest') or s.get('image_id') or '')[:19])}</code>",
            ]
        )
    title = f"<p class='meta'>target {escape(str(b.get('target', '')))}, "
    title += f"platform {escape(str(b.get('platform', '')))}</p>"
    headers = ("service", "status", "image", "size", "time", "cache hits", "digest")
    return title + _table(headers, rows, {3, 4, 5})


def _policy_section(page: Page) -> str:
    if not page.policy:
        return _missing(page, "policy")
    results = dict(page.policy.get("results") or {})
    images = dict(page.policy.get("images") or {})
    parts = [f"<p class='meta'>checked {escape(str(page.policy.get('checked', '')))}</p>"]
    compose = results.pop("@compose", [])
    if compose:
        rows = [
            [
                escape(str(f.get("rule", ""))),
                _status(str(f.get("status", ""))),
                escape(str(f.get("where", ""))),
                escape(str(f.get("message", ""))),
            ]
            for f in compose
        ]
        parts += [
            "<h3>compose files</h3>",
            _table(("rule", "status", "where", "finding"), rows, set()),
        ]
    for service, verdicts in results.items():
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[str(v.get("status"))] = counts.get(str(v.get("status")), 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        rows = [
            [
                escape(str(v.get("rule", ""))),
                _status(str(v.get("status", ""))),
                escape(str(v.get("measured", "")))
                + (f" (waived: {escape(str(v['waived']))})" if v.get("waived") else ""),
                escape(str(v.get("expected", ""))),
            ]
            for v in verdicts
        ]
        image = escape(str(images.get(service, "")))
        parts.append(
            f"<h3>{escape(service)} <code>{image}</code> <span class='meta'>{summary}</span></h3>"
        )
        parts.append(_table(("rule", "status", "measured", "expected"), rows, set()))
    return "".join(parts)


def _scan_section(page: Page) -> str:
    if not page.scan:
        return _missing(page, "scan")
    parts = []
    gate = page.scan.get("gate") or {}
    if gate.get("summary"):
        verdict = _status("PASS" if gate.get("passed") else "FAIL")
        parts.append(f"<p>{verdict} {escape(str(gate['summary']))}</p>")
    for result in page.scan.get("results", []):
        image = escape(str(result.get("image", "")))
        scanner = escape(f"{result.get('scanner', '')} {result.get('scanner_version', '')}".strip())
        kinds = escape(", ".join(result.get("kinds") or []))
        parts.append(f"<h3><code>{image}</code> <span class='meta'>{scanner}: {kinds}</span></h3>")
        if not result.get("ran"):
            parts.append(
                f"<p class='hint'>not scanned: {escape(str(result.get('reason', '')))}</p>"
            )
            continue
        counts = result.get("counts") or {}
        found = ", ".join(f"{_status(k)} {n}" for k, n in counts.items() if n) or "no findings"
        parts.append(f"<p>{found}</p>")
        findings = list(result.get("findings") or [])
        if findings:
            rows = [
                [
                    _status(str(f.get("severity", ""))),
                    escape(str(f.get("id", ""))),
                    escape(str(f.get("kind", ""))),
                    escape(
                        " ".join(str(f.get(k) or "") for k in ("package", "installed")).strip()
                        or str(f.get("location") or "")
                    ),
                    escape(str(f.get("title", ""))),
                ]
                for f in findings[:TOP_FINDINGS]
            ]
            parts.append(
                _table(("severity", "id", "kind", "package or file", "title"), rows, set())
            )
            if len(findings) > TOP_FINDINGS:
                parts.append(f"<p class='hint'>and {len(findings) - TOP_FINDINGS} more</p>")
    return "".join(parts)


def _sbom_section(page: Page) -> str:
    if not page.sboms:
        return _missing(page, "sbom")
    rows = [
        [
            escape(service),
            str(sum(counts.values())),
            escape(", ".join(f"{kind} {n}" for kind, n in counts.items()) or "none"),
        ]
        for service, counts in page.sboms.items()
    ]
    return _table(("service", "packages", "by kind"), rows, {1})


def _sizes_section(page: Page) -> str:
    shown = [h for h in page.sizes if h.points]
    if not shown:
        return _missing(page, "releases")
    figures = "".join(
        f"<figure><figcaption>{escape(h.service)}</figcaption>{chart(h)}</figure>" for h in shown
    )
    return f'<div class="charts">{figures}</div>'


def render(page: Page) -> str:
    """The whole page."""
    sources = _table(
        ("part", "read from", "found"),
        (
            [
                escape(s.what),
                f"<code>{escape(s.path)}</code>",
                "yes" if s.found else _code(f"no: {s.hint}"),
            ]
            for s in page.sources
        ),
        set(),
    )
    sections = [
        ("Build", _build_section(page)),
        ("Policy", _policy_section(page)),
        ("Scan", _scan_section(page)),
        ("Packages (SBOM)", _sbom_section(page)),
        ("Image size per release", _sizes_section(page)),
        ("Sources", sources),
    ]
    body = "".join(f"<section><h2>{title}</h2>{html}</section>" for title, html in sections)
    title = f"dockwright report: {escape(page.project)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1>"
        f'<p class="meta">revision <code>{escape(page.revision)}</code>, '
        f"written {escape(page.generated)}</p>"
        f"{body}</body></html>\n"
    )
