"""A declarative journey in a real Chromium, through playwright (imported lazily).

Which Chromium: `[tool.dockwright.smoke.browser] chromium`, else $DOCKWRIGHT_CHROMIUM,
else `chromium` on PATH (Debian's), else the one `playwright install chromium`
downloaded. When none is there, or playwright is not installed, the journey is
skipped with a reason naming what is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockwright.errors import SmokeError
from dockwright.smoke.settings import BrowserStep, expand

ENV_VARIABLE = "DOCKWRIGHT_CHROMIUM"
# Headless in a container or CI runner without a user namespace or GPU, and no
# network beyond the stack: no sandbox, no background or update traffic.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
)


@dataclass(frozen=True, kw_only=True)
class Chromium:
    """The browser to launch: an executable, or None for playwright's own download."""

    executable: str | None
    source: str


def _playwright_browser() -> str | None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        path = pw.chromium.executable_path
    return path if path and Path(path).is_file() else None


def find_chromium(setting: str, environ: Mapping[str, str]) -> Chromium | str:
    """The Chromium to use, or why the journey must be skipped (one line)."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright)"
    explicit = setting or environ.get(ENV_VARIABLE, "")
    source = "[tool.dockwright.smoke.browser] chromium" if setting else ENV_VARIABLE
    if explicit:
        path = shutil.which(explicit)
        if path is None:
            return f"no chromium binary at {explicit} (from {source})"
        return Chromium(executable=path, source=f"{path}, from {source}")
    on_path = shutil.which("chromium")
    if on_path:
        return Chromium(executable=on_path, source=on_path)
    if _playwright_browser():
        return Chromium(executable=None, source="playwright install chromium")
    return (
        f"no chromium binary (chromium on PATH, {ENV_VARIABLE}, or "
        "`python -m playwright install chromium`)"
    )


def run_journey(
    *,
    base: str,
    steps: tuple[BrowserStep, ...],
    values: Mapping[str, str],
    chromium: Chromium,
    artifacts: Path,
    timeout: float,
    where: str,
    on_message: Callable[[str], None] = lambda _m: None,
) -> list[Path]:
    """Run the steps in a headless Chromium against `base`; return the screenshots.

    A step that fails raises SmokeError naming it (`where[i]`), with a screenshot of
    the page as it was (`failed-*.png`) when one could be taken.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    shots: list[Path] = []
    known = dict(values)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium.executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(timeout * 1000)
            expect.set_options(timeout=timeout * 1000)
            for index, step in enumerate(steps):
                here = f"{where}[{index}]"
                shown = step.url or step.selector or step.path
                on_message(f"{here.rsplit('.', 1)[-1]} {step.action} {shown}")
                try:
                    shot = _act(page, step, base, known, artifacts, here)
                except (PlaywrightError, AssertionError) as exc:
                    failed = artifacts / f"failed-{where.rsplit('.', 1)[-1]}-{index}.png"
                    artifacts.mkdir(parents=True, exist_ok=True)
                    try:
                        page.screenshot(path=str(failed), full_page=True)
                        shots.append(failed)
                    except PlaywrightError:
                        pass
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise SmokeError(
                        f"{here} ({step.action} {step.selector or step.url or step.text!r}) "
                        f"failed: {first}; the page is in {failed}"
                    ) from exc
                if shot is not None:
                    shots.append(shot)
        finally:
            browser.close()
    return shots


def _act(
    page: object, step: BrowserStep, base: str, values: dict[str, str], artifacts: Path, here: str
) -> Path | None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    text = expand(step.text, values, f"{here}.text")
    if step.action == "goto":
        url = expand(step.url, values, f"{here}.url")
        page.goto(url if "://" in url else base + url)
    elif step.action == "fill":
        page.fill(step.selector, text)
    elif step.action == "click":
        page.click(step.selector)
    elif step.action == "wait_for":
        locator = page.locator(step.selector or "body")
        if text:
            expect(locator).to_contain_text(text)
        else:
            expect(locator.first).to_be_visible()
    elif step.action == "screenshot":
        artifacts.mkdir(parents=True, exist_ok=True)
        path = artifacts / expand(step.path, values, f"{here}.path")
        page.screenshot(path=str(path), full_page=True)
        return path
    return None
