"""release.diff: comparing two images of a service, by hand-made facts."""

from __future__ import annotations

from dockwright.release.diff import (
    Layer,
    Side,
    compare,
    detail_lines,
    layers,
    markdown,
    size_line,
)
from dockwright.scan.sbom import Package

BASE = Layer(id="sha256:" + "b" * 64, size=112_568_707, created_by="")
DEPS = Layer(id="sha256:" + "d" * 64, size=19_475_665, created_by="COPY /opt/venv /opt/venv")
APP1 = Layer(id="sha256:" + "1" * 64, size=57_208, created_by="COPY /app /app")
APP2 = Layer(id="sha256:" + "2" * 64, size=2_357_208, created_by="COPY /app /app")


def pkg(name: str, version: str, kind: str = "pypi") -> Package:
    return Package(name=name, version=version, kind=kind)


def side(ref: str, app: Layer, packages: tuple[Package, ...] | None, size: int) -> Side:
    return Side(
        ref=ref,
        image_id="sha256:" + ref.replace(".", "") * 10,
        size=size,
        layers=(BASE, DEPS, app),
        packages=packages,
        bases={"python:3.13-slim": "sha256:" + "e" * 64},
    )


OLD = side(
    "0.2.0",
    APP1,
    (pkg("fastapi", "0.110.0"), pkg("leftpad", "1.0"), pkg("zlib", "1", "deb")),
    135_800_000,
)
NEW = side(
    "0.3.0",
    APP2,
    (pkg("fastapi", "0.111.0"), pkg("httpx", "0.28.1"), pkg("zlib", "1", "deb")),
    138_100_000,
)


def test_the_changed_layer_the_package_changes_and_the_size_delta() -> None:
    d = compare("backend", OLD, NEW, budget=150_000_000)
    assert d.added == (APP2,) and d.removed == (APP1,)
    assert d.packages_added == (pkg("httpx", "0.28.1"),)
    assert d.packages_removed == (pkg("leftpad", "1.0"),)
    assert d.upgraded == ((pkg("fastapi", "0.110.0"), pkg("fastapi", "0.111.0")),)
    assert d.delta == 2_300_000
    assert d.bases == ()
    assert d.size_line("0.2.0") == "backend 138.1 MB (+2.3 MB since 0.2.0; budget 150 MB)"
    assert detail_lines(d) == [
        f"+ layer {'2' * 12} 2.4 MB COPY /app /app",
        f"- layer {'1' * 12} 0.1 MB COPY /app /app",
        "+ pypi httpx 0.28.1",
        "- pypi leftpad 1.0",
        "~ pypi fastapi 0.110.0 -> 0.111.0",
    ]
    data = d.as_dict()
    assert data["size_delta"] == 2_300_000 and data["budget"] == 150_000_000
    assert data["packages"]["upgraded"] == [
        {"name": "fastapi", "type": "pypi", "from": "0.110.0", "to": "0.111.0"}
    ]


def test_a_shrinking_image_a_moved_base_and_no_sbom_on_one_side() -> None:
    moved = Side(
        ref="0.4.0", image_id="x", size=130_000_000, layers=(BASE,), packages=None,
        bases={"python:3.13-slim": "sha256:" + "f" * 64},
    )  # fmt: skip
    d = compare("backend", NEW, moved)
    assert d.size_line("0.3.0") == "backend 130.0 MB (-8.1 MB since 0.3.0)"
    assert d.bases == (("python:3.13-slim", "sha256:" + "e" * 64, "sha256:" + "f" * 64),)
    assert d.as_dict()["packages"] is None
    assert "packages: not compared (no SBOM for one side)" in detail_lines(d)
    assert f"base python:3.13-slim: {'e' * 12} -> {'f' * 12}" in detail_lines(d)


def test_identical_images_have_nothing_to_say() -> None:
    d = compare("backend", OLD, OLD)
    assert (d.added, d.removed, d.packages_added, d.upgraded, d.delta) == ((), (), (), (), 0)
    assert detail_lines(d) == []


def test_a_layer_twice_counts_twice() -> None:
    twice = Side(ref="a", image_id="a", size=1, layers=(BASE, APP1, APP1))
    once = Side(ref="b", image_id="b", size=1, layers=(BASE, APP1))
    assert compare("x", once, twice).added == (APP1,)
    assert compare("x", twice, once).removed == (APP1,)


def test_layers_pair_with_the_history_entries_that_made_them() -> None:
    history = [
        (112_568_707, ""),
        (0, '/bin/sh -c #(nop)  CMD ["python3"]'),
        (4300, "RUN /bin/sh -c groupadd --system app # buildkit"),
        (0, "ENV PATH=/opt/venv/bin"),
        (0, "WORKDIR /app"),
        (57_208, "COPY /app/todo_api/ /app/todo_api/ # buildkit"),
        (0, "USER 1001:1001"),
    ]
    ids = [f"sha256:{c * 64}" for c in "abcd"]
    found = layers(ids, history)
    assert [(x.size, x.created_by.split(" ")[0]) for x in found] == [
        (112_568_707, ""),
        (4300, "RUN"),
        (0, "WORKDIR"),
        (57_208, "COPY"),
    ]
    # History that does not pair off: sizes unknown rather than wrong.
    assert [x.size for x in layers(ids[:3], history)] == [-1, -1, -1]


def test_markdown_has_a_row_per_service_and_the_changes() -> None:
    text = markdown([compare("backend", OLD, NEW, budget=150_000_000)], "0.2.0", "0.3.0")
    assert "### Images: 0.2.0 -> 0.3.0" in text
    assert "| backend | 138.1 MB | +2.3 MB | 150 MB | +1 -1 | +1 -1 ~1 |" in text
    assert "- `~ pypi fastapi 0.110.0 -> 0.111.0`" in text


def test_a_size_line_without_an_earlier_size_or_a_budget() -> None:
    assert (
        size_line("web", 189_500_000, None, "0.1.0", 200_000_000) == "web 189.5 MB (budget 200 MB)"
    )
    assert size_line("web", 189_500_000, 190_000_000, "0.1.0", None) == (
        "web 189.5 MB (-0.5 MB since 0.1.0)"
    )
    assert size_line("web", 189_500_000, None, "0.1.0", None) == "web 189.5 MB"
