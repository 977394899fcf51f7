//! The synthetic workload of the workload section: arrivals, runtimes, the GPU mix and the
//! namespace mix a generator samples from.

use std::sync::Arc;

use serde_saphyr::Spanned;
use sim_core::Duration;
use sim_core::model::{GpuModelSet, Template, World};
use sim_core::quantity::Quantity;

use crate::check::{Checker, ClaimTable, namespace_id, priority_class_id};
use crate::error::Error;
use crate::spec::{self, Text};
use crate::synth::{ArrivalProcess, NamespaceMix, SyntheticWorkload};

const PATH: &str = "workload.synthetic";

/// The generator `spec` describes, resolved against the world.
pub(super) fn synthetic(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::SyntheticSpec,
    claims: &mut ClaimTable,
) -> Result<SyntheticWorkload, Error> {
    let path = PATH;
    let arrivals = arrivals(ck, &spec.arrivals)?;
    let (runtime_median, sigma, runtime_min, runtime_max) =
        runtime(ck, &spec.runtime, &format!("{PATH}.runtime"))?;
    // What every generator has; templates need nothing more, the mixes fill in the rest.
    let common = SyntheticWorkload {
        n_jobs: spec.jobs,
        arrivals,
        runtime_median,
        runtime_sigma: sigma,
        runtime_min,
        runtime_max,
        gpu_mix: Vec::new(),
        gpus_per_replica: 8,
        cpu_per_gpu: 0,
        memory_per_gpu: 0,
        gpu_models: GpuModelSet::ANY,
        gang: spec.gang,
        launcher: None,
        namespaces: Vec::new(),
        templates: Vec::new(),
    };
    if !spec.templates.is_empty() {
        return Ok(SyntheticWorkload {
            templates: templates(ck, world, spec, claims)?,
            ..common
        });
    }
    let (gpu_mix, gpus_per_replica) = gpu_mix(ck, spec)?;
    let (cpu_per_gpu, memory_per_gpu) = per_gpu(ck, spec, &gpu_mix, gpus_per_replica)?;
    let mut models = Vec::new();
    for (idx, text) in spec.gpu_models.iter().enumerate() {
        models.push(ck.gpu_model(&world.fleet, text, &format!("{path}.gpu_models[{idx}]"))?);
    }
    let namespaces = namespace_mix(ck, world, spec, claims)?;
    let launcher = match &spec.launcher {
        Some(launcher) => Some((
            launcher.cpu.as_ref().map_or(Ok(1000), |t| {
                ck.quantity(t, &format!("{path}.launcher.cpu"))
                    .map(Quantity::milli_value)
            })?,
            launcher.memory.as_ref().map_or(Ok(4 << 30), |t| {
                ck.quantity(t, &format!("{path}.launcher.memory"))
                    .map(Quantity::value)
            })?,
        )),
        None => None,
    };
    Ok(SyntheticWorkload {
        gpu_mix,
        gpus_per_replica,
        cpu_per_gpu,
        memory_per_gpu,
        gpu_models: GpuModelSet::of(models),
        launcher,
        namespaces,
        ..common
    })
}

fn arrivals(ck: &Checker<'_>, spec: &spec::ArrivalsSpec) -> Result<ArrivalProcess, Error> {
    let path = PATH;
    let arrivals = ArrivalProcess {
        jobs_per_ms: parse_rate(ck, &spec.rate, &format!("{path}.arrivals.rate"))?,
        daily_amplitude: 0.0,
        daily_peak: Duration::ZERO,
    };
    Ok(match &spec.daily_cycle {
        None => arrivals,
        Some(cycle) => {
            if !(0.0..=1.0).contains(&cycle.amplitude.value) {
                return ck.at(
                    &cycle.amplitude,
                    format!("{path}.arrivals.daily_cycle.amplitude"),
                    "amplitude must be between 0 and 1",
                );
            }
            ArrivalProcess {
                daily_amplitude: cycle.amplitude.value,
                daily_peak: ck
                    .duration(&cycle.peak, &format!("{path}.arrivals.daily_cycle.peak"))?,
                ..arrivals
            }
        }
    })
}

