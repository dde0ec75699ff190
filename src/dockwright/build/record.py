"""Build results for people and machines: table, report.json, GitHub outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.table import Table

from dockwright.build.progress import BakeProgress
from dockwright.errors import ConfigError


def human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size else "-"


def live_table(progress: BakeProgress, now: float) -> Table:
    """One line per service while building: state, step, elapsed."""
    table = Table(box=None, show_header=False, pad_edge=False)
    for tp in progress.targets.values():
        colour = {"failed": "red", "done": "green"}.get(tp.state, "yellow")
        table.add_row(
            f"[bold]{tp.name}[/]",
            f"[{colour}]{tp.state}[/]",
            tp.step or "-",
            f"{tp.elapsed(now):5.1f}s",
        )
    return table


def result_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"build ({result['target']}, {result['platform']})")
    for col in ("service", "status", "image", "size", "time", "cache hits", "digest"):
        table.add_column(col)
    for s in result["services"]:
        table.add_row(
            s["service"],
            ("[green]up to date[/]" if s.get("up_to_date") else "[green]ok[/]")
            if s["ok"]
            else "[red]FAILED[/]",
            s["image"],
            human_size(s["size"]),
            f"{s['seconds']:.1f}s",
            f"{s['cache_hits']}/{s['steps']}",
            (s["digest"] or s["image_id"])[:19],
        )
    return table


def _status(s: dict[str, Any]) -> str:
    if not s["ok"]:
        return "FAILED"
    return "up to date" if s.get("up_to_date") else "ok"


def markdown_summary(result: dict[str, Any]) -> str:
    lines = [
        f"### dockwright build ({result['target']}, {result['platform']})",
        "",
        "| service | status | image | size | time | cache hits | digest |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in result["services"]:
        lines.append(
            f"| {s['service']} | {_status(s)} | `{s['image']}` | "
            f"{human_size(s['size'])} | {s['seconds']:.1f}s | {s['cache_hits']}/{s['steps']} | "
            f"`{(s['digest'] or s['image_id'])[:19]}` |"
        )
    for s in result["services"]:
        if not s["ok"]:
            lines += ["", f"<details><summary>{s['service']}: last log lines</summary>", ""]
            lines += ["```", *s["log_tail"], "```", "</details>"]
    return "\n".join(lines) + "\n"


def github_outputs(result: dict[str, Any], version: str) -> list[str]:
    """`name=value` lines for $GITHUB_OUTPUT: image refs, digests, version."""
    out = [f"version={version}"]
    images = {s["service"]: s["image"] for s in result["services"] if s["ok"]}
    out.append(f"images={json.dumps(images, separators=(',', ':'))}")
    for s in result["services"]:
        key = s["service"].replace(".", "-")
        out.append(f"{key}-image={s['image']}")
        out.append(f"{key}-digest={s['digest'] or s['image_id']}")
    return out


def write_reports(result: dict[str, Any], report_path: Path, version: str) -> list[Path]:
    """Write build/report.json, and GitHub's step outputs and summary when set."""
    written = []
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(result, indent=2) + "\n")
    written.append(report_path)
    if path := os.environ.get("GITHUB_OUTPUT"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(github_outputs(result, version)) + "\n")
        written.append(Path(path))
    if path := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown_summary(result))
        written.append(Path(path))
    return written


def report_path(root: Path) -> Path:
    """Where `build` leaves its report: the one place that names build/report.json."""
    return root / "build" / "report.json"


def read_report(root: Path) -> dict[str, Any]:
    """The last build's report as `write_reports` wrote it; {} when nothing was built
    yet; ConfigError (not a traceback, not a silent guess) when it cannot be read."""
    path = report_path(root)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} is not a build report dockwright can read; run `invoke build` again"
        )
    return data


def last_build_tag(root: Path) -> str:
    """The first tag of the last build: what `push` publishes by default."""
    try:
        report = read_report(root)
    except ConfigError as exc:
        raise ConfigError(f"{exc} or pass --tag") from None
    if not report:
        raise ConfigError("nothing built yet; run `invoke build` first or pass --tag")
    try:
        first = report["services"][0]["tags"][0]
        if not isinstance(first, str) or not first:
            raise TypeError(first)
    except (KeyError, IndexError, TypeError):
        raise ConfigError(
            f"{report_path(root)} is not a build report dockwright can read; run `invoke build` "
            "again or pass --tag"
        ) from None
    return first.rsplit(":", 1)[1] if ":" in first.rsplit("/", 1)[-1] else "latest"
