//! Plugins defined outside the simulator, registered at run time through the library, and
//! named by scenarios exactly like the built-ins: a member placement policy, a cluster filter, a
//! cluster score plugin, a replica estimator and a queue sort. Every expectation is worked by
//! hand on a fleet of two clusters: alpha with two 8-GPU nodes, beta with one.

use std::path::Path;

use fleetsim::plugins::{
    BindingView, ClusterView, FilterPlugin, MAX_SCORE, NodeFree, NodeShape, PlacementPolicy,
    PodRequest, QueueKey, QueueSort, QueuedBinding, Registry, ReplicaEstimator, ScorePlugin,
    Verdict,
};
use sim_core::model::ClusterId;
use sim_core::record::{JobRecord, Record};

/// Every pod on the lowest-index node that fits: all scores equal, and ties go to the lowest
/// index. It packs where the default (least-allocated) spreads.
struct FirstFit;

impl PlacementPolicy for FirstFit {
    fn name(&self) -> &'static str {
        "FirstFit"
    }

    fn score(&self, _: &PodRequest, _: &NodeShape, _: &NodeFree) -> i64 {
        0
    }
}

/// Keeps bindings off one cluster.
struct ExcludeCluster(&'static str);

impl FilterPlugin for ExcludeCluster {
    fn name(&self) -> &'static str {
        "ExcludeCluster"
    }

    fn filter(&self, _: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        if cluster.cluster.name == self.0 {
            Verdict::Unschedulable(format!("cluster {} is excluded", self.0))
        } else {
            Verdict::Fits
        }
    }
}

/// Gives one cluster the maximum score and the others none.
struct PreferCluster(&'static str);

impl ScorePlugin for PreferCluster {
    fn name(&self) -> &'static str {
        "PreferCluster"
    }

    fn score(&self, _: &BindingView<'_>, cluster: &ClusterView<'_>) -> i64 {
        if cluster.cluster.name == self.0 {
            MAX_SCORE
        } else {
            0
        }
    }
}

/// At most two replicas per cluster, whatever is free.
struct TwoPerCluster;

impl ReplicaEstimator for TwoPerCluster {
    fn name(&self) -> &'static str {
        "two-per-cluster"
    }

    fn max_replicas(&self, _: &BindingView<'_>, _: &ClusterView<'_>) -> Option<i64> {
        Some(2)
    }
}

/// Shortest job first: fewest GPUs asked for, then earliest enqueued; priority ignored.
struct FewestGpusFirst;

impl QueueSort for FewestGpusFirst {
    fn name(&self) -> &'static str {
        "FewestGpusFirst"
    }

    fn key(&self, entry: &QueuedBinding) -> QueueKey {
        (entry.gpu_milli as i64, entry.timestamp.as_millis() as i64)
    }
}

