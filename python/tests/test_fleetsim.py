"""Tests of the fleetsim Python package: entry points, errors and Python policies, on inputs
small enough that the right answers are worked out by hand."""

import os
from pathlib import Path

import numpy as np
import pytest

import fleetsim

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / ".." / "shared" / "traces" / "alibaba-gpu-v2023"


def two_node_experiment(folder: Path, policy: str, seeds=(1, 2, 3, 4)) -> Path:
    """Two nodes of 2 GPUs; two 1-GPU pods and one 2-GPU pod (4 GPUs asked, 4 free)."""
    (folder / "nodes.csv").write_text(
        "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,A\nn1,8000,16384,2,A\n"
    )
    (folder / "pods.csv").write_text(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
        "p1,1000,1024,1,1000\np2,1000,1024,1,1000\np3,1000,1024,2,1000\n"
    )
    file = folder / "experiment.yaml"
    file.write_text(
        "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\n"
        f"policies: [{policy}]\nseeds: [{', '.join(map(str, seeds))}]\ntarget_pct: 100\n"
    )
    return file


class Packing(fleetsim.PlacementPolicy):
    """Fewest free GPUs first: both 1-GPU pods share a node, whatever the arrival order."""

    def score(self, pod, nodes):
        return -nodes.gpu_free_total


class Spreading(fleetsim.PlacementPolicy):
    """Most free GPUs first: the two 1-GPU pods take a node each."""

    def score(self, pod, nodes):
        return nodes.gpu_free_total


class Failing(fleetsim.PlacementPolicy):
    def score(self, pod, nodes):
        raise ZeroDivisionError("no score today")


class Recording(fleetsim.PlacementPolicy):
    """Scores at random (from its seeded generator) and records what it was shown."""

    seen = []

    def score(self, pod, nodes):
        Recording.seen.append((pod.gpu_count, pod.gpu_milli, nodes.gpu_free.copy()))
        return [self.rng.randrange(100) for _ in range(len(nodes))]


@pytest.fixture(scope="module", autouse=True)
def registered():
    for policy in (Packing, Spreading, Failing, Recording, PyMostAllocated):
        if policy.__name__ not in fleetsim.placement_policies():
            fleetsim.register(policy)


def test_registered_names_follow_the_builtins():
    names = fleetsim.placement_policies()
    assert names[:8] == [
        "least-allocated",
        "most-allocated",
        "Random",
        "DotProd",
        "GpuClustering",
        "GpuPacking",
        "BestFit",
        "FGD",
    ]
    assert {"Packing", "Spreading", "Failing", "Recording"} <= set(names[8:])


def test_a_name_taken_is_refused_ignoring_case_and_dashes():
    class Other(fleetsim.PlacementPolicy):
        def score(self, pod, nodes):
            return nodes.cpu_free

    with pytest.raises(ValueError, match="best_fit"):
        fleetsim.register(Other, name="best_fit")


def test_packing_places_every_pod(tmp_path):
    result = fleetsim.fragmentation(two_node_experiment(tmp_path, "Packing"), progress=False)
    runs = result.runs
    assert runs.height == 4
    assert runs["pods"].to_list() == [3, 3, 3, 3]
    assert runs["pods_failed"].to_list() == [0, 0, 0, 0]


