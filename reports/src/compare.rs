//! Comparing two runs metric by metric, for CI: which headline metrics got worse than a
//! threshold allows. A run folder holds one `summary.json`, or sub-folders that each hold one
//! (replications with different seeds); with several replications on both sides the means are
//! compared and a metric fails only when the regression is also statistically significant.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Summary;

/// Which way a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Larger values are better (utilization).
    Higher,
    /// Smaller values are better (waiting time).
    Lower,
}

/// When a metric counts as regressed; every limit given must be exceeded.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Threshold {
    /// Fails when the metric worsens by more than this many percent of the base.
    pub max_worse_pct: Option<f64>,
    /// Fails when the metric worsens by more than this much, in its own unit (for fractions
    /// such as utilization, 0.01 is one percentage point).
    pub max_worse: Option<f64>,
}

impl Threshold {
    fn crossed(&self, worse_by: f64, base: f64) -> bool {
        if self.max_worse_pct.is_none() && self.max_worse.is_none() {
            return false;
        }
        let pct_crossed = self
            .max_worse_pct
            .is_none_or(|pct| worse_by > pct / 100.0 * base.abs());
        let abs_crossed = self.max_worse.is_none_or(|abs| worse_by > abs);
        worse_by > 0.0 && pct_crossed && abs_crossed
    }

    /// The limits in words, `max_worse` in the metric's display unit.
    fn describe(&self, name: &str) -> String {
        let abs = |a: f64| {
            if is_fraction(name) {
                format!("{:.2} pt", a * 100.0)
            } else {
                format!("{a}")
            }
        };
        match (self.max_worse_pct, self.max_worse) {
            (Some(pct), Some(a)) => format!("worse by > {pct} % and > {}", abs(a)),
            (Some(pct), None) => format!("worse by > {pct} %"),
            (None, Some(a)) => format!("worse by > {}", abs(a)),
            (None, None) => "none".to_owned(),
        }
    }
}

/// The thresholds in force (read and checked by `scenarios::thresholds`): per metric name, its
/// limits; metrics not named keep the defaults of [`default_thresholds`].
#[derive(Clone, Debug, Default)]
pub struct ThresholdsFile {
    /// Metric name → limits.
    pub metrics: BTreeMap<String, Threshold>,
    /// Confidence level of the significance test with several replications (default 0.95).
    pub confidence: Option<f64>,
}

impl ThresholdsFile {
    /// The confidence level in force.
    pub fn confidence(&self) -> f64 {
        self.confidence.unwrap_or(DEFAULT_CONFIDENCE)
    }
}

/// The confidence level of the significance test when the thresholds file gives none.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// The thresholds that apply when no file says otherwise: p95 waiting and mean waiting and
/// completion time up more than 5 % (and a second), GPU utilization down more than one
/// percentage point, any new unschedulable job.
pub fn default_thresholds() -> BTreeMap<String, Threshold> {
    let pct = |p: f64, floor: f64| Threshold {
        max_worse_pct: Some(p),
        max_worse: Some(floor),
    };
    BTreeMap::from([
        (
            "gpu_utilization.overall".to_owned(),
            Threshold {
                max_worse_pct: None,
                max_worse: Some(0.01),
            },
        ),
        (
            "jobs.unschedulable".to_owned(),
            Threshold {
                max_worse_pct: None,
                max_worse: Some(0.0),
            },
        ),
        ("waiting_s.mean".to_owned(), pct(5.0, 1.0)),
        ("waiting_s.p95".to_owned(), pct(5.0, 1.0)),
        ("jct_s.mean".to_owned(), pct(5.0, 1.0)),
    ])
}

