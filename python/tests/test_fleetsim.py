"""Tests of the fleetsim Python package: entry points, errors and Python policies, on inputs
small enough that the right answers are worked out by hand."""

import json
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
        # Without GPU grades in the clusters' resource models, Karmada's general estimator
        # answers 0 for GPU jobs; with the gate off it reads the resource summary.
        "scheduler": {
            "member_placement": placement,
            "feature_gates": {"CustomizedClusterResourceModeling": False},
        },
    }


def test_run_takes_a_dict_and_returns_its_tables(tmp_path):
    run = fleetsim.run(small_scenario(), out=tmp_path / "run", progress=False)
    assert run.jobs.height == 3
    assert run.jobs["name"].to_list() == ["j0", "j1", "j2"]
    # Three 4-GPU jobs on two 8-GPU nodes: all start, none waits for another.
    assert run.jobs["state"].to_list() == ["completed"] * 3
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


# --- where a policy fails -------------------------------------------------------------------


class FailsOnAUsedNode(fleetsim.PlacementPolicy):
    """Raises as soon as a candidate node is partly used."""

    def score(self, pod, nodes):
        if (nodes.gpu_free_total < 8000).any():
            raise RuntimeError("a used node")
        return np.zeros(len(nodes), dtype=np.int64)


def test_a_policy_error_names_the_job_and_the_simulated_time(tmp_path):
    fleetsim.register(FailsOnAUsedNode)
    with pytest.raises(fleetsim.PolicyError) as caught:
        fleetsim.run(small_scenario("FailsOnAUsedNode"), out=tmp_path / "run", progress=False)
    err = caught.value
    # j0 (submitted at 0 s) finds both nodes empty; j1, submitted at 10 s, is the first to
    # see a used node, and is placed before j2 arrives at 20 s.
    assert (err.kind, err.policy, err.job) == ("placement policy", "FailsOnAUsedNode", 1)
    assert 10_000 <= err.time_ms < 20_000
    assert f"job 1, at {err.time}" in str(err)
    assert not (tmp_path / "run").exists()


def test_an_experiment_policy_error_names_the_pod_and_no_time(tmp_path):
    file = two_node_experiment(tmp_path, "Failing")
    with pytest.raises(fleetsim.PolicyError) as caught:
        fleetsim.fragmentation(file, progress=False)
    # The first pod placed fails, whichever of the three rows the seed sends first.
    assert caught.value.job in (0, 1, 2)
    assert caught.value.time_ms is None


class WrongLength(fleetsim.PlacementPolicy):
    def score(self, pod, nodes):
        return np.zeros(len(nodes) + 1, dtype=np.int64)


def test_a_policy_returning_the_wrong_length_is_a_policy_error(tmp_path):
    fleetsim.register(WrongLength)
    # The first pod sees two identical empty nodes: one row.
    with pytest.raises(fleetsim.PolicyError, match="returned 2 scores for 1 node states"):
        fleetsim.fragmentation(two_node_experiment(tmp_path, "WrongLength"), progress=False)


# --- GPU shares and the target workload -----------------------------------------------------


def share_experiment(folder: Path, policy: str) -> Path:
    """One node of 2 GPUs and four pods, each a 500-milli share of one device."""
    (folder / "nodes.csv").write_text("sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,A\n")
    (folder / "pods.csv").write_text(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
        "p1,100,64,1,500\np2,100,64,1,500\np3,100,64,1,500\np4,100,64,1,500\n"
    )
    file = folder / "experiment.yaml"
    file.write_text(
        "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\n"
        f"policies: [{policy}]\nseeds: [7]\ntarget_pct: 100\n"
    )
    return file


class LastDevice(fleetsim.PlacementPolicy):
    """Puts every share on the highest-index device with room, and records the targets."""

    seen_devices = []
    targets = []

    def score(self, pod, nodes):
        LastDevice.targets.append(self.target)
        return np.zeros(len(nodes), dtype=np.int64)

    def share_device(self, pod, node):
        free = node.gpu_free[0, : node.n_gpus[0]]
        LastDevice.seen_devices.append(free.tolist())
        return int(np.nonzero(free >= pod.gpu_milli)[0].max())


def test_share_device_decides_which_device_a_share_takes(tmp_path):
    fleetsim.register(LastDevice)
    result = fleetsim.fragmentation(share_experiment(tmp_path, "LastDevice"), progress=False)
    # Four 500-milli shares on two devices: the last device fills first (1000, 500 free
    # after the first; then 1000, 0), then device 0 twice. Every pod is placed.
    assert LastDevice.seen_devices == [[1000, 1000], [1000, 500], [1000, 0], [500, 0]]
    assert result.runs["pods_failed"].to_list() == [0]
    # The target workload is the pod list's one kind of pod: 100 milli-CPU, a 500-milli
    # share of one device, any model, all of the pods.
    target = LastDevice.targets[0]
    assert [(t.cpu_milli, t.gpu_milli, t.num_gpu, t.models, t.popularity) for t in target] == [
        (100, 500, 1, [], 1.0)
    ]


