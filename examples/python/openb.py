"""What the examples share: where the openb traces are, and a fragmentation experiment file
over them (the FGD study's setting: demand inflated to 130 % of GPU capacity, typical pods
covering 95 % of a list)."""

import os
import sys
import time
from pathlib import Path
from typing import Sequence

import fleetsim


def traces_folder() -> Path:
    """The openb traces: ../shared/traces beside the repository, or FLEETSIM_TRACES."""
    default = Path(__file__).resolve().parents[2] / ".." / "shared" / "traces"
    folder = Path(os.environ.get("FLEETSIM_TRACES", default)) / "alibaba-gpu-v2023"
    if not folder.is_dir():
        sys.exit(f"no openb traces in {folder}: set FLEETSIM_TRACES to the traces folder")
    return folder.resolve()


def experiment_file(
    file: Path,
    pod_lists: Sequence[str],
    policies: Sequence[str],
    seeds: Sequence[int] = (42, 43, 44),
) -> Path:
    """Writes a fragmentation experiment on the openb node list and the named pod lists
    (``default``, ``multigpu50``, ...) to ``file``."""
    traces = traces_folder()
    lists = ", ".join(str(traces / f"openb_pod_list_{name}.csv") for name in pod_lists)
    file.write_text(
        "experiment: fragmentation\n"
        f"nodes: {traces / 'openb_node_list_gpu_node.csv'}\n"
        f"pod_lists: [{lists}]\n"
        f"policies: [{', '.join(policies)}]\n"
        f"seeds: [{', '.join(map(str, seeds))}]\n"
        "target_pct: 130\n"
        "typical_coverage_pct: 95\n"
    )
    return file


def timed(experiment: Path, policy: str, out: Path):
    """Runs the experiment with one policy; the result and the wall time in seconds."""
    started = time.perf_counter()
    result = fleetsim.fragmentation(experiment, policies=[policy], out=out, progress=False)
    return result, time.perf_counter() - started


CURVES = ["seed", "arrived_pct", "gpu_allocation_pct"]


def race(folder: Path, builtin: str, python: str):
    """Places the `default` pod list with the built-in policy and with its Python
    re-implementation, prints whether the allocation curves are identical, point for point,
    and both times; returns (identical, built-in seconds, Python seconds, the experiment)."""
    experiment = experiment_file(folder / "race.yaml", ["default"], [builtin])
    # Once untimed, so that neither side pays for reading the traces from disk.
    timed(experiment, builtin, folder / "warm-up")
    rust, rust_s = timed(experiment, builtin, folder / "rust")
    copy, python_s = timed(experiment, python, folder / "python")
    rust_curves = rust.allocation.select(CURVES)
    identical = rust_curves.equals(copy.allocation.select(CURVES))
    print(f"allocation curves identical: {identical} ({rust_curves.height} points, seeds 42-44)")
    print(f"{builtin} (Rust): {rust_s:.2f} s")
    print(f"{python}: {python_s:.2f} s")
    print(f"ratio Python/Rust: {python_s / rust_s:.1f}x")
    return identical, rust_s, python_s, experiment
