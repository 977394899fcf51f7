//! The headline table of a fragmentation experiment's report: per pod list and policy, the
//! means over seeds of how full the cluster was when the first pod failed and where the runs
//! ended (from `runs.csv`) and the unallocated share at 100 % arrived demand (from
//! `means.csv`), with a sentence naming the best policy per list.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Error;
use crate::figures::CsvInput;

/// The arrived demand, in % of the cluster's GPUs, at which the table reads the curves.
pub(crate) const FIXED_LOAD_PCT: f64 = 100.0;

/// One row: a policy on a pod list, means over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PolicyRow {
    pub workload: String,
    pub policy: String,
    pub seeds: usize,
    /// GPUs allocated when the first pod failed (%), over the seeds where one failed; `None`
    /// when none did (or the folder predates the column).
    pub allocated_first_failure_pct: Option<f64>,
    /// GPUs allocated when the last pod arrived (% of the cluster's GPUs).
    pub allocated_end_pct: f64,
    /// GPUs left unallocated at [`FIXED_LOAD_PCT`] arrived demand; `None` if no run got there.
    pub unallocated_at_load_pct: Option<f64>,
    /// GPUs fragmented when the last pod arrived (%).
    pub fragment_end_pct: f64,
    /// Pods that could not be placed.
    pub pods_failed: f64,
}

/// Sums of one (workload, policy) over its seeds.
#[derive(Default)]
struct Sums {
    seeds: usize,
    allocated: f64,
    fragment: f64,
    failed: f64,
    /// Sum and count over the seeds where a pod failed.
    first_failure: (f64, usize),
}

/// The rows, in the order `runs.csv` first shows each pod list and policy.
pub(crate) fn policy_rows(dir: &Path) -> Result<Vec<PolicyRow>, Error> {
    let mut input = CsvInput::open(&dir.join("runs.csv"))?;
    let (workload_idx, policy_idx, failed_idx, allocated_idx, fragment_idx) = (
        input.column("workload")?,
        input.column("policy")?,
        input.column("pods_failed")?,
        input.column("gpu_allocation_pct")?,
        input.column("fragment_pct")?,
    );
    // Folders written before the column have no first-failure figure.
    let first_failure_idx = input.column("first_failure_gpu_allocation_pct").ok();
    let mut order: Vec<(String, String)> = Vec::new();
    let mut sums: BTreeMap<(String, String), Sums> = BTreeMap::new();
    input.for_each_row(|row| {
        let key = (
            row.text(workload_idx).to_owned(),
            row.text(policy_idx).to_owned(),
        );
        if !sums.contains_key(&key) {
            order.push(key.clone());
        }
        let sum = sums.entry(key).or_default();
        sum.seeds += 1;
        sum.allocated += row.number(allocated_idx)?.unwrap_or(0.0);
        sum.fragment += row.number(fragment_idx)?.unwrap_or(0.0);
        sum.failed += row.number(failed_idx)?.unwrap_or(0.0);
        if let Some(idx) = first_failure_idx {
            if let Some(value) = row.number(idx)? {
                sum.first_failure.0 += value;
                sum.first_failure.1 += 1;
            }
        }
        Ok(())
    })?;
    let at_load = allocation_at_load(dir)?;
    Ok(order
        .into_iter()
        .map(|key| {
            let sum = &sums[&key];
            let n = sum.seeds.max(1) as f64;
            PolicyRow {
                unallocated_at_load_pct: at_load.get(&key).map(|mean| 100.0 - mean),
                workload: key.0,
                policy: key.1,
                seeds: sum.seeds,
                allocated_first_failure_pct: match sum.first_failure {
                    (_, 0) => None,
                    (total, count) => Some(total / count as f64),
                },
                allocated_end_pct: sum.allocated / n,
                fragment_end_pct: sum.fragment / n,
                pods_failed: sum.failed / n,
            }
        })
        .collect())
}

