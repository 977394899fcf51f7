//! Costs, energy and carbon of a run worked out by hand from hand-made records.
//!
//! One cluster `c1`, PUE 1.5, a run of 10 h:
//! - pool `h100`: 1 node × 8 H100, reserved at $2/GPU-h ($16/node-h), base 500 W; H100 idle
//!   70 W, busy 700 W;
//! - pool `a100`: 1 node × 8 A100, on demand at $1/GPU-h ($8/node-h), base 500 W, down from
//!   2 h to 3 h; A100 idle 50 W, busy 400 W;
//! - pool `cpu`: 1 node without GPUs, on demand at a direct $0.50/node-h, base 200 W.
//!
//! Job `a` (team-a) holds 4 H100 from 0 to 5 h: 20 GPU-h, all kept. Job `b` (team-b) holds
//! 2 A100 from 0 to 1 h: 2 GPU-h, of which 1 kept, 0.5 lost and 0.5 held without progress.
//!
//! Cost: reserved 16 × 10 = $160; on demand 8 × 9 (the A100 node is down an hour) + 0.5 × 10
//! = $77; total $237. Held: 20 × 2 + 2 × 1 = $42. GPUs up: 160 + 72 = $232, so idle capacity
//! 232 − 42 = $190; down $0 (nothing reserved was down); without GPUs $5. Work kept: 21
//! GPU-h, so $237 / 21 = $11.285714 per used GPU-hour. A held GPU-hour costs 42 / 22 on
//! average: used 21 × 42/22 = $40.090909, lost and wasted 0.5 × 42/22 = $0.954545 each, all
//! team-b's. Chargeback: team-a holds 20/22 of the GPU time, $237 × 20/22 = $215.454545;
//! team-b 2/22, $21.545455.
//!
//! IT power: h100 500 + 4 × 700 + 4 × 70 = 3580 W for 0–5 h, 500 + 8 × 70 = 1060 W for 5–10 h:
//! 23,200 Wh. a100 500 + 2 × 400 + 6 × 50 = 1600 W for 0–1 h, 500 + 8 × 50 = 900 W for 1–2 h
//! and 3–10 h, nothing for 2–3 h: 8,800 Wh. cpu 200 W × 10 h = 2,000 Wh. IT 34 kWh, facility
//! × 1.5 = 51 kWh; at 400 g/kWh, 20.4 kg. team-a 51 × 20/22 = 46.363636 kWh and 18.545455 kg;
//! team-b 4.636364 kWh and 1.854545 kg.

use sim_core::SimTime;
use sim_core::model::fixture::{WorldBuilder, cluster, pool};
use sim_core::model::{
    Carbon, ClusterId, Costs, Economics, Energy, GpuModelId, GpuPower, NamespaceId, NodeShape,
    PoolPrice, Pricing, World,
};
use sim_core::record::{FaultStats, JobRecord, JobState, PoolRecord, Record};

use super::{CSV, alloc, job, meta, read};

const C1: ClusterId = ClusterId(0);
const H100: GpuModelId = GpuModelId(0);
const A100: GpuModelId = GpuModelId(1);
const HOUR: u64 = 3_600_000;

fn shape(gpus: u32, model: Option<GpuModelId>) -> NodeShape {
    NodeShape {
        cpu_milli: 96_000,
        memory: 1 << 40,
        max_pods: 110,
        gpus,
        gpu_model: model,
    }
}