/// The metrics compared, with their direction, taken from a summary.
pub fn metrics_of(summary: &Summary) -> Vec<(String, Better, f64)> {
    let mut out = vec![
        (
            "gpu_utilization.overall".to_owned(),
            Better::Higher,
            summary.gpu_utilization.overall,
        ),
        (
            "gpu_utilization.of_installed".to_owned(),
            Better::Higher,
            summary.gpu_utilization.of_installed,
        ),
        (
            "jobs.completed".to_owned(),
            Better::Higher,
            summary.jobs.completed as f64,
        ),
        (
            "jobs.unschedulable".to_owned(),
            Better::Lower,
            summary.jobs.unschedulable as f64,
        ),
        (
            "waiting_s.mean".to_owned(),
            Better::Lower,
            summary.waiting_s.mean,
        ),
        (
            "waiting_s.p50".to_owned(),
            Better::Lower,
            summary.waiting_s.p50,
        ),
        (
            "waiting_s.p95".to_owned(),
            Better::Lower,
            summary.waiting_s.p95,
        ),
        (
            "waiting_s.p99".to_owned(),
            Better::Lower,
            summary.waiting_s.p99,
        ),
        ("jct_s.mean".to_owned(), Better::Lower, summary.jct_s.mean),
        ("jct_s.p95".to_owned(), Better::Lower, summary.jct_s.p95),
        (
            "member_pods.waited_share".to_owned(),
            Better::Lower,
            summary.member_pods.waited_share,
        ),
        (
            "jobs.failed".to_owned(),
            Better::Lower,
            summary.jobs.failed as f64,
        ),
        (
            "faults.lost_gpu_hours".to_owned(),
            Better::Lower,
            summary.faults.total.lost_gpu_hours,
        ),
        (
            "faults.recovery_s.p95".to_owned(),
            Better::Lower,
            summary.faults.total.recovery_s.p95,
        ),
    ];
    for (class, waits) in &summary.waiting_s_per_priority_class {
        out.push((
            format!("waiting_s_per_priority_class.{class}.p95"),
            Better::Lower,
            waits.p95,
        ));
    }
    for (cluster, utilization) in &summary.gpu_utilization.per_cluster {
        out.push((
            format!("gpu_utilization.per_cluster.{cluster}"),
            Better::Higher,
            *utilization,
        ));
    }
    for (group, balance) in &summary.balance {
        out.push((
            format!("balance.{group}.spread"),
            Better::Lower,
            balance.spread,
        ));
        out.push((format!("balance.{group}.cv"), Better::Lower, balance.cv));
    }
    for (namespace, budget) in &summary.namespaces {
        out.push((
            format!("namespaces.{namespace}.over_budget_gpu_hours"),
            Better::Lower,
            budget.over_budget_gpu_hours,
        ));
    }
    // Present only in runs whose scenario prices its nodes or gives power figures.
    if let Some(cost) = &summary.cost {
        out.push(("cost.total_usd".to_owned(), Better::Lower, cost.total_usd));
        if let Some(per_used) = cost.per_used_gpu_hour_usd {
            out.push((
                "cost.per_used_gpu_hour_usd".to_owned(),
                Better::Lower,
                per_used,
            ));
        }
        for (name, value) in [
            ("idle_capacity_usd", cost.idle_capacity_usd),
            ("lost_work_usd", cost.lost_work_usd),
            ("wasted_usd", cost.wasted_usd),
        ] {
            out.push((format!("cost.{name}"), Better::Lower, value));
        }
    }
    if let Some(energy) = &summary.energy {
        out.push(("energy.kwh".to_owned(), Better::Lower, energy.kwh));
        if let Some(kg) = energy.kg_co2e {
            out.push(("energy.kg_co2e".to_owned(), Better::Lower, kg));
        }
    }
    out
}

/// Every metric name of the runs, in the order [`metrics_of`] gives them (first seen first),
/// each once.
pub fn metric_names<'a>(runs: impl IntoIterator<Item = &'a Summary>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for run in runs {
        for (name, _, _) in metrics_of(run) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Why a run folder cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// No `summary.json` in the folder or its sub-folders.
    #[error("{}: no summary.json in it or in its sub-folders", .0.display())]
    NoRuns(PathBuf),
    /// A file could not be read or parsed.
    #[error("{}: {message}", file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
}

/// The run folders of a folder: itself when it holds a `summary.json`, else its sub-folders
/// that do, in name order (replications).
pub fn run_dirs(dir: &Path) -> Result<Vec<PathBuf>, CompareError> {
    if dir.join("summary.json").is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| CompareError::Unreadable {
        file: dir.to_owned(),
        message: e.to_string(),
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| d.join("summary.json").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(CompareError::NoRuns(dir.to_owned()));
    }
    Ok(dirs)
}

/// The summaries of a run folder: its own `summary.json`, or those of its sub-folders in name
/// order.
pub fn load_runs(dir: &Path) -> Result<Vec<Summary>, CompareError> {
    let read = |file: PathBuf| -> Result<Summary, CompareError> {
        let text = std::fs::read_to_string(&file).map_err(|e| CompareError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| CompareError::Unreadable {
            file,
            message: format!("not a fleetsim summary: {e}"),
        })
    };
    run_dirs(dir)?
        .into_iter()
        .map(|d| read(d.join("summary.json")))
        .collect()
}

