"""A build context's ignore file: where BuildKit finds it, its patterns, and what they
leave out of the context (matched by docker's own port of moby's matcher)."""

from __future__ import annotations

from pathlib import Path

_GLOB = set("*?[]\\")


def find(context: Path, dockerfile: Path) -> Path | None:
    """`<Dockerfile>.dockerignore` next to the Dockerfile, else `<context>/.dockerignore`."""
    for candidate in (
        dockerfile.with_name(dockerfile.name + ".dockerignore"),
        context / ".dockerignore",
    ):
        if candidate.is_file():
            return candidate
    return None


def patterns(text: str) -> tuple[str, ...]:
    """An ignore file's patterns (blank lines and comments left out)."""
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def read(context: Path, dockerfile: Path) -> tuple[str, ...]:
    path = find(context, dockerfile)
    return patterns(path.read_text(encoding="utf-8")) if path else ()


def excludes(rules: tuple[str, ...], path: str) -> bool:
    """Whether `path` (context-relative, `/`-separated) is left out of the context:
    the last matching line decides, `*` stays within one folder level."""
    if not rules:
        return False
    from docker.utils.build import PatternMatcher  # only when asked: it costs 0.15 s

    return bool(PatternMatcher(list(rules)).matches(path))


def pruned(rules: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """Folders a walk of the context may skip, as (names anywhere, context-relative
    paths): plain `name`, `/name`, `a/b` and `**/name` lines, and only when no line
    makes an exception (`!`), so nothing under them can reach the build."""
    if any(rule.startswith("!") for rule in rules):
        return frozenset(), frozenset()
    names, paths = set(), set()
    for rule in rules:
        clean = rule.strip("/")
        anywhere = clean.startswith("**/")
        clean = clean.removeprefix("**/")
        if not clean or _GLOB & set(clean) or clean in (".", ".."):
            continue
        if anywhere and "/" not in clean:
            names.add(clean)
        elif not anywhere:
            paths.add(clean)
    return frozenset(names), frozenset(paths)
