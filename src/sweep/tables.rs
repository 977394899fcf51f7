//! `cells.parquet` and `stats.csv` of a sweep folder, built from its run files one at a time
//! (memory holds one cell's replications, whatever the number of cells).

use std::path::Path;

use reports::{ColumnType, Estimate, TableFormat, TableWriter, Value};

use super::store::{RunRecord, Shard, SweepDescription, output_error};
use crate::RunError;

fn report_error(path: &Path) -> impl Fn(reports::Error) -> RunError + '_ {
    move |err| output_error(path, err)
}

/// Writes `cells.parquet` (one row per run, by cell then replication) and, unless `shard`
/// holds only part of the runs, `stats.csv` (per cell and metric: n, mean, sd and the 95 %
/// interval) into `dir`, each whole. `read` gives run `run_idx`'s record.
pub(crate) fn write_tables(
    dir: &Path,
    description: &SweepDescription,
    shard: Shard,
    read: &dyn Fn(u64) -> Result<RunRecord, RunError>,
) -> Result<(), RunError> {
    let pid = std::process::id();
    let cells_path = dir.join("cells.parquet");
    let cells_partial = dir.join(format!(".cells.parquet.partial-{pid}"));
    let stats_path = dir.join("stats.csv");
    let stats_partial = dir.join(format!(".stats.csv.partial-{pid}"));
    let mut cell_columns = vec![("cell".to_owned(), ColumnType::Count)];
    let axis_columns = description
        .axes
        .iter()
        .map(|a| (a.name.clone(), ColumnType::Text));
    cell_columns.extend(axis_columns.clone());
    cell_columns.push(("replication".to_owned(), ColumnType::Count));
    cell_columns.push(("seed".to_owned(), ColumnType::Count));
    cell_columns.extend(
        description
            .metrics
            .iter()
            .map(|m| (m.clone(), ColumnType::Float)),
    );
    let mut cells = TableWriter::create(&cells_partial, &cell_columns, TableFormat::Parquet)
        .map_err(report_error(&cells_path))?;
    let whole = shard.count == 1;
    let mut stats = if whole {
        let mut columns = vec![("cell".to_owned(), ColumnType::Count)];
        columns.extend(axis_columns);
        columns.push(("metric".to_owned(), ColumnType::Text));
        columns.push(("n".to_owned(), ColumnType::Count));
        for name in ["mean", "sd", "ci95_low", "ci95_high"] {
            columns.push((name.to_owned(), ColumnType::Float));
        }
        Some(
            TableWriter::create(&stats_partial, &columns, TableFormat::Csv)
                .map_err(report_error(&stats_path))?,
        )
    } else {
        None
    };
    let replications = u64::from(description.replications);
    for cell in 0..description.n_cells {
        let labels = description.cell_labels(cell);
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); description.metrics.len()];
        for replication in 0..replications {
            let run_idx = cell * replications + replication;
            if !shard.owns(run_idx) {
                continue;
            }
            let run = read(run_idx)?;
            let mut row = vec![Value::Count(cell)];
            row.extend(labels.iter().map(|l| Value::Text(l.clone())));
            row.push(Value::Count(replication));
            row.push(Value::Count(run.seed));
            for (metric_idx, value) in run.metrics.iter().enumerate() {
                row.push(value.map_or(Value::Null, Value::Float));
                if let Some(value) = value {
                    values[metric_idx].push(*value);
                }
            }
            cells.write(&row).map_err(report_error(&cells_path))?;
        }
        let Some(stats) = &mut stats else {
            continue;
        };
        for (metric, values) in description.metrics.iter().zip(&values) {
            let estimate = Estimate::of(values);
            let mut row = vec![Value::Count(cell)];
            row.extend(labels.iter().map(|l| Value::Text(l.clone())));
            row.push(Value::Text(metric.clone()));
            row.push(Value::Count(values.len() as u64));
            let float = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
            row.push(float(estimate.map(|e| e.mean)));
            row.push(float(estimate.and_then(|e| e.sd)));
            row.push(float(estimate.and_then(|e| e.ci95).map(|c| c.0)));
            row.push(float(estimate.and_then(|e| e.ci95).map(|c| c.1)));
            stats.write(&row).map_err(report_error(&stats_path))?;
        }
    }
    cells.finish().map_err(report_error(&cells_path))?;
    std::fs::rename(&cells_partial, &cells_path).map_err(|e| output_error(&cells_path, e))?;
    if let Some(stats) = stats {
        stats.finish().map_err(report_error(&stats_path))?;
        std::fs::rename(&stats_partial, &stats_path).map_err(|e| output_error(&stats_path, e))?;
    }
    Ok(())
}
