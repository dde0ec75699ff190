"""Follow BuildKit's plain progress output, per bake target.

Plain progress numbers each vertex (`#7 [backend runtime 3/6] RUN ...`) and
reports on it by number (`#7 CACHED`, `#7 DONE 1.2s`, `#7 ERROR: ...`,
`#7 0.512 output`). Bake prefixes each vertex name with its target, which is
how a line is attributed to a service. Pure: fed lines and clock readings.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

VERTEX = re.compile(r"^#(\d+) \[([^\]]+)\] (.*)$")
STATUS = re.compile(r"^#(\d+) (CACHED|DONE [\d.]+s|ERROR:? ?.*|CANCELED)\s*$")
OUTPUT = re.compile(r"^#(\d+) [\d.]+ (.*)$")
TARGET_ERROR = re.compile(r"^ERROR: target ([\w.-]+): (.*)$")
STEP = re.compile(r"(\d+)/(\d+)$")
LOG_LINES = 200


@dataclass
class TargetProgress:
    name: str
    state: str = "waiting"  # waiting | building | done | failed
    step: str = ""
    started: float | None = None
    finished: float | None = None
    cached: int = 0
    steps: int = 0
    error: str = ""
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.finished if self.finished is not None else now) - self.started


class BakeProgress:
    """State of every target of one bake, updated line by line."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = {t: TargetProgress(t) for t in targets}
        self._owner: dict[str, str] = {}

    def _target_of(self, bracket: str) -> str | None:
        # A bake of a single target does not prefix vertex names with it
        # (`#7 [base 2/2] RUN ...`): every vertex is that target's.
        if len(self.targets) == 1:
            return next(iter(self.targets))
        first = bracket.split(" ", 1)[0]
        return first if first in self.targets else None

    def feed(self, line: str, now: float) -> None:
        line = line.rstrip("\n")
        if m := TARGET_ERROR.match(line):
            tp = self.targets.get(m.group(1))
            if tp is not None:
                tp.state, tp.error, tp.finished = "failed", m.group(2), now
                tp.log.append(line)
            return
        if m := VERTEX.match(line):
            vid, bracket, text = m.groups()
            target = self._target_of(bracket)
            if target is None:
                return
            self._owner[vid] = target
            tp = self.targets[target]
            if tp.started is None:
                tp.started = now
            if tp.state == "waiting":
                tp.state = "building"
            step = STEP.search(bracket)
            if step:
                tp.step = f"{step.group(1)}/{step.group(2)} {text[:60]}"
            tp.log.append(line)
            return
        vid_match = STATUS.match(line) or OUTPUT.match(line)
        if vid_match is None:
            return
        target = self._owner.get(vid_match.group(1))
        if target is None:
            return
        tp = self.targets[target]
        tp.log.append(line)
        if vid_match.re is not STATUS:
            return  # a step's own output (`#6 0.255 DONE 1.5s`), not a status
        status = vid_match.group(2)
        if status == "CACHED":
            tp.cached += 1
            tp.steps += 1
        elif status.startswith("DONE"):
            tp.steps += 1
        elif status.startswith("ERROR"):
            tp.state, tp.finished = "failed", now
            tp.error = tp.error or status.removeprefix("ERROR:").strip()

    def finish(self, now: float, *, success: bool) -> None:
        """Close the targets still open when bake returned."""
        for tp in self.targets.values():
            if tp.state in ("waiting", "building"):
                tp.state = "done" if success else "interrupted"
                tp.finished = now
                if tp.started is None:
                    tp.started = now

    def failed(self) -> list[str]:
        return [t for t, tp in self.targets.items() if tp.state == "failed"]