/// (workload, policy) → mean allocation (%) at [`FIXED_LOAD_PCT`] arrived, from `means.csv`.
fn allocation_at_load(dir: &Path) -> Result<BTreeMap<(String, String), f64>, Error> {
    let mut input = CsvInput::open(&dir.join("means.csv"))?;
    let (workload_idx, policy_idx, x_idx, mean_idx) = (
        input.column("workload")?,
        input.column("policy")?,
        input.column("arrived_pct")?,
        input.column("mean_pct")?,
    );
    let mut found = BTreeMap::new();
    input.for_each_row(|row| {
        if let (Some(x), Some(mean)) = (row.number(x_idx)?, row.number(mean_idx)?) {
            if x == FIXED_LOAD_PCT {
                found.insert(
                    (
                        row.text(workload_idx).to_owned(),
                        row.text(policy_idx).to_owned(),
                    ),
                    mean,
                );
            }
        }
        Ok(())
    })?;
    Ok(found)
}

/// Per pod list, the policy that allocates the most GPUs by the end (first listed on a tie).
pub(crate) fn best_policies(rows: &[PolicyRow]) -> String {
    let mut best: Vec<&PolicyRow> = Vec::new();
    for row in rows {
        match best.iter_mut().find(|b| b.workload == row.workload) {
            Some(b) if row.allocated_end_pct > b.allocated_end_pct => *b = row,
            Some(_) => {}
            None => best.push(row),
        }
    }
    let parts: Vec<String> = best
        .iter()
        .map(|b| {
            format!(
                "on {}, {} allocates the most GPUs by the last arrival ({:.2} %, {:.2} % fragmented)",
                b.workload, b.policy, b.allocated_end_pct, b.fragment_end_pct
            )
        })
        .collect();
    let mut sentence = parts.join("; ");
    if let Some(first) = sentence.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if !sentence.is_empty() {
        sentence.push('.');
    }
    sentence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_means_over_seeds_and_the_best_policy_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("runs.csv"),
            "workload,policy,seed,pods,pods_failed,arrived_pct,gpu_allocation_pct,fragment_pct,first_failure_gpu_allocation_pct\n\
             default,Random,1,100,10,130.0,80.0,12.0,70.0\n\
             default,Random,2,100,20,130.0,84.0,10.0,73.0\n\
             default,FGD,1,100,2,130.0,95.0,3.0,91.0\n\
             default,FGD,2,100,0,130.0,96.0,5.0,\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("means.csv"),
            "workload,policy,arrived_pct,n_seeds,mean_pct,std_pct,median_pct,p25_pct,p75_pct\n\
             default,Random,99,2,70.0,,,,\n\
             default,Random,100,2,75.5,,,,\n\
             default,FGD,100,2,92.25,,,,\n",
        )
        .unwrap();
        let rows = policy_rows(dir.path()).unwrap();
        // Random: allocation (80 + 84) / 2 = 82, at the first failure (70 + 73) / 2 = 71.5,
        // fragmentation (12 + 10) / 2 = 11, failed (10 + 20) / 2 = 15, unallocated at 100 %
        // 100 − 75.5 = 24.5. FGD: 95.5; 91 (seed 2 had no failure); 4; 1; 7.75.
        assert_eq!(
            rows,
            [
                PolicyRow {
                    workload: "default".into(),
                    policy: "Random".into(),
                    seeds: 2,
                    allocated_first_failure_pct: Some(71.5),
                    allocated_end_pct: 82.0,
                    unallocated_at_load_pct: Some(24.5),
                    fragment_end_pct: 11.0,
                    pods_failed: 15.0,
                },
                PolicyRow {
                    workload: "default".into(),
                    policy: "FGD".into(),
                    seeds: 2,
                    allocated_first_failure_pct: Some(91.0),
                    allocated_end_pct: 95.5,
                    unallocated_at_load_pct: Some(7.75),
                    fragment_end_pct: 4.0,
                    pods_failed: 1.0,
                },
            ]
        );
        assert_eq!(
            best_policies(&rows),
            "On default, FGD allocates the most GPUs by the last arrival (95.50 %, 4.00 % fragmented)."
        );
    }
}