/// One metric compared.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricComparison {
    /// Metric name (`waiting_s.p95`).
    pub name: String,
    /// Direction.
    pub better: Better,
    /// Mean over the base replications.
    pub base: f64,
    /// Mean over the new replications.
    pub new: f64,
    /// Half-width of the confidence interval of `new − base`, with replications on both sides.
    pub interval: Option<f64>,
    /// The threshold that applies.
    pub threshold: Threshold,
    /// Worse by more than the threshold (and significantly so, with replications).
    pub failed: bool,
}

impl MetricComparison {
    /// `new − base`.
    pub fn change(&self) -> f64 {
        self.new - self.base
    }

    /// A threshold applies: the metric can fail the comparison. Others are information.
    pub fn gated(&self) -> bool {
        self.threshold.max_worse_pct.is_some() || self.threshold.max_worse.is_some()
    }

    /// `FAIL`, `ok`, or `info` for a metric no threshold gates.
    fn verdict(&self) -> &'static str {
        match (self.failed, self.gated()) {
            (true, _) => "FAIL",
            (false, true) => "ok",
            (false, false) => "info",
        }
    }
}

/// Compares every metric present on both sides, in name order.
pub fn compare(
    base: &[Summary],
    new: &[Summary],
    thresholds: &ThresholdsFile,
) -> Vec<MetricComparison> {
    let mut limits = default_thresholds();
    limits.extend(thresholds.metrics.clone());
    let confidence = thresholds.confidence();
    let samples = |runs: &[Summary]| {
        let mut by_name: BTreeMap<String, (Better, Vec<f64>)> = BTreeMap::new();
        for run in runs {
            for (name, better, value) in metrics_of(run) {
                by_name
                    .entry(name)
                    .or_insert((better, Vec::new()))
                    .1
                    .push(value);
            }
        }
        by_name
    };
    let (base_samples, new_samples) = (samples(base), samples(new));
    let mut out = Vec::new();
    for (name, (better, b)) in &base_samples {
        let Some((_, n)) = new_samples.get(name) else {
            continue;
        };
        let threshold = limits.get(name).copied().unwrap_or_default();
        let (base_mean, new_mean) = (mean(b), mean(n));
        let worse_by = match better {
            Better::Higher => base_mean - new_mean,
            Better::Lower => new_mean - base_mean,
        };
        let interval = match (b.len(), n.len()) {
            (1, 1) => None,
            (1, _) => one_sample_half_width(n, confidence),
            (_, 1) => one_sample_half_width(b, confidence),
            _ => welch_half_width(b, n, confidence),
        };
        let significant = interval.is_none_or(|half| worse_by > half);
        out.push(MetricComparison {
            name: name.clone(),
            better: *better,
            base: base_mean,
            new: new_mean,
            interval,
            threshold,
            failed: threshold.crossed(worse_by, base_mean) && significant,
        });
    }
    out
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn variance(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() as f64 - 1.0)
}

