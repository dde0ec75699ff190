"""What the smoke does to a running stack from outside: HTTP, the browser, docker inspect.

Each function raises AssertionError with a one-line reason on failure.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HEALTH_KEYS = {"status", "timestamp", "version", "uptime"}
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium in a container without a user namespace or GPU, and no
# network beyond the stack: no sandbox, no background or update traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def health_problems(body: Any, version: str) -> list[str]:
    """What is wrong with a health answer against the seed shape; [] when nothing."""
    if not isinstance(body, dict):
        return [f"not a JSON object: {body!r}"]
    problems = []
    if set(body) != HEALTH_KEYS:
        problems.append(f"keys are {sorted(body)}, expected {sorted(HEALTH_KEYS)}")
    if body.get("status") != "healthy":
        problems.append(f"status is {body.get('status')!r}, expected 'healthy'")
    stamp = body.get("timestamp")
    try:
        assert isinstance(stamp, str)
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (AssertionError, ValueError):
        problems.append(f"timestamp {stamp!r} is not ISO 8601")
    if body.get("version") != version:
        problems.append(f"version is {body.get('version')!r}, expected {version!r}")
    uptime = body.get("uptime")
    if not isinstance(uptime, int) or isinstance(uptime, bool) or uptime < 0:
        problems.append(f"uptime {uptime!r} is not an integer >= 0")
    return problems


def check_health(url: str, version: str, *, within: float = 1.0) -> float:
    """GET a health endpoint; it must answer the seed shape within `within` seconds."""
    started = time.monotonic()
    response = httpx.get(url, timeout=within)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    problems = health_problems(response.json(), version)
    assert not problems, f"{url}: {'; '.join(problems)}"
    assert elapsed <= within, f"{url}: answered in {elapsed:.2f} s, more than {within} s"
    return elapsed


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/token", json={"username": username, "password": password}, timeout=5
    )
    assert response.status_code == 200, f"sign-in: HTTP {response.status_code} {response.text}"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def api_round_trip(base: str, username: str, password: str, tag: str) -> dict[str, Any]:
    """Sign in, create, list, update, delete through the frontend's /api proxy; then
    leave one todo behind (returned) for the restart check."""
    auth = sign_in(base, username, password)
    with httpx.Client(base_url=f"{base}/api", headers=auth, timeout=5) as api:
        created = api.post("/todos", json={"title": f"round trip {tag}"})
        assert created.status_code == 201, f"create: HTTP {created.status_code} {created.text}"
        todo = created.json()
        assert todo in api.get("/todos").json(), "list: the new todo is missing"
        updated = api.patch(f"/todos/{todo['id']}", json={"title": f"updated {tag}", "done": True})
        assert updated.status_code == 200, f"update: HTTP {updated.status_code}"
        assert (updated.json()["title"], updated.json()["done"]) == (f"updated {tag}", True)
        deleted = api.delete(f"/todos/{todo['id']}")
        assert deleted.status_code == 204, f"delete: HTTP {deleted.status_code}"
        gone = api.get(f"/todos/{todo['id']}")
        assert gone.status_code == 404, f"deleted todo still answers HTTP {gone.status_code}"
        kept = api.post("/todos", json={"title": f"survives restarts {tag}"})
        assert kept.status_code == 201, f"create: HTTP {kept.status_code}"
        return dict(kept.json())


def todos(base: str, username: str, password: str) -> list[dict[str, Any]]:
    auth = sign_in(base, username, password)
    response = httpx.get(f"{base}/api/todos", headers=auth, timeout=5)
    assert response.status_code == 200, f"list: HTTP {response.status_code}"
    return list(response.json())


def browser_add_todo(base: str, username: str, password: str, title: str, shot: Path) -> None:
    """Headless Chromium: sign in on the page, add a todo, see it listed; screenshot."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(base)
            page.fill("#username", username)
            page.fill("#password", password)
            page.click("#login")
            page.fill("#new-todo", title)
            page.click("#add")
            expect(page.locator("#todo-list")).to_contain_text(title)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out)[0])


def process_uids(container: str) -> list[int]:
    """Real UIDs of every process in the container (`docker top` takes ps options, and
    needs the pid column)."""
    out = subprocess.run(
        ["docker", "top", container, "-eo", "pid,uid"], capture_output=True, text=True, check=True
    ).stdout
    return [int(line.split()[1]) for line in out.splitlines()[1:] if line.strip()]


def hardening_problems(info: dict[str, Any], uids: list[int], uid: int | None) -> list[str]:
    """What a prod container lacks: non-root, read-only root fs, no-new-privileges,
    every capability dropped (and the declared UID, when x-dockwright names one)."""
    host = info["HostConfig"]
    problems = []
    if any(u == 0 for u in uids):
        problems.append(f"runs processes as root (uids {sorted(set(uids))})")
    user = info["Config"].get("User") or ""
    if uid is not None and user.split(":")[0] != str(uid):
        problems.append(f"user is {user or 'root'!r}, expected {uid}")
    if host.get("ReadonlyRootfs") is not True:
        problems.append("root filesystem is writable")
    options = host.get("SecurityOpt") or ()
    if not {"no-new-privileges", "no-new-privileges:true"} & set(options):
        problems.append("no-new-privileges is not set")
    if host.get("CapDrop") != ["ALL"]:
        problems.append(f"cap_drop is {host.get('CapDrop')}, expected [ALL]")
    return problems
