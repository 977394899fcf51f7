"""Plugins written in Python: base classes to subclass, and the views fleetsim hands them.

Placement policies score one pod's candidate nodes in a batch (NumPy columns, one row per
distinct node state). Cluster filters, cluster scores and queue sorts answer per binding (and
cluster); each is built once at registration and shared by every run, so it must answer from
its arguments alone.
"""

from __future__ import annotations

import random
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np


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

    @property
    def is_share(self) -> bool:
        """A fraction of one device (placed on the device :meth:`PlacementPolicy.share_device`
        picks)."""
        return self.gpu_count == 1 and self.gpu_milli < 1000

    def __repr__(self) -> str:
        return (
            f"Pod(cpu_milli={self.cpu_milli}, memory={self.memory}, "
            f"gpu_count={self.gpu_count}, gpu_milli={self.gpu_milli})"
        )


class PodType:
    """One kind of pod in the workload a cluster expects (FGD's target workload): its CPU
    milli-cores, milli-GPU per device (0: CPU only), devices, allowed GPU models (indices;
    empty: any) and share of the pods (the shares sum to 1)."""

    __slots__ = ("cpu_milli", "gpu_milli", "num_gpu", "models", "popularity")

    def __init__(
        self, cpu_milli: int, gpu_milli: int, num_gpu: int, models: Sequence[int], popularity: float
    ) -> None:
        self.cpu_milli = cpu_milli
        self.gpu_milli = gpu_milli
        self.num_gpu = num_gpu
        self.models = list(models)
        self.popularity = popularity

    def __repr__(self) -> str:
        return (
            f"PodType(cpu_milli={self.cpu_milli}, gpu_milli={self.gpu_milli}, "
            f"num_gpu={self.num_gpu}, models={self.models}, popularity={self.popularity})"
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
    """A member cluster's placement policy: subclass it, override :meth:`score` (and
    optionally :meth:`share_device`), and :func:`fleetsim.register` the class.

    Class attributes: ``choice`` is how scores become a node (``"highest"``; ``"normalized"``:
    min–max normalised to 0–100 with integer division first; ``"uniform"``: a uniform draw,
    scores unused); ``reads_memory`` says whether scores depend on the pod's memory.

    fleetsim builds one instance per member cluster and run. ``self.rng`` is a
    ``random.Random`` seeded from the run's seed; ``self.norm_cpu_milli`` and
    ``self.norm_gpu_milli`` are the fixed maxima some policies divide by (the FGD study's
    128 cores and 8 GPUs in experiments), or ``None`` in scenarios, where each node's own
    capacity is the maximum (see :meth:`maxima`); ``self.target`` is the workload the
    cluster expects, a list of :class:`PodType` (what FGD measures fragmentation against;
    empty when the scenario gives none).
    """

    choice: str = "highest"
    reads_memory: bool = False

    rng: random.Random
    norm_cpu_milli: Optional[int]
    norm_gpu_milli: Optional[int]
    target: List[PodType]

    @classmethod
    def _fleetsim_build(
        cls,
        seed: int,
        norm_cpu_milli: Optional[int],
        norm_gpu_milli: Optional[int],
        target: Sequence[tuple] = (),
    ) -> "PlacementPolicy":
        policy = cls()
        policy.rng = random.Random(seed)
        policy.norm_cpu_milli = norm_cpu_milli
        policy.norm_gpu_milli = norm_gpu_milli
        policy.target = [PodType(*t) for t in target]
        return policy

    @property
    def _fleetsim_shares(self) -> bool:
        return type(self).share_device is not PlacementPolicy.share_device

    def _fleetsim_score(self, pod: tuple, columns: tuple) -> np.ndarray:
        scores = self.score(Pod(*pod), Nodes(columns))
        return np.ascontiguousarray(scores, dtype=np.int64)

    def _fleetsim_share_device(self, pod: tuple, columns: tuple) -> int:
        return int(self.share_device(Pod(*pod), Nodes(columns)))

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

    def share_device(self, pod: Pod, node: Nodes) -> int:
        """For a share (:attr:`Pod.is_share`), the device it goes to on the chosen node
        (``node`` has one row); the device must have ``pod.gpu_milli`` free. Not overriding
        it keeps fleetsim's default, the tightest device that fits (lowest index among
        equals)."""
        raise NotImplementedError(f"{type(self).__name__}.share_device")


class Resources:
    """CPU milli-cores, memory bytes, ``nvidia.com/gpu`` devices and pods."""

    __slots__ = ("cpu_milli", "memory", "gpus", "pods")

    def __init__(self, cpu_milli: int, memory: int, gpus: int, pods: int) -> None:
        self.cpu_milli = cpu_milli
        self.memory = memory
        self.gpus = gpus
        self.pods = pods

    def __repr__(self) -> str:
        return (
            f"Resources(cpu_milli={self.cpu_milli}, memory={self.memory}, "
            f"gpus={self.gpus}, pods={self.pods})"
        )


class Binding:
    """A ResourceBinding as the control plane's plugins see it: its job id, namespace and
    priority class (indices in the scenario's lists), ``schedulePriority``, replicas, the
    request per replica (:class:`Pod`), the current assignment ``clusters`` (cluster index,
    replicas), the template's API (``group/version/Kind``) and, for a multi-component job,
    its ``components`` (replicas per set, request)."""

    __slots__ = (
        "job",
        "namespace",
        "priority_class",
        "priority",
        "replicas",
        "request",
        "clusters",
        "api_resource",
        "components",
    )

    def __init__(self, fields: tuple) -> None:
        (
            self.job,
            self.namespace,
            self.priority_class,
            self.priority,
            self.replicas,
            request,
            self.clusters,
            self.api_resource,
            components,
        ) = fields
        self.request = Pod(*request)
        self.components = [(replicas, Pod(*pod)) for replicas, pod in components]

    def __repr__(self) -> str:
        return f"Binding(job={self.job}, replicas={self.replicas}, request={self.request!r})"


class Cluster:
    """A member cluster as the control plane sees it: index, name, region, provider, zones,
    labels, taints (key, value, effect), the published ``status.resourceSummary``
    (``allocatable``, ``allocated``, ``allocating`` as :class:`Resources`) and its node
    count."""

    __slots__ = (
        "index",
        "name",
        "region",
        "provider",
        "zones",
        "labels",
        "taints",
        "allocatable",
        "allocated",
        "allocating",
        "n_nodes",
    )

    def __init__(self, fields: tuple) -> None:
        (
            self.index,
            self.name,
            self.region,
            self.provider,
            self.zones,
            self.labels,
            self.taints,
            summary,
            self.n_nodes,
        ) = fields
        self.allocatable, self.allocated, self.allocating = (Resources(*r) for r in summary)

    @property
    def available(self) -> Resources:
        """Allocatable less allocated and allocating, as Karmada's general estimator reads
        the summary."""
        a, b, c = self.allocatable, self.allocated, self.allocating
        return Resources(
            a.cpu_milli - b.cpu_milli - c.cpu_milli,
            a.memory - b.memory - c.memory,
            a.gpus - b.gpus - c.gpus,
            a.pods - b.pods - c.pods,
        )

    def __repr__(self) -> str:
        return f"Cluster({self.name!r})"


class ClusterFilterPlugin:
    """A Karmada filter plugin: subclass it, override :meth:`filter`, :func:`fleetsim.register`
    the class, and enable it in ``scheduler.plugins`` by name. One instance serves every
    run, so it must answer from its arguments alone."""

    @classmethod
    def _fleetsim_build(cls) -> "ClusterFilterPlugin":
        return cls()

    def _fleetsim_filter(self, binding: tuple, cluster: tuple) -> Optional[str]:
        verdict = self.filter(Binding(binding), Cluster(cluster))
        if verdict is None or verdict is True:
            return None
        if verdict is False:
            return f"cluster(s) did not pass {type(self).__name__}"
        if isinstance(verdict, str):
            return verdict
        raise TypeError(
            f"{type(self).__name__}.filter returned {verdict!r}: expected None or True "
            "(fits), False or a reason (str)"
        )

    def filter(self, binding: Binding, cluster: Cluster) -> Union[None, bool, str]:
        """``None`` or ``True`` when the cluster may take the binding; ``False`` or the
        reason (Karmada's Unschedulable message, shown by ``explain``) when not."""
        raise NotImplementedError(f"{type(self).__name__}.filter")


class ClusterScorePlugin:
    """A Karmada score plugin: subclass it, override :meth:`score` (0 to 100, higher is
    better), :func:`fleetsim.register` the class, and enable it in ``scheduler.plugins``.
    Scores of enabled plugins add up, as in Karmada. One instance serves every run."""

    @classmethod
    def _fleetsim_build(cls) -> "ClusterScorePlugin":
        return cls()

    def _fleetsim_score(self, binding: tuple, cluster: tuple) -> int:
        return int(self.score(Binding(binding), Cluster(cluster)))

    def score(self, binding: Binding, cluster: Cluster) -> int:
        """The cluster's score for the binding, 0 to 100."""
        raise NotImplementedError(f"{type(self).__name__}.score")


class QueuedBinding:
    """A binding waiting in the scheduling queue: job id, ``schedulePriority``, when it was
    (re)queued (simulated milliseconds), attempts so far and the milli-GPU it asks for over
    all replicas."""

    __slots__ = ("job", "priority", "timestamp_ms", "attempts", "gpu_milli")

    def __init__(self, fields: tuple) -> None:
        self.job, self.priority, self.timestamp_ms, self.attempts, self.gpu_milli = fields

    def __repr__(self) -> str:
        return f"QueuedBinding(job={self.job}, priority={self.priority})"


class QueueSort:
    """The order of Karmada's active scheduling queue: subclass it, override :meth:`key`,
    :func:`fleetsim.register` the class and name it in ``scheduler.queue_sort``. One instance
    serves every run."""

    @classmethod
    def _fleetsim_build(cls) -> "QueueSort":
        return cls()

    def _fleetsim_key(self, entry: tuple) -> Tuple[int, int]:
        key = self.key(QueuedBinding(entry))
        if isinstance(key, (int, np.integer)):
            return int(key), 0
        first, second = key
        return int(first), int(second)

    def key(self, entry: QueuedBinding) -> Union[int, Tuple[int, int]]:
        """The entry's key: an integer or a pair of integers; lower pops first, equal keys
        in queueing order."""
        raise NotImplementedError(f"{type(self).__name__}.key")