/// Half-width of the Welch confidence interval of the difference of means; `None` unless
/// both sides have at least two values.
fn welch_half_width(a: &[f64], b: &[f64], confidence: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (va, vb) = (variance(a) / a.len() as f64, variance(b) / b.len() as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some(0.0);
    }
    let df =
        se2.powi(2) / (va.powi(2) / (a.len() as f64 - 1.0) + vb.powi(2) / (b.len() as f64 - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(t.inverse_cdf(0.5 + confidence / 2.0) * se2.sqrt())
}

/// Half-width of the interval of `single − mean(many)` when one side has one run: the single
/// run is taken to vary from seed to seed as the replicated side does, so the difference has
/// variance s²(1 + 1/n), tested against Student's t with n − 1 degrees of freedom (a
/// prediction interval for one more run). `None` with fewer than two runs.
fn one_sample_half_width(many: &[f64], confidence: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = many.len();
    if n < 2 {
        return None;
    }
    let se = (variance(many) * (1.0 + 1.0 / n as f64)).sqrt();
    if se == 0.0 {
        return Some(0.0);
    }
    let t = StudentsT::new(0.0, 1.0, n as f64 - 1.0).ok()?;
    Some(t.inverse_cdf(0.5 + confidence / 2.0) * se)
}

/// What a reader must know about seed noise before trusting the verdicts: with one run per
/// side no change can be told from noise; with one run on one side the interval assumes it
/// varies as the other side does.
pub fn noise_warnings(n_base: usize, n_new: usize) -> Vec<String> {
    match (n_base, n_new) {
        (1, 1) => vec![
            "one run per side: each change includes seed noise that one run cannot measure, so \
             a threshold may fail on noise alone; run each side with `fleetsim run \
             --replications 5` and compare the folders"
                .to_owned(),
        ],
        (1, n) | (n, 1) => vec![format!(
            "one side has a single run: its changes are tested against the seed noise of the \
             other side's {n} replications (a prediction interval), assuming the single run \
             varies as they do"
        )],
        _ => Vec::new(),
    }
}

/// Metrics that are fractions, shown in percent and changed in points.
fn is_fraction(name: &str) -> bool {
    name.starts_with("gpu_utilization") || name.ends_with("_share") || name.ends_with(".spread")
}

fn format_value(name: &str, value: f64) -> String {
    if is_fraction(name) {
        format!("{:.2} %", value * 100.0)
    } else if name.starts_with("jobs.") {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The change, with the interval's half-width in the same unit: points for fractions,
/// percent of the base for other metrics, the metric's own unit when the base is 0.
fn format_change(m: &MetricComparison) -> String {
    let change = m.change();
    let (scale, unit, decimals) = if is_fraction(&m.name) {
        (100.0, " pt", 2)
    } else if m.base != 0.0 {
        (100.0 / m.base.abs(), " %", 1)
    } else {
        (1.0, "", 1)
    };
    let mut text = format!("{:+.*}{unit}", decimals, change * scale);
    if let Some(half) = m.interval {
        let _ = write!(text, " (±{:.*}{unit})", decimals, half * scale);
    }
    text
}

/// A plain-text table for the terminal.
pub fn render_text(comparisons: &[MetricComparison]) -> String {
    let mut out = format!(
        "{:<48} {:>14} {:>14} {:>18}  {}\n",
        "metric", "base", "new", "change", "verdict"
    );
    for m in comparisons {
        let verdict = m.verdict();
        let _ = writeln!(
            out,
            "{:<48} {:>14} {:>14} {:>18}  {verdict}",
            m.name,
            format_value(&m.name, m.base),
            format_value(&m.name, m.new),
            format_change(m)
        );
    }
    out
}

/// Markdown for a pull-request comment: a verdict line, then one row per metric.
pub fn render_markdown(
    comparisons: &[MetricComparison],
    n_base: usize,
    n_new: usize,
    confidence: f64,
) -> String {
    let failed: Vec<&str> = comparisons
        .iter()
        .filter(|m| m.failed)
        .map(|m| m.name.as_str())
        .collect();
    let mut out = String::from("## fleetsim comparison\n\n");
    if failed.is_empty() {
        out.push_str("**No regression.**");
    } else {
        let _ = write!(out, "**Regression** in {}.", failed.join(", "));
    }
    let intervals = if n_base > 1 || n_new > 1 {
        // Rounded to hundredths of a percent: 0.9 × 100 is 90.00000000000001 in floating point.
        format!(
            "; means with {} % confidence intervals of the change",
            (confidence * 10_000.0).round() / 100.0
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        " Base: {n_base} run(s), new: {n_new} run(s){intervals}.\n"
    );
    for warning in noise_warnings(n_base, n_new) {
        let _ = writeln!(out, "> **Warning:** {warning}.\n");
    }
    out.push_str("| metric | base | new | change | threshold | verdict |\n");
    out.push_str("|---|---:|---:|---:|---|---|\n");
    for m in comparisons {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            m.name,
            format_value(&m.name, m.base),
            format_value(&m.name, m.new),
            format_change(m),
            m.threshold.describe(&m.name),
            match m.verdict() {
                "FAIL" => "❌ worse",
                "ok" => "✅",
                _ => "info",
            }
        );
    }
    out
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test suite, one test case per metric, a `<failure>` per regression.
pub fn render_junit(comparisons: &[MetricComparison]) -> String {
    let n_failed = comparisons.iter().filter(|m| m.failed).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"fleetsim compare\" tests=\"{}\" failures=\"{n_failed}\" errors=\"0\">",
        comparisons.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"fleetsim compare\" tests=\"{}\" failures=\"{n_failed}\" errors=\"0\" skipped=\"0\">",
        comparisons.len()
    );
    for m in comparisons {
        let name = xml_escape(&m.name);
        if m.failed {
            let message = xml_escape(&format!(
                "{}: {} -> {} ({}), threshold {}",
                m.name,
                format_value(&m.name, m.base),
                format_value(&m.name, m.new),
                format_change(m),
                m.threshold.describe(&m.name)
            ));
            let _ = writeln!(
                out,
                "    <testcase name=\"{name}\" classname=\"fleetsim.compare\">\n      <failure message=\"{message}\" type=\"regression\">{message}</failure>\n    </testcase>"
            );
        } else {
            let _ = writeln!(
                out,
                "    <testcase name=\"{name}\" classname=\"fleetsim.compare\"/>"
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_need_every_limit_crossed() {
        let t = Threshold {
            max_worse_pct: Some(5.0),
            max_worse: Some(1.0),
        };
        // 100 → 106 s: 6 % and 6 s worse.
        assert!(t.crossed(6.0, 100.0));
        // 100 → 104 s: only 4 %.
        assert!(!t.crossed(4.0, 100.0));
        // 10 → 10.9 s: 9 % but under the 1-s floor.
        assert!(!t.crossed(0.9, 10.0));
        assert!(!Threshold::default().crossed(1e9, 1.0));
    }

    fn comparison(name: &str, base: f64, new: f64, interval: Option<f64>) -> MetricComparison {
        MetricComparison {
            name: name.to_owned(),
            better: Better::Lower,
            base,
            new,
            interval,
            threshold: Threshold::default(),
            failed: false,
        }
    }

    #[test]
    fn a_change_and_its_interval_share_a_unit() {
        // 100 → 110 s with a ±4 s interval: 10 % and 4 % of the base.
        let m = comparison("waiting_s.p95", 100.0, 110.0, Some(4.0));
        assert_eq!(format_change(&m), "+10.0 % (±4.0 %)");
        // A fraction moves in points, its interval too.
        let m = comparison("gpu_utilization.overall", 0.80, 0.81, Some(0.005));
        assert_eq!(format_change(&m), "+1.00 pt (±0.50 pt)");
        // From 0, percent means nothing: the metric's own unit for both.
        let m = comparison("jobs.failed", 0.0, 2.0, Some(1.0));
        assert_eq!(format_change(&m), "+2.0 (±1.0)");
    }

    #[test]
    fn metrics_without_a_threshold_are_information() {
        let mut m = comparison("jct_s.p95", 100.0, 900.0, None);
        assert_eq!(m.verdict(), "info");
        m.threshold.max_worse = Some(1.0);
        assert_eq!(m.verdict(), "ok");
        m.failed = true;
        assert_eq!(m.verdict(), "FAIL");
    }

    #[test]
    fn welch_interval_by_hand() {
        // a = [1, 2, 3] (var 1), b = [2, 4, 6] (var 4): se² = 1/3 + 4/3 = 5/3,
        // df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 2.7778 / 0.9444 = 2.941;
        // t(0.975, 2.941): between the table's 4.303 (df 2) and 3.182 (df 3), interpolated in
        // 1/df, ≈ 3.22 → half-width ≈ 3.22 × √(5/3) = 3.22 × 1.291 ≈ 4.16.
        let half = welch_half_width(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], 0.95).unwrap();
        assert!((half - 4.16).abs() < 0.02, "{half}");
        assert_eq!(welch_half_width(&[1.0], &[2.0, 3.0], 0.95), None);
    }

    #[test]
    fn one_run_against_replications_by_hand() {
        // many = [10, 12, 14, 16, 18]: mean 14, s² = 10; se = √(10 × 1.2) = √12 = 3.4641;
        // t(0.975, 4) = 2.776 → half-width 9.617.
        let half = one_sample_half_width(&[10.0, 12.0, 14.0, 16.0, 18.0], 0.95).unwrap();
        assert!((half - 9.617).abs() < 0.01, "{half}");
        assert_eq!(one_sample_half_width(&[3.0], 0.95), None);
    }

    fn summary_with_wait(mean: f64) -> Summary {
        let mut summary: Summary =
            serde_json::from_str(include_str!("../tests/data/summary-minimal.json")).unwrap();
        summary.waiting_s.mean = mean;
        summary
    }

    #[test]
    fn a_single_run_within_the_replications_noise_does_not_fail() {
        // Base: five replications of mean wait 10, 12, 14, 16, 18 s (mean 14); new: one run at
        // 20 s, 43 % worse (past 5 % and 1 s), but within 14 ± 9.6 s of seed noise: no failure.
        // At 24 s (+10, past 9.6) it fails.
        let base: Vec<Summary> = [10.0, 12.0, 14.0, 16.0, 18.0]
            .map(summary_with_wait)
            .to_vec();
        let judged = |new: f64| {
            compare(&base, &[summary_with_wait(new)], &ThresholdsFile::default())
                .into_iter()
                .find(|m| m.name == "waiting_s.mean")
                .unwrap()
        };
        let within = judged(20.0);
        assert!(within.interval.is_some() && !within.failed);
        assert!(judged(24.0).failed);
    }
}