/// The two-cluster fleet with `placement` (a YAML block, or empty for the default placement),
/// `jobs` (lines of the `workload.jobs` list) and extra `scheduler` fields. Status is always
/// current, so the estimator sees every bound pod at once.
fn scenario(placement: &str, jobs: &[&str], scheduler: &str) -> String {
    let jobs: String = jobs.iter().map(|j| format!("    - {j}\n")).collect();
    format!(
        "name: custom-plugins
seed: 1
gpu_models: [{{name: A100}}]
clusters:
  - name: alpha
    node_pools: [{{name: a, count: 2, cpu: \"64\", memory: 512Gi, gpus: 8, gpu_model: A100}}]
  - name: beta
    node_pools: [{{name: b, count: 1, cpu: \"64\", memory: 512Gi, gpus: 8, gpu_model: A100}}]
namespaces: [{{name: team}}]
{placement}
workload:
  jobs:
{jobs}scheduler:
  feature_gates: {{CustomizedClusterResourceModeling: false}}
  status_period: 0s
{scheduler}"
    )
}

fn job(name: &str, submit: &str, gpus: u32, runtime: &str) -> String {
    format!(
        "{{name: {name}, submit: {submit}, namespace: team, replicas: 1, gpus: {gpus}, \
         cpu: \"8\", memory: 8Gi, runtime: {runtime}}}"
    )
}

/// Runs scenario text with `plugins`; the job records by job id.
fn run(text: &str, plugins: &Registry) -> Vec<JobRecord> {
    let scenario = scenarios::load_str_with(text, Path::new("custom-plugins.yaml"), plugins)
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = scenarios::simulate::run(&scenario, None).expect("runs");
    let mut jobs: Vec<JobRecord> = outcome
        .records
        .into_iter()
        .filter_map(|r| match r {
            Record::Job(job) => Some(job),
            _ => None,
        })
        .collect();
    jobs.sort_by_key(|j| j.id);
    jobs
}

/// Start times in seconds, by job id.
fn starts(jobs: &[JobRecord]) -> Vec<Option<u64>> {
    jobs.iter()
        .map(|j| j.start.map(|t| t.as_millis() / 1000))
        .collect()
}

/// Cluster names of each job's replicas, by job id.
fn clusters(jobs: &[JobRecord]) -> Vec<Vec<&'static str>> {
    jobs.iter()
        .map(|j| {
            j.clusters
                .iter()
                .map(|(id, _)| ["alpha", "beta"][id.0 as usize])
                .collect()
        })
        .collect()
}

fn with_first_fit() -> Registry {
    let mut plugins = Registry::builtin();
    plugins
        .register_placement("FirstFit", |_| Box::new(FirstFit))
        .unwrap();
    plugins
}

#[test]
fn a_registered_placement_policy_packs_where_the_default_spreads() {
    // On alpha only: a (4 GPUs) and b (4 GPUs) arrive, then c (8 GPUs). Least-allocated puts
    // b on the empty node 1, so c finds no node with 8 free GPUs and waits in the member until
    // a ends at 2 h. FirstFit puts b beside a on node 0, and c starts on node 1 at once (20 s).
    let placement = "placement: {clusterAffinity: {clusterNames: [alpha]}}";
    let jobs = [
        job("a", "0s", 4, "2h"),
        job("b", "10s", 4, "3h"),
        job("c", "20s", 8, "1h"),
    ];
    let jobs: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let plugins = with_first_fit();
    let default = run(&scenario(placement, &jobs, ""), &plugins);
    assert_eq!(starts(&default), [Some(0), Some(10), Some(7200)]);
    let packed = run(
        &scenario(placement, &jobs, "  member_placement: FirstFit"),
        &plugins,
    );
    assert_eq!(starts(&packed), [Some(0), Some(10), Some(20)]);
    assert_eq!(packed[2].n_pods_waited, 0);
    // A cluster's own override names it as well (names fold like the built-ins').
    let per_cluster = scenario(placement, &jobs, "").replace(
        "  - name: alpha\n",
        "  - name: alpha\n    member_placement: first-fit\n",
    );
    assert_eq!(
        starts(&run(&per_cluster, &plugins)),
        [Some(0), Some(10), Some(20)]
    );
}

#[test]
fn a_registered_filter_keeps_every_job_off_its_cluster() {
    // Three 8-GPU jobs of 1 h: the fleet's three nodes take them all at once; with alpha
    // filtered out, beta's one node runs them one after the other (each waiting job is
    // retried on the queue's own ticks, so a little after the previous one ends).
    let jobs = [
        job("j0", "0s", 8, "1h"),
        job("j1", "10s", 8, "1h"),
        job("j2", "20s", 8, "1h"),
    ];
    let jobs: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let text = scenario("", &jobs, "");
    let all = run(&text, &Registry::builtin());
    assert_eq!(starts(&all), [Some(0), Some(10), Some(20)]);
    assert!(clusters(&all).iter().flatten().any(|c| *c == "alpha"));

    let mut plugins = Registry::builtin();
    plugins
        .register_filter("ExcludeCluster", ExcludeCluster("alpha"))
        .unwrap();
    let filtered = run(&text, &plugins);
    assert_eq!(clusters(&filtered), [["beta"], ["beta"], ["beta"]]);
    let starts = starts(&filtered);
    assert_eq!(starts[0], Some(0));
    assert!(starts[1] >= Some(3600), "{starts:?}");
    assert!(starts[2] >= Some(starts[1].unwrap() + 3600), "{starts:?}");
    // `--plugins` syntax disables it like any in-tree plugin.
    let disabled = run(
        &scenario("", &jobs, "  plugins: ['*', '-ExcludeCluster']"),
        &plugins,
    );
    assert_eq!(clusters(&disabled), clusters(&all));
}

#[test]
fn a_registered_score_plugin_picks_the_cluster_a_spread_constraint_keeps() {
    // One cluster is kept (maxGroups 1): with equal scores the one with more available
    // replicas, alpha (16 one-GPU replicas against beta's 8); PreferCluster scores beta 100.
    let placement = "placement:
  spreadConstraints: [{spreadByField: cluster, minGroups: 1, maxGroups: 1}]
  replicaScheduling:
    replicaSchedulingType: Divided
    replicaDivisionPreference: Weighted
    weightPreference: {dynamicWeight: AvailableReplicas}";
    let jobs = [job("one", "0s", 1, "1h")];
    let text = scenario(placement, &[jobs[0].as_str()], "");
    assert_eq!(clusters(&run(&text, &Registry::builtin())), [["alpha"]]);
    let mut plugins = Registry::builtin();
    plugins
        .register_score("PreferCluster", PreferCluster("beta"))
        .unwrap();
    assert_eq!(clusters(&run(&text, &plugins)), [["beta"]]);
}

#[test]
fn a_registered_estimator_caps_what_each_cluster_is_given() {
    // Four 1-GPU replicas divided by available replicas (Webster, divisors 1, 3, 5): alpha 16,
    // 5.33, 3.2 and beta 8, 2.67, so alpha takes 3 and beta 1. With two-per-cluster the
    // minimum over estimators is 2 on both, and they take 2 each.
    let jobs = [
        "{name: four, submit: 0s, namespace: team, replicas: 4, gpus: 1, cpu: \"8\", memory: 8Gi, \
         runtime: 1h}",
    ];
    let mut plugins = Registry::builtin();
    plugins
        .register_estimator("two-per-cluster", TwoPerCluster)
        .unwrap();
    let general = run(&scenario("", &jobs, ""), &plugins);
    assert_eq!(general[0].clusters, [(ClusterId(0), 3), (ClusterId(1), 1)]);
    let capped = run(
        &scenario("", &jobs, "  estimators: [general, two-per-cluster]"),
        &plugins,
    );
    assert_eq!(capped[0].clusters, [(ClusterId(0), 2), (ClusterId(1), 2)]);
}

#[test]
fn a_registered_queue_sort_changes_which_waiting_job_starts_first() {
    // On beta's one 8-GPU node, big (8 GPUs) and small (2 GPUs) arrive at the same moment and
    // are queued together. Karmada's PrioritySort (equal priorities, equal enqueue times) keeps
    // queueing order: big takes the node and small waits for it to end, 1 h later.
    // FewestGpusFirst schedules small first, and big, finding 6 GPUs free, waits for small.
    let placement = "placement: {clusterAffinity: {clusterNames: [beta]}}";
    let jobs = [job("big", "0s", 8, "1h"), job("small", "0s", 2, "1h")];
    let jobs: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let mut plugins = Registry::builtin();
    plugins
        .register_queue_sort("FewestGpusFirst", FewestGpusFirst)
        .unwrap();
    let karmada = starts(&run(&scenario(placement, &jobs, ""), &plugins));
    assert_eq!(karmada, [Some(0), Some(3600)]);
    let sjf = starts(&run(
        &scenario(placement, &jobs, "  queue_sort: FewestGpusFirst"),
        &plugins,
    ));
    assert_eq!(sjf, [Some(3600), Some(0)]);
}

#[test]
fn an_unregistered_name_is_an_input_error_listing_the_registered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut plugins = with_first_fit();
    plugins
        .register_filter("ExcludeCluster", ExcludeCluster("alpha"))
        .unwrap();
    let jobs = [job("j0", "0s", 1, "1h")];
    let jobs = [jobs[0].as_str()];
    let cases = [
        (
            "  member_placement: LastFit",
            "scheduler.member_placement",
            "least-allocated, most-allocated, Random, DotProd, GpuClustering, GpuPacking, \
             BestFit, FGD, FirstFit",
        ),
        (
            "  plugins: ['*', '-NoSuchFilter']",
            "scheduler.plugins[1]",
            "APIEnablement, TaintToleration, ClusterAffinity, SpreadConstraint, \
             ClusterEviction, ClusterLocality, ExcludeCluster",
        ),
        (
            "  queue_sort: Fifo",
            "scheduler.queue_sort",
            "known: PrioritySort)",
        ),
    ];
    for (field, path, known) in cases {
        let file = dir.path().join("bad.yaml");
        std::fs::write(&file, scenario("", &jobs, field)).unwrap();
        let err = fleetsim::validate_scenario_with(&file, &plugins).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        let message = err.to_string();
        assert!(message.contains(path), "{message}");
        assert!(message.contains(known), "{message}");
        // The same file names a plugin the built-in registry lacks: FirstFit is unknown there.
        std::fs::write(&file, scenario("", &jobs, "  member_placement: FirstFit")).unwrap();
        assert!(fleetsim::validate_scenario(&file).is_err());
        assert!(fleetsim::validate_scenario_with(&file, &plugins).is_ok());
    }
}

#[test]
fn registering_a_taken_name_is_an_error() {
    let mut plugins = with_first_fit();
    let err = plugins
        .register_placement("FirstFit", |_| Box::new(FirstFit))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "member placement \"FirstFit\" is already registered"
    );
    // A built-in's name, in any spelling placement names accept.
    assert!(
        plugins
            .register_placement("best_fit", |_| Box::new(FirstFit))
            .is_err()
    );
    assert!(
        plugins
            .register_filter("TaintToleration", ExcludeCluster("alpha"))
            .is_err()
    );
    assert!(
        plugins
            .register_queue_sort("PrioritySort", FewestGpusFirst)
            .is_err()
    );
    // What was refused left the registry as it was.
    assert_eq!(plugins.placement_names().len(), 9);
    assert_eq!(plugins.filter_names().len(), 5);
    assert_eq!(plugins.queue_sort_names(), ["PrioritySort"]);
}

#[test]
fn an_experiment_runs_a_registered_placement_policy_by_name() {
    // Two 2-GPU nodes, two 1-GPU pods and one 2-GPU pod: demand is the whole capacity, and
    // FirstFit puts both small pods on one node whatever the arrival order, so every pod is
    // placed.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,A\nn1,8000,16384,2,A\n",
    );
    write(
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n\
         p1,1000,1024,1,1000\np2,1000,1024,1,1000\np3,1000,1024,2,1000\n",
    );
    let file = dir.path().join("experiment.yaml");
    write(
        "experiment.yaml",
        "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\n\
         policies: [first_fit]\nseeds: [1, 2, 3, 4]\ntarget_pct: 100\n",
    );
    let err = scenarios::experiment::load_experiment(&file).unwrap_err();
    assert!(
        err.to_string().contains("expected one of least-allocated"),
        "{err}"
    );
    let plugins = with_first_fit();
    let experiment = scenarios::experiment::load_experiment_with(&file, &plugins).unwrap();
    assert_eq!(experiment.policies, ["FirstFit"]);
    let out = dir.path().join("out");
    let outcome =
        fleetsim::experiment::run_fragmentation(&experiment, &out, None, &|_, _| {}).unwrap();
    assert_eq!(outcome.cells.len(), 4);
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let rows: Vec<&str> = runs.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{runs}");
    // Every run places all three pods: 100 % of the GPUs allocated.
    assert!(
        rows.iter()
            .all(|l| l.contains(",FirstFit,") && l.contains(",3,0,100.0000,100.0000,")),
        "{runs}"
    );
}

#[test]
fn sweeps_and_plans_name_a_registered_policy_when_given_the_registry() {
    // The base scenario names FirstFit: unknown to the built-ins, so only the `_with` loaders
    // accept it, and a cell's scenario (validated again after its patches) keeps it.
    let dir = tempfile::tempdir().unwrap();
    let jobs = [job("j0", "0s", 1, "1h")];
    let base = scenario("", &[jobs[0].as_str()], "  member_placement: FirstFit");
    std::fs::write(dir.path().join("base.yaml"), base).unwrap();
    let sweep = "scenario: base.yaml\nreplications: 1\naxes:\n  - name: added\n    \
                 path: clusters[name=alpha].node_pools[name=a].count\n    op: add\n    values: [0, 1]\n";
    let file = dir.path().join("sweep.yaml");
    std::fs::write(&file, sweep).unwrap();
    let err = scenarios::sweep::load_sweep(&file, None).unwrap_err();
    assert!(err.to_string().contains("FirstFit"), "{err}");
    let plugins = std::sync::Arc::new(with_first_fit());
    let loaded = scenarios::sweep::load_sweep_with(&file, None, plugins).unwrap();
    assert_eq!(loaded.n_cells(), 2);
    let cell = loaded.cell_scenario(1).unwrap();
    assert_eq!(cell.scheduler.member_placement, "FirstFit");
}

#[test]
fn names_made_at_run_time_register_and_resolve() {
    let mut plugins = Registry::builtin();
    let name = ["Py", "First", "Fit"].concat();
    plugins
        .register_placement(name.clone(), |_| Box::new(FirstFit))
        .unwrap();
    drop(name);
    assert_eq!(plugins.placement_name("py_first_fit"), Some("PyFirstFit"));
    assert_eq!(plugins.placement_names().last(), Some(&"PyFirstFit"));
}
