#!/usr/bin/env python3
"""Writes a large synthetic kubectl snapshot for timing `fleetsim import` and `forecast`.

Three member clusters, 2,000 nodes (nine in ten with 8 GPUs, the rest CPU-only) and 20,000
running pods: 1-GPU pods of 4-pod training Jobs packed onto the GPU nodes, and CPU-only pods of
Deployments on the CPU nodes. The layout is fixed (no randomness), so timings compare.

    python3 scripts/large-snapshot.py OUT_DIR
    fleetsim import OUT_DIR --out large.yaml
    fleetsim forecast large.yaml examples/snapshots/new-job.yaml   # namespace research
"""
import json
import os
import sys

NODES = [667, 667, 666]
PODS = 20_000


def main(out):
    os.makedirs(os.path.join(out, "karmada"), exist_ok=True)
    clusters = []
    per_cluster = [PODS // 3 + (1 if c < PODS % 3 else 0) for c in range(3)]
    for c, n_nodes in enumerate(NODES):
        name = f"dc-{c + 1:02d}"
        clusters.append({
            "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": name}, "spec": {"region": "us-east"},
        })
        nodes, pods = [], []
        gpu_slots, cpu_slots = [], []
        for i in range(n_nodes):
            node = f"{name}-n{i:04d}"
            labels = {"kubernetes.io/hostname": node}
            alloc = {"cpu": "96", "memory": "1Ti", "pods": "110"}
            if i % 10:
                labels["nvidia.com/gpu.product"] = "NVIDIA-H100-80GB-HBM3"
                alloc["nvidia.com/gpu"] = "8"
                gpu_slots += [node] * 8
            else:
                cpu_slots += [node] * 40
            nodes.append({"apiVersion": "v1", "kind": "Node",
                          "metadata": {"name": node, "labels": labels},
                          "status": {"allocatable": alloc}})
        for k in range(per_cluster[c]):
            if k < len(gpu_slots):
                node, gpus, owner = gpu_slots[k], 1, ("batch/v1", "Job", f"train-{c}-{k // 4}")
            else:
                j = k - len(gpu_slots)
                node, gpus, owner = cpu_slots[j % len(cpu_slots)], 0, ("apps/v1", "ReplicaSet", f"svc-{c}-{j // 10}-5d8f7c9b6")
            requests = {"cpu": "2", "memory": "8Gi"}
            if gpus:
                requests["nvidia.com/gpu"] = str(gpus)
            pods.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"p-{c}-{k}", "namespace": "research",
                             "ownerReferences": [{"apiVersion": owner[0], "kind": owner[1],
                                                  "name": owner[2], "uid": f"u-{c}-{k}",
                                                  "controller": True}]},
                "spec": {"nodeName": node, "containers": [{"name": "m", "resources": {"requests": requests}}]},
                "status": {"phase": "Running"},
            })
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "nodes.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": nodes}, f)
        with open(os.path.join(out, name, "pods.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": pods}, f)
    with open(os.path.join(out, "karmada", "clusters.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": clusters}, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: large-snapshot.py OUT_DIR")
    main(sys.argv[1])
