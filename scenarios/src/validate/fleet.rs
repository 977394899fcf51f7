//! The fleet section: GPU models, clusters and their node pools, resource models.

use std::collections::BTreeSet;

use scheduler::FeatureGates;
use scheduler::estimator::{ModelGrade, default_resource_models};
use sim_core::model::{Cluster, Fleet, GpuModel, GpuModelSet, NodePool, NodeShape};
use sim_core::quantity::Quantity;

use super::ClusterPaths;
use crate::check::Checker;
use crate::error::Error;
use crate::spec::{self, ScenarioSpec, Text};

/// The GPU models and clusters of `spec`, trace-generated clusters included.
pub(super) fn fleet(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    paths: &ClusterPaths,
) -> Result<Fleet, Error> {
    let mut fleet = Fleet {
        gpu_models: gpu_models(ck, &spec.gpu_models)?,
        ..Fleet::default()
    };
    let mut cluster_names = BTreeSet::new();
    let mut n_nodes = 0;
    for (c_idx, c) in spec.clusters.iter().enumerate() {
        let path = paths.path(c_idx, &c.name.value);
        let name = ck.unique_name(
            &mut cluster_names,
            &c.name,
            &format!("{path}.name"),
            "cluster",
        )?;
        let node_pools = node_pools(ck, &fleet, c, &path, &mut n_nodes)?;
        fleet.clusters.push(Cluster {
            name,
            region: c.region.clone(),
            zones: zones(ck, c, &path)?,
            provider: c.provider.clone(),
            labels: c.labels.clone(),
            taints: ck.taints(&c.taints, &format!("{path}.taints"))?,
            node_pools,
        });
    }
    if fleet.clusters.is_empty() {
        return ck.error(0, 0, "clusters", "a scenario needs at least one cluster");
    }
    Ok(fleet)
}

/// A cluster's `zones`: the list, or the deprecated `zone` as a one-element list (Karmada's
/// cluster mutation copies `spec.zone` into `spec.zones` when the list is empty). Zones must
/// be non-empty and distinct; giving both fields is an error.
fn zones(ck: &Checker<'_>, c: &spec::ClusterSpec, path: &str) -> Result<Vec<String>, Error> {
    let list: Vec<&Text> = match (&c.zone, &c.zones) {
        (Some(zone), Some(_)) => {
            return ck.at(
                zone,
                format!("{path}.zone"),
                "give `zones` only: `zone` is Karmada's deprecated single zone, \
                 expected a list such as `zones: [eu-west-1a, eu-west-1b]`",
            );
        }
        (Some(zone), None) => vec![zone],
        (None, Some(zones)) => zones.iter().collect(),
        (None, None) => Vec::new(),
    };
    let field = if c.zone.is_some() { "zone" } else { "zones" };
    let mut seen = BTreeSet::new();
    for (idx, zone) in list.iter().enumerate() {
        let at = if c.zone.is_some() {
            format!("{path}.{field}")
        } else {
            format!("{path}.{field}[{idx}]")
        };
        if zone.value.trim().is_empty() {
            return ck.at(zone, at, "expected a zone name, found an empty string");
        }
        if !seen.insert(zone.value.as_str()) {
            return ck.at(
                zone,
                at,
                format!(
                    "zone {:?} is listed twice; expected distinct zones",
                    zone.value
                ),
            );
        }
    }
    Ok(list.iter().map(|z| z.value.clone()).collect())
}

fn gpu_models(ck: &Checker<'_>, specs: &[spec::GpuModelSpec]) -> Result<Vec<GpuModel>, Error> {
    let mut names = BTreeSet::new();
    if specs.len() > GpuModelSet::MAX_MODELS {
        return ck.error(
            0,
            0,
            "gpu_models",
            format!(
                "at most {} GPU models are supported",
                GpuModelSet::MAX_MODELS
            ),
        );
    }
    let mut models = Vec::with_capacity(specs.len());
    for (idx, model) in specs.iter().enumerate() {
        let path = format!("gpu_models[{idx}]");
        let name = ck.unique_name(
            &mut names,
            &model.name,
            &format!("{path}.name"),
            "GPU model",
        )?;
        let memory = match &model.memory {
            Some(text) => ck.quantity(text, &format!("{path}.memory"))?.value(),
            None => 0,
        };
        let speed_milli = match &model.speed {
            None => 1000,
            Some(speed) if speed.value > 0.0 && speed.value <= 1000.0 => {
                (speed.value * 1000.0).round() as u32
            }
            Some(speed) => {
                return ck.at(
                    speed,
                    format!("{path}.speed"),
                    "speed must be above 0 (1.0 = the reference GPU)",
                );
            }
        };
        models.push(GpuModel {
            name,
            memory,
            speed_milli: speed_milli.max(1),
        });
    }
    Ok(models)
}

/// The most nodes a fleet may have. Each node keeps about 90 bytes of state however alike
/// the nodes are (20 M nodes took 1.7 GB), so this bounds a run's node state near 3 GB
/// instead of leaving a mistyped count to exhaust memory; it is far above any real fleet.
/// (It also keeps each cluster's node numbers within u32.)
pub const MAX_FLEET_NODES: u64 = 1 << 25;

