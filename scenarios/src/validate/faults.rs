//! The faults section: outages, drains and random node failures, resolved against the fleet.

use std::ops::Range;

use scheduler::faults::{DurationDist, FaultPlan, FaultTarget, Outage, RandomFailures};
use sim_core::model::{ClusterId, World};
use sim_core::{Duration, SimTime};

use crate::check::Checker;
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
    Ok(plan)
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
