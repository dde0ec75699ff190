#!/usr/bin/env python3
"""Build benchmark on the reference stack, measured side by side in one run.

Compares, with the median of N rounds (order rotated each round):
- cold build of all services: `invoke build --all` vs the same Dockerfiles
  built one after another with plain `docker build`, vs `docker buildx bake` run
  directly on an equivalent definition (the bake file dockwright writes);
- warm no-op rebuild (everything cached): dockwright vs raw bake;
- `invoke --list` wall time.

"Cold" means the BuildKit cache (layers and cache mounts) is pruned and the
images removed before each build; base images stay (they come from the local
mirror). Prints a table and writes JSON (default bench/results/build.json).

    .venv/bin/python bench/build_bench.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CA = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
PREFIX = "dwbench"


def run(cmd: list[str], **kw: object) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def definition() -> dict[str, dict[str, dict[str, object]]]:
    """The bake definition dockwright builds from the compose files (its --dry-run)."""
    proc = subprocess.run(
        [str(VENV_BIN / "invoke"), "build", "--all", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def bench_definition(defn: dict[str, dict[str, dict[str, object]]]) -> Path:
    """The same targets, tagged under our own names so runs don't share tags."""
    for name, target in defn["target"].items():
        target["tags"] = [f"{PREFIX}/bake-{name}:latest"]
    path = ROOT / "build" / "bench-bake.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(defn, indent=2))
    return path


def cold_reset() -> None:
    run(["docker", "builder", "prune", "-af"])
    images = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    doomed = [i for i in images if i.startswith((f"{PREFIX}/", "localhost:5000/dockwright-ref/"))]
    if doomed:
        run(["docker", "image", "rm", "-f", *doomed])


def dockwright_build() -> None:
    run([str(VENV_BIN / "invoke"), "build", "--all", "--no-check", "--json"])


def raw_bake(path: Path) -> Callable[[], None]:
    return lambda: run(["docker", "buildx", "bake", "--file", str(path), "--progress", "plain"])


def sequential(defn: dict[str, dict[str, dict[str, object]]]) -> Callable[[], None]:
    def go() -> None:
        for name, t in defn["target"].items():
            cmd = [
                "docker",
                "build",
                "--progress",
                "plain",
                "-f",
                str(t["dockerfile"]),
                "-t",
                f"{PREFIX}/seq-{name}:latest",
                "--secret",
                f"id=ca,src={CA}",
            ]
            if t.get("target"):
                cmd += ["--target", str(t["target"])]
            for k, v in dict(t.get("args") or {}).items():  # type: ignore[call-overload]
                cmd += ["--build-arg", f"{k}={v}"]
            run([*cmd, str(t["context"])])

    return go


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm-rounds", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "build.json"))
    args = ap.parse_args()

    defn = definition()
    bake_file = bench_definition(json.loads(json.dumps(defn)))
    methods: dict[str, Callable[[], None]] = {
        "dockwright": dockwright_build,
        "raw bake": raw_bake(bake_file),
        "sequential docker build": sequential(defn),
    }
    cold: dict[str, list[float]] = {m: [] for m in methods}
    order = list(methods)
    for i in range(args.rounds):
        for name in order[i % len(order) :] + order[: i % len(order)]:
            cold_reset()
            cold[name].append(timed(methods[name]))
            print(f"cold round {i + 1} {name}: {cold[name][-1]:.1f}s", file=sys.stderr)

    warm: dict[str, list[float]] = {"dockwright": [], "raw bake": []}
    dockwright_build()
    methods["raw bake"]()
    for i in range(args.warm_rounds):
        for name in ("dockwright", "raw bake") if i % 2 == 0 else ("raw bake", "dockwright"):
            warm[name].append(timed(methods[name]))

    listing = [
        timed(lambda: run([str(VENV_BIN / "invoke"), "--list"])) for _ in range(args.warm_rounds)
    ]

    med = {k: statistics.median(v) for k, v in cold.items()}
    wmed = {k: statistics.median(v) for k, v in warm.items()}
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rounds": args.rounds,
        "cold_seconds": cold,
        "cold_median": med,
        "cold_ratio_dockwright_vs_raw_bake": med["dockwright"] / med["raw bake"],
        "cold_ratio_dockwright_vs_sequential": med["dockwright"] / med["sequential docker build"],
        "warm_seconds": warm,
        "warm_median": wmed,
        "warm_ratio_dockwright_vs_raw_bake": wmed["dockwright"] / wmed["raw bake"],
        "invoke_list_seconds": listing,
        "invoke_list_median": statistics.median(listing),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"{'measurement':<44} {'median':>9} {'runs'}")
    for name, values in cold.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{'cold build, ' + name:<44} {med[name]:>8.1f}s  [{runs}]")
    for name, values in warm.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{'warm no-op, ' + name:<44} {wmed[name]:>8.2f}s  [{runs}]")
    print(f"{'invoke --list':<44} {result['invoke_list_median']:>8.2f}s")
    print(
        f"cold: dockwright / raw bake = {result['cold_ratio_dockwright_vs_raw_bake']:.3f}, "
        f"dockwright / sequential = {result['cold_ratio_dockwright_vs_sequential']:.3f}"
    )
    print(f"warm: dockwright / raw bake = {result['warm_ratio_dockwright_vs_raw_bake']:.2f}")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