/// The node pools of cluster `c` at `path`; `fleet` holds the GPU models so far, and
/// `n_nodes` counts the fleet's nodes so far.
fn node_pools(
    ck: &Checker<'_>,
    fleet: &Fleet,
    c: &spec::ClusterSpec,
    path: &str,
    n_nodes: &mut u64,
) -> Result<Vec<NodePool>, Error> {
    let mut pool_names = BTreeSet::new();
    let mut node_pools = Vec::new();
    for (p_idx, p) in c.node_pools.iter().enumerate() {
        let pool_path = format!("{path}.node_pools[{p_idx}]");
        *n_nodes += u64::from(p.count);
        if *n_nodes > MAX_FLEET_NODES {
            return ck.at(
                &p.name,
                format!("{pool_path}.count"),
                format!(
                    "the fleet has {} nodes up to this pool: expected at most {MAX_FLEET_NODES} \
                     in all (each node keeps its own state, about 90 bytes)",
                    *n_nodes
                ),
            );
        }
        let pool_name = ck.unique_name(
            &mut pool_names,
            &p.name,
            &format!("{pool_path}.name"),
            "node pool",
        )?;
        let cpu_milli = ck
            .quantity(&p.cpu, &format!("{pool_path}.cpu"))?
            .milli_value();
        let memory = ck
            .quantity(&p.memory, &format!("{pool_path}.memory"))?
            .value();
        if p.gpus as usize > scheduler::member::devices::MAX_DEVICES {
            return ck.at(
                &p.name,
                format!("{pool_path}.gpus"),
                format!(
                    "{} GPUs per node: at most {} are modelled",
                    p.gpus,
                    scheduler::member::devices::MAX_DEVICES
                ),
            );
        }
        let gpu_model = match &p.gpu_model {
            Some(text) => Some(ck.gpu_model(fleet, text, &format!("{pool_path}.gpu_model"))?),
            None if p.gpus > 0 => {
                return ck.at(
                    &p.name,
                    format!("{pool_path}.gpu_model"),
                    format!("pool has {} GPUs but no gpu_model", p.gpus),
                );
            }
            None => None,
        };
        node_pools.push(NodePool {
            name: pool_name,
            count: p.count,
            shape: NodeShape {
                cpu_milli,
                memory,
                max_pods: p.max_pods,
                gpus: p.gpus,
                gpu_model,
            },
            labels: p.labels.clone(),
            taints: ck.taints(&p.taints, &format!("{pool_path}.taints"))?,
        });
    }
    Ok(node_pools)
}

/// Each cluster's resource models, in cluster order. With the CustomizedClusterResourceModeling
/// gate on, a cluster that declares none gets Karmada's default grades, as Karmada's Cluster
/// registry strategy gives every Cluster at creation (`PrepareForCreate`); with it off, no
/// cluster has models the control plane uses (declared ones are still checked).
pub(super) fn all_resource_models(
    ck: &Checker<'_>,
    clusters: &[spec::ClusterSpec],
    paths: &ClusterPaths,
    gates: &FeatureGates,
) -> Result<Vec<Vec<ModelGrade>>, Error> {
    let modelling = gates.customized_cluster_resource_modeling;
    clusters
        .iter()
        .enumerate()
        .map(|(idx, c)| {
            let declared = resource_models(
                ck,
                c,
                &format!("{}.resource_models", paths.path(idx, &c.name.value)),
            )?;
            Ok(if !modelling {
                Vec::new()
            } else if declared.is_empty() {
                default_resource_models()
            } else {
                standardized(declared)
            })
        })
        .collect()
}

/// Declared grades as Karmada stores them (`StandardizeClusterResourceModels`): sorted by
/// grade, with the first grade's lower bounds at 0.
fn standardized(mut grades: Vec<ModelGrade>) -> Vec<ModelGrade> {
    grades.sort_by_key(|g| g.grade);
    if let Some(first) = grades.first_mut() {
        for (_, min) in &mut first.minimums {
            *min = 0;
        }
    }
    grades
}

fn resource_models(
    ck: &Checker<'_>,
    cluster: &spec::ClusterSpec,
    path: &str,
) -> Result<Vec<ModelGrade>, Error> {
    match &cluster.resource_models {
        None => Ok(Vec::new()),
        Some(spec::ResourceModelsSpec::Named(name)) if name == "default" => {
            Ok(default_resource_models())
        }
        Some(spec::ResourceModelsSpec::Named(name)) => ck.at(
            &cluster.name,
            path,
            format!("unknown resource models {name:?}; expected default or a list of grades"),
        ),
        Some(spec::ResourceModelsSpec::Grades(grades)) => grades
            .iter()
            .map(|g| {
                let minimums = g
                    .ranges
                    .iter()
                    .map(|r| {
                        let min = match &r.min {
                            spec::karmada::PlainValue::Number(n) => n.to_string(),
                            spec::karmada::PlainValue::Text(t) => t.clone(),
                        };
                        let q = Quantity::parse(&min).or_else(|e| {
                            ck.at(
                                &cluster.name,
                                format!("{path}.grade{}.{}", g.grade, r.name),
                                e.to_string(),
                            )
                        })?;
                        let value = if r.name == "cpu" {
                            q.milli_value()
                        } else {
                            q.value()
                        };
                        let value = i64::try_from(value).or_else(|_| {
                            ck.at(
                                &cluster.name,
                                format!("{path}.grade{}.{}", g.grade, r.name),
                                format!("{min:?} is too large: expected at most {}", i64::MAX),
                            )
                        })?;
                        Ok((r.name.clone(), value))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                Ok(ModelGrade {
                    grade: g.grade,
                    minimums,
                })
            })
            .collect(),
    }
}
