//! Generated thresholds files never panic the loader: every input is accepted with values in
//! range, or refused with an error. 10,000 inputs with `FLEETSIM_SLOW=1` (as CI runs), 500
//! otherwise, in two halves of their own seeds so that both cores work.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};

const VALID: &str = "# ci/thresholds.yaml\nmetrics:\n  waiting_s.p95: {max_worse_pct: 3, max_worse: 60}\n  waiting_s_per_priority_class.high.p95: {max_worse_pct: 2}\n  gpu_utilization.overall:\n    max_worse: 0.005\nconfidence: 0.95\n";

/// Scalars a careless or hostile file might hold.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("95".to_owned()),
        Just("0.95".to_owned()),
        Just("1e308".to_owned()),
        Just("-1e308".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just(".nan".to_owned()),
        Just(".inf".to_owned()),
        Just("-.inf".to_owned()),
        Just("~".to_owned()),
        Just("''".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[1, 2]".to_owned()),
        Just("{max_worse: 1}".to_owned()),
        Just("true".to_owned()),
        "[a-z_.]{0,12}",
        (-1e6f64..1e6).prop_map(|v| v.to_string()),
    ]
}

/// A whole file: a valid one mutated line by line, or one assembled from pieces.
fn file() -> impl Strategy<Value = String> {
    let mutated = (
        prop::collection::vec(0usize..8, 1..4),
        prop::collection::vec(scalar(), 1..4),
        any::<u8>(),
        0usize..VALID.len(),
    )
        .prop_map(|(ops, values, byte, cut)| {
            let mut lines: Vec<String> = VALID.lines().map(str::to_owned).collect();
            for (idx, (op, value)) in ops.iter().zip(values.iter().cycle()).enumerate() {
                let at = (idx * 3 + op) % lines.len();
                match op {
                    0 => {
                        lines.remove(at);
                        if lines.is_empty() {
                            lines.push(String::new());
                        }
                    }
                    1 => {
                        lines[at] = format!("{}{value}", lines[at].split(':').next().unwrap_or(""))
                    }
                    2 => lines[at] = lines[at].replace(|c: char| c.is_ascii_digit(), value),
                    3 => lines.insert(at, format!("  {value}: {{max_worse_pct: {value}}}")),
                    4 => lines[at] = format!("confidence: {value}"),
                    5 => lines[at] = lines[at].replacen("  ", "", 1),
                    6 => lines.insert(at, format!("metrics: {value}")),
                    _ => lines[at].insert(0, char::from(byte)),
                }
            }
            let mut text = lines.join("\n");
            if ops.len() == 3 {
                let cut = cut.min(text.len());
                text = String::from_utf8_lossy(&text.as_bytes()[..cut]).into_owned();
            }
            text
        });
    let assembled = prop::collection::vec(
        (
            prop_oneof![
                Just("metrics".to_owned()),
                Just("confidence".to_owned()),
                "[a-z]{1,8}"
            ],
            prop::collection::vec((scalar(), scalar(), scalar()), 0..4),
            scalar(),
        ),
        0..4,
    )
    .prop_map(|entries| {
        let mut text = String::new();
        for (key, metrics, value) in entries {
            if key == "metrics" {
                text.push_str("metrics:\n");
                for (name, pct, abs) in metrics {
                    text.push_str(&format!(
                        "  {name}: {{max_worse_pct: {pct}, max_worse: {abs}}}\n"
                    ));
                }
            } else {
                text.push_str(&format!("{key}: {value}\n"));
            }
        }
        text
    });
    prop_oneof![mutated, assembled]
}

#[test]
fn generated_thresholds_files_never_panic_first_half() {
    generated_thresholds_files_never_panic(7);
}

#[test]
fn generated_thresholds_files_never_panic_second_half() {
    generated_thresholds_files_never_panic(8);
}

fn generated_thresholds_files_never_panic(seed: u8) {
    let cases = if crate::common::slow() { 5_000 } else { 250 };
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let file_name = Path::new("thresholds.yaml");
    let (accepted, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    runner
        .run(&file(), |text| {
            let parsed = std::panic::catch_unwind(|| {
                scenarios::thresholds::parse_thresholds(&text, file_name)
            });
            let Ok(parsed) = parsed else {
                panic!("the loader panicked on:\n{text}");
            };
            let count = if parsed.is_ok() { &accepted } else { &refused };
            count.fetch_add(1, Ordering::Relaxed);
            if let Ok(t) = parsed {
                // Accepted means in range: a gate that cannot misbehave later.
                prop_assert!(t.confidence.is_none_or(|c| c > 0.0 && c < 1.0), "{text}");
                for limit in &t.metrics {
                    let ok = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v >= 0.0);
                    prop_assert!(ok(limit.max_worse_pct) && ok(limit.max_worse), "{text}");
                    prop_assert!(
                        limit.max_worse_pct.is_some() || limit.max_worse.is_some(),
                        "{text}"
                    );
                }
                let names = ["waiting_s.p95", "gpu_utilization.overall"];
                let checked = std::panic::catch_unwind(|| t.check_names(names).is_ok());
                prop_assert!(checked.is_ok(), "check_names panicked on:\n{text}");
            }
            Ok(())
        })
        .unwrap();
    // The generator reaches both sides of the loader, or the test would prove little.
    let (accepted, refused) = (accepted.into_inner(), refused.into_inner());
    assert!(
        accepted * 20 > cases as usize,
        "{accepted} accepted of {cases}"
    );
    assert!(
        refused * 20 > cases as usize,
        "{refused} refused of {cases}"
    );
}
