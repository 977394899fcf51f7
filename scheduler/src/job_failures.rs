//! Job failures that grow with job size: a hazard per GPU held, independent of node outages
//! (a GPU's memory errors, a NIC flap, a hung collective). Large training jobs fail more
//! often the more GPUs they hold: Meta reports a mean time to failure of 7.9 h for 1,024-GPU
//! jobs and 1.8 h at 16,384 GPUs (Kokolis et al., "Revisiting Reliability in Large-Scale
//! Machine Learning Research Clusters", arXiv 2410.21680).
//!
//! A job's time to failure is exponential (memoryless) with the rate of its current size,
//! drawn afresh each time the job (re)starts running with all its replicas, and void once it
//! stops or finishes. The control plane handles the failure (`control/job_failures.rs`).

use rand_distr::{Distribution, Exp};
use sim_core::Duration;
use sim_core::model::NamespaceId;
use sim_core::rng::StreamRng;

/// How a job's mean time to failure depends on the GPUs it holds.
#[derive(Clone, Debug, PartialEq)]
pub enum FailureHazard {
    /// Each GPU fails independently with this mean time between failures: a job of `n` GPUs
    /// has MTTF = MTBF / n.
    PerGpuMtbf(Duration),
    /// MTTF measured at some job sizes: (GPUs, MTTF), GPUs strictly increasing, at least one
    /// row. Between rows MTTF is interpolated linearly in log(GPUs)–log(MTTF) (a power law
    /// per segment); beyond the ends the end segments' slopes extend it. A single row extends
    /// with slope −1 (MTTF ∝ 1/GPUs: a constant hazard per GPU).
    MttfBySize(Vec<(f64, Duration)>),
}

/// How the time to failure is drawn from the MTTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureDraw {
    /// Exponential with mean MTTF (memoryless; the model).
    Exponential,
    /// Always exactly the MTTF: worked examples and tests.
    Mean,
}

/// Job failures of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFailures {
    /// MTTF by job size.
    pub hazard: FailureHazard,
    /// How a time to failure is drawn.
    pub draw: FailureDraw,
    /// The namespaces whose jobs fail; `None` = every namespace.
    pub namespaces: Option<Vec<NamespaceId>>,
}

impl JobFailures {
    /// Whether jobs of `namespace` fail.
    pub fn applies_to(&self, namespace: NamespaceId) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|list| list.contains(&namespace))
    }

    /// Mean time to failure of a job holding `gpus` GPUs, in ms (infinite without GPUs).
    pub fn mttf_ms(&self, gpus: f64) -> f64 {
        if gpus <= 0.0 {
            return f64::INFINITY;
        }
        match &self.hazard {
            FailureHazard::PerGpuMtbf(mtbf) => mtbf.as_millis() as f64 / gpus,
            FailureHazard::MttfBySize(rows) => mttf_by_size(rows, gpus),
        }
    }

    /// Time from a job's start to its failure; `None` for a job that never fails.
    pub fn draw(&self, gpus: f64, rng: &mut StreamRng) -> Option<Duration> {
        let mttf = self.mttf_ms(gpus);
        if !mttf.is_finite() {
            return None;
        }
        let ms = match self.draw {
            FailureDraw::Mean => mttf,
            FailureDraw::Exponential => Exp::new(1.0 / mttf.max(1.0))
                .expect("positive rate")
                .sample(rng),
        };
        Some(Duration((ms.round() as u64).max(1)))
    }
}

