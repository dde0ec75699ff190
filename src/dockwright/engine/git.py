"""What the build and release need from git: sha, dirty state, remote, tags, commits."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dockwright.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class GitState:
    sha: str
    dirty: bool
    source: str
    branch: str
    committed: str = ""  # ISO 8601 commit time of HEAD

    @property
    def short(self) -> str:
        return self.sha[:7]


def _git(root: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise ConfigError(f"git {' '.join(args)} failed in {root}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def strip_credentials(url: str) -> str:
    """`https://user:token@host/x.git` -> `https://host/x.git` (never leak a token in a label)."""
    return re.sub(r"^(\w[\w+.-]*://)[^/@]*@", r"\1", url)


def state(root: Path) -> GitState:
    """The commit being built. A repository without commits is an error with a fix."""
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False) != "true":
        raise ConfigError(f"{root} is not a git work tree; run `git init` and commit once")
    sha = _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False)
    if not sha:
        raise ConfigError(f"{root} has no commits yet; commit once so images get a revision")
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    remote = _git(root, "remote", "get-url", "origin", check=False)
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD", check=False)
    # Without a remote, the work tree itself is the source (the label must not be empty).
    source = strip_credentials(remote) if remote else f"file://{root.resolve()}"
    committed = _git(root, "show", "-s", "--format=%cI", "HEAD", check=False)
    return GitState(sha=sha, dirty=dirty, source=source, branch=branch, committed=committed)


def identity_problem(root: Path) -> str | None:
    """Why git cannot make a commit here (no user.name/user.email), or None."""
    for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        proc = subprocess.run(["git", "var", var], cwd=root, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            return lines[-1] if lines else f"git var {var} failed"
    return None


def head(root: Path) -> str:
    return _git(root, "rev-parse", "--verify", "HEAD")


def commit_and_tag(root: Path, paths: list[str], message: str, tag: str) -> None:
    """Commit `paths` and put annotated `tag` on that commit: both, or neither.

    When the tag cannot be made, the commit is undone (`reset --mixed` to where
    HEAD was: the work tree keeps the edited files for the caller to restore).
    """
    before = head(root)
    _git(root, "add", "--", *paths)
    try:
        _git(root, "commit", "-q", "-m", message, "--", *paths)
    except ConfigError:
        _git(root, "reset", "-q", "--", *paths, check=False)
        raise
    made = head(root)
    try:
        _git(root, "tag", "-a", tag, "-m", message)
    except ConfigError:
        if head(root) == made:
            _git(root, "reset", "-q", "--mixed", before)
        raise


def tag_exists(root: Path, tag: str) -> bool:
    return bool(_git(root, "tag", "--list", tag, check=False))


def version_tags(root: Path) -> list[str]:
    """`v*` tags, newest first by version order."""
    out = _git(root, "tag", "--list", "v*", "--sort=-v:refname", check=False)
    return [t for t in out.splitlines() if t]


@dataclass(frozen=True, kw_only=True)
class Commit:
    sha: str
    subject: str
    body: str = ""


def last_version_tag(root: Path) -> str | None:
    """The nearest `vX.Y.Z` tag reachable from HEAD (what the last release tagged)."""
    out = _git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", check=False)
    return out or None


def commits_since(root: Path, tag: str | None) -> list[Commit]:
    """Commits after `tag` up to HEAD (all of them without a tag), oldest first,
    merge commits left out."""
    span = f"{tag}..HEAD" if tag else "HEAD"
    # \x01/\x02 as separators: git's usual \x1e/\x1f count as whitespace for str.strip.
    out = _git(root, "log", "--no-merges", "--reverse", "--format=%H%x01%s%x01%b%x02", span)
    commits = []
    for record in out.split("\x02"):
        fields = record.strip("\n").split("\x01")
        if len(fields) == 3 and fields[0].strip():
            sha, subject, body = fields
            commits.append(Commit(sha=sha.strip(), subject=subject.strip(), body=body.strip()))
    return commits


def changed_paths(root: Path, old: str, new: str = "HEAD") -> list[str] | None:
    """The paths that differ between two commits (renames as two paths); None when
    `old` is not a commit of this repository (a record from another clone, say)."""
    if not _git(root, "rev-parse", "--verify", "-q", f"{old}^{{commit}}", check=False):
        return None
    out = _git(root, "diff", "--name-only", "--no-renames", old, new)
    return [line for line in out.splitlines() if line]


def git_dir(root: Path) -> Path:
    """The repository's git folder (`.git`, or elsewhere for a worktree)."""
    return (root / _git(root, "rev-parse", "--git-dir")).resolve()


def listed_files(root: Path, *patterns: str) -> list[str] | None:
    """Files git tracks or would track (ignored ones left out) matching `patterns`;
    None when git cannot say (no git, not a repository)."""
    argv = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns]
    try:
        proc = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    except OSError:  # no git on PATH
        return None
    return proc.stdout.splitlines() if proc.returncode == 0 else None