fn world(carbon: Carbon) -> World {
    let mut world = WorldBuilder::new()
        .gpu_model("H100", 80 << 30, 1000)
        .gpu_model("A100", 80 << 30, 1000)
        .cluster(sim_core::model::Cluster {
            node_pools: vec![
                pool("h100", 1, shape(8, Some(H100))),
                pool("a100", 1, shape(8, Some(A100))),
                pool("cpu", 1, shape(0, None)),
            ],
            ..cluster("c1")
        })
        .namespace("team-a")
        .namespace("team-b")
        .build();
    let price = |pricing, dollars: u64| PoolPrice {
        pricing,
        micro_usd_per_node_hour: dollars,
    };
    world.economics = Economics {
        costs: Some(Costs {
            pools: vec![vec![
                price(Pricing::Reserved, 16_000_000),
                price(Pricing::OnDemand, 8_000_000),
                price(Pricing::OnDemand, 500_000),
            ]],
        }),
        energy: Some(Energy {
            gpu_models: vec![
                GpuPower {
                    idle_milliwatts: 70_000,
                    busy_milliwatts: 700_000,
                },
                GpuPower {
                    idle_milliwatts: 50_000,
                    busy_milliwatts: 400_000,
                },
            ],
            base_milliwatts: vec![vec![500_000, 500_000, 200_000]],
            pue_milli: vec![1500],
            carbon: Some(carbon),
        }),
        power_down: Vec::new(),
    };
    world
}

fn pool_up(time_ms: u64, pool: u32, up_nodes: u32) -> Record {
    Record::Pool(PoolRecord {
        time: SimTime(time_ms),
        cluster: C1,
        pool,
        up_nodes,
        powered_nodes: up_nodes,
    })
}

/// The pool's node up but powered down (`powered` 0) or awake again (1).
fn pool_powered(time_ms: u64, pool: u32, powered_nodes: u32) -> Record {
    Record::Pool(PoolRecord {
        time: SimTime(time_ms),
        cluster: C1,
        pool,
        up_nodes: 1,
        powered_nodes,
    })
}

fn records() -> Vec<Record> {
    let held = |gpus: u128, hours: u128| gpus * 1000 * hours * u128::from(HOUR);
    let half_hour = |gpus: u128| gpus * 1000 * u128::from(HOUR) / 2;
    vec![
        alloc(0, C1, H100, 0, 8000),
        alloc(0, C1, A100, 0, 8000),
        alloc(0, C1, H100, 4000, 8000),
        alloc(0, C1, A100, 2000, 8000),
        alloc(HOUR, C1, A100, 0, 8000),
        pool_up(2 * HOUR, 1, 0),
        alloc(2 * HOUR, C1, A100, 0, 0),
        pool_up(3 * HOUR, 1, 1),
        alloc(3 * HOUR, C1, A100, 0, 8000),
        alloc(5 * HOUR, C1, H100, 0, 8000),
        Record::Job(JobRecord {
            start: Some(SimTime(0)),
            end: Some(SimTime(5 * HOUR)),
            state: JobState::Completed,
            gpu_milli_ms: held(4, 5),
            faults: FaultStats {
                used_gpu_milli_ms: held(4, 5),
                ..FaultStats::default()
            },
            ..job(0, "a", None, 0)
        }),
        Record::Job(JobRecord {
            namespace: NamespaceId(1),
            start: Some(SimTime(0)),
            end: Some(SimTime(HOUR)),
            state: JobState::Completed,
            gpu_milli_ms: held(2, 1),
            faults: FaultStats {
                used_gpu_milli_ms: half_hour(2),
                lost_gpu_milli_ms: half_hour(2) / 2,
                idle_gpu_milli_ms: half_hour(2) / 2,
                ..FaultStats::default()
            },
            ..job(1, "b", None, 0)
        }),
    ]
}

fn run(world: &World) -> (tempfile::TempDir, serde_json::Value) {
    run_records(world, records())
}

fn run_records(world: &World, records: Vec<Record>) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = reports::RunWriter::create(dir.path(), world, &CSV).unwrap();
    for record in records {
        sim_core::record::RecordSink::record(&mut writer, record);
    }
    writer.finish(&meta(10 * HOUR, Some(10 * HOUR))).unwrap();
    let summary = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    (dir, summary)
}

fn constant(grams_per_kwh: u64) -> Carbon {
    Carbon {
        milligrams_per_kwh: vec![[grams_per_kwh * 1000; 24]],
        start_ms_of_day: 0,
    }
}

