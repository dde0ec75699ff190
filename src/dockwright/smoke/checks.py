"""Checks of a running stack from outside: health answers, HTTP checks, prod hardening.

The verdicts (`*_problems`) are pure and unit-tested; the callers raise SmokeError
with the first line a person needs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dockwright.errors import SmokeError
from dockwright.smoke.settings import HttpCheck, expand

SEED_KEYS = frozenset({"status", "timestamp", "version", "uptime"})


def _iso8601(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def seed_problems(body: Any, version: str) -> list[str]:
    """The seed shape: status "healthy", ISO 8601 timestamp, version == VERSION,
    integer uptime >= 0, and no other key."""
    if not isinstance(body, dict):
        return [f"not a JSON object: {body!r}"]
    problems = []
    if set(body) != SEED_KEYS:
        problems.append(f"keys are {sorted(body)}, expected {sorted(SEED_KEYS)}")
    if body.get("status") != "healthy":
        problems.append(f"status is {body.get('status')!r}, expected 'healthy'")
    if not _iso8601(body.get("timestamp")):
        problems.append(f"timestamp {body.get('timestamp')!r} is not ISO 8601")
    if body.get("version") != version:
        problems.append(f"version is {body.get('version')!r}, expected {version!r}")
    uptime = body.get("uptime")
    if not isinstance(uptime, int) or isinstance(uptime, bool) or uptime < 0:
        problems.append(f"uptime {uptime!r} is not an integer >= 0")
    return problems


def health_problems(status: int, text: str, shape: str, version: str) -> list[str]:
    """What is wrong with a health answer (HTTP status and body) for `shape`."""
    if status != 200:
        return [f"HTTP {status}, expected 200"]
    if shape == "http-200":
        return []
    try:
        body = json.loads(text)
    except ValueError:
        return [f"not JSON: {text[:80]!r}"]
    if shape == "seed":
        return seed_problems(body, version)
    status_value = body.get("status") if isinstance(body, dict) else None
    if status_value not in ("healthy", "ok"):
        return [f"status is {status_value!r}, expected 'healthy' or 'ok'"]
    return []


def check_health(url: str, *, shape: str, version: str, within: float) -> float:
    """GET a health endpoint: the right shape within `within` seconds; returns the time."""
    import httpx  # here: `invoke --list` must not pay for importing it (~50 ms)

    started = time.monotonic()
    try:
        response = httpx.get(url, timeout=within)
    except httpx.HTTPError as exc:
        raise SmokeError(f"{url}: no answer within {within} s ({exc})") from exc
    elapsed = time.monotonic() - started
    problems = health_problems(response.status_code, response.text, shape, version)
    if problems:
        raise SmokeError(f"{url}: {'; '.join(problems)} (health_shape = {shape!r})")
    if elapsed > within:
        raise SmokeError(f"{url}: answered in {elapsed:.2f} s, more than {within} s")
    return elapsed


def http_problems(check: HttpCheck, status: int, text: str, contains: str) -> list[str]:
    problems = []
    if status != check.status:
        problems.append(f"HTTP {status}, expected {check.status}")
    if contains and contains not in text:
        problems.append(f"the answer does not contain {contains!r}")
    return problems


def run_http_check(
    check: HttpCheck, base: str, values: Mapping[str, str], where: str = "http"
) -> float:
    """One configured request; returns its time, raises SmokeError on a wrong answer."""
    import httpx

    url = base + expand(check.path, dict(values), f"{where}.path")
    body = expand(check.body, dict(values), f"{where}.body") if check.body else None
    contains = expand(check.contains, dict(values), f"{where}.contains")
    started = time.monotonic()
    try:
        response = httpx.request(check.method, url, content=body, timeout=check.within)
    except httpx.HTTPError as exc:
        raise SmokeError(f"{check.method} {url}: no answer within {check.within} s") from exc
    elapsed = time.monotonic() - started
    problems = http_problems(check, response.status_code, response.text, contains)
    if problems:
        raise SmokeError(f"{check.method} {url}: {'; '.join(problems)}")
    return elapsed


def hardening_problems(info: Mapping[str, Any], uids: list[int], uid: int | None) -> list[str]:
    """What a prod container lacks: non-root processes, read-only root fs,
    no-new-privileges, every capability dropped (and the declared UID, when
    x-dockwright names one)."""
    host = info["HostConfig"]
    problems = []
    if any(u == 0 for u in uids):
        problems.append(f"runs processes as root (uids {sorted(set(uids))})")
    user = (info["Config"].get("User") or "").split(":")[0]
    if uid is not None and (user.isdigit() or not user) and user != str(uid):
        problems.append(f"user is {user or 'root'!r}, expected {uid}")
    elif uid is not None and (others := sorted({u for u in uids if u != uid})):
        # A user name (`USER node`): what counts is the uid its processes run as.
        problems.append(f"user {user!r} runs processes as uids {others}, expected {uid}")
    if host.get("ReadonlyRootfs") is not True:
        problems.append("root filesystem is writable")
    options = host.get("SecurityOpt") or ()
    if not {"no-new-privileges", "no-new-privileges:true"} & set(options):
        problems.append("no-new-privileges is not set")
    if host.get("CapDrop") != ["ALL"]:
        problems.append(f"cap_drop is {host.get('CapDrop')}, expected [ALL]")
    return problems