class PyMostAllocated(fleetsim.PlacementPolicy):
    """Kubernetes' MostAllocated as the built-in computes it: the integer mean over CPU,
    memory and GPU milli of requested-after-placing * 100 // capacity."""

    def score(self, pod, nodes):
        dims = [
            (nodes.cpu_total, nodes.cpu_total - nodes.cpu_free + pod.cpu_milli),
            (nodes.memory_total, nodes.memory_total - nodes.memory_free + pod.memory),
            (
                nodes.n_gpus * 1000,
                nodes.n_gpus * 1000 - nodes.gpu_free_total + pod.gpu_total_milli,
            ),
        ]
        total = np.zeros(len(nodes), dtype=np.int64)
        n_weights = np.zeros(len(nodes), dtype=np.int64)
        for capacity, requested in dims:
            has = capacity > 0
            within = has & (requested <= capacity)
            total += np.where(within, requested * 100 // np.maximum(capacity, 1), 0)
            n_weights += has
        return np.where(n_weights > 0, total // np.maximum(n_weights, 1), 0)


def mixed_experiment(folder: Path, policy: str) -> Path:
    """Nodes of three shapes, pods of whole GPUs, shares and CPU only, 150 % of the GPUs."""
    nodes = ["sn,cpu_milli,memory_mib,gpu,model"]
    for idx in range(6):
        cpu, gpus = [(32000, 4), (64000, 8), (16000, 2)][idx % 3]
        nodes.append(f"n{idx},{cpu},65536,{gpus},A")
    pods = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli"]
    shapes = [(4000, 1, 1000), (2000, 1, 500), (8000, 2, 1000), (1000, 1, 250), (6000, 4, 1000)]
    for idx in range(30):
        cpu, count, milli = shapes[idx % len(shapes)]
        pods.append(f"p{idx},{cpu},{1024 * (1 + idx % 4)},{count},{milli}")
    (folder / "nodes.csv").write_text("\n".join(nodes) + "\n")
    (folder / "pods.csv").write_text("\n".join(pods) + "\n")
    file = folder / "experiment.yaml"
    file.write_text(
        "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\n"
        f"policies: [{policy}]\nseeds: [1, 2, 3]\ntarget_pct: 150\n"
    )
    return file


def test_a_python_policy_places_as_the_builtin_it_copies(tmp_path):
    file = mixed_experiment(tmp_path, "most-allocated")
    builtin = fleetsim.fragmentation(file, out=tmp_path / "rust", progress=False)
    python = fleetsim.fragmentation(
        file, policies=["PyMostAllocated"], out=tmp_path / "python", progress=False
    )
    columns = ["seed", "arrived_pct", "gpu_allocation_pct"]
    assert builtin.allocation.select(columns).equals(python.allocation.select(columns))
    # Some pods were refused (150 % of the GPUs arrived), so the placements were put to the
    # test where it matters.
    assert all(n > 0 for n in python.runs["pods_failed"].to_list())


def test_policies_and_seeds_replace_the_files(tmp_path):
    file = two_node_experiment(tmp_path, "Spreading")
    result = fleetsim.fragmentation(file, policies=["Packing"], seeds=[7], progress=False)
    assert result.runs["policy"].to_list() == ["Packing"]
    assert result.runs["seed"].to_list() == [7]


def test_a_batch_holds_one_row_per_distinct_state(tmp_path):
    Recording.seen.clear()
    file = two_node_experiment(tmp_path, "Recording", seeds=[5])
    fleetsim.fragmentation(file, progress=False)
    # The first pod sees two identical idle nodes: one row, 2 devices of 1000 milli free.
    count, milli, gpu_free = Recording.seen[0]
    assert gpu_free.tolist() == [[1000, 1000]]
    assert (count, milli) in ((1, 1000), (2, 1000))


def test_the_same_seed_gives_the_same_draws(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = fleetsim.fragmentation(
        two_node_experiment(tmp_path / "a", "Recording"), progress=False
    )
    second = fleetsim.fragmentation(
        two_node_experiment(tmp_path / "b", "Recording"), progress=False
    )
    assert first.allocation.equals(second.allocation)


def test_a_python_exception_is_a_policy_error_with_its_traceback(tmp_path):
    file = two_node_experiment(tmp_path, "Failing")
    with pytest.raises(fleetsim.PolicyError) as caught:
        fleetsim.fragmentation(file, out=tmp_path / "out", progress=False)
    err = caught.value
    assert err.policy == "Failing"
    assert "ZeroDivisionError: no score today" in err.traceback
    assert isinstance(err.__cause__, ZeroDivisionError)
    # The output folder is created whole or not at all.
    assert not (tmp_path / "out").exists()


def test_an_unknown_policy_is_a_scenario_error_with_its_position(tmp_path):
    file = two_node_experiment(tmp_path, "NoSuchPolicy")
    with pytest.raises(fleetsim.ScenarioError) as caught:
        fleetsim.fragmentation(file, progress=False)
    err = caught.value
    assert err.file == str(file)
    # experiment.yaml: line 4 is `policies: [NoSuchPolicy]`, the name at column 12.
    assert (err.line, err.column) == (4, 12)
    assert err.field == "policies[0]"


SCENARIO = ROOT / "examples" / "scenarios" / "quickstart.yaml"


def test_validate_returns_warnings_and_positions_errors(tmp_path):
    assert isinstance(fleetsim.validate(SCENARIO), list)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.read_text().replace("seed:", "sed:", 1))
    with pytest.raises(fleetsim.ScenarioError) as caught:
        fleetsim.validate(bad)
    assert caught.value.file == str(bad)
    assert caught.value.line is not None


def small_scenario(placement: str = "least-allocated") -> dict:
    """One cluster of two 8-GPU nodes and three jobs of 4 GPUs."""
    jobs = [
        {
            "name": f"j{idx}",
            "submit": f"{idx * 10}s",
            "namespace": "team",
            "replicas": 1,
            "gpus": 4,
            "cpu": "8",
            "memory": "8Gi",
            "runtime": "1h",
        }
        for idx in range(3)
    ]
    return {
        "name": "small",
        "seed": 1,
        "gpu_models": [{"name": "A100"}],
        "clusters": [
            {
                "name": "alpha",
                "node_pools": [
                    {
                        "name": "a",
                        "count": 2,
                        "cpu": "64",
                        "memory": "512Gi",
                        "gpus": 8,
                        "gpu_model": "A100",
                    }
                ],
            }
        ],
        "namespaces": [{"name": "team"}],
        "workload": {"jobs": jobs},
        "scheduler": {"member_placement": placement},
    }


def test_run_takes_a_dict_and_returns_its_tables(tmp_path):
    run = fleetsim.run(small_scenario(), out=tmp_path / "run", progress=False)
    assert run.jobs.height == 3
    assert run.jobs["name"].to_list() == ["j0", "j1", "j2"]
    assert run.report().name == "report.html"


def test_a_scenario_names_a_python_policy(tmp_path):
    run = fleetsim.run(small_scenario("Packing"), out=tmp_path / "run", progress=False)
    assert run.jobs.height == 3
    with pytest.raises(fleetsim.ScenarioError) as caught:
        fleetsim.validate(small_scenario("NoSuchPolicy"))
    assert caught.value.field == "scheduler.member_placement"


def test_compare_finds_no_regression_between_identical_runs(tmp_path):
    base = fleetsim.run(small_scenario(), out=tmp_path / "base", progress=False)
    new = fleetsim.run(small_scenario(), out=tmp_path / "new", progress=False)
    comparison = fleetsim.compare(base.out, new.out, out=tmp_path / "cmp")
    assert comparison.regressed is False
    assert (tmp_path / "cmp" / "comparison.md").is_file()


def test_a_sweep_runs_every_cell_with_a_python_policy(tmp_path):
    import json

    (tmp_path / "base.yaml").write_text(json.dumps(small_scenario("Packing")))
    (tmp_path / "sweep.yaml").write_text(
        "scenario: base.yaml\nreplications: 2\naxes:\n  - name: added\n"
        "    path: clusters[*].node_pools[name=a].count\n    op: add\n    values: [0, 1]\n"
    )
    result = fleetsim.sweep(tmp_path / "sweep.yaml", out=tmp_path / "out", progress=False)
    # Two cells (0 and 1 node added) of two replications: a row of cells.parquet per run,
    # each of the scenario's three jobs.
    cells = result.cells
    assert cells["cell"].to_list() == [0, 0, 1, 1]
    assert cells["jobs_submitted"].to_list() == [3, 3, 3, 3]
