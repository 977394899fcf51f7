//! Microsoft's Philly trace (Jeon et al., ATC '19) in the forms public simulators use: the
//! per-job summary `philly.csv` (`timestamp,duration,num_gpus,gpu_time,cluster`), the machine
//! lists (`cluster_machine_list` and the revised `revised_machine_list.csv`), and the virtual
//! cluster sizes `philly_vc.csv` (`vc,node num`).
//!
//! Philly logged naive US-Pacific wall-clock times. They are converted to UTC with the tz
//! database bundled into the binary, so a run gives the same instants on every machine,
//! whatever its own time zone files say.

use std::path::Path;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::{
    CsvRows, JobSource, JobTrace, NodeList, Records, Row, TraceFormat, TraceJob, TraceNode,
};
use crate::error::{Error, Position};

/// The zone Philly's clocks were set to.
const PHILLY_TIME_ZONE: &str = "America/Los_Angeles";

/// One job of `philly.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhillyJob {
    /// Submission time in milliseconds since the Unix epoch (UTC), converted from the
    /// file's naive US-Pacific time (see [`pacific_to_utc_ms`]).
    pub submit_ms: i64,
    /// Run time in milliseconds.
    pub duration_ms: u64,
    /// GPUs the job used.
    pub num_gpus: u32,
    /// GPU time (`duration × num_gpus`) in GPU-milliseconds, as the file gives it.
    pub gpu_time_ms: u64,
    /// The virtual cluster (the `cluster` column, a hash such as `6214e9`).
    pub vc: String,
}

/// One machine of a Philly machine list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhillyMachine {
    /// Machine id (`m31`).
    pub id: String,
    /// Number of GPUs; the revised list has machines with 0 and 3.
    pub gpus: u32,
    /// Memory of each GPU in GB; only the original list gives it.
    pub gpu_memory_gb: Option<u32>,
}

/// One virtual cluster of `philly_vc.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhillyVc {
    /// VC name (the hash `philly.csv` has in its `cluster` column).
    pub name: String,
    /// Number of machines the VC owns.
    pub nodes: u32,
}

const JOB_COLUMNS: &[&str] = &["timestamp", "duration", "num_gpus", "gpu_time", "cluster"];
const MACHINE_COLUMNS: &[&str] = &["machineId", "number of GPUs", "single GPU mem"];
/// The revised list was written by pandas with its index as an unnamed first column.
const REVISED_MACHINE_COLUMNS: &[&str] = &["", "machineId", "number of GPUs"];
const VC_COLUMNS: &[&str] = &["vc", "node num"];

/// Converts a naive US-Pacific wall-clock time to milliseconds since the Unix epoch (UTC).
///
/// Daylight saving time is resolved with the bundled tz database. A time in the hour that
/// repeats when clocks fall back (e.g. 2017-11-05 01:30, which happened once in PDT and again
/// in PST) is taken as the **earlier** instant, the PDT one: the log cannot tell them apart,
/// and the earlier reading is the one a clock that had not yet been turned back would show.
/// A time in the hour skipped when clocks spring forward (which a correct clock never shows)
/// is read with the offset in force before the change, i.e. as if the clock had not yet been
/// turned forward.
pub fn pacific_to_utc_ms(time: DateTime) -> Result<i64, jiff::Error> {
    let zone = TimeZone::get(PHILLY_TIME_ZONE)?;
    to_utc_ms(&zone, time)
}

fn to_utc_ms(zone: &TimeZone, time: DateTime) -> Result<i64, jiff::Error> {
    // `compatible` takes the offset before the transition for both a fold and a gap: the
    // earlier instant of a repeated time, and a skipped time read in standard time.
    Ok(zone
        .to_ambiguous_timestamp(time)
        .compatible()?
        .as_millisecond())
}

/// Parses `YYYY-MM-DD HH:MM:SS` strictly (no `T`, no fraction, no offset).
fn parse_naive(text: &str) -> Option<DateTime> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
    DateTime::new(
        number(0..4)?,
        i8::try_from(number(5..7)?).ok()?,
        i8::try_from(number(8..10)?).ok()?,
        i8::try_from(number(11..13)?).ok()?,
        i8::try_from(number(14..16)?).ok()?,
        i8::try_from(number(17..19)?).ok()?,
        0,
    )
    .ok()
}

