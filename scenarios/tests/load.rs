//! Loading scenario files: the bundled quickstart, and bad input refused with the file, line,
//! column and field path.

use std::path::{Path, PathBuf};

use scheduler::policy::{DivisionPreference, ReplicaScheduling};
use sim_core::Duration;

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios/quickstart.yaml")
}

#[test]
fn quickstart_loads() {
    let scenario = scenarios::load(&quickstart()).unwrap();
    assert_eq!(scenario.name, "quickstart");
    assert_eq!(scenario.seed, 42);
    assert_eq!(scenario.world.fleet.clusters.len(), 3);
    assert_eq!(scenario.world.fleet.total_gpus(), 768);
    assert_eq!(scenario.world.fleet.gpu_models[0].speed_milli, 2000);
    assert_eq!(
        scenario.world.fleet.clusters[0].node_pools[0].shape.memory,
        1 << 40
    );
    assert_eq!(
        scenario.world.fleet.clusters[0].node_pools[0]
            .shape
            .cpu_milli,
        96_000
    );
    assert_eq!(
        scenario.world.fleet.clusters[0].node_pools[0]
            .shape
            .max_pods,
        110
    );
    assert_eq!(
        scenario.policies.placements[scenario.policies.fallback.unwrap().0 as usize]
            .replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::DynamicWeight)
    );
    assert_eq!(scenario.workload.n_jobs(), 10_000);
    let scenarios::Workload::Synthetic(synthetic) = &scenario.workload else {
        panic!("synthetic")
    };
    assert_eq!(synthetic.runtime_median, Duration::from_mins(120));
    assert_eq!(synthetic.cpu_per_gpu, 10_000);
}

/// Replaces `from` by `to` in the quickstart text and returns the load error.
fn error_after(from: &str, to: &str) -> scenarios::Error {
    let text = std::fs::read_to_string(quickstart()).unwrap();
    assert!(text.contains(from), "{from}");
    let edited = text.replacen(from, to, 1);
    scenarios::load_str(&edited, Path::new("edited.yaml")).unwrap_err()
}

fn check(from: &str, to: &str, line: u64, path: &str, message: &str) {
    let err = error_after(from, to);
    let position = err
        .position()
        .unwrap_or_else(|| panic!("no position: {err}"));
    assert_eq!(position.file, Path::new("edited.yaml"), "{err}");
    assert_eq!(
        (position.line, position.path.as_str()),
        (line, path),
        "{err}"
    );
    assert!(err.to_string().contains(message), "{err}");
}