#[test]
fn cost_splits_into_held_idle_down_and_non_gpu_worked_by_hand() {
    let (_dir, summary) = run(&world(constant(400)));
    let cost = &summary["cost"];
    assert_eq!(cost["total_usd"], 237.0);
    assert_eq!(cost["by_pricing"]["reserved"], 160.0);
    assert_eq!(cost["by_pricing"]["on_demand"], 77.0);
    assert_eq!(cost["by_pricing"]["spot"], 0.0);
    assert_eq!(cost["held_usd"], 42.0);
    assert_eq!(cost["idle_capacity_usd"], 190.0);
    assert_eq!(cost["down_usd"], 0.0);
    assert_eq!(cost["non_gpu_usd"], 5.0);
    assert_eq!(cost["used_gpu_hours"], 21.0);
    assert_eq!(cost["per_used_gpu_hour_usd"], 11.285714);
    assert_eq!(cost["used_usd"], 40.090909);
    assert_eq!(cost["lost_work_usd"], 0.954545);
    assert_eq!(cost["wasted_usd"], 0.954545);
    let team_a = &cost["per_namespace"]["team-a"];
    assert_eq!(team_a["held_share"], 0.909091);
    assert_eq!(team_a["chargeback_usd"], 215.454545);
    assert_eq!(team_a["lost_work_usd"], 0.0);
    assert_eq!(team_a["wasted_usd"], 0.0);
    let team_b = &cost["per_namespace"]["team-b"];
    assert_eq!(team_b["held_share"], 0.090909);
    assert_eq!(team_b["chargeback_usd"], 21.545455);
    assert_eq!(team_b["lost_work_usd"], 0.954545);
    assert_eq!(team_b["wasted_usd"], 0.954545);
}

#[test]
fn energy_and_constant_carbon_worked_by_hand() {
    let (_dir, summary) = run(&world(constant(400)));
    let energy = &summary["energy"];
    assert_eq!(energy["it_kwh"], 34.0);
    assert_eq!(energy["kwh"], 51.0);
    assert_eq!(energy["kg_co2e"], 20.4);
    assert_eq!(energy["per_namespace"]["team-a"]["kwh"], 46.363636);
    assert_eq!(energy["per_namespace"]["team-a"]["kg_co2e"], 18.545455);
    assert_eq!(energy["per_namespace"]["team-b"]["kwh"], 4.636364);
    assert_eq!(energy["per_namespace"]["team-b"]["kg_co2e"], 1.854545);
}

/// Simulated time 0 is 22:00, and the grid emits 100 + 10 × h g/kWh in hour h of the day,
/// so the ten simulated hours meet 320, 330, 100, 110, ..., 170 g/kWh. Facility power per
/// simulated hour (1.5 × IT): 8,070 W (h100 3580 + a100 1600 + cpu 200), 7,020, 5,670 (a100
/// down), 7,020, 7,020, then 3,240 for five hours. Carbon: 8.07 × 320 + 7.02 × 330 + 5.67 ×
/// 100 + 7.02 × 110 + 7.02 × 120 + 3.24 × (130 + 140 + 150 + 160 + 170) = 2582.4 + 2316.6 +
/// 567 + 772.2 + 842.4 + 2430 = 9,510.6 g; team-a 20/22 of it, 8.646 kg; team-b 0.8646 kg.
#[test]
fn an_hourly_carbon_curve_is_read_at_the_time_of_day_worked_by_hand() {
    let mut hourly = [0u64; 24];
    for (hour, value) in hourly.iter_mut().enumerate() {
        *value = (100 + 10 * hour as u64) * 1000;
    }
    let carbon = Carbon {
        milligrams_per_kwh: vec![hourly],
        start_ms_of_day: 22 * HOUR,
    };
    let (_dir, summary) = run(&world(carbon));
    assert_eq!(summary["energy"]["kwh"], 51.0);
    assert_eq!(summary["energy"]["kg_co2e"], 9.5106);
    assert_eq!(
        summary["energy"]["per_namespace"]["team-a"]["kg_co2e"],
        8.646
    );
    assert_eq!(
        summary["energy"]["per_namespace"]["team-b"]["kg_co2e"],
        0.8646
    );
}

