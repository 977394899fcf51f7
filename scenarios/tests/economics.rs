//! Prices, power and carbon read from a scenario into integer units, and bad values refused
//! with the file, line and field path.

use std::path::Path;

use sim_core::model::{GpuPower, PoolPrice, Pricing};

const SCENARIO: &str = r#"name: econ
gpu_models:
  - name: H100
    prices: {reserved: 2, on_demand: 12.29}
    power: {idle_watts: 70, busy_watts: 700}
  - name: A100
    prices: {on_demand: 1}
    power: {idle_watts: 50, busy_watts: 400}
regions:
  - {name: eu, carbon_intensity: 400}
  - name: us
    carbon_intensity: {hourly: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24.5]}
start_time_of_day: 6h
clusters:
  - name: c1
    region: eu
    pue: 1.5
    node_pools:
      - {name: h100, count: 1, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100, pricing: reserved, base_watts: 500}
      - {name: a100, count: 1, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: A100, base_watts: 500}
      - {name: cpu, count: 2, cpu: "64", memory: 256Gi, price_per_node_hour: 0.5, base_watts: 200}
  - name: c2
    region: us
    node_pools:
      - {name: spot, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100, pricing: spot, price_per_node_hour: 20}
namespaces: [{name: team-a}]
workload:
  jobs:
    - {name: a, submit: 0s, namespace: team-a, replicas: 1, gpus: 4, cpu: "8", memory: 8Gi, runtime: 5h}
"#;

fn load(text: &str) -> Result<scenarios::Scenario, scenarios::Error> {
    scenarios::load_str(text, Path::new("econ.yaml"))
}

#[test]
fn prices_power_and_carbon_are_read_in_integer_units() {
    let scenario = load(SCENARIO).unwrap();
    let economics = &scenario.world.economics;
    let price = |pricing, micro_usd_per_node_hour| PoolPrice {
        pricing,
        micro_usd_per_node_hour,
    };
    // 8 × $2 reserved; 8 × $1 on demand (the default); the direct prices as given.
    assert_eq!(
        economics.costs.as_ref().unwrap().pools,
        [
            vec![
                price(Pricing::Reserved, 16_000_000),
                price(Pricing::OnDemand, 8_000_000),
                price(Pricing::OnDemand, 500_000),
            ],
            vec![price(Pricing::Spot, 20_000_000)],
        ]
    );
    let energy = economics.energy.as_ref().unwrap();
    assert_eq!(
        energy.gpu_models,
        [
            GpuPower {
                idle_milliwatts: 70_000,
                busy_milliwatts: 700_000
            },
            GpuPower {
                idle_milliwatts: 50_000,
                busy_milliwatts: 400_000
            },
        ]
    );
    assert_eq!(
        energy.base_milliwatts,
        [vec![500_000, 500_000, 200_000], vec![0]]
    );
    // PUE defaults to 1.0.
    assert_eq!(energy.pue_milli, [1500, 1000]);
    let carbon = energy.carbon.as_ref().unwrap();
    assert_eq!(carbon.start_ms_of_day, 6 * 3_600_000);
    assert_eq!(carbon.milligrams_per_kwh[0], [400_000; 24]);
    assert_eq!(carbon.milligrams_per_kwh[1][0], 1000);
    assert_eq!(carbon.milligrams_per_kwh[1][23], 24_500);
}

#[test]
fn a_scenario_without_prices_or_power_has_neither() {
    let text = SCENARIO
        .replace("    prices: {reserved: 2, on_demand: 12.29}\n", "")
        .replace("    prices: {on_demand: 1}\n", "")
        .replace("    power: {idle_watts: 70, busy_watts: 700}\n", "")
        .replace("    power: {idle_watts: 50, busy_watts: 400}\n", "")
        .replace(", price_per_node_hour: 0.5", "")
        .replace(", price_per_node_hour: 20", "")
        .replace(", base_watts: 500", "")
        .replace(", base_watts: 200", "");
    let scenario = load(&text).unwrap();
    assert_eq!(scenario.world.economics, Default::default());
    assert!(
        scenario
            .warnings
            .iter()
            .any(|w| w.contains("no energy or carbon is reported")),
        "{:?}",
        scenario.warnings
    );
}