class BadDevice(fleetsim.PlacementPolicy):
    def score(self, pod, nodes):
        return np.zeros(len(nodes), dtype=np.int64)

    def share_device(self, pod, node):
        return 5


def test_a_share_on_a_device_without_room_is_a_policy_error(tmp_path):
    fleetsim.register(BadDevice)
    with pytest.raises(fleetsim.PolicyError, match="shared device 5"):
        fleetsim.fragmentation(share_experiment(tmp_path, "BadDevice"), progress=False)


# --- control-plane plugins ------------------------------------------------------------------


def two_cluster_scenario(**scheduler) -> dict:
    """Clusters gamma and beta, each two 8-GPU nodes; three 4-GPU jobs of one replica, each
    placed in exactly one cluster (a spread constraint of one cluster), so filters and scores
    decide where."""
    scenario = small_scenario()
    beta = json.loads(json.dumps(scenario["clusters"][0]))
    scenario["clusters"][0]["name"] = "gamma"
    beta["name"] = "beta"
    scenario["clusters"].append(beta)
    scenario["placement"] = {
        "spreadConstraints": [{"spreadByField": "cluster", "minGroups": 1, "maxGroups": 1}],
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        },
    }
    scenario["scheduler"].update(scheduler)
    return scenario


class NotGamma(fleetsim.ClusterFilterPlugin):
    calls = []

    def filter(self, binding, cluster):
        NotGamma.calls.append((binding.job, binding.request.gpu_count, cluster.name))
        return "gamma is closed" if cluster.name == "gamma" else None


class PreferGamma(fleetsim.ClusterScorePlugin):
    def score(self, binding, cluster):
        return 100 if cluster.name == "gamma" else 0


def clusters_of(run) -> list:
    return run.jobs.sort("job_id")["clusters"].to_list()


def test_a_score_plugin_picks_the_cluster_and_a_filter_rules_one_out(tmp_path):
    fleetsim.register(PreferGamma)
    fleetsim.register(NotGamma)
    # Scores alone: gamma scores 100 against beta's 0, and both have room for every job.
    scored = fleetsim.run(
        two_cluster_scenario(plugins=["*", "-NotGamma"]), out=tmp_path / "a", progress=False
    )
    assert clusters_of(scored) == ["gamma:1"] * 3
    assert NotGamma.calls == []
    filtered = fleetsim.run(two_cluster_scenario(), out=tmp_path / "b", progress=False)
    assert clusters_of(filtered) == ["beta:1"] * 3
    assert {(job, gpus) for job, gpus, _ in NotGamma.calls} == {(0, 4), (1, 4), (2, 4)}
    assert "NotGamma" in fleetsim.plugins("filter")
    assert "PreferGamma" in fleetsim.plugins("score")


class NewestFirst(fleetsim.QueueSort):
    def key(self, entry):
        return -entry.job


def one_node_queue(queue_sort=None) -> dict:
    """One 8-GPU node; three 8-GPU jobs of 1 h submitted together: one runs, two wait."""
    scenario = small_scenario()
    scenario["clusters"][0]["node_pools"][0]["count"] = 1
    for job in scenario["workload"]["jobs"]:
        job["submit"] = "0s"
        job["gpus"] = 8
    if queue_sort:
        scenario["scheduler"]["queue_sort"] = queue_sort
    return scenario


def test_a_queue_sort_decides_who_goes_first(tmp_path):
    fleetsim.register(NewestFirst)
    first = {}
    for sort in (None, "NewestFirst"):
        run = fleetsim.run(one_node_queue(sort), out=tmp_path / str(sort), progress=False)
        jobs = run.jobs.sort("start_s")
        first[sort] = jobs["name"][0]
        # The one that pops first starts at once; the others wait for its hour.
        assert jobs["start_s"][0] < 60
        assert jobs["start_s"][1] >= 3600
    # Karmada's PrioritySort: equal priorities, first queued first; NewestFirst: job 2.
    assert first == {None: "j0", "NewestFirst": "j2"}
    assert "NewestFirst" in fleetsim.plugins("queue_sort")


class BrokenSort(fleetsim.QueueSort):
    def key(self, entry):
        return "soon"


def test_a_queue_sort_answering_nonsense_is_a_policy_error(tmp_path):
    fleetsim.register(BrokenSort)
    with pytest.raises(fleetsim.PolicyError) as caught:
        fleetsim.run(one_node_queue("BrokenSort"), out=tmp_path / "run", progress=False)
    assert (caught.value.kind, caught.value.job) == ("queue sort", 0)


def test_a_missing_file_is_a_scenario_error_naming_it(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    for call in (
        lambda: fleetsim.validate(missing),
        lambda: fleetsim.run(missing, out=tmp_path / "run", progress=False),
        lambda: fleetsim.fragmentation(missing, progress=False),
    ):
        with pytest.raises(fleetsim.ScenarioError) as caught:
            call()
        assert caught.value.file == str(missing)
        assert caught.value.line is None
    assert not (tmp_path / "run").exists()
