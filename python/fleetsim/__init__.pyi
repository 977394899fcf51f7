"""Type stubs of the fleetsim package (see __init__.py for the documentation)."""

import os
import random
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import numpy.typing as npt
import polars as pl

from ._errors import PolicyError as PolicyError, ScenarioError as ScenarioError

_Path = Union[str, "os.PathLike[str]"]
Scenario = Union[_Path, Mapping[str, Any]]
_T = TypeVar("_T", bound=type)

class Run:
    out: Path
    summary: Dict[str, Any]
    @property
    def jobs(self) -> Optional[pl.DataFrame]: ...
    @property
    def timeline(self) -> Optional[pl.DataFrame]: ...
    @property
    def events(self) -> Optional[pl.DataFrame]: ...
    @property
    def quota(self) -> Optional[pl.DataFrame]: ...
    def report(self, path: Optional[_Path] = None) -> Path: ...

def run(
    scenario: Scenario,
    seed: Optional[int] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    out: Optional[_Path] = None,
    progress: bool = True,
) -> Run: ...
def validate(scenario: Scenario) -> List[str]: ...

class Fragmentation:
    out: Path
    experiment: Dict[str, Any]
    @property
    def allocation(self) -> pl.DataFrame: ...
    @property
    def means(self) -> pl.DataFrame: ...
    @property
    def fragmentation(self) -> pl.DataFrame: ...
    @property
    def runs(self) -> pl.DataFrame: ...

def fragmentation(
    experiment: _Path,
    policies: Optional[Sequence[str]] = None,
    seeds: Optional[Sequence[int]] = None,
    out: Optional[_Path] = None,
    progress: bool = True,
) -> Fragmentation: ...

class Sweep:
    out: Path
    @property
    def cells(self) -> Optional[pl.DataFrame]: ...
    @property
    def stats(self) -> Optional[pl.DataFrame]: ...

def sweep(
    sweep: _Path,
    out: Optional[_Path] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: bool = True,
) -> Sweep: ...

class Comparison:
    text: str
    regressed: bool
    warnings: List[str]
    out: Path

def compare(
    base: _Path,
    new: _Path,
    thresholds: Optional[_Path] = None,
    out: Optional[_Path] = None,
) -> Comparison: ...

class Pod:
    cpu_milli: int
    memory: int
    gpu_count: int
    gpu_milli: int
    @property
    def gpu_total_milli(self) -> int: ...
    @property
    def is_share(self) -> bool: ...

class PodType:
    cpu_milli: int
    gpu_milli: int
    num_gpu: int
    models: List[int]
    popularity: float

class Nodes:
    cpu_free: npt.NDArray[np.int64]
    cpu_total: npt.NDArray[np.int64]
    memory_free: npt.NDArray[np.int64]
    memory_total: npt.NDArray[np.int64]
    n_gpus: npt.NDArray[np.int64]
    gpu_model: npt.NDArray[np.int64]
    gpu_free_total: npt.NDArray[np.int64]
    gpu_free: npt.NDArray[np.int64]
    def __len__(self) -> int: ...

class PlacementPolicy:
    choice: str
    reads_memory: bool
    rng: random.Random
    norm_cpu_milli: Optional[int]
    norm_gpu_milli: Optional[int]
    target: List[PodType]
    def maxima(
        self, nodes: Nodes
    ) -> "tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]": ...
    def score(self, pod: Pod, nodes: Nodes) -> Union[npt.NDArray[np.int64], Sequence[int]]: ...
    def share_device(self, pod: Pod, node: Nodes) -> int: ...

class Resources:
    cpu_milli: int
    memory: int
    gpus: int
    pods: int

class Binding:
    job: int
    namespace: int
    priority_class: Optional[int]
    priority: int
    replicas: int
    request: Pod
    clusters: List[Tuple[int, int]]
    api_resource: str
    components: List[Tuple[int, Pod]]

class Cluster:
    index: int
    name: str
    region: Optional[str]
    provider: Optional[str]
    zones: List[str]
    labels: Dict[str, str]
    taints: List[Tuple[str, str, str]]
    allocatable: Resources
    allocated: Resources
    allocating: Resources
    n_nodes: int
    @property
    def available(self) -> Resources: ...

class ClusterFilterPlugin:
    def filter(self, binding: Binding, cluster: Cluster) -> Union[None, bool, str]: ...

class ClusterScorePlugin:
    def score(self, binding: Binding, cluster: Cluster) -> int: ...

class QueuedBinding:
    job: int
    priority: int
    timestamp_ms: int
    attempts: int
    gpu_milli: int

class QueueSort:
    def key(self, entry: QueuedBinding) -> Union[int, Tuple[int, int]]: ...

def register(plugin: _T, name: Optional[str] = None) -> _T: ...
def plugins(kind: str = "placement") -> List[str]: ...
def placement_policies() -> List[str]: ...