/// `templates`: jobs drawn by weight, each with its own requests, namespace and object; the
/// size and namespace mixes and what shapes them cannot be given beside them.
fn templates(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::SyntheticSpec,
    claims: &mut ClaimTable,
) -> Result<Vec<(u32, sim_core::model::Job)>, Error> {
    let path = format!("{PATH}.templates");
    let beside = [
        ("gpus", !spec.gpus.is_empty()),
        ("namespaces", !spec.namespaces.is_empty()),
        ("gpus_per_replica", spec.gpus_per_replica.is_some()),
        ("cpu_per_gpu", spec.cpu_per_gpu.is_some()),
        ("memory_per_gpu", spec.memory_per_gpu.is_some()),
        ("gpu_models", !spec.gpu_models.is_empty()),
        ("launcher", spec.launcher.is_some()),
        ("template", spec.template.is_some()),
    ];
    if let Some((field, _)) = beside.iter().find(|(_, given)| *given) {
        return ck.error(
            0,
            0,
            format!("{PATH}.{field}"),
            format!(
                "`{field}` shapes generated jobs; with `templates` each template gives its own"
            ),
        );
    }
    let mut out = Vec::with_capacity(spec.templates.len());
    for (idx, entry) in spec.templates.iter().enumerate() {
        let t_path = format!("{path}[{idx}].job");
        let job = &entry.job.value;
        let misplaced = [
            ("submit", job.submit.is_some()),
            ("runtime", job.runtime.is_some()),
            ("cluster", job.cluster.is_some()),
            ("running", !job.running.is_empty()),
        ];
        if let Some((field, _)) = misplaced.iter().find(|(_, given)| *given) {
            return ck.at(
                &entry.job,
                format!("{t_path}.{field}"),
                format!(
                    "a template has no `{field}`: arrivals and run times come from the generator"
                ),
            );
        }
        if entry.weight.value == 0 {
            return ck.at(
                &entry.weight,
                format!("{path}[{idx}].weight"),
                "a weight is at least 1",
            );
        }
        let built = super::workload::listed_job(
            ck,
            world,
            job,
            &t_path,
            claims,
            sim_core::SimTime::ZERO,
            Duration::ZERO,
        )?;
        out.push((entry.weight.value, built));
    }
    Ok(out)
}

/// The runtime distribution: median, sigma, min and max.
pub(super) fn runtime(
    ck: &Checker<'_>,
    spec: &spec::RuntimeSpec,
    path: &str,
) -> Result<(Duration, f64, Duration, Duration), Error> {
    let runtime_median =
        ck.duration(&spec.lognormal.median, &format!("{path}.lognormal.median"))?;
    if runtime_median == Duration::ZERO {
        return ck.at(
            &spec.lognormal.median,
            format!("{path}.lognormal.median"),
            "median must be above 0",
        );
    }
    let sigma = &spec.lognormal.sigma;
    if !(sigma.value >= 0.0 && sigma.value.is_finite()) {
        return ck.at(
            sigma,
            format!("{path}.lognormal.sigma"),
            "sigma must be a number ≥ 0",
        );
    }
    let runtime_min = ck.optional_duration(
        spec.min.as_ref(),
        &format!("{path}.min"),
        Duration::from_mins(1),
    )?;
    let runtime_max = ck.optional_duration(
        spec.max.as_ref(),
        &format!("{path}.max"),
        Duration::from_mins(30 * 24 * 60),
    )?;
    if runtime_min > runtime_max {
        return ck.error(
            0,
            0,
            path.to_owned(),
            format!("min ({runtime_min}) is above max ({runtime_max})"),
        );
    }
    Ok((runtime_median, sigma.value, runtime_min, runtime_max))
}

/// The weighted GPU counts of jobs, and the GPUs of a replica.
fn gpu_mix(ck: &Checker<'_>, spec: &spec::SyntheticSpec) -> Result<(Vec<(u32, u32)>, u32), Error> {
    let path = PATH;
    let gpus_per_replica = spec.gpus_per_replica.as_ref().map_or(8, |g| g.value);
    if gpus_per_replica == 0 {
        let g = spec.gpus_per_replica.as_ref().expect("given");
        return ck.at(g, format!("{path}.gpus_per_replica"), "must be at least 1");
    }
    if spec.gpus.is_empty() {
        return ck.error(
            0,
            0,
            format!("{path}.gpus"),
            "the GPU mix needs at least one entry",
        );
    }
    let mut gpu_mix = Vec::new();
    for (idx, entry) in spec.gpus.iter().enumerate() {
        let entry_path = format!("{path}.gpus[{idx}]");
        let gpus = entry.gpus.value;
        if gpus == 0 {
            return ck.at(
                &entry.gpus,
                format!("{entry_path}.gpus"),
                "a job needs at least one GPU",
            );
        }
        if gpus > gpus_per_replica && gpus % gpus_per_replica != 0 {
            return ck.at(
                &entry.gpus,
                format!("{entry_path}.gpus"),
                format!("{gpus} GPUs cannot be split into replicas of {gpus_per_replica}"),
            );
        }
        if entry.weight.value == 0 {
            return ck.at(
                &entry.weight,
                format!("{entry_path}.weight"),
                "weight must be at least 1",
            );
        }
        gpu_mix.push((gpus, entry.weight.value));
        check_weight_sum(ck, gpu_mix.iter().map(|m| m.1), &entry.weight, &entry_path)?;
    }
    Ok((gpu_mix, gpus_per_replica))
}

