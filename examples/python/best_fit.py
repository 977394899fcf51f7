"""BestFit written in Python, checked against the built-in BestFit on the FGD study's
openb `default` pod list (seeds 42-44, demand inflated to 130 % of GPU capacity): the
allocation curves must be identical, and the script prints both run times.

    pip install ./python
    python examples/python/best_fit.py

The traces are read from ../shared/traces beside the repository (FLEETSIM_TRACES to point
elsewhere). Both policies run on one thread, so the ratio compares the cost per pod.
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fleetsim  # noqa: E402
from openb import race, timed  # noqa: E402


class PyBestFit(fleetsim.PlacementPolicy):
    """The node that leaves the least CPU and GPU free after placing the pod (half weight
    each, as fractions of the maxima), scores min-max normalised."""

    choice = "normalized"
    n_batches = 0

    def score(self, pod, nodes):
        PyBestFit.n_batches += 1
        max_cpu, max_gpu = self.maxima(nodes)
        cpu_left = (nodes.cpu_free - pod.cpu_milli).astype(np.float64)
        gpu_left = (nodes.gpu_free_total - pod.gpu_total_milli).astype(np.float64)
        leftover = 0.5 * cpu_left / max_cpu + 0.5 * gpu_left / max_gpu
        return (100.0 * (1.0 - leftover)).astype(np.int64)


class Constant(fleetsim.PlacementPolicy):
    """Does no work: its time, less the Rust policy's, is about what the calls cost."""

    n_batches = 0

    def score(self, pod, nodes):
        Constant.n_batches += 1
        return np.zeros(len(nodes), dtype=np.int64)


def main() -> None:
    fleetsim.register(PyBestFit)
    fleetsim.register(Constant)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        identical, rust_s, python_s, experiment = race(folder, "BestFit", "PyBestFit")
        _, constant_s = timed(experiment, "Constant", folder / "constant")
        batches = PyBestFit.n_batches
        per_batch_us = (python_s - rust_s) / batches * 1e6
        print(f"batches (calls into Python): {batches}, {per_batch_us:.1f} us each over Rust")
        overhead_us = (constant_s - rust_s) / Constant.n_batches * 1e6
        print(
            f"a policy doing nothing: {constant_s:.2f} s, {Constant.n_batches} batches, "
            f"{overhead_us:.1f} us per batch over Rust's BestFit"
        )
        if not identical:
            sys.exit(1)


if __name__ == "__main__":
    main()