/// Streams the jobs of `philly.csv`, in file order (the file is not sorted by time).
pub struct PhillyJobs {
    rows: CsvRows,
    zone: TimeZone,
}

impl PhillyJobs {
    /// Opens a job list; the header must be `timestamp,duration,num_gpus,gpu_time,cluster`.
    /// Blank lines (the file ends with one) are skipped.
    pub fn open(file: &Path) -> Result<PhillyJobs, Error> {
        let rows = CsvRows::open(file, true, &[JOB_COLUMNS])?;
        let zone = TimeZone::get(PHILLY_TIME_ZONE).map_err(|err| Error::Input {
            position: Position {
                file: file.to_owned(),
                line: 0,
                column: 0,
                path: String::new(),
            },
            message: format!("no time zone {PHILLY_TIME_ZONE} to read the times in: {err}"),
        })?;
        Ok(PhillyJobs { rows, zone })
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        self.rows.file()
    }
}

impl Iterator for PhillyJobs {
    type Item = Result<PhillyJob, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let zone = &self.zone;
        self.rows.parse_next(|row| parse_job(row, zone))
    }
}

fn parse_job(row: &Row<'_>, zone: &TimeZone) -> Result<PhillyJob, Error> {
    let text = row.text(0);
    let time = parse_naive(text).ok_or_else(|| {
        row.error(
            0,
            format!("`{text}` is not a date and time YYYY-MM-DD HH:MM:SS"),
        )
    })?;
    let submit_ms = to_utc_ms(zone, time)
        .map_err(|err| row.error(0, format!("`{text}` has no UTC instant: {err}")))?;
    let duration_ms = required_seconds(row, 1)?;
    let num_gpus = row.parse(2, "a whole number of GPUs")?;
    let gpu_time_ms = required_seconds(row, 3)?;
    let vc = row.name(4, "virtual cluster")?;
    Ok(PhillyJob {
        submit_ms,
        duration_ms,
        num_gpus,
        gpu_time_ms,
        vc,
    })
}

fn required_seconds(row: &Row<'_>, idx: usize) -> Result<u64, Error> {
    row.seconds_ms(idx)?
        .ok_or_else(|| row.error(idx, "missing: expected a number of seconds ≥ 0".into()))
}

/// Streams the machines of a Philly machine list: the original `cluster_machine_list`
/// (`machineId, number of GPUs, single GPU mem`, memory like ` 24GB`) or the revised
/// `revised_machine_list.csv` (`,machineId,number of GPUs`, led by a pandas index).
pub struct PhillyMachines {
    rows: CsvRows,
    revised: bool,
}

impl PhillyMachines {
    /// Opens either machine list, telling them apart by their header.
    pub fn open(file: &Path) -> Result<PhillyMachines, Error> {
        let rows = CsvRows::open(file, true, &[MACHINE_COLUMNS, REVISED_MACHINE_COLUMNS])?;
        let revised = rows.columns().first().is_some_and(String::is_empty);
        Ok(PhillyMachines { rows, revised })
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        self.rows.file()
    }
}

impl Iterator for PhillyMachines {
    type Item = Result<PhillyMachine, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let parse = if self.revised {
            parse_revised_machine
        } else {
            parse_machine
        };
        self.rows.parse_next(parse)
    }
}

fn parse_machine(row: &Row<'_>) -> Result<PhillyMachine, Error> {
    let id = row.name(0, "machine id")?;
    let gpus = row.parse(1, "a whole number of GPUs")?;
    let text = row.text(2);
    let gpu_memory_gb = text
        .strip_suffix("GB")
        .and_then(|number| number.trim().parse::<u32>().ok())
        .ok_or_else(|| row.error(2, format!("`{text}` is not a GPU memory size such as 24GB")))?;
    Ok(PhillyMachine {
        id,
        gpus,
        gpu_memory_gb: Some(gpu_memory_gb),
    })
}

fn parse_revised_machine(row: &Row<'_>) -> Result<PhillyMachine, Error> {
    row.parse::<u64>(0, "a whole-number row index")?;
    Ok(PhillyMachine {
        id: row.name(1, "machine id")?,
        gpus: row.parse(2, "a whole number of GPUs")?,
        gpu_memory_gb: None,
    })
}

/// Streams the virtual clusters of `philly_vc.csv`.
pub type PhillyVcs = Records<PhillyVc>;

