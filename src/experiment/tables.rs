//! `tables.md` of a fragmentation experiment: the study's tables as Markdown, exactly as
//! `docs/reproductions.md` shows them, so the documentation is written by the program and a
//! test can regenerate it and compare.

use std::fmt::Write as _;

use super::fragmentation::{CellResult, FragmentationOutcome, MAX_ARRIVED_PCT, SeedStats};

/// The arrived-demand steps of the curve tables: every 5 % from 75 % to the top.
fn curve_steps(top: usize) -> impl Iterator<Item = usize> {
    (75..=top.min(MAX_ARRIVED_PCT)).step_by(5)
}

/// A pod list's name in the tables: its file's stem less the openb trace's `openb_pod_list_`
/// prefix (`default`, `gpuspec33`), as the paper names them.
fn list_name(stem: &str) -> &str {
    stem.strip_prefix("openb_pod_list_").unwrap_or(stem)
}

/// One policy's runs on one pod list.
fn runs<'a>(
    outcome: &'a FragmentationOutcome,
    workload: usize,
    policy: &'a str,
) -> impl Iterator<Item = &'a CellResult> + Clone {
    outcome
        .cells
        .iter()
        .filter(move |c| c.workload == workload && &*c.policy == policy)
}

/// Statistics over seeds of `f(allocation)` at arrived demand `x`.
fn stats_at(
    outcome: &FragmentationOutcome,
    workload: usize,
    policy: &str,
    x: usize,
    f: impl Fn(f64) -> f64,
) -> Option<SeedStats> {
    let values: Vec<f64> = runs(outcome, workload, policy)
        .filter_map(|c| c.allocation.get(x).copied().flatten())
        .map(f)
        .collect();
    SeedStats::of(&values)
}

fn header(out: &mut String, first: &str, policies: &[&str], align: &str) {
    let _ = writeln!(out, "| {first} | {} |", policies.join(" | "));
    let _ = writeln!(
        out,
        "|{}|{}",
        first_align(first),
        format!("{align}|").repeat(policies.len())
    );
}

fn first_align(first: &str) -> &'static str {
    if first == "arrived %" { "---:" } else { "---" }
}

/// The Markdown: for each pod list the curve of unallocated GPU (median [quartiles] over
/// seeds), then the mean allocation at the target and the mean unallocated GPU at 100 %.
/// A cell with no run reaching that demand is `–`.
pub fn tables_markdown(
    outcome: &FragmentationOutcome,
    policies: &[&str],
    target_pct: u32,
) -> String {
    let top = target_pct as usize;
    let mut out = String::new();
    let missing = "–".to_owned();
    for (workload, stem) in outcome.workloads.iter().enumerate() {
        let _ = writeln!(
            out,
            "#### Unallocated GPU % by arrived demand: `{}`\n",
            list_name(stem)
        );
        header(&mut out, "arrived %", policies, "---");
        for x in curve_steps(top) {
            let cells: Vec<String> = policies
                .iter()
                .map(|p| {
                    stats_at(outcome, workload, p, x, |a| 100.0 - a).map_or_else(
                        || missing.clone(),
                        |s| format!("{:.2} [{:.2}–{:.2}]", s.median, s.p25, s.p75),
                    )
                })
                .collect();
            let _ = writeln!(out, "| {x} | {} |", cells.join(" | "));
        }
        out.push('\n');
    }
    for (title, x, f) in [
        (
            format!("#### GPU allocation ratio at {top} % arrived demand (mean over seeds)"),
            top,
            (|a: f64| a) as fn(f64) -> f64,
        ),
        (
            "#### Unallocated GPU % at 100 % arrived demand (mean over seeds)".to_owned(),
            100,
            |a: f64| 100.0 - a,
        ),
    ] {
        let _ = writeln!(out, "{title}\n");
        header(&mut out, "pod list", policies, "---:");
        for (workload, stem) in outcome.workloads.iter().enumerate() {
            let cells: Vec<String> = policies
                .iter()
                .map(|p| {
                    stats_at(outcome, workload, p, x, f)
                        .map_or_else(|| missing.clone(), |s| format!("{:.2}", s.mean))
                })
                .collect();
            let _ = writeln!(out, "| {} | {} |", list_name(stem), cells.join(" | "));
        }
        out.push('\n');
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(workload: usize, policy: &str, seed: u64, at: &[(usize, f64)]) -> CellResult {
        let mut allocation = vec![None; MAX_ARRIVED_PCT + 1];
        for (x, a) in at {
            allocation[*x] = Some(*a);
        }
        CellResult {
            workload,
            policy: policy.into(),
            seed,
            allocation,
            fragmentation: vec![None; MAX_ARRIVED_PCT + 1],
            n_pods: 0,
            n_failed: 0,
            arrived_milli: 0,
            allocated_milli: 0,
            fragment_milli: 0.0,
            first_failure_allocated_milli: None,
        }
    }

    #[test]
    fn tables_by_hand() {
        // Two seeds of one policy on one list; at 100 % they allocate 90 and 94 (unallocated
        // 10 and 6: median 8, quartiles 7 and 9 by linear interpolation, mean 8); at 80 % one
        // run only; at 85 % none.
        let outcome = FragmentationOutcome {
            workloads: vec!["openb_pod_list_default".to_owned()],
            cells: vec![
                cell(0, "FGD", 1, &[(80, 79.0), (100, 90.0)]),
                cell(0, "FGD", 2, &[(100, 94.0)]),
            ],
        };
        let md = tables_markdown(&outcome, &["FGD"], 100);
        let expected = "\
#### Unallocated GPU % by arrived demand: `default`

| arrived % | FGD |
|---:|---|
| 75 | – |
| 80 | 21.00 [21.00–21.00] |
| 85 | – |
| 90 | – |
| 95 | – |
| 100 | 8.00 [7.00–9.00] |

#### GPU allocation ratio at 100 % arrived demand (mean over seeds)

| pod list | FGD |
|---|---:|
| default | 92.00 |

#### Unallocated GPU % at 100 % arrived demand (mean over seeds)

| pod list | FGD |
|---|---:|
| default | 8.00 |
";
        assert_eq!(md, expected);
    }
}
