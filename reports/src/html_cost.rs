//! The cost and energy part of a run's `report.html`: headline cards and a per-namespace
//! chargeback table, shown only when the scenario prices its nodes or gives power figures.

use std::collections::BTreeSet;

use crate::html::{card, escape, table};
use crate::summary::Summary;

fn usd(value: f64) -> String {
    format!("${value:.2}")
}

/// Appends the section when `summary` has a cost or an energy part.
pub(crate) fn cost_section(body: &mut String, summary: &Summary) {
    let (cost, energy) = (summary.cost.as_ref(), summary.energy.as_ref());
    if cost.is_none() && energy.is_none() {
        return;
    }
    body.push_str("<h2 id=\"cost\">Cost and energy</h2>\n<div class=\"cards\">\n");
    if let Some(cost) = cost {
        card(body, &usd(cost.total_usd), "total cost");
        let per_used = cost.per_used_gpu_hour_usd.map_or("–".to_owned(), usd);
        card(body, &per_used, "cost per GPU-hour of work kept");
        card(
            body,
            &usd(cost.idle_capacity_usd),
            "cost of idle GPUs (up, not held)",
        );
        card(body, &usd(cost.lost_work_usd), "cost of work lost");
        card(
            body,
            &usd(cost.wasted_usd),
            "cost of GPUs held without progress",
        );
    }
    if let Some(energy) = energy {
        card(
            body,
            &format!("{:.1}", energy.kwh),
            "kWh (facility, with PUE)",
        );
        if let Some(kg) = energy.kg_co2e {
            card(body, &format!("{kg:.1}"), "kg CO2e");
        }
    }
    body.push_str("</div>\n");
    let names: BTreeSet<&String> = cost
        .map(|c| c.per_namespace.keys().collect())
        .or_else(|| energy.map(|e| e.per_namespace.keys().collect()))
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = names
        .into_iter()
        .map(|name| {
            let mut row = vec![escape(name)];
            if let Some(c) = cost.and_then(|c| c.per_namespace.get(name)) {
                row.push(format!("{:.1} %", c.held_share * 100.0));
                row.push(usd(c.chargeback_usd));
                row.push(usd(c.lost_work_usd));
                row.push(usd(c.wasted_usd));
            }
            if let Some(e) = energy.and_then(|e| e.per_namespace.get(name)) {
                row.push(format!("{:.1}", e.kwh));
                row.push(e.kg_co2e.map_or("–".to_owned(), |kg| format!("{kg:.1}")));
            }
            row
        })
        .collect();
    let mut header = vec!["namespace"];
    if cost.is_some() {
        header.extend(["GPU time held", "chargeback", "work lost", "held idle"]);
    }
    if energy.is_some() {
        header.extend(["kWh", "kg CO2e"]);
    }
    body.push_str("<p>Charged back by each namespace's share of the GPU time held:</p>\n");
    body.push_str(&table(&header, &rows));
}