impl PhillyVcs {
    /// Opens a VC list; the header must be `vc,node num`.
    pub fn open(file: &Path) -> Result<PhillyVcs, Error> {
        Ok(Records::new(
            CsvRows::open(file, true, &[VC_COLUMNS])?,
            parse_vc,
        ))
    }
}

fn parse_vc(row: &Row<'_>) -> Result<PhillyVc, Error> {
    Ok(PhillyVc {
        name: row.name(0, "virtual cluster name")?,
        nodes: row.parse(1, "a whole number of nodes")?,
    })
}

/// Philly: the job summary replayed as jobs (whole GPUs split into replicas), the machine
/// lists as fleets.
pub(crate) struct Philly;

impl TraceFormat for Philly {
    fn name(&self) -> &'static str {
        JOBS.name
    }

    fn job_trace(&self) -> Option<JobTrace> {
        Some(JOBS)
    }

    fn node_list(&self) -> Option<NodeList> {
        Some(NODES)
    }
}

/// The job trace, for `workload.trace`.
const JOBS: JobTrace = JobTrace {
    name: "philly",
    row: "job",
    fields: &["cluster"],
    template: ("batch/v1", "Job"),
    sizes_replicas: true,
    read: philly_jobs,
};

/// The node list, for `fleet_from_trace`.
const NODES: NodeList = NodeList {
    name: "philly-machines",
    gives_cpu: false,
    gives_memory: false,
    read: philly_machines,
};

/// The largest replica size of at most `max` GPUs that divides `gpus`, so a job becomes
/// identical replicas: 16 → 2 × 8, 12 → 2 × 6, 24 → 3 × 8.
fn replica_size(gpus: u32, max: u32) -> u32 {
    (1..=gpus.min(max))
        .rev()
        .find(|size| gpus % size == 0)
        .unwrap_or(gpus)
}

fn philly_jobs(
    source: &JobSource<'_>,
    _warnings: &mut Vec<String>,
) -> Result<Vec<TraceJob>, Error> {
    let (ck, spec, file) = (source.ck, source.spec, source.file);
    let path = "workload.trace";
    let max_replica = match &spec.gpus_per_replica {
        None => 8,
        Some(g) if g.value == 0 => {
            return ck.at(g, format!("{path}.gpus_per_replica"), "must be at least 1");
        }
        Some(g) => g.value,
    };
    let cpu_per_gpu = match &spec.cpu_per_gpu {
        Some(t) => ck
            .quantity(t, &format!("{path}.cpu_per_gpu"))?
            .milli_value(),
        None => 0,
    };
    let memory_per_gpu = match &spec.memory_per_gpu {
        Some(t) => ck.quantity(t, &format!("{path}.memory_per_gpu"))?.value(),
        None => 0,
    };
    let rows = PhillyJobs::open(file)?.collect::<Result<Vec<PhillyJob>, Error>>()?;
    // Submit times count from the earliest submission in the trace.
    let earliest = rows.iter().map(|job| job.submit_ms).min().unwrap_or(0);
    let width = rows.len().to_string().len();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(idx, job)| {
            let size = replica_size(job.num_gpus, max_replica);
            TraceJob {
                // Philly jobs have no names: number them by their row in the file.
                name: format!("philly-{:0width$}", idx + 1),
                submit_ms: u64::try_from(job.submit_ms - earliest).unwrap_or(0),
                runtime_ms: job.duration_ms,
                // A job of 0 GPUs is one replica without GPUs.
                replicas: job.num_gpus.checked_div(size).unwrap_or(1),
                cpu_milli: cpu_per_gpu.saturating_mul(u64::from(size)),
                memory: memory_per_gpu.saturating_mul(u64::from(size)),
                gpus: size,
                milli_per_gpu: if size == 0 { 0 } else { 1000 },
                models: Vec::new(),
                per_node_limit: None,
                fields: vec![job.vc],
            }
        })
        .collect())
}

