//! The faults section: outages, drains, random node failures, job failures and spot
//! revocations, resolved against the fleet.

use std::ops::Range;

use scheduler::faults::{DurationDist, FaultPlan, FaultTarget, Outage, RandomFailures};
use scheduler::job_failures::{FailureDraw, FailureHazard, JobFailures};
use scheduler::spot::{RevocationTimes, SpotRevocations};
use serde_saphyr::Spanned;
use sim_core::model::{ClusterId, World};
use sim_core::{Duration, SimTime};

use crate::check::{Checker, namespace_id};
use crate::error::Error;
use crate::spec::{self, Text};

/// The scenario's `faults`, resolved against the fleet.
pub(super) fn fault_plan(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::FaultsSpec,
) -> Result<FaultPlan, Error> {
    let ctx = Places { ck, world };
    let time = |text: &Text, path: &str| ctx.time(text, path);
    let cluster_id = |text: &Text, path: &str| ctx.cluster_id(text, path);
    let pool_nodes = |cluster, pool: &Text, path: &str| ctx.pool_nodes(cluster, pool, path);
    let mut plan = FaultPlan::default();
    for (idx, o) in spec.outages.iter().enumerate() {
        let path = format!("faults.outages[{idx}]");
        outage(&ctx, o, &path, &mut plan.outages)?;
    }
    for (idx, d) in spec.drains.iter().enumerate() {
        let path = format!("faults.drains[{idx}]");
        let cluster = cluster_id(&d.cluster, &format!("{path}.cluster"))?;
        let mut nodes = pool_nodes(cluster, &d.pool, &format!("{path}.pool"))?;
        if let Some(n) = &d.nodes {
            if n.value == 0 || n.value > nodes.len() as u32 {
                return ck.at(
                    n,
                    format!("{path}.nodes"),
                    format!("expected 1 to {} (the pool's nodes)", nodes.len()),
                );
            }
            nodes.end = nodes.start + n.value;
        }
        let at = time(&d.at, &format!("{path}.at"))?;
        let duration = ck.duration(&d.duration, &format!("{path}.duration"))?;
        plan.outages.push(Outage {
            target: FaultTarget::Nodes { cluster, nodes },
            down: at,
            up: Some(at.after(duration)),
            drain: true,
            label: format!("drain of {}/{}", d.cluster.value, d.pool.value),
        });
    }
    for (idx, f) in spec.node_failures.iter().enumerate() {
        let path = format!("faults.node_failures[{idx}]");
        let clusters = match &f.clusters {
            None => world.fleet.cluster_ids().collect(),
            Some(names) => names
                .iter()
                .enumerate()
                .map(|(i, n)| cluster_id(n, &format!("{path}.clusters[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        };
        plan.random.push(RandomFailures {
            clusters,
            between_failures: distribution(
                ck,
                &f.time_between_failures,
                &format!("{path}.time_between_failures"),
            )?,
            repair: distribution(ck, &f.repair, &format!("{path}.repair"))?,
        });
    }
    if let Some(spec) = &spec.job_failures {
        plan.job_failures = Some(job_failures(ck, world, spec)?);
    }
    for (idx, r) in spec.spot_revocations.iter().enumerate() {
        let path = format!("faults.spot_revocations[{idx}]");
        plan.spot.push(spot_revocations(&ctx, r, &path)?);
    }
    Ok(plan)
}

/// `faults.job_failures`: one hazard model, how failures are drawn, and the namespaces.
fn job_failures(
    ck: &Checker<'_>,
    world: &World,
    spec: &Spanned<spec::JobFailuresSpec>,
) -> Result<JobFailures, Error> {
    let path = "faults.job_failures";
    let f = &spec.value;
    let positive = |text: &Text, at: String| -> Result<Duration, Error> {
        let d = ck.duration(text, &at)?;
        if d.as_millis() == 0 {
            return ck.at(text, at, "must be longer than 0");
        }
        Ok(d)
    };
    let hazard = match (&f.per_gpu_mtbf, &f.mttf_by_size) {
        (Some(mtbf), None) => {
            FailureHazard::PerGpuMtbf(positive(mtbf, format!("{path}.per_gpu_mtbf"))?)
        }
        (None, Some(rows)) => {
            if rows.is_empty() {
                return ck.at(
                    spec,
                    format!("{path}.mttf_by_size"),
                    "give at least one row",
                );
            }
            let mut table: Vec<(f64, Duration)> = Vec::with_capacity(rows.len());
            for (idx, row) in rows.iter().enumerate() {
                let at = format!("{path}.mttf_by_size[{idx}]");
                let gpus = row.value.gpus.value;
                if !(gpus > 0.0 && gpus.is_finite()) {
                    return ck.at(
                        &row.value.gpus,
                        format!("{at}.gpus"),
                        "expected a number above 0",
                    );
                }
                if table.last().is_some_and(|(prev, _)| gpus <= *prev) {
                    return ck.at(
                        &row.value.gpus,
                        format!("{at}.gpus"),
                        "rows must be in increasing order of gpus, each size once",
                    );
                }
                table.push((gpus, positive(&row.value.mttf, format!("{at}.mttf"))?));
            }
            FailureHazard::MttfBySize(table)
        }
        _ => {
            return ck.at(
                spec,
                path,
                "give exactly one of per_gpu_mtbf or mttf_by_size",
            );
        }
    };
    let draw = match f.draw.as_ref().map(|t| (t, t.value.as_str())) {
        None | Some((_, "exponential")) => FailureDraw::Exponential,
        Some((_, "mean")) => FailureDraw::Mean,
        Some((text, other)) => {
            return ck.at(
                text,
                format!("{path}.draw"),
                format!("unknown draw {other:?}; expected exponential or mean"),
            );
        }
    };
    let namespaces = match &f.namespaces {
        None => None,
        Some(names) => Some(
            names
                .iter()
                .enumerate()
                .map(|(idx, n)| namespace_id(ck, world, n, &format!("{path}.namespaces[{idx}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(JobFailures {
        hazard,
        draw,
        namespaces,
    })
}

/// One `faults.spot_revocations` entry.
fn spot_revocations(
    ctx: &Places<'_, '_>,
    spec: &Spanned<spec::SpotRevocationSpec>,
    path: &str,
) -> Result<SpotRevocations, Error> {
    let ck = ctx.ck;
    let r = &spec.value;
    let cluster = ctx.cluster_id(&r.cluster, &format!("{path}.cluster"))?;
    let nodes = ctx.pool_nodes(cluster, &r.pool, &format!("{path}.pool"))?;
    let times = match (&r.time_between, &r.rate_per_hour) {
        (Some(dist), None) => {
            RevocationTimes::Between(distribution(ck, dist, &format!("{path}.time_between"))?)
        }
        (None, Some(rates)) => {
            let at = format!("{path}.rate_per_hour");
            let Ok(values) = <[f64; 24]>::try_from(rates.value.as_slice()) else {
                return ck.at(
                    rates,
                    at,
                    format!(
                        "expected 24 values (one per hour of the day), got {}",
                        rates.value.len()
                    ),
                );
            };
            if let Some(hour) = values.iter().position(|v| !(*v >= 0.0 && v.is_finite())) {
                return ck.at(
                    rates,
                    format!("{at}[{hour}]"),
                    "expected a rate of 0 or more revocations per hour",
                );
            }
            RevocationTimes::HourlyRate(values)
        }
        _ => {
            return ck.at(
                spec,
                path,
                "give exactly one of time_between or rate_per_hour",
            );
        }
    };
    let notice = ck.optional_duration(
        r.notice.as_ref(),
        &format!("{path}.notice"),
        Duration::from_secs(30),
    )?;
    let back_after = match &r.back_after {
        Some(dist) => Some(distribution(ck, dist, &format!("{path}.back_after"))?),
        None => None,
    };
    Ok(SpotRevocations {
        cluster,
        nodes,
        label: format!("{}/{}", r.cluster.value, r.pool.value),
        times,
        notice,
        back_after,
    })
}

/// One outage: a cluster (or some of its nodes), or every cluster of a zone or region.
fn outage(
    ctx: &Places<'_, '_>,
    o: &spec::OutageSpec,
    path: &str,
    outages: &mut Vec<Outage>,
) -> Result<(), Error> {
    let ck = ctx.ck;
    let world = ctx.world;
    let time = |text: &Text, path: &str| ctx.time(text, path);
    let cluster_id = |text: &Text, path: &str| ctx.cluster_id(text, path);
    let pool_nodes = |cluster, pool: &Text, path: &str| ctx.pool_nodes(cluster, pool, path);
    let down = time(&o.down, &format!("{path}.down"))?;
    let up = match &o.up {
        Some(text) => {
            let up = time(text, &format!("{path}.up"))?;
            if up <= down {
                return ck.at(text, format!("{path}.up"), "must be after `down`");
            }
            Some(up)
        }
        None => None,
    };
    let outage = |target: FaultTarget, label: String| Outage {
        target,
        down,
        up,
        drain: false,
        label,
    };
    match (&o.cluster, &o.zone, &o.region) {
        (Some(name), None, None) => {
            let cluster = cluster_id(name, &format!("{path}.cluster"))?;
            let target = match (&o.pool, &o.node) {
                (None, None) => FaultTarget::Cluster(cluster),
                (Some(pool), node) => {
                    let nodes = pool_nodes(cluster, pool, &format!("{path}.pool"))?;
                    let nodes = match node {
                        None => nodes,
                        Some(n) if n.value < nodes.len() as u32 => {
                            nodes.start + n.value..nodes.start + n.value + 1
                        }
                        Some(n) => {
                            return ck.at(
                                n,
                                format!("{path}.node"),
                                format!(
                                    "node {} of a pool of {} nodes: expected 0 to {}",
                                    n.value,
                                    nodes.len(),
                                    nodes.len().saturating_sub(1)
                                ),
                            );
                        }
                    };
                    FaultTarget::Nodes { cluster, nodes }
                }
                (None, Some(n)) => {
                    return ck.at(n, format!("{path}.node"), "a node needs its `pool`");
                }
            };
            outages.push(outage(target, format!("outage of {}", name.value)));
        }
        (None, Some(place), None) | (None, None, Some(place)) => {
            let zone = o.zone.is_some();
            let what = if zone { "zone" } else { "region" };
            let clusters: Vec<ClusterId> = world
                .fleet
                .cluster_ids()
                .filter(|id| {
                    let c = world.fleet.cluster(*id);
                    if zone {
                        c.zones.contains(&place.value)
                    } else {
                        c.region.as_deref() == Some(place.value.as_str())
                    }
                })
                .collect();
            if clusters.is_empty() {
                return ck.at(
                    place,
                    format!("{path}.{what}"),
                    format!("no cluster is in {what} {:?}", place.value),
                );
            }
            if o.pool.is_some() || o.node.is_some() {
                return ck.at(
                    place,
                    format!("{path}.{what}"),
                    "`pool` and `node` go with `cluster`",
                );
            }
            for cluster in clusters {
                outages.push(outage(
                    FaultTarget::Cluster(cluster),
                    format!("outage of {what} {}", place.value),
                ));
            }
        }
        _ => {
            return ck.at(&o.down, path, "give exactly one of cluster, zone or region");
        }
    }
    Ok(())
}

/// Resolves the clusters, pools and times faults name.
struct Places<'c, 'w> {
    ck: &'c Checker<'c>,
    world: &'w World,
}

impl Places<'_, '_> {
    fn time(&self, text: &Text, path: &str) -> Result<SimTime, Error> {
        Ok(SimTime(self.ck.duration(text, path)?.as_millis()))
    }

    fn cluster_id(&self, text: &Text, path: &str) -> Result<ClusterId, Error> {
        self.world.fleet.cluster_id(&text.value).map_or_else(
            || {
                self.ck
                    .at(text, path, format!("unknown cluster {:?}", text.value))
            },
            Ok,
        )
    }

    /// Nodes of a pool: clusters lay their nodes out pool after pool.
    fn pool_nodes(&self, cluster: ClusterId, pool: &Text, path: &str) -> Result<Range<u32>, Error> {
        let mut first = 0u32;
        for p in &self.world.fleet.cluster(cluster).node_pools {
            if p.name == pool.value {
                return Ok(first..first + p.count);
            }
            first += p.count;
        }
        self.ck.at(
            pool,
            path,
            format!(
                "cluster {:?} has no node pool {:?}",
                self.world.fleet.cluster(cluster).name,
                pool.value
            ),
        )
    }
}

fn distribution(
    ck: &Checker<'_>,
    spec: &spec::DistributionSpec,
    path: &str,
) -> Result<DurationDist, Error> {
    let positive = |text: &Text, at: String| -> Result<Duration, Error> {
        let d = ck.duration(text, &at)?;
        if d.as_millis() == 0 {
            return ck.at(text, at, "must be longer than 0");
        }
        Ok(d)
    };
    match (
        &spec.constant,
        &spec.exponential,
        &spec.weibull,
        &spec.lognormal,
    ) {
        (Some(c), None, None, None) => Ok(DurationDist::Constant(positive(
            c,
            format!("{path}.constant"),
        )?)),
        (None, Some(e), None, None) => Ok(DurationDist::Exponential {
            mean: positive(&e.mean, format!("{path}.exponential.mean"))?,
        }),
        (None, None, Some(w), None) => {
            if !(w.shape.value > 0.0 && w.shape.value.is_finite()) {
                return ck.at(
                    &w.shape,
                    format!("{path}.weibull.shape"),
                    "expected a number above 0",
                );
            }
            Ok(DurationDist::Weibull {
                shape: w.shape.value,
                scale: positive(&w.scale, format!("{path}.weibull.scale"))?,
            })
        }
        (None, None, None, Some(l)) => {
            if !(l.sigma.value >= 0.0 && l.sigma.value.is_finite()) {
                return ck.at(
                    &l.sigma,
                    format!("{path}.lognormal.sigma"),
                    "expected a number of 0 or more",
                );
            }
            Ok(DurationDist::LogNormal {
                median: positive(&l.median, format!("{path}.lognormal.median"))?,
                sigma: l.sigma.value,
            })
        }
        _ => ck.error(
            0,
            0,
            path,
            "give exactly one of constant, exponential, weibull or lognormal",
        ),
    }
}
