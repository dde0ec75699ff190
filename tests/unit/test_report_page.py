"""The report page (pure): size history from records and the CHANGELOG, the SVG chart,
escaping, and a page that can fetch nothing. The page in a real Chromium:
tests/engine/test_report.py."""

from __future__ import annotations

from html.parser import HTMLParser

from dockwright.release.changelog import image_sizes
from dockwright.report import Page, Point, SizeHistory, Source, render, size_history
from dockwright.report.page import chart

MB = 1_000_000
CHANGELOG = """\
# Changelog

## [Unreleased]

### Images

- backend 999.0 MB (not released yet)

## [0.10.0] - 2026-11-30

### Fixed
- backend 1.0 MB is not an image line: not under ### Images

### Images

- backend 140.0 MB (+2.3 MB since 0.3.0; budget 150 MB)
- frontend 189.9 MB (budget 200 MB)

## [0.3.0] - 2026-11-01

### Images

- backend 137.7 MB

## [0.2.0] - 2026-10-01

### Added
- The app.
"""


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def page(**changes: object) -> Page:
    base = {
        "project": "shop",
        "revision": "abc1234",
        "generated": "2026-12-01T12:00:00+00:00",
        "build": None,
        "policy": None,
        "scan": None,
        "sboms": {},
        "sizes": (),
        "sources": (),
    }
    return Page(**{**base, **changes})  # type: ignore[arg-type]


def test_the_changelog_sizes_are_read_per_released_version() -> None:
    assert image_sizes(CHANGELOG) == {
        "0.10.0": {"backend": 140_000_000, "frontend": 189_900_000},
        "0.3.0": {"backend": 137_700_000},
    }


def test_history_prefers_the_records_exact_bytes_and_orders_versions_as_semver() -> None:
    records = {"0.3.0": {"backend": 137_654_321}, "0.2.0": {"backend": 120_000_001}}
    [backend, frontend] = size_history(
        {"backend": 150 * MB, "frontend": 200 * MB}, records, image_sizes(CHANGELOG)
    )
    assert backend == SizeHistory(
        service="backend",
        budget=150 * MB,
        points=(
            Point(version="0.2.0", size=120_000_001),
            Point(version="0.3.0", size=137_654_321),
            Point(version="0.10.0", size=140_000_000, exact=False),
        ),
    )
    assert frontend.points == (Point(version="0.10.0", size=189_900_000, exact=False),)


def test_the_chart_has_one_point_per_release_where_its_size_is() -> None:
    one = SizeHistory(
        service="api", budget=100 * MB, points=(Point(version="1.0.0", size=50 * MB),)
    )
    svg = chart(one)
    found = tags(svg)
    [circle] = [a for t, a in found if t == "circle"]
    # Plot: x 64..504, y 16..176; the axis tops at 110 % of the budget (110 MB).
    assert (circle["cx"], circle["cy"]) == ("284.0", "103.3")  # 16 + 160 * (1 - 50/110)
    assert (circle["data-version"], circle["data-bytes"], circle["class"]) == (
        "1.0.0",
        str(50 * MB),
        "point",
    )
    [budget] = [a for t, a in found if t == "line" and a.get("class") == "budget"]
    assert budget["y1"] == budget["y2"] == "30.5"  # 16 + 160 * (1 - 100/110)
    assert not [t for t, _ in found if t == "polyline"]  # one point: no line

    three = SizeHistory(
        service="api",
        budget=100 * MB,
        points=tuple(Point(version=f"1.{i}.0", size=s * MB) for i, s in enumerate((60, 90, 120))),
    )
    circles = [a for t, a in tags(chart(three)) if t == "circle"]
    assert [c["data-version"] for c in circles] == ["1.0.0", "1.1.0", "1.2.0"]
    assert [c["class"] for c in circles] == ["point", "point", "point over"]  # 120 > 100 MB
    assert float(circles[0]["cy"]) > float(circles[1]["cy"]) > float(circles[2]["cy"])


def test_every_value_is_escaped() -> None:
    policy = {
        "checked": "now",
        "images": {"api": "shop/api:<1>"},
        "results": {
            "api": [
                {
                    "rule": "hadolint",
                    "status": "FAIL",
                    "measured": "<script>alert(1)</script>",
                    "expected": "a & b",
                }
            ]
        },
    }
    html = render(page(policy=policy))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "shop/api:&lt;1&gt;" in html and "a &amp; b" in html


def test_the_page_can_fetch_nothing() -> None:
    history = SizeHistory(service="api", budget=100 * MB, points=(Point(version="1.0.0", size=1),))
    html = render(page(sizes=(history,), sboms={"api": {"deb": 3, "pypi": 2}}))
    found = tags(html)
    [csp] = [a for t, a in found if t == "meta" and a.get("http-equiv")]
    assert csp["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    # No script, no stylesheet link, no image, no frame; the only link is the empty icon.
    assert {t for t, _ in found} & {"script", "img", "iframe", "object", "embed"} == set()
    assert [(t, a.get("href")) for t, a in found if "href" in a or "src" in a] == [
        ("link", "data:,")
    ]


def test_a_missing_part_says_which_command_makes_it() -> None:
    sources = (
        Source(what="scan", path="build/scan.json", found=False, hint="`invoke scan` writes it"),
    )
    html = render(page(sources=sources))
    assert "Nothing yet: build/scan.json is missing (<code>invoke scan</code> writes it)." in html