fn philly_machines(file: &Path) -> Result<Vec<TraceNode>, Error> {
    const GIB: u64 = 1 << 30;
    // Philly names no GPU model; the memory per GPU tells the two kinds apart.
    PhillyMachines::open(file)?
        .map(|machine| {
            let machine = machine?;
            let model = (machine.gpus > 0).then(|| match machine.gpu_memory_gb {
                Some(gb) => format!("philly-{gb}GB"),
                None => "philly".to_owned(),
            });
            Ok(TraceNode {
                name: machine.id,
                cpu_milli: None,
                memory: None,
                gpus: machine.gpus,
                model,
                model_memory: machine.gpu_memory_gb.map(|gb| u64::from(gb) * GIB),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn replica_sizes_split_evenly_up_to_the_largest_replica() {
        let cases = [
            (1, 1),
            (2, 2),
            (8, 8),
            (12, 6),
            (16, 8),
            (24, 8),
            (128, 8),
            (11, 1),
            (0, 0),
        ];
        for (gpus, size) in cases {
            assert_eq!(replica_size(gpus, 8), size, "{gpus}");
        }
        assert_eq!(replica_size(16, 4), 4);
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn position(err: &Error) -> (PathBuf, u64, u64, String) {
        let p = err
            .position()
            .unwrap_or_else(|| panic!("no position: {err}"));
        (p.file.clone(), p.line, p.column, p.path.clone())
    }

    fn utc_ms(text: &str) -> i64 {
        pacific_to_utc_ms(parse_naive(text).unwrap()).unwrap()
    }

    fn epoch_ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn pacific_times_convert_across_the_fall_back_change() {
        // PDT (UTC−7) before 2017-11-05 02:00 PDT, PST (UTC−8) after.
        assert_eq!(
            utc_ms("2017-10-09 07:01:55"),
            epoch_ms("2017-10-09T14:01:55Z")
        );
        assert_eq!(
            utc_ms("2017-11-05 00:59:59"),
            epoch_ms("2017-11-05T07:59:59Z")
        );
        // The repeated hour: the earlier (PDT) instant.
        assert_eq!(
            utc_ms("2017-11-05 01:00:00"),
            epoch_ms("2017-11-05T08:00:00Z")
        );
        assert_eq!(
            utc_ms("2017-11-05 01:30:00"),
            epoch_ms("2017-11-05T08:30:00Z")
        );
        assert_eq!(
            utc_ms("2017-11-05 01:59:59"),
            epoch_ms("2017-11-05T08:59:59Z")
        );
        // From 02:00 on, standard time: 01:59:59 PDT and 02:00 PST are 1 h 1 s apart.
        assert_eq!(
            utc_ms("2017-11-05 02:00:00"),
            epoch_ms("2017-11-05T10:00:00Z")
        );
        assert_eq!(
            utc_ms("2017-12-22 08:02:11"),
            epoch_ms("2017-12-22T16:02:11Z")
        );
        // A skipped time (spring forward, 2018-03-11 02:00 → 03:00) is read in standard time.
        assert_eq!(
            utc_ms("2018-03-11 02:30:00"),
            epoch_ms("2018-03-11T10:30:00Z")
        );
    }

    #[test]
    fn strict_timestamps() {
        assert!(parse_naive("2017-10-09 07:01:55").is_some());
        for bad in [
            "2017-10-09T07:01:55",
            "2017-10-09 07:01",
            "2017-10-09 07:01:55.5",
            "2017-13-09 07:01:55",
            "2017-02-30 07:01:55",
            "2017-10-09 24:00:00",
            "",
        ] {
            assert!(parse_naive(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn jobs_with_a_trailing_empty_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "philly.csv",
            "timestamp,duration,num_gpus,gpu_time,cluster\n\
             2017-10-09 07:01:55,66.0,1,66.0,11cb48\n\
             2017-11-05 01:30:00,2951.0,16,47216.0,6214e9\n\n",
        );
        let jobs: Vec<PhillyJob> = PhillyJobs::open(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            jobs,
            vec![
                PhillyJob {
                    submit_ms: epoch_ms("2017-10-09T14:01:55Z"),
                    duration_ms: 66_000,
                    num_gpus: 1,
                    gpu_time_ms: 66_000,
                    vc: "11cb48".into(),
                },
                PhillyJob {
                    submit_ms: epoch_ms("2017-11-05T08:30:00Z"),
                    duration_ms: 2_951_000,
                    num_gpus: 16,
                    gpu_time_ms: 47_216_000,
                    vc: "6214e9".into(),
                },
            ]
        );
    }

    #[test]
    fn malformed_jobs_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let header = "timestamp,duration,num_gpus,gpu_time,cluster\n";
        let good = "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n";
        let cases = [
            // (bad row, column, column name, message)
            (
                "2017-10-09T07:01:55,66.0,1,66.0,11cb48\n",
                1,
                "timestamp",
                "`2017-10-09T07:01:55` is not a date and time YYYY-MM-DD HH:MM:SS",
            ),
            (
                "2017-10-09 07:01:55,-5,1,66.0,11cb48\n",
                21,
                "duration",
                "`-5` is not a number of seconds ≥ 0",
            ),
            (
                "2017-10-09 07:01:55,66.0,two,66.0,11cb48\n",
                26,
                "num_gpus",
                "`two` is not a whole number of GPUs",
            ),
            (
                "2017-10-09 07:01:55,66.0,1,,11cb48\n",
                28,
                "gpu_time",
                "missing: expected a number of seconds ≥ 0",
            ),
            (
                "2017-10-09 07:01:55,66.0,1,66.0,\n",
                33,
                "cluster",
                "empty virtual cluster",
            ),
        ];
        for (bad, column, name, message) in cases {
            let file = write(&dir, "bad.csv", &format!("{header}{good}{bad}"));
            let err = PhillyJobs::open(&file)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err();
            assert_eq!(
                position(&err),
                (file.clone(), 3, column, name.into()),
                "{err}"
            );
            assert!(err.to_string().ends_with(message), "{err}");
        }
    }

    #[test]
    fn wrong_header_is_refused_on_line_1() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "philly.csv", "time,duration,num_gpus,gpu_time,vc\n");
        let err = PhillyJobs::open(&file).err().unwrap();
        assert_eq!(position(&err), (file, 1, 1, String::new()));
        assert!(err.to_string().contains("unexpected header"), "{err}");
    }

    #[test]
    fn both_machine_lists() {
        let dir = tempfile::tempdir().unwrap();
        let original = write(
            &dir,
            "cluster_machine_list",
            "machineId, number of GPUs, single GPU mem\nm0,2, 12GB\nm31,8, 24GB\n",
        );
        let machines: Vec<PhillyMachine> = PhillyMachines::open(&original)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            machines,
            vec![
                PhillyMachine {
                    id: "m0".into(),
                    gpus: 2,
                    gpu_memory_gb: Some(12)
                },
                PhillyMachine {
                    id: "m31".into(),
                    gpus: 8,
                    gpu_memory_gb: Some(24)
                },
            ]
        );
        let revised = write(
            &dir,
            "revised_machine_list.csv",
            ",machineId,number of GPUs\n0,m0,8\n1,m1,0\n2,m100,3\n",
        );
        let machines: Vec<(String, u32, Option<u32>)> = PhillyMachines::open(&revised)
            .unwrap()
            .map(|m| m.map(|m| (m.id, m.gpus, m.gpu_memory_gb)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            machines,
            vec![
                ("m0".into(), 8, None),
                ("m1".into(), 0, None),
                ("m100".into(), 3, None)
            ]
        );
    }

    #[test]
    fn malformed_machines() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "cluster_machine_list",
            "machineId, number of GPUs, single GPU mem\nm0,2, 12GB\nm1,2, 12 gigs\n",
        );
        let err = PhillyMachines::open(&file)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(position(&err), (file, 3, 6, "single GPU mem".into()));
        assert!(
            err.to_string()
                .ends_with("`12 gigs` is not a GPU memory size such as 24GB"),
            "{err}"
        );
        let file = write(
            &dir,
            "revised.csv",
            ",machineId,number of GPUs\n0,m0,8\n1,m1,eight\n",
        );
        let err = PhillyMachines::open(&file)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(position(&err), (file, 3, 6, "number of GPUs".into()));
        assert!(
            err.to_string()
                .ends_with("`eight` is not a whole number of GPUs"),
            "{err}"
        );
    }

    #[test]
    fn virtual_clusters() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "philly_vc.csv", "vc,node num\n6214e9,64\n7f04ca,32\n");
        let vcs: Vec<PhillyVc> = PhillyVcs::open(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            vcs,
            vec![
                PhillyVc {
                    name: "6214e9".into(),
                    nodes: 64
                },
                PhillyVc {
                    name: "7f04ca".into(),
                    nodes: 32
                },
            ]
        );
        let file = write(&dir, "bad_vc.csv", "vc,node num\n6214e9,64\n7f04ca,-1\n");
        let err = PhillyVcs::open(&file)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(position(&err), (file, 3, 8, "node num".into()));
        assert!(
            err.to_string()
                .ends_with("`-1` is not a whole number of nodes"),
            "{err}"
        );
    }
}
