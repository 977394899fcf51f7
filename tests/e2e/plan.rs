//! `fleetsim plan` end to end: a case worked out by hand, the federated-quota comparison, and
//! bad plan files.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::{constant_stream_scenario, fleetsim_ok, stream_plan};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn plan(file: &Path, out: &Path) -> (serde_json::Value, String) {
    let output = fleetsim_ok(&[
        "plan",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let json = serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();
    (json, String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_planner_finds_the_node_count_worked_out_by_hand() {
    // One job every 60 s, each running 5,000 s on one GPU: at an arrival 84 jobs run
    // (⌈5000 / 60⌉ = 84, see constant_stream_scenario), so the cluster needs 84 GPUs, that is
    // ⌈84 / 8⌉ = 11 nodes of 8 GPUs. With 10 nodes, jobs 80 to 119 (a third of 120) wait at
    // least 200 s, so p95 waiting exceeds 60 s. The base has 4 nodes: 7 must be added.
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "stream.yaml", &constant_stream_scenario(120, 4));
    let file = write(tmp.path(), "plan.yaml", &stream_plan(1, "mean", 16));
    let out = tmp.path().join("out");
    let (json, stdout) = plan(&file, &out);
    assert_eq!(json["status"], "met");
    assert_eq!(json["recommendation"]["values"]["added"], 7);
    // 7 nodes at 3 a node.
    assert_eq!(json["recommendation"]["cost"], 21.0);
    assert_eq!(json["recommendation"]["objective"][0]["mean"], 0.0);
    let below = &json["one_step_below"][0];
    assert_eq!(below["values"]["added"], 6);
    assert_eq!(below["meets_objective"], false);
    assert!(below["objective"][0]["mean"].as_f64().unwrap() >= 200.0);
    assert!(
        stdout.contains("recommendation (cost 21): added = 7"),
        "{stdout}"
    );
    // Every point evaluated ran once and is in the tables.
    let points = common::rows(&out.join("points.csv"));
    let runs = common::read_parquet(&out.join("runs.parquet"));
    assert_eq!(runs.height(), points.len());
    assert_eq!(json["points_evaluated"].as_u64(), Some(points.len() as u64));
}

#[test]
fn the_recommendation_opens_with_the_answer_and_names_the_bound_tested() {
    // The case above, judged by the interval over two replications. The jobs are listed, not
    // drawn, so both replications agree and every interval has zero width: 7 nodes added
    // (cost 21) give waits of 0, and one step below, waits of at least 200 s > 60 s.
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "stream.yaml", &constant_stream_scenario(120, 4));
    let file = write(tmp.path(), "plan.yaml", &stream_plan(2, "ci95", 16));
    let out = tmp.path().join("out");
    let (json, stdout) = plan(&file, &out);
    assert_eq!(json["recommendation"]["values"]["added"], 7);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "Answer: added = 7 (cost 21) is the cheapest change that meets wait_p95_s ≤ 60 under every condition (nominal)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("tested: upper 95 % bound 0 ≤ 60 → met"),
        "{stdout}"
    );
    let below = stdout
        .lines()
        .skip_while(|l| !l.starts_with("one step below"))
        .nth(1)
        .unwrap();
    assert!(below.contains("tested: upper 95 % bound "), "{below}");
    assert!(below.ends_with(" > 60 → NOT met"), "{below}");
    let written = std::fs::read_to_string(out.join("recommendation.txt")).unwrap();
    assert!(stdout.starts_with(&written), "{written}");
    assert!(written.starts_with(first));
}