/// CPU (milli-cores) and memory (bytes) per GPU, checked to be countable on the largest
/// replica.
fn per_gpu(
    ck: &Checker<'_>,
    spec: &spec::SyntheticSpec,
    gpu_mix: &[(u32, u32)],
    gpus_per_replica: u32,
) -> Result<(u64, u64), Error> {
    let path = PATH;
    let cpu_per_gpu = spec.cpu_per_gpu.as_ref().map_or(Ok(8000), |t| {
        ck.quantity(t, &format!("{path}.cpu_per_gpu"))
            .map(Quantity::milli_value)
    })?;
    let memory_per_gpu = spec.memory_per_gpu.as_ref().map_or(Ok(64 << 30), |t| {
        ck.quantity(t, &format!("{path}.memory_per_gpu"))
            .map(Quantity::value)
    })?;
    // A replica asks for the per-GPU amounts times its GPUs; the largest must be countable.
    let largest_replica = gpu_mix
        .iter()
        .map(|&(gpus, _)| gpus.min(gpus_per_replica))
        .max()
        .unwrap_or(1);
    for (field, text, unit, per_gpu) in [
        ("cpu_per_gpu", &spec.cpu_per_gpu, "milli-cores", cpu_per_gpu),
        (
            "memory_per_gpu",
            &spec.memory_per_gpu,
            "bytes",
            memory_per_gpu,
        ),
    ] {
        if per_gpu.checked_mul(u64::from(largest_replica)).is_none() {
            let message = format!(
                "{per_gpu} {unit} per GPU on a replica of {largest_replica} GPUs is more than \
                 {} {unit}: expected a smaller amount or smaller replicas",
                u64::MAX
            );
            return match text {
                Some(text) => ck.at(text, format!("{path}.{field}"), message),
                None => ck.error(0, 0, format!("{path}.{field}"), message),
            };
        }
    }
    Ok((cpu_per_gpu, memory_per_gpu))
}

fn namespace_mix(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::SyntheticSpec,
    claims: &mut ClaimTable,
) -> Result<Vec<NamespaceMix>, Error> {
    let path = PATH;
    if spec.namespaces.is_empty() {
        return ck.error(
            0,
            0,
            format!("{path}.namespaces"),
            "the namespace mix needs at least one entry",
        );
    }
    let template = spec.template.as_ref();
    let api_version: Arc<str> = Arc::from(
        template
            .and_then(|t| t.api_version.as_deref())
            .unwrap_or("batch/v1"),
    );
    let kind: Arc<str> = Arc::from(template.and_then(|t| t.kind.as_deref()).unwrap_or("Job"));
    let mut namespaces = Vec::new();
    for (idx, entry) in spec.namespaces.iter().enumerate() {
        let entry_path = format!("{path}.namespaces[{idx}]");
        let namespace = namespace_id(ck, world, &entry.name, &format!("{entry_path}.name"))?;
        let priority_class = match &entry.priority_class {
            None => None,
            Some(text) => Some(priority_class_id(
                ck,
                world,
                text,
                &format!("{entry_path}.priority_class"),
            )?),
        };
        if entry.weight.value == 0 {
            return ck.at(
                &entry.weight,
                format!("{entry_path}.weight"),
                "weight must be at least 1",
            );
        }
        let template = Template {
            api_version: Arc::clone(&api_version),
            kind: Arc::clone(&kind),
            labels: Arc::new(entry.labels.clone()),
        };
        let node_claim = claims.intern(
            ck,
            &entry.node_selector,
            &entry.tolerations,
            &format!("{entry_path}.tolerations"),
        )?;
        namespaces.push(NamespaceMix {
            namespace,
            weight: entry.weight.value,
            priority_class,
            template,
            node_claim,
        });
        check_weight_sum(
            ck,
            namespaces.iter().map(|n| n.weight),
            &entry.weight,
            &entry_path,
        )?;
    }
    Ok(namespaces)
}

/// Refuses a weighted mix whose weights so far (`weights`, the last given at `at`) add up to
/// more than the sampler counts in (`u32`).
fn check_weight_sum(
    ck: &Checker<'_>,
    weights: impl Iterator<Item = u32>,
    at: &Spanned<u32>,
    entry_path: &str,
) -> Result<(), Error> {
    let total: u64 = weights.map(u64::from).sum();
    if total > u64::from(u32::MAX) {
        return ck.at(
            at,
            format!("{entry_path}.weight"),
            format!(
                "the weights add up to {total}: expected a total of at most {}",
                u32::MAX
            ),
        );
    }
    Ok(())
}

/// Parses `N/unit` into jobs per millisecond.
fn parse_rate(ck: &Checker<'_>, text: &Text, path: &str) -> Result<f64, Error> {
    let bad = || {
        ck.at(
            text,
            path,
            format!(
                "invalid rate {:?}; expected N/unit such as 2/min, 120/h or 0.5/s",
                text.value
            ),
        )
    };
    let Some((number, unit)) = text.value.split_once('/') else {
        return bad();
    };
    let Ok(count) = number.trim().parse::<f64>() else {
        return bad();
    };
    let unit_ms = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return bad(),
    };
    if !(count > 0.0 && count.is_finite()) {
        return ck.at(text, path, "rate must be above 0");
    }
    Ok(count / unit_ms)
}
