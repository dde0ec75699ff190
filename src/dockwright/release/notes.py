"""Release notes from commit messages, as git-cliff and release-please write them:
conventional commits (`feat(api)!: ...`) grouped under Keep a Changelog headings,
merged with what people wrote under `## [Unreleased]`.

https://www.conventionalcommits.org/en/v1.0.0/
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# type -> Keep a Changelog heading, in the order the headings are written.
GROUPS = {
    "feat": "Added",
    "fix": "Fixed",
    "perf": "Changed",
    "refactor": "Changed",
    "revert": "Changed",
    "security": "Security",
    "deprecate": "Deprecated",
    "remove": "Removed",
    "docs": "Documentation",
    "build": "Maintenance",
    "chore": "Maintenance",
    "ci": "Maintenance",
    "style": "Maintenance",
    "test": "Maintenance",
}
ORDER = (
    "Added",
    "Changed",
    "Deprecated",
    "Removed",
    "Fixed",
    "Security",
    "Documentation",
    "Maintenance",
    "Other",
)
_SUBJECT = re.compile(
    r"(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s+(?P<text>\S.*)"
)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:\s*(?P<text>.+)", re.MULTILINE)
_HEADING = re.compile(r"###\s+(?P<name>.+?)\s*")
# Commits a release makes itself: never a note.
_OWN = re.compile(r"Release \d+\.\d+\.\d+\S*")


@dataclass(frozen=True, kw_only=True)
class Note:
    group: str
    text: str
    scope: str = ""
    breaking: bool = False
    sha: str = ""

    def line(self) -> str:
        scope = f"**{self.scope}:** " if self.scope else ""
        breaking = "**Breaking:** " if self.breaking else ""
        short = f" ({self.sha[:7]})" if self.sha else ""
        return f"- {breaking}{scope}{self.text}{short}"


def note_of(subject: str, body: str = "", sha: str = "") -> Note | None:
    """The note for one commit; None for the release commits dockwright makes."""
    subject = subject.strip()
    if _OWN.fullmatch(subject):
        return None
    match = _SUBJECT.fullmatch(subject)
    breaking = bool(_BREAKING.search(body))
    if match is None:
        return Note(group="Other", text=subject, breaking=breaking, sha=sha)
    group = GROUPS.get(match["type"].lower(), "Other")
    text = match["text"].strip()
    if group == "Other":  # an unknown type keeps its word: `wip: ...` stays readable
        text = subject
    return Note(
        group=group,
        text=text,
        scope=(match["scope"] or "").strip(),
        breaking=breaking or bool(match["bang"]),
        sha=sha,
    )


def grouped(notes: Iterable[Note]) -> dict[str, list[str]]:
    """Lines per heading, headings in Keep a Changelog order, commits oldest first
    (breaking changes first within their heading)."""
    found: dict[str, list[Note]] = {}
    for note in notes:
        found.setdefault(note.group, []).append(note)
    return {
        name: [n.line() for n in sorted(found[name], key=lambda n: not n.breaking)]
        for name in ORDER
        if name in found
    }


def merge(written: list[str], generated: dict[str, list[str]]) -> list[str]:
    """Hand-written entries first, as they are; each generated line goes under the
    heading of the same name (made when missing), unless that heading already says
    the same thing (a person described the commit in their own words)."""
    sections: dict[str, list[str]] = {}
    preamble: list[str] = []
    current: list[str] = preamble
    for line in written:
        heading = _HEADING.fullmatch(line)
        if heading:
            current = sections.setdefault(heading["name"], [])
        else:
            current.append(line)
    for name, lines in generated.items():
        have = "\n".join(sections.get(name, [])).lower()
        new = [line for line in lines if _text_of(line).lower() not in have]
        if new:
            existing = sections.setdefault(name, [])
            while existing and not existing[-1].strip():
                existing.pop()
            existing.extend(new)
    out = trim_blank(preamble)
    for name, lines in sections.items():
        body = trim_blank(lines)
        if body:
            out += ["", f"### {name}", "", *body] if out else [f"### {name}", "", *body]
    return out


def _text_of(line: str) -> str:
    """A generated line's own words: no bullet, markers, scope or short sha."""
    text = line.removeprefix("- ").replace("**Breaking:** ", "")
    text = re.sub(r"^\*\*[^*]+:\*\* ", "", text)
    return re.sub(r" \([0-9a-f]{7}\)$", "", text)


def trim_blank(lines: list[str]) -> list[str]:
    """`lines` without the blank lines at either end."""
    begin, end = 0, len(lines)
    while begin < end and not lines[begin].strip():
        begin += 1
    while end > begin and not lines[end - 1].strip():
        end -= 1
    return lines[begin:end]
