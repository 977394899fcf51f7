"""FGD (Weng et al., "Beware of Fragmentation", USENIX ATC 2023) written in Python with
NumPy, checked against the built-in FGD on the openb `default` pod list (seeds 42-44, demand
inflated to 130 % of GPU capacity): the allocation curves must be identical, and the script
prints both run times.

    pip install ./python
    python examples/python/fgd.py

A node's fragmentation, against the cluster's target workload (``self.target``, the pod list's
typical pods), is the GPU milli that each pod type could not use, weighted by the type's share:
all free GPU milli for a type that cannot run there at all, else the devices too small for its
share. A pod goes where fragmentation grows least (score ``trunc(100 sigmoid(drop / 1000))``);
a GPU share goes to the device with the best such score (``share_device``). Sums run over the
types in the target's order, as the built-in's do, so the scores agree to the last bit.
"""

import math
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fleetsim  # noqa: E402
from openb import race  # noqa: E402


class PyFGD(fleetsim.PlacementPolicy):
    """Fragmentation gradient descent over NumPy batches."""

    def columns(self):
        """The target's types as arrays, built once: per type the milli-GPU per device, CPU,
        devices and share, and which GPU models it may use (row ``model + 1``; row 0 is a
        node without GPUs, which no type uses)."""
        if not hasattr(self, "_columns"):
            types = self.target
            # A fleet has at most 64 GPU models.
            allowed = np.zeros((65, len(types)), dtype=bool)
            for idx, t in enumerate(types):
                allowed[1:, idx] = not t.models
                for m in t.models:
                    allowed[m + 1, idx] = True
            self._columns = (
                np.array([t.gpu_milli for t in types], dtype=np.int64),
                np.array([t.cpu_milli for t in types], dtype=np.int64),
                np.array([t.num_gpu for t in types], dtype=np.int64),
                np.array([t.popularity for t in types], dtype=np.float64),
                allowed,
            )
        return self._columns

    def fragmentation(self, cpu_free, gpu_free, model):
        """Expected fragmentation (milli-GPU) of each row: ``cpu_free`` (rows),
        ``gpu_free`` (rows × devices, 0 past a node's devices), ``model`` (rows)."""
        gpu_milli, cpu_milli, num_gpu, popularity, allowed = self.columns()
        if len(popularity) == 0:
            return np.zeros(len(model))
        total = gpu_free.sum(axis=1).astype(np.float64)
        fits = gpu_free[:, :, None] >= gpu_milli[None, None, :]  # rows × devices × types
        too_small = np.where(fits, 0, gpu_free[:, :, None]).sum(axis=1)
        usable = (
            (gpu_milli > 0)[None, :]
            & allowed[model + 1]
            & (cpu_free[:, None] >= cpu_milli[None, :])
            & (fits.sum(axis=1) >= num_gpu[None, :])
        )
        lost = np.where(usable, too_small, total[:, None]).astype(np.float64)
        # A running sum in the types' order (cumsum adds left to right), as the built-in
        # adds them; a pairwise sum could differ in the last bit.
        return np.cumsum(popularity[None, :] * lost, axis=1)[:, -1]

    def score(self, pod, nodes):
        if pod.is_share:
            return self.device_scores(pod, nodes).max(axis=1)
        before = self.fragmentation(nodes.cpu_free, nodes.gpu_free, nodes.gpu_model)
        after = nodes.gpu_free.copy()
        if pod.gpu_count > 0:
            # The built-in takes the devices that fit in ascending free milli, lowest index
            # first among equals; for whole devices, the lowest-index free ones.
            rows = np.arange(len(nodes))[:, None]
            fitting_first = np.where(after >= pod.gpu_milli, after, 1 << 20)
            order = np.argsort(fitting_first, axis=1, kind="stable")
            after[rows, order[:, : pod.gpu_count]] -= pod.gpu_milli
        drop = before - self.fragmentation(nodes.cpu_free - pod.cpu_milli, after, nodes.gpu_model)
        return sigmoid_scores(drop)

    def device_scores(self, pod, nodes):
        """rows × devices: the score of putting the share on each device, -1 where it does
        not fit."""
        before = self.fragmentation(nodes.cpu_free, nodes.gpu_free, nodes.gpu_model)
        n_rows, n_devices = nodes.gpu_free.shape
        # One candidate state per (row, device): the share taken from that device.
        after = np.repeat(nodes.gpu_free[:, None, :], n_devices, axis=1)
        after[:, np.arange(n_devices), np.arange(n_devices)] -= pod.gpu_milli
        frag = self.fragmentation(
            np.repeat(nodes.cpu_free - pod.cpu_milli, n_devices),
            after.reshape(n_rows * n_devices, n_devices),
            np.repeat(nodes.gpu_model, n_devices),
        ).reshape(n_rows, n_devices)
        scores = sigmoid_scores((before[:, None] - frag).ravel()).reshape(n_rows, n_devices)
        return np.where(nodes.gpu_free >= pod.gpu_milli, scores, -1)

    def share_device(self, pod, node):
        # The first device with the best score, as the built-in picks.
        return int(np.argmax(self.device_scores(pod, node)[0]))


def sigmoid_scores(drop):
    """``trunc(100 sigmoid(drop / 1000))`` per value. The built-in uses the C library's exp;
    NumPy's may differ from it in the last bit, which matters only where the scaled sigmoid
    is within a hair of an integer, so those values are redone with ``math.exp``."""
    scaled = 100.0 * (1.0 / (1.0 + np.exp(-drop / 1000.0)))
    scores = scaled.astype(np.int64)
    for idx in np.nonzero(np.abs(scaled - np.round(scaled)) < 1e-9)[0]:
        scores[idx] = int(100.0 * (1.0 / (1.0 + math.exp(-drop[idx] / 1000.0))))
    return scores


class Counted(PyFGD):
    n_batches = 0

    def score(self, pod, nodes):
        Counted.n_batches += 1
        return super().score(pod, nodes)


def main() -> None:
    fleetsim.register(Counted, name="PyFGD")
    with tempfile.TemporaryDirectory() as tmp:
        identical, _, python_s, _ = race(Path(tmp), "FGD", "PyFGD")
        batches = Counted.n_batches
        print(f"batches (calls into Python): {batches}, {python_s / batches * 1e6:.0f} us each")
        if not identical:
            sys.exit(1)


if __name__ == "__main__":
    main()
