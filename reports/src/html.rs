//! `report.html`: one self-contained page (inline SVG and CSS, no scripts, no URLs) that a
//! planner can open from disk or attach to a ticket.
//!
//! Every string that came from input (scenario, cluster, namespace and class names, failure
//! reasons, warnings) goes through [`escape`]. A Content-Security-Policy forbids every fetch,
//! so a mistake that would load something shows up as a console error instead.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::experiment_summary::{FIXED_LOAD_PCT, PolicyRow, best_policies};
use crate::figures::Figure;
use crate::report::RunData;
use crate::summary::{Distribution, JobCounts, Summary};

/// `text` with the five HTML-special characters replaced by entities.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto;
  max-width: 960px; padding: 1.5rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 0.6rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.7rem; }
.card .value { font-size: 1.3rem; font-weight: 600; }
.card .label { color: #555; font-size: 0.85rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.55rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
figure { margin: 1.2rem 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.9rem; }
.warnings li { margin: 0.2rem 0; }
.answer { font-size: 1.2rem; margin: 0.4rem 0 1rem; padding: 0.6rem 0.9rem; border-left: 5px solid #0072B2; background: #f3f8fc; }
footer { margin-top: 2.5rem; color: #777; font-size: 0.8rem; }
";

pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A figure as inline SVG in a `<figure id="fig-STEM">`. The namespace attribute is dropped:
/// HTML does not need it, and it is the one URL the SVG holds.
fn figure_html(figure: &Figure) -> String {
    let svg = figure
        .svg
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen("<svg ", "<svg role=\"img\" ", 1);
    format!(
        "<figure id=\"fig-{stem}\">\n{svg}\n<figcaption>{title} (<code>figures/{stem}.svg</code>)</figcaption>\n</figure>\n",
        stem = escape(&figure.stem),
        title = escape(&figure.title),
    )
}

pub(crate) fn figures_html(figures: &[Figure]) -> String {
    figures.iter().map(figure_html).collect()
}

pub(crate) fn card(out: &mut String, value: &str, label: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
        escape(value),
        escape(label)
    );
}

fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// Seconds in the largest unit that keeps the number readable.
pub(crate) fn duration(secs: f64) -> String {
    let (unit, name) = duration_unit(secs);
    format!("{:.1} {name}", secs / unit)
}

/// The unit [`duration`] writes `secs` in: seconds per unit, and its name.
pub(crate) fn duration_unit(secs: f64) -> (f64, &'static str) {
    if secs >= 2.0 * 86_400.0 {
        (86_400.0, "d")
    } else if secs >= 2.0 * 3_600.0 {
        (3_600.0, "h")
    } else if secs >= 120.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// A table: header cells, then rows of already escaped cells.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table>\n<tr>");
    for cell in header {
        let _ = write!(out, "<th>{}</th>", escape(cell));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn distribution_row(name: &str, dist: &Distribution) -> Vec<String> {
    vec![
        escape(name),
        dist.count.to_string(),
        duration(dist.mean),
        duration(dist.p50),
        duration(dist.p95),
        duration(dist.p99),
    ]
}

/// The report of one run: its sections in order, each drawn from the summary.
pub(crate) fn run_report(data: &RunData, figures: &[Figure]) -> String {
    let summary = &data.summary;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p class=\"answer\" id=\"answer\">{}</p>",
        escape(&run_answer(summary))
    );
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p class=\"meta\">seed {} · simulated {}{} · fleetsim {} · tables in {}</p>",
        escape(&summary.scenario),
        summary.seed,
        duration(summary.end_s),
        summary
            .horizon_s
            .map_or(String::new(), |h| format!(" (horizon {})", duration(h))),
        escape(&summary.fleetsim_version),
        match data.format {
            crate::TableFormat::Parquet => "Parquet",
            crate::TableFormat::Csv => "CSV",
        },
    );

    headline_section(&mut body, summary);
    crate::html_cost::cost_section(&mut body, summary);
    warnings_section(&mut body, data);
    body.push_str("<h2 id=\"figures\">Figures</h2>\n");
    body.push_str(&figures_html(figures));

    clusters_section(&mut body, summary);
    namespaces_section(&mut body, summary);
    waiting_section(&mut body, summary);
    let _ = writeln!(
        body,
        "<footer>Written by fleetsim {}; the figures are also in <code>figures/</code>; \
         <code>fleetsim report</code> draws this page again from the run's tables.</footer>",
        escape(&summary.fleetsim_version)
    );
    page(&format!("fleetsim: {}", summary.scenario), &body)
}

/// What a run came to, in one sentence: jobs done and waiting, waiting time, utilization.
fn run_answer(summary: &Summary) -> String {
    let jobs = &summary.jobs;
    let waiting = jobs.queued + jobs.unschedulable;
    let still = match (waiting, jobs.unschedulable) {
        (0, _) => "none still waiting".to_owned(),
        (n, 0) => format!("{n} still waiting"),
        (n, u) => format!("{n} still waiting ({u} of them unschedulable)"),
    };
    let mut others = String::new();
    for (count, what) in [
        (jobs.running, "still running"),
        (jobs.failed, "failed"),
        (jobs.unmatched, "unmatched"),
    ] {
        if count > 0 {
            others.push_str(&format!(", {count} {what}"));
        }
    }
    format!(
        "{}: {} of {} jobs completed{others}, {still}; started jobs waited {} at p95; GPU utilization {} of the capacity up.",
        summary.scenario,
        jobs.completed,
        jobs.submitted,
        duration(summary.waiting_s.p95),
        percent(summary.gpu_utilization.overall)
    )
}

/// Headline cards: the numbers a reader looks for first.
fn headline_section(body: &mut String, summary: &Summary) {
    body.push_str("<h2 id=\"headline\">Headline numbers</h2>\n<div class=\"cards\">\n");
    let jobs = &summary.jobs;
    let faults = &summary.faults.total;
    card(
        body,
        &percent(summary.gpu_utilization.overall),
        "GPU utilization of the capacity up",
    );
    card(
        body,
        &percent(summary.gpu_utilization.of_installed),
        "GPU utilization of the capacity installed",
    );
    card(
        body,
        &format!("{:.1}", summary.gpu_hours.down),
        "GPU-hours down (nodes and clusters lost)",
    );
    job_cards(body, jobs);
    card(body, &duration(summary.waiting_s.p50), "waiting, median");
    card(body, &duration(summary.waiting_s.p95), "waiting, p95");
    card(
        body,
        &duration(summary.jct_s.p50),
        "completion time, median",
    );
    card(
        body,
        &format!("{:.1}", summary.gpu_hours.allocated),
        "GPU-hours allocated",
    );
    card(body, &faults.evictions.to_string(), "evictions");
    card(
        body,
        &(faults.preemptions.member + faults.preemptions.control_plane).to_string(),
        "preemptions",
    );
    card(body, &faults.restarts.to_string(), "restarts");
    card(
        body,
        &format!("{:.1}", faults.lost_gpu_hours),
        "GPU-hours of work lost (restarts, evictions)",
    );
    body.push_str("</div>\n");
}

/// The jobs submitted, then cards that partition them: each job is counted in exactly one.
fn job_cards(body: &mut String, jobs: &JobCounts) {
    card(body, &jobs.submitted.to_string(), "jobs submitted");
    card(body, &jobs.completed.to_string(), "completed");
    card(body, &jobs.running.to_string(), "still running");
    card(body, &jobs.queued.to_string(), "still waiting, schedulable");
    card(
        body,
        &jobs.unschedulable.to_string(),
        "still waiting, unschedulable",
    );
    card(body, &jobs.unmatched.to_string(), "unmatched");
    card(body, &jobs.failed.to_string(), "failed");
}

/// Validation warnings and the reasons jobs are still unschedulable; nothing when there are none.
fn warnings_section(body: &mut String, data: &RunData) {
    let reasons = &data.unschedulable;
    if !data.warnings.is_empty() || !reasons.is_empty() {
        body.push_str("<h2 id=\"warnings\">Warnings</h2>\n");
        if !data.warnings.is_empty() {
            body.push_str("<p>The scenario's validation warnings:</p>\n<ul class=\"warnings\">\n");
            for warning in &data.warnings {
                let _ = writeln!(body, "<li>{}</li>", escape(warning));
            }
            body.push_str("</ul>\n");
        }
        if !reasons.is_empty() {
            body.push_str("<p>Jobs still unschedulable at the end, by their last failure:</p>\n");
            let rows: Vec<Vec<String>> = reasons
                .iter()
                .map(|(reason, count)| vec![escape(reason), count.to_string()])
                .collect();
            body.push_str(&table(&["last failure", "jobs"], &rows));
        }
    }
}

/// Utilization per cluster and GPU model, and the balance groups.
fn clusters_section(body: &mut String, summary: &Summary) {
    body.push_str("<h2 id=\"clusters\">Clusters</h2>\n");
    let group_of: BTreeMap<&str, &str> = summary
        .balance
        .iter()
        .flat_map(|(group, b)| b.clusters.iter().map(move |c| (c.as_str(), group.as_str())))
        .collect();
    let rows: Vec<Vec<String>> = summary
        .gpu_utilization
        .per_cluster
        .iter()
        .map(|(cluster, utilization)| {
            vec![
                escape(cluster),
                percent(*utilization),
                escape(group_of.get(cluster.as_str()).copied().unwrap_or("")),
            ]
        })
        .collect();
    body.push_str(&table(
        &["cluster", "GPU utilization", "balance group"],
        &rows,
    ));
    let rows: Vec<Vec<String>> = summary
        .gpu_utilization
        .per_gpu_model
        .iter()
        .map(|(model, utilization)| vec![escape(model), percent(*utilization)])
        .collect();
    body.push_str(&table(&["GPU model", "GPU utilization"], &rows));
    let rows: Vec<Vec<String>> = summary
        .balance
        .iter()
        .map(|(group, balance)| {
            vec![
                escape(group),
                balance.clusters.len().to_string(),
                format!("{:.1} points", balance.spread * 100.0),
                format!("{:.3}", balance.cv),
            ]
        })
        .collect();
    body.push_str(&table(
        &["balance group", "clusters", "mean spread", "mean CV"],
        &rows,
    ));
}

/// Budget, quota and fault costs per namespace.
fn namespaces_section(body: &mut String, summary: &Summary) {
    body.push_str("<h2 id=\"namespaces\">Namespaces</h2>\n");
    let rows: Vec<Vec<String>> = summary
        .teams
        .iter()
        .map(|(namespace, team)| {
            vec![
                escape(namespace),
                team.jobs.submitted.to_string(),
                team.jobs.completed.to_string(),
                team.jobs.queued.to_string(),
                team.jobs.unschedulable.to_string(),
                format!("{:.1}", team.gpu_hours),
                duration(team.waiting_s.p50),
                duration(team.waiting_s.p95),
                duration(team.jct_s.p50),
            ]
        })
        .collect();
    if !rows.is_empty() {
        body.push_str("<p>Each team's jobs, GPU time, waiting and completion time:</p>\n");
        body.push_str(&table(
            &[
                "namespace",
                "jobs",
                "completed",
                "waiting, schedulable",
                "waiting, unschedulable",
                "GPU-h used",
                "waiting p50",
                "waiting p95",
                "completion p50",
            ],
            &rows,
        ));
    }
    let optional = |value: Option<i64>| value.map_or("–".to_owned(), |v| v.to_string());
    let rows: Vec<Vec<String>> = summary
        .namespaces
        .iter()
        .map(|(namespace, budget)| {
            vec![
                escape(namespace),
                optional(budget.budget_gpus),
                optional(budget.quota_granted_gpus),
                format!("{:.1}", budget.gpu_hours_used),
                format!("{:.1}", budget.over_budget_gpu_hours),
                format!("{:.1}", budget.peak_over_budget_gpus),
                format!("{:.1}", budget.reserved_idle_gpu_hours),
                budget.jobs_waited_under_budget.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        body.push_str("<p>GPU use against budget and quota:</p>\n");
        body.push_str(&table(
            &[
                "namespace",
                "budget GPUs",
                "quota GPUs",
                "GPU-h used",
                "GPU-h over budget",
                "peak over budget",
                "GPU-h granted, idle",
                "jobs waited under budget",
            ],
            &rows,
        ));
    }
    let rows: Vec<Vec<String>> = summary
        .faults
        .per_namespace
        .iter()
        .map(|(namespace, costs)| {
            vec![
                escape(namespace),
                costs.evictions.to_string(),
                costs.preemptions.member.to_string(),
                costs.preemptions.control_plane.to_string(),
                costs.restarts.to_string(),
                format!("{:.2}", costs.lost_gpu_hours),
                if costs.recovery_s.count == 0 {
                    "–".to_owned()
                } else {
                    format!(
                        "{} / {}",
                        duration(costs.recovery_s.p50),
                        duration(costs.recovery_s.p95)
                    )
                },
                costs.jobs_failed.to_string(),
            ]
        })
        .collect();
    body.push_str("<p>What faults and preemptions cost:</p>\n");
    body.push_str(&table(
        &[
            "namespace",
            "evictions",
            "member preemptions",
            "control-plane preemptions",
            "restarts",
            "GPU-h lost",
            "recovery p50 / p95",
            "jobs failed",
        ],
        &rows,
    ));
}

/// Waiting time per priority class.
fn waiting_section(body: &mut String, summary: &Summary) {
    body.push_str("<h2 id=\"waiting\">Waiting time per priority class</h2>\n");
    let mut rows = vec![distribution_row("all jobs", &summary.waiting_s)];
    rows.extend(
        summary
            .waiting_s_per_priority_class
            .iter()
            .map(|(class, dist)| distribution_row(class, dist)),
    );
    body.push_str(&table(
        &["priority class", "started", "mean", "p50", "p95", "p99"],
        &rows,
    ));
}

/// The report of an experiment: its description and the policy curves.
pub(crate) fn experiment_report(
    description: &serde_json::Value,
    rows: &[PolicyRow],
    figures: &[Figure],
) -> String {
    let name = description["experiment"].as_str().unwrap_or("experiment");
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p class=\"answer\" id=\"answer\">{}</p>",
        escape(&best_policies(rows))
    );
    let _ = writeln!(body, "<h1>Experiment: {}</h1>", escape(name));
    let list = |key: &str| -> String {
        description[key].as_array().map_or(String::new(), |items| {
            items
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => escape(s),
                    other => escape(&other.to_string()),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let _ = writeln!(
        body,
        "<p class=\"meta\">policies: {} · seeds: {} · fleetsim {}</p>",
        list("policies"),
        list("seeds"),
        escape(description["fleetsim_version"].as_str().unwrap_or("")),
    );
    body.push_str("<h2 id=\"summary\">Summary</h2>\n");
    let _ = writeln!(
        body,
        "<p>Means over seeds: GPUs allocated when the first pod could not be placed (over the seeds where one could not), GPUs allocated and fragmented when the last pod arrived, GPUs left unallocated at {FIXED_LOAD_PCT:.0} % arrived demand, and pods that could not be placed.</p>"
    );
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                escape(&r.workload),
                escape(&r.policy),
                r.seeds.to_string(),
                r.allocated_first_failure_pct
                    .map_or("–".to_owned(), |v| format!("{v:.2}")),
                format!("{:.2}", r.allocated_end_pct),
                r.unallocated_at_load_pct
                    .map_or("–".to_owned(), |v| format!("{v:.2}")),
                format!("{:.2}", r.fragment_end_pct),
                format!("{:.1}", r.pods_failed),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "pod list",
            "policy",
            "seeds",
            "GPUs allocated at the first failed pod (%)",
            "GPUs allocated at the end (%)",
            "unallocated at 100 % arrived (%)",
            "fragmented at the end (%)",
            "pods failed",
        ],
        &table_rows,
    ));
    body.push_str("<h2 id=\"figures\">Figures</h2>\n");
    body.push_str(&figures_html(figures));
    page(&format!("fleetsim experiment: {name}"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_every_html_special_character() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn job_cards_count_each_job_once() {
        // 20 jobs: 10 completed, 2 running, 1 queued, 5 unschedulable, 1 unmatched, 1 failed.
        // The cards after "jobs submitted" must add up to 20; counting the unschedulable both
        // as waiting and as unschedulable gave 25.
        let jobs = JobCounts {
            submitted: 20,
            completed: 10,
            running: 2,
            queued: 1,
            unschedulable: 5,
            unmatched: 1,
            failed: 1,
        };
        let mut body = String::new();
        job_cards(&mut body, &jobs);
        let values: Vec<u64> = body
            .split("<div class=\"value\">")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(values[0], 20);
        assert_eq!(values[1..].iter().sum::<u64>(), 20, "{body}");
        assert_eq!(values[1..], [10, 2, 1, 5, 1, 1]);
    }

    #[test]
    fn durations_read_in_the_largest_sensible_unit() {
        assert_eq!(duration(30.0), "30.0 s");
        assert_eq!(duration(3_610.0), "60.2 min");
        assert_eq!(duration(7_230.0), "2.0 h");
        assert_eq!(duration(30.0 * 86_400.0), "30.0 d");
    }
}