/// Facility power of each (cluster, GPU model)'s nodes, 1.5 × IT: H100 idle 1.5 × 1060 =
/// 1590 W, with 4 busy 1.5 × 3580 = 5370 W; A100 idle 1.5 × 900 = 1350 W, with 2 busy
/// 1.5 × 1600 = 2400 W, its node down 0 W. Spending rates: reserved $16/h throughout; on
/// demand $8.50/h, $0.50/h while the A100 node is down.
#[test]
fn the_timeline_gains_power_and_the_cost_table_follows_the_nodes_up() {
    let (dir, _summary) = run(&world(constant(400)));
    assert_eq!(
        read(dir.path(), "timeline.csv"),
        "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus,power_watts\n\
         0.000,c1,H100,0.000,8.000,0.000,1590.000\n\
         0.000,c1,A100,0.000,8.000,0.000,1350.000\n\
         0.000,c1,H100,4.000,8.000,0.000,5370.000\n\
         0.000,c1,A100,2.000,8.000,0.000,2400.000\n\
         3600.000,c1,A100,0.000,8.000,0.000,1350.000\n\
         7200.000,c1,A100,0.000,0.000,0.000,0.000\n\
         10800.000,c1,A100,0.000,8.000,0.000,1350.000\n\
         18000.000,c1,H100,0.000,8.000,0.000,1590.000\n"
    );
    assert_eq!(
        read(dir.path(), "cost.csv"),
        "time_s,pricing,usd_per_hour\n\
         0.000,reserved,16.000000\n\
         0.000,on_demand,8.500000\n\
         7200.000,on_demand,0.500000\n\
         10800.000,on_demand,8.500000\n"
    );
}

/// A world without prices or power figures writes no cost table, and its summary has no
/// `cost` or `energy` key, so existing runs' files do not change.
#[test]
fn without_prices_or_power_nothing_is_added() {
    let mut world = world(constant(400));
    world.economics = Economics::default();
    let (dir, summary) = run(&world);
    assert!(summary.get("cost").is_none());
    assert!(summary.get("energy").is_none());
    assert!(!dir.path().join("cost.csv").exists());
}

/// The H100 node, idle from 5 h, is powered down from 6 h to 8 h (still up, still paid): it
/// draws nothing then instead of 500 + 8 × 70 = 1060 W, so IT energy is 34 − 1.06 × 2 =
/// 31.88 kWh, facility × 1.5 = 47.82 kWh, 19.128 kg at 400 g/kWh. Cost does not change: the
/// node is still up ($237). The timeline shows the pair at 0 W while it sleeps, its capacity
/// unchanged.
#[test]
fn an_asleep_node_draws_nothing_but_is_still_paid_worked_by_hand() {
    let mut records = records();
    records.extend([
        pool_powered(6 * HOUR, 0, 0),
        alloc(6 * HOUR, C1, H100, 0, 8000),
        pool_powered(8 * HOUR, 0, 1),
        alloc(8 * HOUR, C1, H100, 0, 8000),
    ]);
    let (dir, summary) = run_records(&world(constant(400)), records);
    assert_eq!(summary["energy"]["it_kwh"], 31.88);
    assert_eq!(summary["energy"]["kwh"], 47.82);
    assert_eq!(summary["energy"]["kg_co2e"], 19.128);
    assert_eq!(summary["cost"]["total_usd"], 237.0);
    assert_eq!(summary["cost"]["down_usd"], 0.0);
    let timeline = read(dir.path(), "timeline.csv");
    assert!(
        timeline.contains("21600.000,c1,H100,0.000,8.000,0.000,0.000\n"),
        "{timeline}"
    );
    assert!(
        timeline.contains("28800.000,c1,H100,0.000,8.000,0.000,1590.000\n"),
        "{timeline}"
    );
}