fn line_of(needle: &str) -> u64 {
    SCENARIO.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

fn check(from: &str, to: &str, line: u64, path: &str, message: &str) {
    assert!(SCENARIO.contains(from), "{from}");
    let err = load(&SCENARIO.replacen(from, to, 1)).unwrap_err();
    let position = err
        .position()
        .unwrap_or_else(|| panic!("no position: {err}"));
    assert_eq!(
        (position.line, position.path.as_str()),
        (line, path),
        "{err}"
    );
    assert!(err.to_string().contains(message), "{err}");
}

#[test]
fn an_unknown_pricing_is_refused() {
    check(
        "pricing: reserved",
        "pricing: reserve",
        line_of("pricing: reserved"),
        "clusters[0].node_pools[0].pricing",
        "unknown pricing \"reserve\"; expected reserved, on_demand or spot",
    );
}

#[test]
fn a_gpu_pool_without_a_price_for_its_pricing_is_refused() {
    check(
        "gpu_model: A100, base_watts: 500}",
        "gpu_model: A100, base_watts: 500, pricing: spot}",
        line_of("name: a100"),
        "clusters[0].node_pools[1].pricing",
        "give gpu_models[1].prices.spot or the pool's price_per_node_hour",
    );
}

#[test]
fn a_pue_below_one_is_refused() {
    check(
        "pue: 1.5",
        "pue: 0.9",
        line_of("pue: 1.5"),
        "clusters[0].pue",
        "expected a PUE between 1.0 and 10.0",
    );
}

#[test]
fn busy_below_idle_is_refused() {
    check(
        "busy_watts: 400",
        "busy_watts: 40",
        line_of("busy_watts: 400"),
        "gpu_models[1].power.busy_watts",
        "busy_watts (40) is below idle_watts (50)",
    );
}

#[test]
fn an_hourly_curve_needs_24_values() {
    check(
        "23, 24.5]",
        "23]",
        line_of("name: us"),
        "regions[1].carbon_intensity",
        "expected 24 hourly values (from midnight), found 23",
    );
}

#[test]
fn with_regions_every_cluster_needs_a_listed_region() {
    check(
        "    region: us\n",
        "    region: asia\n",
        line_of("name: c2"),
        "clusters[1].region",
        "cluster \"c2\" has region \"asia\"; with `regions` every cluster needs a region listed there (eu, us)",
    );
}

#[test]
fn a_start_time_of_day_of_a_day_or_more_is_refused() {
    check(
        "start_time_of_day: 6h",
        "start_time_of_day: 24h",
        line_of("start_time_of_day"),
        "start_time_of_day",
        "expected a time of day below 24h",
    );
}

#[test]
fn power_down_is_read_and_a_zero_idle_time_is_refused() {
    let text = SCENARIO.replacen(
        "    pue: 1.5\n",
        "    pue: 1.5\n    power_down: {after: 30m, wake_up: 5m}\n",
        1,
    );
    let scenario = load(&text).unwrap();
    assert_eq!(
        scenario.world.economics.power_down,
        vec![
            Some(sim_core::model::PowerDown {
                after: sim_core::Duration(30 * 60 * 1000),
                wake_up: sim_core::Duration(5 * 60 * 1000),
            }),
            None,
        ]
    );
    // Without wake_up, nodes come back at once.
    let text = SCENARIO.replacen(
        "    pue: 1.5\n",
        "    pue: 1.5\n    power_down: {after: 1h}\n",
        1,
    );
    let scenario = load(&text).unwrap();
    assert_eq!(
        scenario.world.economics.power_down(0).unwrap().wake_up,
        sim_core::Duration::ZERO
    );
    check(
        "    pue: 1.5\n",
        "    pue: 1.5\n    power_down: {after: 0s, wake_up: 5m}\n",
        line_of("pue: 1.5") + 1,
        "clusters[0].power_down.after",
        "expected an idle time above 0",
    );
    check(
        "    pue: 1.5\n",
        "    pue: 1.5\n    power_down: {after: 30m, wake_up: soon}\n",
        line_of("pue: 1.5") + 1,
        "clusters[0].power_down.wake_up",
        "e.g. 45s",
    );
}

/// Two 8-H100 nodes powering down after 30 min idle, 5 min to wake; job a (8 GPUs, 1 h) from
/// 0, job b (the same) from 2 h. Node 1 sleeps at 30 min, node 0 at 1 h 30 min; b waits for
/// node 0's wake-up and starts at 2 h 5 min (7,500 s), a minute of scheduling latency allowed.
#[test]
fn a_scenario_with_power_down_runs_and_waits_for_the_wake_up() {
    let text = r#"name: pd
gpu_models:
  - name: H100
    power: {idle_watts: 70, busy_watts: 700}
clusters:
  - name: c1
    power_down: {after: 30m, wake_up: 5m}
    node_pools:
      - {name: h100, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100, base_watts: 500}
namespaces: [{name: team-a}]
scheduler:
  estimators: [accurate]
workload:
  jobs:
    - {name: a, submit: 0s, namespace: team-a, replicas: 1, gpus: 8, cpu: "8", memory: 8Gi, runtime: 1h}
    - {name: b, submit: 2h, namespace: team-a, replicas: 1, gpus: 8, cpu: "8", memory: 8Gi, runtime: 1h}
"#;
    let scenario = load(text).unwrap();
    let outcome = scenarios::simulate::run(&scenario, None).unwrap();
    let mut starts = Vec::new();
    let mut powered = Vec::new();
    for record in &outcome.records {
        match record {
            sim_core::record::Record::Job(job) => {
                starts.push((job.id.0, job.start.map(|t| t.as_millis())))
            }
            sim_core::record::Record::Pool(pool) => {
                powered.push((pool.up_nodes, pool.powered_nodes))
            }
            _ => {}
        }
    }
    starts.sort_unstable();
    assert_eq!(starts[0], (0, Some(0)));
    let b = starts[1].1.unwrap();
    assert!((7_500_000..=7_560_000).contains(&b), "b started at {b} ms");
    // Asleep at 30 min (1 powered), at 1 h 30 min (0), woken at 2 h (1); always 2 up.
    assert_eq!(powered, vec![(2, 1), (2, 0), (2, 1)]);
}
