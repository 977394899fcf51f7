"""fleetsim from Python: run scenarios, experiments, sweeps and comparisons, and write
placement policies as Python classes that scenarios and experiments name like built-ins.

The simulation runs in Rust with the GIL released; results come back as polars DataFrames
read from the output folder. See docs/python.md.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._errors import PolicyError, ScenarioError

__all__ = [
    "run",
    "validate",
    "fragmentation",
    "sweep",
    "compare",
    "register",
    "placement_policies",
    "Run",
    "Fragmentation",
    "Comparison",
    "PlacementPolicy",
    "Pod",
    "Nodes",
    "ScenarioError",
    "PolicyError",
]

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]


# --- progress -------------------------------------------------------------------------------


class _Progress:
    """A progress bar: tqdm's (terminal or Jupyter) when installed, else one line on a
    terminal, nothing elsewhere. Called from Rust as ``progress(done, total)``."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._bar = None
        self._label = label
        self._plain = False
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm  # type: ignore[import-not-found]

            self._bar = tqdm(desc=label, total=None, leave=False)
        except ImportError:
            self._plain = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            if self._bar.total != total:
                self._bar.total = total
            self._bar.n = done
            self._bar.refresh()
        elif self._plain and total:
            width = 30
            filled = width * done // total
            sys.stderr.write(
                f"\r{self._label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._plain:
            sys.stderr.write("\n")


def _scenario_args(scenario: Scenario) -> "tuple[str, Optional[str]]":
    """A path, or a dict sent as text (JSON is YAML) whose relative paths resolve against
    the current folder."""
    if isinstance(scenario, Mapping):
        return "<scenario dict>", json.dumps(scenario, indent=2)
    return os.fspath(scenario), None


def _read_table(folder: Path, name: str):
    import polars as pl

    parquet = folder / f"{name}.parquet"
    if parquet.is_file():
        return pl.read_parquet(parquet)
    csv = folder / f"{name}.csv"
    if csv.is_file():
        return pl.read_csv(csv)
    return None


# --- runs -----------------------------------------------------------------------------------


class Run:
    """One run's outputs, read from its folder ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.summary: Dict[str, Any] = json.loads((out / "summary.json").read_text())

    @property
    def jobs(self):
        """The jobs table (polars DataFrame)."""
        return _read_table(self.out, "jobs")

    @property
    def timeline(self):
        """The timeline table (polars DataFrame)."""
        return _read_table(self.out, "timeline")

    @property
    def events(self):
        """The events table (polars DataFrame)."""
        return _read_table(self.out, "events")

    @property
    def quota(self):
        """The quota table (polars DataFrame), or None when the scenario has no quotas."""
        return _read_table(self.out, "quota")

    def report(self, path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Path:
        """The run's ``report.html``, copied to ``path`` when given; returns its path."""
        source = self.out / "report.html"
        if path is None:
            return source
        target = Path(path)
        target.write_bytes(source.read_bytes())
        return target

    def __repr__(self) -> str:
        return f"Run({str(self.out)!r})"


def run(
    scenario: Scenario,
    seed: Optional[int] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    progress: bool = True,
) -> Run:
    """Runs a scenario (a file, or a dict in the file's shape) and returns its outputs.

    ``overrides`` takes ``federation`` (``"karmada"`` or ``"direct"``) and ``format``
    (``"parquet"`` or ``"csv"``), as the CLI's flags. ``out`` is the run folder (created whole
    or not at all); by default a new temporary folder.
    """
    overrides = dict(overrides or {})
    federation = overrides.pop("federation", None)
    table_format = overrides.pop("format", "parquet")
    if overrides:
        raise ValueError(f"unknown overrides {sorted(overrides)}: expected federation, format")
    if table_format not in ("parquet", "csv"):
        raise ValueError(f"format {table_format!r}: expected 'parquet' or 'csv'")
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fleetsim-")) / "run"
    path, text = _scenario_args(scenario)
    bar = _Progress("jobs", progress)
    try:
        _native.run(path, os.fspath(folder), text, seed, federation, table_format == "csv", bar)
    finally:
        bar.close()
    return Run(folder)


def validate(scenario: Scenario) -> List[str]:
    """Checks a scenario without running it: its warnings, or :class:`ScenarioError`."""
    path, text = _scenario_args(scenario)
    return _native.validate(path, text)


# --- studies --------------------------------------------------------------------------------


class Fragmentation:
    """A fragmentation experiment's outputs, read from its folder ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.experiment: Dict[str, Any] = json.loads((out / "experiment.json").read_text())

    @property
    def allocation(self):
        """GPU allocation per run and arrived demand: workload, policy, seed, arrived_pct,
        gpu_allocation_pct."""
        return _read_table(self.out, "allocation")

    @property
    def means(self):
        """The allocation curves' statistics over seeds."""
        return _read_table(self.out, "means")

    @property
    def fragmentation(self):
        """Fragmentation per run and arrived demand."""
        return _read_table(self.out, "fragmentation")

    @property
    def runs(self):
        """One row per run."""
        return _read_table(self.out, "runs")

    def __repr__(self) -> str:
        return f"Fragmentation({str(self.out)!r})"


def fragmentation(
    experiment: Union[str, "os.PathLike[str]"],
    policies: Optional[Sequence[str]] = None,
    seeds: Optional[Sequence[int]] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    progress: bool = True,
) -> Fragmentation:
    """Runs a fragmentation experiment file (``fleetsim experiment fragmentation``);
    ``policies`` and ``seeds`` replace the file's."""
    folder = (
        Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fleetsim-")) / "experiment"
    )
    bar = _Progress("runs", progress)
    try:
        _native.fragmentation(
            os.fspath(experiment),
            os.fspath(folder),
            list(policies) if policies is not None else None,
            [int(s) for s in seeds] if seeds is not None else None,
            bar,
        )
    finally:
        bar.close()
    return Fragmentation(folder)


class Sweep:
    """A sweep's outputs, read from its folder ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out

    @property
    def cells(self):
        """Every cell's metrics."""
        return _read_table(self.out, "cells")

    @property
    def stats(self):
        """Statistics per cell and metric."""
        return _read_table(self.out, "stats")


def sweep(
    sweep: Union[str, "os.PathLike[str]"],
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: bool = True,
) -> Sweep:
    """Runs (or resumes) a sweep file (``fleetsim sweep``)."""
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fleetsim-")) / "sweep"
    bar = _Progress("runs", progress)
    try:
        _native.sweep(os.fspath(sweep), os.fspath(folder), seed, threads, bar)
    finally:
        bar.close()
    return Sweep(folder)


class Comparison:
    """What :func:`compare` found: the text table, whether a threshold failed, warnings."""

    def __init__(self, text: str, regressed: bool, warnings: List[str], out: Path) -> None:
        self.text = text
        self.regressed = regressed
        self.warnings = warnings
        self.out = out

    def __repr__(self) -> str:
        return self.text


def compare(
    base: Union[str, "os.PathLike[str]"],
    new: Union[str, "os.PathLike[str]"],
    thresholds: Optional[Union[str, "os.PathLike[str]"]] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> Comparison:
    """Compares two runs or folders of replications (``fleetsim compare``); writes
    ``comparison.md`` and ``comparison.xml`` into ``out``."""
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fleetsim-"))
    text, regressed, warnings = _native.compare(
        os.fspath(base),
        os.fspath(new),
        os.fspath(folder),
        os.fspath(thresholds) if thresholds is not None else None,
    )
    return Comparison(text, regressed, warnings, folder)


# --- policies -------------------------------------------------------------------------------


class Pod:
    """The pod being placed: CPU milli-cores, memory bytes, GPU devices and milli-GPU per
    device (below 1000 only for a one-device share)."""

    __slots__ = ("cpu_milli", "memory", "gpu_count", "gpu_milli")

    def __init__(self, cpu_milli: int, memory: int, gpu_count: int, gpu_milli: int) -> None:
        self.cpu_milli = cpu_milli
        self.memory = memory
        self.gpu_count = gpu_count
        self.gpu_milli = gpu_milli

    @property
    def gpu_total_milli(self) -> int:
        """All the milli-GPU the pod asks for."""
        return self.gpu_count * self.gpu_milli

    def __repr__(self) -> str:
        return (
            f"Pod(cpu_milli={self.cpu_milli}, memory={self.memory}, "
            f"gpu_count={self.gpu_count}, gpu_milli={self.gpu_milli})"
        )


class Nodes:
    """The candidate node states for one pod, one row per distinct state (identical nodes
    are one row), as int64 NumPy arrays. Every row fits the pod.

    ``gpu_free`` is 2-D (rows × devices), padded with 0 past a node's ``n_gpus``; ``gpu_model``
    is the model's index in the fleet, -1 for nodes without GPUs.
    """

    __slots__ = (
        "cpu_free",
        "cpu_total",
        "memory_free",
        "memory_total",
        "n_gpus",
        "gpu_model",
        "gpu_free_total",
        "gpu_free",
    )

    def __init__(self, columns: Sequence[np.ndarray]) -> None:
        (
            self.cpu_free,
            self.cpu_total,
            self.memory_free,
            self.memory_total,
            self.n_gpus,
            self.gpu_model,
            self.gpu_free_total,
            self.gpu_free,
        ) = columns

    def __len__(self) -> int:
        return len(self.cpu_free)


class PlacementPolicy:
    """A member cluster's placement policy: subclass it, override :meth:`score`, and
    :func:`register` the class.

    Class attributes: ``choice`` is how scores become a node (``"highest"``; ``"normalized"``:
    min–max normalised to 0–100 with integer division first; ``"uniform"``: a uniform draw,
    scores unused); ``reads_memory`` says whether scores depend on the pod's memory.

    fleetsim builds one instance per member cluster and run. ``self.rng`` is a
    ``random.Random`` seeded from the run's seed; ``self.norm_cpu_milli`` and
    ``self.norm_gpu_milli`` are the fixed maxima some policies divide by (the FGD study's
    128 cores and 8 GPUs in experiments), or ``None`` in scenarios, where each node's own
    capacity is the maximum (see :meth:`maxima`).
    """

    choice: str = "highest"
    reads_memory: bool = False

    rng: random.Random
    norm_cpu_milli: Optional[int]
    norm_gpu_milli: Optional[int]

    @classmethod
    def _fleetsim_build(
        cls, seed: int, norm_cpu_milli: Optional[int], norm_gpu_milli: Optional[int]
    ) -> "PlacementPolicy":
        policy = cls()
        policy.rng = random.Random(seed)
        policy.norm_cpu_milli = norm_cpu_milli
        policy.norm_gpu_milli = norm_gpu_milli
        return policy

    def _fleetsim_score(self, pod: tuple, columns: tuple) -> np.ndarray:
        scores = self.score(Pod(*pod), Nodes(columns))
        return np.ascontiguousarray(scores, dtype=np.int64)

    def maxima(self, nodes: Nodes) -> "tuple[np.ndarray, np.ndarray]":
        """The CPU and GPU milli maxima per row, as float64, at least 1: the fixed ones when
        set, else each node's capacity."""
        if self.norm_cpu_milli is not None and self.norm_gpu_milli is not None:
            ones = np.ones(len(nodes))
            return ones * max(self.norm_cpu_milli, 1), ones * max(self.norm_gpu_milli, 1)
        cpu = np.maximum(nodes.cpu_total, 1).astype(np.float64)
        gpu = np.maximum(nodes.n_gpus * 1000, 1).astype(np.float64)
        return cpu, gpu

    def score(self, pod: Pod, nodes: Nodes) -> "np.ndarray | Sequence[int]":
        """One integer score per row of ``nodes`` (higher is better)."""
        raise NotImplementedError(f"{type(self).__name__}.score")


def register(plugin: type, name: Optional[str] = None) -> type:
    """Registers a plugin class under ``name`` (default: the class's ``name`` attribute, or
    its class name); scenarios and experiments then name it like a built-in. Usable as a
    decorator. A name already registered is a ``ValueError``."""
    if not isinstance(plugin, type):
        raise TypeError("register takes a class")
    name = name or getattr(plugin, "name", None) or plugin.__name__
    if issubclass(plugin, PlacementPolicy):
        _native.register_placement(name, plugin)
    else:
        raise TypeError(f"{plugin.__name__} is not a fleetsim.PlacementPolicy subclass")
    return plugin


def placement_policies() -> List[str]:
    """Registered placement policy names: the built-ins, then the ones registered here."""
    return _native.placement_names()
