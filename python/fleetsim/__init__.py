"""fleetsim from Python: run scenarios, experiments, sweeps and comparisons, and write
placement policies as Python classes that scenarios and experiments name like built-ins.

The simulation runs in Rust with the GIL released; results come back as polars DataFrames
read from the output folder. See docs/python.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _native
from ._errors import PolicyError, ScenarioError
from ._plugins import (
    Binding,
    Cluster,
    ClusterFilterPlugin,
    ClusterScorePlugin,
    Nodes,
    PlacementPolicy,
    Pod,
    PodType,
    QueuedBinding,
    QueueSort,
    Resources,
)

__all__ = [
    "run",
    "validate",
    "fragmentation",
    "sweep",
    "compare",
    "register",
    "plugins",
    "placement_policies",
    "Run",
    "Fragmentation",
    "Comparison",
    "PlacementPolicy",
    "ClusterFilterPlugin",
    "ClusterScorePlugin",
    "QueueSort",
    "Pod",
    "PodType",
    "Nodes",
    "Binding",
    "Cluster",
    "Resources",
    "QueuedBinding",
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


# --- plugins --------------------------------------------------------------------------------


def register(plugin: type, name: Optional[str] = None) -> type:
    """Registers a plugin class under ``name`` (default: the class's ``name`` attribute, or
    its class name); scenarios and experiments then name it like a built-in. The class
    subclasses :class:`PlacementPolicy`, :class:`ClusterFilterPlugin`,
    :class:`ClusterScorePlugin` or :class:`QueueSort`. Usable as a decorator. A name already
    registered is a ``ValueError``."""
    if not isinstance(plugin, type):
        raise TypeError("register takes a class")
    name = name or getattr(plugin, "name", None) or plugin.__name__
    if issubclass(plugin, PlacementPolicy):
        _native.register_placement(name, plugin)
        return plugin
    for base, kind in _PLUGIN_KINDS.items():
        if issubclass(plugin, base):
            _native.register_plugin(kind, name, plugin)
            return plugin
    raise TypeError(
        f"{plugin.__name__} is not a subclass of fleetsim.PlacementPolicy, "
        "ClusterFilterPlugin, ClusterScorePlugin or QueueSort"
    )


_PLUGIN_KINDS = {
    ClusterFilterPlugin: "filter",
    ClusterScorePlugin: "score",
    QueueSort: "queue_sort",
}


def plugins(kind: str = "placement") -> List[str]:
    """Registered plugin names of one kind (``"placement"``, ``"filter"``, ``"score"`` or
    ``"queue_sort"``): the built-ins, then the ones registered here."""
    return _native.plugin_names(kind)


def placement_policies() -> List[str]:
    """Registered placement policy names: the built-ins, then the ones registered here."""
    return plugins("placement")