fn line_of(needle: &str) -> u64 {
    let text = std::fs::read_to_string(quickstart()).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

#[test]
fn typo_in_a_field_name() {
    check(
        "    labels: {tier: burst}",
        "    lables: {tier: burst}",
        line_of("labels: {tier: burst}"),
        "clusters[2].lables",
        "unknown field `lables`",
    );
}

#[test]
fn negative_count() {
    let needle = "{name: a100, count: 32, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: A100}\n  - name: dc-west-1";
    let line = line_of("- {name: a100, count: 32");
    check(
        needle,
        "{name: a100, count: -32, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: A100}\n  - name: dc-west-1",
        line,
        "clusters[1].node_pools[0].count",
        "expected a whole number",
    );
}

#[test]
fn unknown_gpu_model() {
    check(
        "gpus: 8, gpu_model: H100}\n  - name: dc-east-2",
        "gpus: 8, gpu_model: B200}\n  - name: dc-east-2",
        line_of("{name: h100, count: 32"),
        "clusters[0].node_pools[0].gpu_model",
        "unknown GPU model \"B200\"",
    );
}

#[test]
fn malformed_quantity() {
    check(
        "memory: 1Ti, gpus: 8, gpu_model: H100}\n  - name: dc-east-2",
        "memory: 1TB, gpus: 8, gpu_model: H100}\n  - name: dc-east-2",
        line_of("{name: h100, count: 32"),
        "clusters[0].node_pools[0].memory",
        "invalid quantity \"1TB\"",
    );
}

#[test]
fn malformed_duration() {
    check(
        "median: 2h,",
        "median: 2hours,",
        line_of("median: 2h"),
        "workload.synthetic.runtime.lognormal.median",
        "invalid duration",
    );
}

#[test]
fn unknown_namespace_in_the_mix() {
    check(
        "{name: vision, weight: 2",
        "{name: vison, weight: 2",
        line_of("{name: vision, weight: 2"),
        "workload.synthetic.namespaces[1].name",
        "unknown namespace \"vison\"",
    );
}

#[test]
fn unknown_placement_policy() {
    check(
        "member_placement: least-allocated",
        "member_placement: worst-fit",
        line_of("member_placement:"),
        "scheduler.member_placement",
        "unknown member placement \"worst-fit\"",
    );
}

#[test]
fn karmada_enum_values_are_checked() {
    check(
        "replicaSchedulingType: Divided",
        "replicaSchedulingType: Divide",
        line_of("replicaSchedulingType"),
        "placement.replicaScheduling.replicaSchedulingType",
        "expected Duplicated or Divided",
    );
}

#[test]
fn duplicate_cluster_name() {
    check(
        "- name: dc-east-2",
        "- name: dc-east-1",
        line_of("- name: dc-east-2"),
        "clusters[1].name",
        "duplicate cluster name",
    );
}

#[test]
fn malformed_yaml() {
    // The parser notices the unclosed flow sequence on the next line.
    check(
        "gpu_models:\n",
        "gpu_models: [\n",
        line_of("gpu_models:") + 1,
        "gpu_models",
        "only valid inside a block",
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let err = scenarios::load(Path::new("/no/such/scenario.yaml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/no/such/scenario.yaml: cannot read"),
        "{err}"
    );
}

#[test]
fn clusters_may_place_pods_by_their_own_policy() {
    let text = std::fs::read_to_string(quickstart()).unwrap();
    let edited = text.replacen(
        "  - name: dc-east-2\n",
        "  - name: dc-east-2\n    member_placement: best-fit\n",
        1,
    );
    let scenario = scenarios::load_str(&edited, Path::new("edited.yaml")).unwrap();
    assert_eq!(
        scenario.scheduler.cluster_placement,
        vec![(sim_core::model::ClusterId(1), "BestFit".to_owned())]
    );
    let plugins = scenario.scheduler.resolve(3).unwrap();
    let names: Vec<&str> = plugins.placements.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["least-allocated", "BestFit", "least-allocated"]);
    check(
        "  - name: dc-east-2\n",
        "  - name: dc-east-2\n    member_placement: worst-fit\n",
        line_of("- name: dc-east-2") + 1,
        "clusters[1].member_placement",
        "unknown member placement policy \"worst-fit\"",
    );
}

#[test]
fn gpu_mix_weights_adding_up_past_u32_are_refused() {
    // 4,294,967,295 + 15 = 4,294,967,310: the sampler counts in u32.
    check(
        "{gpus: 1, weight: 40}",
        "{gpus: 1, weight: 4294967295}",
        line_of("{gpus: 2, weight: 15}"),
        "workload.synthetic.gpus[1].weight",
        "the weights add up to 4294967310: expected a total of at most 4294967295",
    );
}

#[test]
fn namespace_weights_adding_up_past_u32_are_refused() {
    // 4,294,967,295 + 2 = 4,294,967,297.
    check(
        "{name: llm, weight: 3,",
        "{name: llm, weight: 4294967295,",
        line_of("{name: vision, weight: 2,"),
        "workload.synthetic.namespaces[1].weight",
        "the weights add up to 4294967297: expected a total of at most 4294967295",
    );
}

#[test]
fn cpu_per_gpu_too_large_for_a_replica_is_refused() {
    // 1e16 cores = 1e19 milli-cores per GPU; replicas of 8 GPUs need 8e19, past u64 (1.8e19).
    check(
        "cpu_per_gpu: \"10\"",
        "cpu_per_gpu: \"1e16\"",
        line_of("cpu_per_gpu:"),
        "workload.synthetic.cpu_per_gpu",
        "10000000000000000000 milli-cores per GPU on a replica of 8 GPUs is more than \
         18446744073709551615 milli-cores",
    );
}

#[test]
fn quota_limits_past_i64_are_refused() {
    // 1e16 cores are 1e19 milli-cores, past i64::MAX (9.2e18), which quota limits count in.
    let text = std::fs::read_to_string(quickstart()).unwrap();
    let edited = text.replacen(
        "  - name: llm\n",
        "  - name: llm\n    quota: {duplicated: {requests.cpu: \"1e16\"}}\n",
        1,
    );
    let err = scenarios::load_str(&edited, Path::new("edited.yaml")).unwrap_err();
    let position = err.position().unwrap();
    assert_eq!(
        (position.line, position.path.as_str()),
        (
            line_of("  - name: llm") + 1,
            "namespaces[0].quota.duplicated.requests.cpu"
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("\"1e16\" is too large: expected at most 9223372036854775807"),
        "{err}"
    );
}

#[test]
fn fleets_with_more_nodes_than_fleetsim_models_are_refused() {
    // quickstart's pools: 32 + 32 + 16 + a100 + 8 (cpu). With 33,554,345 A100 nodes in
    // dc-west-1 the fleet reaches 33,554,425 by that pool and 33,554,433 = 2^25 + 1 by the
    // next: one node too many, refused at the cpu pool.
    check(
        "{name: a100, count: 16,",
        "{name: a100, count: 33554345,",
        line_of("{name: cpu, count: 8,"),
        "clusters[2].node_pools[2].count",
        "the fleet has 33554433 nodes up to this pool: expected at most 33554432 in all",
    );
    // A count beyond u32 is refused the same way, not wrapped.
    check(
        "{name: a100, count: 16,",
        "{name: a100, count: 4294967295,",
        line_of("{name: a100, count: 16,"),
        "clusters[2].node_pools[1].count",
        "the fleet has 4294967375 nodes up to this pool",
    );
}

#[test]
fn federated_overall_keys_karmada_never_counts_limit_nothing_and_are_named() {
    // Karmada's binding usage (`CalculateResourceUsage`) is keyed by the request's plain
    // names and the webhook keeps only overall keys present in it
    // (`filterResourceListByKeys`): `requests.nvidia.com/gpu` and `pods` never match, while
    // `cpu` does.
    let text = std::fs::read_to_string(quickstart()).unwrap();
    let edited = text.replacen(
        "  - name: llm\n",
        "  - name: llm\n    quota: {federated: {overall: {requests.nvidia.com/gpu: \"8\", pods: \"4\", cpu: \"64\"}}}\n",
        1,
    );
    let scenario = scenarios::load_str(&edited, Path::new("edited.yaml")).unwrap();
    let overall = scenario.quotas.federated[0].overall;
    assert_eq!(
        (overall.gpus, overall.pods, overall.cpu_milli),
        (None, None, Some(64_000))
    );
    let named: Vec<&String> = scenario
        .warnings
        .iter()
        .filter(|w| w.starts_with("namespaces[0].quota.federated.overall."))
        .collect();
    assert_eq!(named.len(), 2, "{:?}", scenario.warnings);
    assert!(named[0].contains("\"pods\" limits nothing"), "{}", named[0]);
    assert!(
        named[1].contains("\"requests.nvidia.com/gpu\" limits nothing")
            && named[1].ends_with("write \"nvidia.com/gpu\" to limit it"),
        "{}",
        named[1]
    );
}

#[test]
fn priority_classes_without_schedule_priority_are_named() {
    // dc-loss declares high and low classes but its placement sets no schedulePriority:
    // Karmada's queue orders every binding alike. karmada-policies sets one: no warning.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios");
    let warned = |file: &str| {
        scenarios::load(&examples.join(file))
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.starts_with("priority_classes: no propagation policy sets schedulePriority"))
    };
    assert!(warned("dc-loss.yaml"));
    assert!(!warned("karmada-policies.yaml"));
}

/// `workload.synthetic.templates`: each arrival copies a template drawn by weight (here 1 : 3,
/// so about a quarter of 4,000 arrivals are `small`), keeping its namespace, object and
/// components, with its run time from the generator; a size mix beside templates is refused.
#[test]
fn synthetic_templates_are_drawn_by_weight() {
    let text = |extra: &str| {
        format!(
            r#"name: templates
gpu_models: [{{name: H100}}]
clusters:
  - name: c1
    node_pools: [{{name: gpu, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100}}]
namespaces: [{{name: a}}, {{name: b}}]
workload:
  synthetic:
    jobs: 4000
    arrivals: {{rate: 60/h}}
    runtime: {{lognormal: {{median: 1h, sigma: 0}}}}{extra}
    templates:
      - {{weight: 1, job: {{name: small, namespace: a, gpus: 1, cpu: "2", kind: Deployment, api_version: apps/v1, gang: false}}}}
      - {{weight: 3, job: {{name: big, namespace: b, components: [{{name: launcher, cpu: "1"}}, {{name: worker, replicas: 2, gpus: 8}}]}}}}
"#
        )
    };
    let scenario = scenarios::load_str(&text(""), Path::new("t.yaml")).unwrap();
    let jobs: Vec<_> = scenario.jobs(sim_core::rng::RngStreams::new(7)).collect();
    assert_eq!(jobs.len(), 4000);
    let small = jobs.iter().filter(|j| j.name.starts_with("small-")).count();
    assert!((900..=1100).contains(&small), "{small}");
    let big = jobs.iter().find(|j| j.name.starts_with("big-")).unwrap();
    assert_eq!(big.components.len(), 2);
    assert_eq!(big.n_gpus(), 16);
    assert_eq!(big.namespace.0, 1);
    assert_eq!(big.runtime, Duration::from_mins(60), "sigma 0: the median");
    let first_small = jobs.iter().find(|j| j.name.starts_with("small-")).unwrap();
    assert_eq!(&*first_small.template.kind, "Deployment");
    assert!(!first_small.gang);
    let err = scenarios::load_str(
        &text("\n    gpus: [{gpus: 1, weight: 1}]"),
        Path::new("t.yaml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("workload.synthetic.gpus") && err.contains("with `templates`"),
        "{err}"
    );
    let err = scenarios::load_str(
        &text("").replace("name: small,", "name: small, runtime: 1h,"),
        Path::new("t.yaml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("workload.synthetic.templates[0].job.runtime"),
        "{err}"
    );
}
