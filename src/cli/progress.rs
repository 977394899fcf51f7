//! Progress of long commands: a bar on a terminal, and off a terminal (a CI log, a Slurm or
//! Kubernetes Job's log) one plain line per interval, so a long run is never silent.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Where progress goes.
pub enum Progress {
    /// `--quiet`: nowhere.
    Silent,
    /// A terminal: a bar that is cleared at the end.
    Bar(ProgressBar),
    /// Not a terminal: a line on stderr at most once per interval.
    Log(Mutex<LogLines>),
}

/// The state of the plain log lines.
pub struct LogLines {
    unit: &'static str,
    every: Duration,
    started: Instant,
    last: Option<Instant>,
    label: String,
}

impl LogLines {
    /// A line is due `every` after the last one (or the start); marks it printed.
    fn due(&mut self, now: Instant) -> bool {
        let due = now.duration_since(self.last.unwrap_or(self.started)) >= self.every;
        if due {
            self.last = Some(now);
        }
        due
    }
}

impl Progress {
    /// Progress counted in `unit` ("jobs arrived", "runs"), on a bar of `template` on a
    /// terminal, or as a line every `every` elsewhere.
    pub fn new(quiet: bool, every: Duration, template: &str, unit: &'static str) -> Self {
        if quiet {
            Progress::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            bar.set_style(ProgressStyle::with_template(template).expect("static template"));
            Progress::Bar(bar)
        } else {
            let now = Instant::now();
            Progress::Log(Mutex::new(LogLines {
                unit,
                every,
                started: now,
                last: None,
                label: String::new(),
            }))
        }
    }

    /// Names what is being worked on now (a bench variant, say); shown before the counts.
    pub fn set_label(&self, label: &str) {
        match self {
            Progress::Silent => {}
            Progress::Bar(bar) => bar.set_prefix(label.to_owned()),
            Progress::Log(log) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                log.label = label.to_owned();
                log.started = Instant::now();
                log.last = None;
            }
        }
    }

    /// `done` of `total` so far; `simulated` is the simulated time reached, when there is one.
    /// `total` 0 means unknown (no percentage and no time left).
    pub fn update(&self, done: u64, total: u64, simulated: Option<sim_core::SimTime>) {
        match self {
            Progress::Silent => {}
            Progress::Bar(bar) => {
                bar.set_length(total);
                bar.set_position(done);
            }
            Progress::Log(log) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if log.due(now) {
                    eprintln!(
                        "{}",
                        log_line(
                            &log.label,
                            done,
                            total,
                            log.unit,
                            simulated,
                            now.duration_since(log.started)
                        )
                    );
                }
            }
        }
    }

    /// A message for spinners without counts (`plan`'s points); logged like [`Self::update`].
    pub fn message(&self, text: &str) {
        match self {
            Progress::Silent => {}
            Progress::Bar(bar) => {
                bar.set_message(text.to_owned());
                bar.tick();
            }
            Progress::Log(log) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if log.due(now) {
                    let elapsed = now.duration_since(log.started);
                    eprintln!("progress: {text}, {} elapsed", clock(elapsed));
                }
            }
        }
    }

    /// Clears a bar; log lines stay.
    pub fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// One log line: `progress: [LABEL: ]DONE/TOTAL UNIT (P %), simulated T, R UNIT/s, about E left`.
fn log_line(
    label: &str,
    done: u64,
    total: u64,
    unit: &str,
    simulated: Option<sim_core::SimTime>,
    elapsed: Duration,
) -> String {
    let mut line = String::from("progress: ");
    if !label.is_empty() {
        line.push_str(label);
        line.push_str(": ");
    }
    let seconds = elapsed.as_secs_f64().max(1e-9);
    if total > 0 {
        line.push_str(&format!(
            "{done}/{total} {unit} ({:.1} %)",
            done as f64 * 100.0 / total as f64
        ));
    } else {
        line.push_str(&format!("{done} {unit}"));
    }
    if let Some(time) = simulated {
        // Whole seconds: the milliseconds would only make the line flicker.
        line.push_str(&format!(
            ", simulated {}",
            sim_core::SimTime(time.0 / 1000 * 1000)
        ));
    }
    line.push_str(&format!(", {:.1} {unit}/s", done as f64 / seconds));
    if total > 0 && done > 0 && done < total {
        let left = elapsed.mul_f64((total - done) as f64 / done as f64);
        line.push_str(&format!(", about {} left", clock(left)));
    }
    line
}

/// Wall time as `1h02m03s`, `2m05s` or `7s`.
fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_says_how_far_how_fast_and_how_long() {
        // 2,500 of 10,000 jobs in 50 s: 50 jobs/s, and 7,500 more at that rate take 150 s.
        let line = log_line(
            "",
            2500,
            10_000,
            "jobs arrived",
            Some(sim_core::SimTime(3 * 3_600_000)),
            Duration::from_secs(50),
        );
        assert_eq!(
            line,
            "progress: 2500/10000 jobs arrived (25.0 %), simulated 3h, 50.0 jobs arrived/s, about 2m30s left"
        );
        let line = log_line("nodes=1000", 3, 0, "runs", None, Duration::from_secs(2));
        assert_eq!(line, "progress: nodes=1000: 3 runs, 1.5 runs/s");
        assert_eq!(clock(Duration::from_secs(3723)), "1h02m03s");
    }
}