#[test]
fn the_federated_quota_plan_compares_need_with_the_duplicated_quota() {
    if common::skip_slow() {
        return;
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let tmp = tempfile::tempdir().unwrap();
    // The example's scenario and teams, with fewer jobs and coarser steps for a debug build.
    let file = write(
        tmp.path(),
        "plan.yaml",
        &format!(
            "scenario: {}
seed: 2
replications: 2
decide_by: mean
set: {{workload.synthetic.jobs: 240, horizon: 14h}}
dimensions:
  - {{name: llm, quota: {{namespace: llm}}, min: 8, max: 200, step: 24}}
  - {{name: vision, quota: {{namespace: vision}}, min: 8, max: 104, step: 24}}
  - {{name: research, quota: {{namespace: research}}, min: 8, max: 96, step: 16}}
objective:
  - {{metric: \"wait_p95_s{{namespace=llm}}\", at_most: 1h}}
  - {{metric: \"wait_p95_s{{namespace=vision}}\", at_most: 1h}}
  - {{metric: \"wait_p95_s{{namespace=research}}\", at_most: 1h}}
",
            examples.join("scenarios/team-quotas.yaml").display()
        ),
    );
    let out = tmp.path().join("out");
    let (json, stdout) = plan(&file, &out);
    assert_eq!(json["status"], "met", "{stdout}");
    // Today each team has its ResourceQuota in each of the 3 clusters: 128, 64 and 32 GPUs,
    // so 384, 192 and 96 in all.
    let today = [("llm", 384), ("vision", 192), ("research", 96)];
    let mut needed_total = 0;
    for (idx, (team, today)) in today.into_iter().enumerate() {
        let dimension = &json["dimensions"][idx];
        assert_eq!(dimension["name"], team);
        assert_eq!(dimension["today"], today);
        let needed = dimension["recommended"].as_i64().unwrap();
        assert_eq!(dimension["saving"].as_i64().unwrap(), today - needed);
        needed_total += needed;
        let row = format!("  {team:<12} {needed:>8} {today:>8} {:>8}", today - needed);
        assert!(stdout.contains(&row), "no row {row:?} in\n{stdout}");
        // One step (of that team's dimension) below, the objective is not met.
        let below = json["one_step_below"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["dimension"] == team);
        if let Some(below) = below {
            assert_eq!(below["meets_objective"], false, "{team}");
        } else {
            assert_eq!(needed, 8, "{team}: no step below only at the minimum");
        }
    }
    let total = format!(
        "  {:<12} {needed_total:>8} {:>8} {:>8}",
        "total",
        384 + 192 + 96,
        672 - needed_total
    );
    assert!(stdout.contains(&total), "no row {total:?} in\n{stdout}");
    // The recommendation meets the objective, as its intervals show.
    for judgement in json["recommendation"]["objective"].as_array().unwrap() {
        assert_eq!(judgement["met"], true);
        assert!(judgement["mean"].as_f64().unwrap() <= 3600.0);
    }
}

#[test]
fn the_example_sweep_and_plan_files_are_valid() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let sweep = scenarios::sweep::load_sweep(&examples.join("sweeps/h100-growth.yaml"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    // 5 sizes × (nominal + one loss per data centre).
    assert_eq!(sweep.n_cells(), 5 * 4);
    let plan = scenarios::plan::load_plan(&examples.join("plans/federated-quota.yaml"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let today: Vec<Option<u64>> = plan.dimensions.iter().map(|d| d.today).collect();
    assert_eq!(today, [Some(384), Some(192), Some(96)]);
}

#[test]
fn bad_plan_files_name_the_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "stream.yaml", &constant_stream_scenario(4, 1));
    let head = "scenario: stream.yaml\nreplications: 2\n";
    let dimension = "dimensions: [{name: n, path: \"clusters[0].node_pools[0].count\", max: 4}]\n";
    let objective = "objective: [{metric: wait_p95_s, at_most: 1h}]\n";
    let cases = [
        (
            format!(
                "{head}dimensions: [{{name: n, path: \"clusters[name=x].node_pools[0].count\", max: 4}}]\n{objective}"
            ),
            "plan.yaml:3:",
            "clusters[name=x] selects nothing: names are c1",
        ),
        (
            format!("{head}{dimension}objective: [{{metric: wait_p95_s, at_most: soon}}]\n"),
            "plan.yaml:4:",
            "objective[0].at_most",
        ),
        (
            format!(
                "{head}{dimension}objective: [{{metric: wait_p95_s, at_least: 1, at_most: 2}}]\n"
            ),
            "plan.yaml:4:",
            "give exactly one of at_most or at_least",
        ),
        (
            format!(
                "{head}dimensions: [{{name: n, add_nodes: {{shape: big, clusters: [c1]}}, max: 4}}]\n{objective}"
            ),
            "plan.yaml:3:",
            "no shape \"big\"",
        ),
        (
            format!(
                "{head}dimensions: [{{name: q, quota: {{namespace: nobody}}, max: 4}}]\n{objective}"
            ),
            "plan.yaml:3:",
            "no namespace \"nobody\" in the scenario; it has team",
        ),
        (
            format!("scenario: stream.yaml\nreplications: 1\n{dimension}{objective}"),
            "plan.yaml",
            "decide_by: ci95 needs at least 2 replications",
        ),
        (
            format!("{head}{dimension}{objective}conditions: [lose c9]\n"),
            "plan.yaml:5:",
            "no cluster \"c9\"",
        ),
    ];
    for (text, position, message) in cases {
        let file = write(tmp.path(), "plan.yaml", &text);
        common::assert_bad_input("plan", &file, position, message);
    }
}

/// `minimize: cost_usd`: the frontier walk over reserved 8-GPU nodes ($16 a node-hour) and
/// spot 4-GPU nodes ($9 a node-hour) added to the constant stream's 4 reserved nodes. The
/// stream needs 84 GPUs at once (see above): 32 are there, so 8a + 4b ≥ 52, that is
/// 2a + b ≥ 13, with waits of 0 on the frontier and the run the same length at every frontier
/// point. Per hour the frontier costs 64 + 16a + 9b: (0, 13) 181, (1, 11) 179, (2, 9) 177,
/// (3, 7) 175, (4, 5) 173, (5, 3) 171, (6, 1) 169, (7, 0) 176, (8, 0) 192. The cheapest mix is
/// 6 reserved nodes and 1 spot node; one node fewer of either kind breaks the objective.
#[test]
fn minimizing_the_run_cost_finds_the_cheapest_mix_worked_out_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = constant_stream_scenario(120, 4).replace(
        "gpu_model: H100}]",
        "gpu_model: H100, pricing: reserved, price_per_node_hour: 16}]",
    );
    write(tmp.path(), "stream.yaml", &scenario);
    let file = write(
        tmp.path(),
        "plan.yaml",
        "scenario: stream.yaml
replications: 1
decide_by: mean
minimize: cost_usd
shapes:
  reserved8: {cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100, pricing: reserved, price_per_node_hour: 16, cost: 16}
  spot4: {cpu: \"48\", memory: 512Gi, gpus: 4, gpu_model: H100, pricing: spot, price_per_node_hour: 9, cost: 9}
dimensions:
  - {name: reserved, add_nodes: {shape: reserved8, clusters: [c1]}, max: 8}
  - {name: spot, add_nodes: {shape: spot4, clusters: [c1]}, max: 14}
objective:
  - {metric: wait_p95_s, at_most: 60s}
",
    );
    let out = tmp.path().join("out");
    let (json, stdout) = plan(&file, &out);
    assert_eq!(json["status"], "met", "{stdout}");
    assert_eq!(json["minimize"], "cost_usd");
    assert_eq!(json["recommendation"]["values"]["reserved"], 6);
    assert_eq!(json["recommendation"]["values"]["spot"], 1);
    // $169 an hour over the run: the last job starts at 7,140 s and runs 5,000 s.
    let cost = json["recommendation"]["cost"].as_f64().unwrap();
    let hours = cost / 169.0;
    assert!((hours - 12_140.0 / 3_600.0).abs() < 1e-3, "{cost}");
    for below in json["one_step_below"].as_array().unwrap() {
        assert_eq!(below["meets_objective"], false, "{below}");
    }
    // The front: every frontier point evaluated is on it or beaten by a cheaper one, and the
    // recommendation is its cheapest point that meets the target.
    let front = json["pareto_front"].as_array().unwrap();
    assert!(!front.is_empty());
    assert!(out.join("figures/plan.svg").is_file());
    assert!(stdout.contains("search: the frontier walk"), "{stdout}");
}

/// examples/plans/cheapest-fleet.yaml, run by the release build: the mix it recommends meets
/// the SLO under every condition, and each of its neighbours one node per data centre fewer
/// (of either kind) fails it or costs more. The points tried include the recommendation and
/// both neighbours, so their runs are in the folder.
#[test]
fn the_cheapest_fleet_example_is_checked_by_its_neighbours() {
    let Some(release) = common::release_bin() else {
        return;
    };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let status = std::process::Command::new(release)
        .args(["plan", "--quiet"])
        .arg(examples.join("plans/cheapest-fleet.yaml"))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();
    assert_eq!(json["status"], "met");
    assert_eq!(json["minimize"], "cost_usd");
    let recommendation = &json["recommendation"];
    assert_eq!(recommendation["meets_objective"], true);
    let cost = recommendation["cost"].as_f64().unwrap();
    // Both kinds are in the mix, and neither is at the top of its range.
    let values = &recommendation["values"];
    let h100 = values["h100_per_dc"].as_u64().unwrap();
    let spot = values["spot_a100_per_dc"].as_u64().unwrap();
    assert!(
        (2..8).contains(&h100) && (1..24).contains(&spot),
        "{values}"
    );
    let below = json["one_step_below"].as_array().unwrap();
    assert_eq!(below.len(), 2, "{below:?}");
    for neighbour in below {
        let cheaper = neighbour["cost"].as_f64().unwrap() < cost;
        assert!(
            neighbour["meets_objective"] == false || !cheaper,
            "a neighbour meets the SLO for less: {neighbour}"
        );
    }
}
