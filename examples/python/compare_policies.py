"""A Python placement policy against the six built-ins of the FGD study on three openb pod
lists: the share of GPUs allocated as the arrived demand grows to 130 % of capacity (mean
over seeds 42-44), printed at 130 % and drawn with matplotlib (policy-curves.png) when it is
installed.

    pip install ./python matplotlib
    python examples/python/compare_policies.py

The traces are read from ../shared/traces beside the repository (FLEETSIM_TRACES to point
elsewhere).
"""

import tempfile
from pathlib import Path

import numpy as np
import polars as pl

import fleetsim
from openb import experiment_file

BUILTINS = ["Random", "DotProd", "GpuClustering", "GpuPacking", "BestFit", "FGD"]
POD_LISTS = ["default", "multigpu50", "gpushare100"]


class MostFreeDevice(fleetsim.PlacementPolicy):
    """A deliberately naive policy: the node whose fullest device would stay the emptiest
    (spreads GPU shares, which fragments)."""

    def score(self, pod, nodes):
        return nodes.gpu_free.max(axis=1) - pod.gpu_milli


def main() -> None:
    fleetsim.register(MostFreeDevice)
    with tempfile.TemporaryDirectory() as tmp:
        experiment = experiment_file(
            Path(tmp) / "compare.yaml", POD_LISTS, BUILTINS + ["MostFreeDevice"]
        )
        result = fleetsim.fragmentation(experiment, out=Path(tmp) / "out")
        curves = (
            result.allocation.group_by(["workload", "policy", "arrived_pct"])
            .agg(pl.col("gpu_allocation_pct").mean())
            .sort(["workload", "policy", "arrived_pct"])
        )
        at_130 = curves.filter(pl.col("arrived_pct") == 130).select(
            "workload", "policy", "gpu_allocation_pct"
        )
        print(at_130.pivot(on="workload", index="policy", values="gpu_allocation_pct"))
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no figure")
            return
        figure, axes = plt.subplots(1, len(POD_LISTS), figsize=(5 * len(POD_LISTS), 4))
        for axis, workload in zip(np.atleast_1d(axes), POD_LISTS):
            for policy in BUILTINS + ["MostFreeDevice"]:
                points = curves.filter(
                    (pl.col("workload") == f"openb_pod_list_{workload}")
                    & (pl.col("policy") == policy)
                )
                axis.plot(points["arrived_pct"], points["gpu_allocation_pct"], label=policy)
            axis.set_title(workload)
            axis.set_xlabel("arrived GPU demand (% of capacity)")
        np.atleast_1d(axes)[0].set_ylabel("GPUs allocated (% of capacity), mean over seeds")
        np.atleast_1d(axes)[0].legend()
        figure.savefig("policy-curves.png", dpi=120, bbox_inches="tight")
        print("figure: policy-curves.png")


if __name__ == "__main__":
    main()
