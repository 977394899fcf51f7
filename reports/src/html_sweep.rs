//! A sweep's `report.html`: the answer to its target first, then what was swept, the figures,
//! and per reported metric a table of every cell; and a plan's, its recommendation's text
//! under its first line, the answer.

use std::fmt::Write;

use crate::answer::sweep_answer;
use crate::figures::Figure;
use crate::html::{escape, figures_html, page, table};

/// Most cells the report's tables list.
const MAX_TABLE_CELLS: usize = 500;

/// The report of a sweep: what was swept, the figures, and per reported metric a table of
/// every cell's mean and interval.
pub(crate) fn sweep_report(data: &crate::figures::SweepData, figures: &[Figure]) -> String {
    let description = &data.description;
    let mut body = String::new();
    let answer = sweep_answer(data, &data.targets).unwrap_or_else(|| {
        format!(
            "{} states no target, so this report cannot say which cells meet one: add target: to the sweep file (docs/sweeps.md).",
            data.name
        )
    });
    let _ = writeln!(
        body,
        "<p class=\"answer\" id=\"answer\">{}</p>",
        escape(&answer)
    );
    let _ = writeln!(body, "<h1>Sweep: {}</h1>", escape(&data.name));
    let text = |key: &str| {
        description[key]
            .as_str()
            .map_or_else(|| description[key].to_string(), str::to_owned)
    };
    let _ = writeln!(
        body,
        "<p class=\"meta\">base scenario {} · {} cells × {} replications · seed {} · fleetsim {}</p>",
        escape(&text("scenario")),
        escape(&text("n_cells")),
        escape(&text("replications")),
        escape(&text("seed")),
        escape(&text("fleetsim_version")),
    );
    body.push_str("<h2 id=\"axes\">Axes</h2>\n");
    let axis_rows: Vec<Vec<String>> = data
        .axes
        .iter()
        .map(|axis| vec![escape(&axis.name), escape(&axis.labels.join(", "))])
        .collect();
    body.push_str(&table(&["axis", "values"], &axis_rows));
    body.push_str("<h2 id=\"figures\">Figures</h2>\n");
    body.push_str(
        &format!(
            "<p>Each point is the mean over the replications of a cell; the bar is the 95 % confidence interval of that mean ({}). A cell meets a target when the pessimistic end of its interval does (the upper bound for at most, the lower for at least; the mean with one replication); targets are drawn as dashed black lines.</p>\n",
            crate::stats::INTERVAL_METHOD
        ),
    );
    body.push_str(&figures_html(figures));
    for metric in &data.report_metrics {
        let _ = writeln!(body, "<h2>{}</h2>", escape(metric));
        let mut header: Vec<&str> = data.axes.iter().map(|a| a.name.as_str()).collect();
        header.extend(["n", "mean", "95 % interval"]);
        let rows: Vec<Vec<String>> = data
            .cells
            .iter()
            .take(MAX_TABLE_CELLS)
            .map(|(&cell, labels)| {
                let mut row: Vec<String> = labels.iter().map(|l| escape(l)).collect();
                match data.stats.get(&(cell, metric.clone())) {
                    Some(stat) => {
                        row.push(stat.n.to_string());
                        row.push(format!("{:.4}", stat.mean));
                        row.push(stat.ci95.map_or_else(String::new, |(low, high)| {
                            format!("{low:.4} – {high:.4}")
                        }));
                    }
                    None => row.extend([String::new(), String::new(), String::new()]),
                }
                row
            })
            .collect();
        body.push_str(&table(&header, &rows));
        if data.cells.len() > MAX_TABLE_CELLS {
            let _ = writeln!(
                body,
                "<p>The first {MAX_TABLE_CELLS} of {} cells; <code>stats.csv</code> has them all.</p>",
                data.cells.len()
            );
        }
    }
    page(&format!("fleetsim sweep: {}", data.name), &body)
}

/// A plan's `report.html`: the recommendation's first line (the answer) as the page's first
/// element, then the cost/objective figure when given, then the rest of the text as written.
/// Also returns the figure's file name in `figures/` and its SVG.
pub fn plan_report(
    title: &str,
    text: &str,
    figure: Option<&crate::figures::PlanFigure>,
) -> Result<(String, Option<(String, String)>), crate::Error> {
    let (answer, rest) = text.split_once('\n').unwrap_or((text, ""));
    let drawn = figure.map(crate::figures::plan_figure).transpose()?;
    let figures = drawn.as_slice();
    let body = format!(
        "<p class=\"answer\" id=\"answer\">{}</p>\n<h1>Plan: {}</h1>\n{}<pre>{}</pre>\n",
        escape(answer),
        escape(title),
        figures_html(figures),
        escape(rest)
    );
    let page = page(&format!("fleetsim plan: {title}"), &body);
    Ok((page, drawn.map(|f| (format!("{}.svg", f.stem), f.svg))))
}