/// MTTF in ms at `gpus` from rows (GPUs, MTTF), log-log linear (see
/// [`FailureHazard::MttfBySize`]).
pub fn mttf_by_size(rows: &[(f64, Duration)], gpus: f64) -> f64 {
    let point = |row: &(f64, Duration)| (row.0.ln(), (row.1.as_millis() as f64).ln());
    let x = gpus.ln();
    match rows {
        [] => f64::INFINITY,
        [only] => {
            // Slope −1: a constant hazard per GPU through the one measurement.
            let (x0, y0) = point(only);
            (y0 - (x - x0)).exp()
        }
        _ => {
            // The segment holding x, or the end segment on its side.
            let segment = rows
                .windows(2)
                .position(|pair| x <= pair[1].0.ln())
                .unwrap_or(rows.len() - 2);
            let (x0, y0) = point(&rows[segment]);
            let (x1, y1) = point(&rows[segment + 1]);
            (y0 + (y1 - y0) * (x - x0) / (x1 - x0)).exp()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::RngStreams;

    const H: f64 = 3_600_000.0;

    fn meta() -> Vec<(f64, Duration)> {
        // Kokolis et al. (arXiv 2410.21680): 7.9 h at 1,024 GPUs, 1.8 h at 16,384.
        vec![
            (1024.0, Duration((7.9 * H) as u64)),
            (16384.0, Duration((1.8 * H) as u64)),
        ]
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn the_table_gives_its_own_rows_back() {
        assert!(close(mttf_by_size(&meta(), 1024.0) / H, 7.9, 1e-9));
        assert!(close(mttf_by_size(&meta(), 16384.0) / H, 1.8, 1e-9));
    }

    #[test]
    fn between_rows_the_interpolation_is_log_log() {
        // 4,096 is halfway between 1,024 and 16,384 in log: 7.9 × (1.8 / 7.9)^0.5 = 3.7709 h.
        let at_4096 = mttf_by_size(&meta(), 4096.0) / H;
        assert!(close(at_4096, 3.771, 0.0005), "{at_4096}");
    }

    #[test]
    fn beyond_the_rows_the_end_slope_continues() {
        // Slope ln(1.8/7.9)/ln(16) per ln(GPUs); 65,536 is one more factor 4 past 16,384,
        // i.e. half the table's log span again: 1.8 × (1.8/7.9)^0.5 = 0.8592 h.
        let at_65536 = mttf_by_size(&meta(), 65536.0) / H;
        assert!(close(at_65536, 0.8592, 0.0005), "{at_65536}");
        // And below: 256 GPUs, 7.9 × (7.9/1.8)^0.5 = 16.550 h.
        let at_256 = mttf_by_size(&meta(), 256.0) / H;
        assert!(close(at_256, 16.550, 0.001), "{at_256}");
    }

    #[test]
    fn one_row_scales_as_one_over_gpus() {
        let rows = vec![(1024.0, Duration((8.0 * H) as u64))];
        assert!(close(mttf_by_size(&rows, 2048.0) / H, 4.0, 1e-9));
    }

    #[test]
    fn per_gpu_mtbf_divides_by_the_gpus() {
        // 8,000 h per GPU: a 1,024-GPU job fails every 7.8125 h on average.
        let failures = JobFailures {
            hazard: FailureHazard::PerGpuMtbf(Duration((8000.0 * H) as u64)),
            draw: FailureDraw::Mean,
            namespaces: None,
        };
        assert!(close(failures.mttf_ms(1024.0) / H, 7.8125, 1e-9));
        let mut rng = RngStreams::new(1).stream("job_failures");
        assert_eq!(failures.draw(1024.0, &mut rng), Some(Duration(28_125_000)));
        assert_eq!(failures.draw(0.0, &mut rng), None);
    }

    #[test]
    fn exponential_draws_average_to_the_mttf() {
        // 10,000 draws of mean 7.9 h: the sample mean's standard error is 7.9 / √10,000 =
        // 0.079 h; 4 standard errors (0.316 h) bound it with certainty for this seed.
        let failures = JobFailures {
            hazard: FailureHazard::MttfBySize(meta()),
            draw: FailureDraw::Exponential,
            namespaces: None,
        };
        let mut rng = RngStreams::new(7).stream("job_failures");
        let n = 10_000;
        let total: f64 = (0..n)
            .map(|_| failures.draw(1024.0, &mut rng).expect("fails").as_millis() as f64)
            .sum();
        let mean_h = total / f64::from(n) / H;
        assert!(close(mean_h, 7.9, 4.0 * 0.079), "{mean_h}");
    }
}
