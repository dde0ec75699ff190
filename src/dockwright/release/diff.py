"""What changed between two builds of a service's image: its size (and the budget),
the layers added and removed, its base images, and the packages added, removed or
upgraded according to the two SBOMs. Pure: the images' facts come from
`flows.diff`, which reads them from the engine and the registry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dockwright.scan.sbom import Package

MB = 1_000_000


def megabytes(size: int, *, sign: bool = False) -> str:
    """Sizes the way `docker image ls` shows them (decimal MB), one decimal."""
    return f"{size / MB:{'+' if sign else ''}.1f} MB"


def size_line(service: str, size: int, before: int | None, since: str, budget: int | None) -> str:
    """`backend 138.1 MB (+2.3 MB since 0.2.0; budget 150 MB)`; without `before` (no
    earlier size known) the change is left out."""
    parts = [f"{megabytes(size - before, sign=True)} since {since}"] if before is not None else []
    if budget:
        parts.append(f"budget {budget / MB:g} MB")
    return f"{service} {megabytes(size)}" + (f" ({'; '.join(parts)})" if parts else "")


@dataclass(frozen=True, kw_only=True)
class Layer:
    id: str  # the uncompressed diff ID (sha256:...)
    size: int  # bytes, -1 when the engine could not say
    created_by: str = ""


@dataclass(frozen=True, kw_only=True)
class Side:
    """One image as compared: the reference asked for, the image, its facts."""

    ref: str
    image_id: str
    size: int
    layers: tuple[Layer, ...]
    packages: tuple[Package, ...] | None = None  # None: no SBOM
    bases: dict[str, str] = field(default_factory=dict)  # base -> image ID it was built on


@dataclass(frozen=True, kw_only=True)
class ServiceDiff:
    service: str
    old: Side
    new: Side
    budget: int | None
    added: tuple[Layer, ...]
    removed: tuple[Layer, ...]
    packages_added: tuple[Package, ...]
    packages_removed: tuple[Package, ...]
    upgraded: tuple[tuple[Package, Package], ...]
    bases: tuple[tuple[str, str, str], ...]  # (base, old ID, new ID) that differ

    @property
    def delta(self) -> int:
        return self.new.size - self.old.size

    def size_line(self, since: str) -> str:
        """`backend 138.1 MB (+2.3 MB since 0.2.0; budget 150 MB)`."""
        return size_line(self.service, self.new.size, self.old.size, since, self.budget)

    def as_dict(self) -> dict[str, Any]:
        def layer(item: Layer) -> dict[str, Any]:
            return {"id": item.id, "size": item.size, "created_by": item.created_by}

        def package(p: Package) -> dict[str, str]:
            return {"name": p.name, "version": p.version, "type": p.kind}

        return {
            "service": self.service,
            "old": {"ref": self.old.ref, "image_id": self.old.image_id, "size": self.old.size},
            "new": {"ref": self.new.ref, "image_id": self.new.image_id, "size": self.new.size},
            "size_delta": self.delta,
            "budget": self.budget,
            "layers_added": [layer(x) for x in self.added],
            "layers_removed": [layer(x) for x in self.removed],
            "packages": None
            if self.old.packages is None or self.new.packages is None
            else {
                "added": [package(p) for p in self.packages_added],
                "removed": [package(p) for p in self.packages_removed],
                "upgraded": [
                    {"name": a.name, "type": a.kind, "from": a.version, "to": b.version}
                    for a, b in self.upgraded
                ],
            },
            "bases": [{"base": b, "old": o, "new": n} for b, o, n in self.bases],
        }


# Instructions that change only an image's config: their history entries have no layer.
_METADATA = {
    "ARG", "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
}  # fmt: skip


def _makes_layer(created_by: str) -> bool:
    text = created_by.strip()
    if text.startswith("/bin/sh -c #(nop)"):  # the classic builder's metadata form
        text = text.removeprefix("/bin/sh -c #(nop)").strip()
    word = text.split(" ", 1)[0].upper() if text else ""
    return word not in _METADATA


def layers(diff_ids: list[str], history: list[tuple[int, str]]) -> tuple[Layer, ...]:
    """An image's layers (diff IDs, oldest first) with the size and instruction of the
    history entry that made each. History entries of instructions that change only
    the config have no layer; when the rest do not pair off with the layers one to
    one, sizes are unknown (-1) rather than guessed."""
    makers = [(size, by) for size, by in history if _makes_layer(by)]
    if len(makers) != len(diff_ids):
        return tuple(Layer(id=i, size=-1) for i in diff_ids)
    return tuple(
        Layer(id=i, size=size, created_by=by)
        for i, (size, by) in zip(diff_ids, makers, strict=True)
    )


def _layers_only_in(these: tuple[Layer, ...], others: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """`these` less `others`, as multisets of layer IDs (a layer twice counts twice)."""
    left = Counter(x.id for x in others)
    found = []
    for x in these:
        if left[x.id]:
            left[x.id] -= 1
        else:
            found.append(x)
    return tuple(found)


def compare(service: str, old: Side, new: Side, budget: int | None = None) -> ServiceDiff:
    """The changes from `old` to `new`. Packages are matched by type and name; one
    whose version differs is upgraded (or downgraded: the versions say which)."""
    added: tuple[Package, ...] = ()
    removed: tuple[Package, ...] = ()
    upgraded: tuple[tuple[Package, Package], ...] = ()
    if old.packages is not None and new.packages is not None:
        before = {(p.kind, p.name): p for p in old.packages}
        after = {(p.kind, p.name): p for p in new.packages}
        added = tuple(after[k] for k in sorted(after.keys() - before.keys()))
        removed = tuple(before[k] for k in sorted(before.keys() - after.keys()))
        upgraded = tuple(
            (before[k], after[k])
            for k in sorted(before.keys() & after.keys())
            if before[k].version != after[k].version
        )
    bases = tuple(
        (base, old.bases.get(base, ""), new.bases.get(base, ""))
        for base in sorted(old.bases.keys() | new.bases.keys())
        if old.bases.get(base) != new.bases.get(base)
    )
    return ServiceDiff(
        service=service,
        old=old,
        new=new,
        budget=budget,
        added=_layers_only_in(new.layers, old.layers),
        removed=_layers_only_in(old.layers, new.layers),
        packages_added=added,
        packages_removed=removed,
        upgraded=upgraded,
        bases=bases,
    )


def _layer_text(x: Layer) -> str:
    size = megabytes(x.size) if x.size >= 0 else "size unknown"
    what = " ".join(x.created_by.split())
    what = what if len(what) <= 70 else what[:67] + "..."
    return f"{x.id[7:19]} {size} {what}".rstrip()


def detail_lines(d: ServiceDiff) -> list[str]:
    """The changes of one service, a line each (for the table's notes and markdown)."""
    lines = [f"+ layer {_layer_text(x)}" for x in d.added]
    lines += [f"- layer {_layer_text(x)}" for x in d.removed]
    lines += [f"base {b}: {o[7:19] or '?'} -> {n[7:19] or '?'}" for b, o, n in d.bases]
    lines += [f"+ {p.kind} {p.name} {p.version}" for p in d.packages_added]
    lines += [f"- {p.kind} {p.name} {p.version}" for p in d.packages_removed]
    lines += [f"~ {a.kind} {a.name} {a.version} -> {b.version}" for a, b in d.upgraded]
    if d.old.packages is None or d.new.packages is None:
        lines.append("packages: not compared (no SBOM for one side)")
    return lines


def markdown(diffs: list[ServiceDiff], old: str, new: str) -> str:
    """The comparison as GitHub-flavoured markdown (a table, then each service's changes)."""
    out = [
        f"### Images: {old} -> {new}",
        "",
        "| service | size | change | budget | layers | packages |",
        "|---|---|---|---|---|---|",
    ]
    for d in diffs:
        packages = (
            "not compared"
            if d.old.packages is None or d.new.packages is None
            else f"+{len(d.packages_added)} -{len(d.packages_removed)} ~{len(d.upgraded)}"
        )
        out.append(
            f"| {d.service} | {megabytes(d.new.size)} | {megabytes(d.delta, sign=True)} | "
            f"{f'{d.budget / MB:g} MB' if d.budget else '-'} | "
            f"+{len(d.added)} -{len(d.removed)} | {packages} |"
        )
    for d in diffs:
        lines = detail_lines(d)
        if lines:
            out += ["", f"**{d.service}**", "", *(f"- `{line}`" for line in lines)]
    return "\n".join(out) + "\n"
