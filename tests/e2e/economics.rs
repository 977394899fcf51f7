//! Cost, energy and carbon through the whole path (scenario file → control plane → reports),
//! on `tests/scenarios/economics.yaml`, worked out by hand:
//!
//! One cluster, PUE 1.5, 10 h. Pool h100: 1 node × 8 H100, reserved at $2/GPU-h ($16/h).
//! Pool a100: 1 node × 8 A100, on demand at $1/GPU-h ($8/h), down from 2 h to 3 h. Job
//! `train` holds 4 H100 from 0 to 5 h: 20 GPU-h, all kept. GPUs idle 70 W, busy 700 W; each
//! node 500 W besides; 400 gCO2e/kWh.
//!
//! Cost: reserved 16 × 10 = $160, paid down or up; on demand 8 × 9 = $72; total $232. Held
//! 20 × $2 = $40; idle capacity: H100 (80 − 20) × $2 = $120, A100 72 × $1 = $72, so $192.
//! $232 / 20 GPU-h kept = $11.60 per used GPU-hour. Nothing lost or wasted.
//!
//! Energy: h100 500 + 4 × 700 + 4 × 70 = 3580 W for 5 h, then 500 + 8 × 70 = 1060 W for 5 h:
//! 23.2 kWh. a100 500 + 8 × 70 = 1060 W for 9 h: 9.54 kWh. IT 32.74 kWh, facility × 1.5 =
//! 49.11 kWh; at 0.4 kg/kWh, 19.644 kg. The only namespace is charged all of it.

use std::path::Path;

use crate::common;

fn run() -> (tempfile::TempDir, std::path::PathBuf, serde_json::Value) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/economics.yaml");
    let (tmp, out) = common::run_quiet(&scenario);
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (tmp, out, summary)
}

#[test]
fn cost_energy_and_carbon_match_the_hand_calculation() {
    let (_tmp, out, summary) = run();
    assert_eq!(summary["end_s"], 36_000.0);
    let jobs = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    assert!(
        jobs.contains(",train,team,,completed,0.000,0.000,18000.000,"),
        "{jobs}"
    );
    let cost = &summary["cost"];
    assert_eq!(cost["total_usd"], 232.0);
    assert_eq!(cost["by_pricing"]["reserved"], 160.0);
    assert_eq!(cost["by_pricing"]["on_demand"], 72.0);
    assert_eq!(cost["held_usd"], 40.0);
    assert_eq!(cost["idle_capacity_usd"], 192.0);
    assert_eq!(cost["down_usd"], 0.0);
    assert_eq!(cost["per_used_gpu_hour_usd"], 11.6);
    assert_eq!(cost["lost_work_usd"], 0.0);
    assert_eq!(cost["wasted_usd"], 0.0);
    assert_eq!(cost["per_namespace"]["team"]["chargeback_usd"], 232.0);
    let energy = &summary["energy"];
    assert_eq!(energy["it_kwh"], 32.74);
    assert_eq!(energy["kwh"], 49.11);
    assert_eq!(energy["kg_co2e"], 19.644);
    assert_eq!(energy["per_namespace"]["team"]["kwh"], 49.11);
    // The A100 node's outage shows in the cost table: on demand drops to $0 for an hour.
    let cost_table = std::fs::read_to_string(out.join("cost.csv")).unwrap();
    assert_eq!(
        cost_table,
        "time_s,pricing,usd_per_hour\n\
         0.000,reserved,16.000000\n\
         0.000,on_demand,8.000000\n\
         7200.000,on_demand,0.000000\n\
         10800.000,on_demand,8.000000\n"
    );
    assert!(out.join("figures/cost.svg").is_file());
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Cost and energy"));
}

/// In Parquet, the cost table and the timeline's power column have the types docs/outputs.md
/// gives; the power column holds the H100 pair's 1.5 × 1060 = 1590 W at the start.
#[test]
fn the_parquet_cost_table_and_power_column_are_as_documented() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/economics.yaml");
    let (_tmp, out) = common::run_quiet_with(&scenario, &[]);
    for stem in ["cost", "timeline"] {
        let frame = crate::tables::read_parquet(&out.join(format!("{stem}.parquet")));
        let actual: Vec<(String, String)> = frame
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), crate::tables::type_name(c.dtype())))
            .collect();
        assert_eq!(
            actual,
            crate::tables::documented_schema(stem),
            "{stem}.parquet"
        );
    }
    let timeline = crate::tables::read_parquet(&out.join("timeline.parquet"));
    let power = timeline
        .column("power_watts")
        .unwrap()
        .f64()
        .unwrap()
        .get(0);
    assert_eq!(power, Some(1590.0));
}
