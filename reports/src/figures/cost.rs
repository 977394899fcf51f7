//! The spending rate over time, stacked by pricing, from the `cost` table (runs whose
//! scenario prices its nodes).

use std::path::Path;

use crate::error::Error;
use crate::figures::chart::{Area, Chart};
use crate::figures::steps::Steps;
use crate::figures::style::TimeUnit;
use crate::load::open_table;
use crate::tables::{self, TableFormat};

const COST_COLUMNS: [&str; 3] = ["time_s", "pricing", "usd_per_hour"];

/// The pricings in stacking order, bottom first: what is paid whatever happens, then what
/// follows the nodes up.
const PRICINGS: [&str; 3] = ["reserved", "on_demand", "spot"];

/// The chart of `$` per hour stacked by pricing; `None` when the run has no `cost` table (its
/// scenario prices nothing).
pub(crate) fn cost_chart(
    dir: &Path,
    format: TableFormat,
    blank: &Steps,
    end_s: f64,
    unit: TimeUnit,
) -> Result<Option<Chart>, Error> {
    if !dir.join(format!("cost.{}", format.extension())).is_file() {
        return Ok(None);
    }
    let table = open_table(dir, "cost", &tables::COST, &COST_COLUMNS, format)?;
    let mut rates = [0.0f64; 3];
    let mut seen = [false; 3];
    // The top edge of each pricing's band: its rate plus those below it.
    let mut edges: Vec<Steps> = vec![blank.clone(); 3];
    table.for_each_row(&COST_COLUMNS, |row| {
        let time = row.number(0).unwrap_or(0.0);
        let Some(idx) = PRICINGS.iter().position(|&p| Some(p) == row.text(1)) else {
            return;
        };
        rates[idx] = row.number(2).unwrap_or(0.0);
        seen[idx] = true;
        let mut edge = 0.0;
        for (k, steps) in edges.iter_mut().enumerate() {
            edge += rates[k];
            steps.set(time, edge);
        }
    })?;
    let mut chart = Chart::new(
        "Spending rate by pricing (stacked)",
        &format!("simulated time ({})", unit.name),
        "$ per hour",
    );
    chart.x_range = (0.0, end_s / unit.secs);
    // Painter's order: the highest edge first, each filled down to 0.
    for (idx, steps) in edges.into_iter().enumerate().rev() {
        if !seen[idx] {
            continue;
        }
        let mut polygon: Vec<(f64, f64)> = steps
            .polyline()
            .into_iter()
            .map(|(t, v)| (t / unit.secs, v))
            .collect();
        if let (Some(&(first, _)), Some(&(last, _))) = (polygon.first(), polygon.last()) {
            polygon.push((last, 0.0));
            polygon.push((first, 0.0));
        }
        chart.areas.push(Area {
            name: Some(PRICINGS[idx].replace('_', "-")),
            polygon,
            series_idx: idx,
            opacity: 1.0,
        });
    }
    chart.fit_y(1.0);
    Ok(Some(chart))
}
