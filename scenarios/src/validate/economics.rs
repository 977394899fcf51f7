//! Prices and power: `gpu_models[].prices` and `power`, `node_pools[].pricing`,
//! `price_per_node_hour` and `base_watts`, `clusters[].pue`, `regions` and
//! `start_time_of_day`, and `clusters[].power_down`, turned into the world's `Economics` in
//! integer units.
//!
//! Nothing is assumed: a scenario that prices nothing reports no cost, and one that gives no
//! power figure reports no energy, so existing scenarios' outputs do not change.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;
use sim_core::Duration;
use sim_core::model::{
    Carbon, Costs, Economics, Energy, Fleet, GpuPower, PoolPrice, PowerDown, Pricing,
};

use super::ClusterPaths;
use crate::check::Checker;
use crate::error::Error;
use crate::spec::{self, CarbonIntensitySpec, ScenarioSpec};

/// Milliseconds in a day.
const DAY_MS: u64 = 86_400_000;

/// The prices and power figures of `spec`, whose GPU models and clusters (trace-generated
/// ones included) are those of `fleet`, in the same order.
pub(super) fn economics(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    fleet: &Fleet,
    paths: &ClusterPaths,
    warnings: &mut Vec<String>,
) -> Result<Economics, Error> {
    let costs = costs(ck, spec, fleet, paths)?;
    let energy = energy(ck, spec, paths)?;
    if energy.is_none() && !spec.regions.is_empty() {
        warnings.push(
            "regions: carbon intensities are given but no gpu_models[].power and no \
             node_pools[].base_watts, so no energy or carbon is reported"
                .to_owned(),
        );
    }
    let power_down = power_down(ck, spec, paths)?;
    Ok(Economics {
        costs,
        energy,
        power_down,
    })
}

/// Each cluster's `power_down`, or an empty list when no cluster sets one (nothing
/// changes then).
fn power_down(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    paths: &ClusterPaths,
) -> Result<Vec<Option<PowerDown>>, Error> {
    if spec.clusters.iter().all(|c| c.power_down.is_none()) {
        return Ok(Vec::new());
    }
    let mut settings = Vec::with_capacity(spec.clusters.len());
    for (c_idx, cluster) in spec.clusters.iter().enumerate() {
        let Some(power) = &cluster.power_down else {
            settings.push(None);
            continue;
        };
        let path = format!("{}.power_down", paths.path(c_idx, &cluster.name.value));
        let after = ck.duration(&power.value.after, &format!("{path}.after"))?;
        if after == Duration::ZERO {
            return ck.at(
                &power.value.after,
                format!("{path}.after"),
                "expected an idle time above 0 (e.g. 30m)",
            );
        }
        let wake_up = ck.optional_duration(
            power.value.wake_up.as_ref(),
            &format!("{path}.wake_up"),
            Duration::ZERO,
        )?;
        settings.push(Some(PowerDown { after, wake_up }));
    }
    Ok(settings)
}

/// A non-negative, finite number from the file, scaled by `scale` and rounded.
fn scaled(ck: &Checker<'_>, value: &Spanned<f64>, path: &str, scale: f64) -> Result<u64, Error> {
    let v = value.value;
    if !v.is_finite() || v < 0.0 || v * scale > 1e18 {
        return ck.at(
            value,
            path,
            format!("expected a number of at least 0, found {v}"),
        );
    }
    Ok((v * scale).round() as u64)
}

fn pricing(ck: &Checker<'_>, text: Option<&spec::Text>, path: &str) -> Result<Pricing, Error> {
    let Some(text) = text else {
        return Ok(Pricing::OnDemand);
    };
    Pricing::ALL
        .into_iter()
        .find(|p| p.as_str() == text.value)
        .map_or_else(
            || {
                ck.at(
                    text,
                    path,
                    format!(
                        "unknown pricing {:?}; expected reserved, on_demand or spot",
                        text.value
                    ),
                )
            },
            Ok,
        )
}

/// Every pool's price, or `None` when no GPU model has prices and no pool a direct price.
fn costs(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    fleet: &Fleet,
    paths: &ClusterPaths,
) -> Result<Option<Costs>, Error> {
    let priced = spec.gpu_models.iter().any(|m| m.prices.is_some())
        || spec
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .any(|p| p.price_per_node_hour.is_some());
    // Check every pricing even when nothing is priced, so a typo never waits for a price.
    let mut pools = Vec::with_capacity(spec.clusters.len());
    for (c_idx, cluster) in spec.clusters.iter().enumerate() {
        let path = paths.path(c_idx, &cluster.name.value);
        let mut prices = Vec::with_capacity(cluster.node_pools.len());
        for (p_idx, pool) in cluster.node_pools.iter().enumerate() {
            let pool_path = format!("{path}.node_pools[{p_idx}]");
            let pricing = pricing(ck, pool.pricing.as_ref(), &format!("{pool_path}.pricing"))?;
            let micro_usd = match &pool.price_per_node_hour {
                Some(direct) => {
                    scaled(ck, direct, &format!("{pool_path}.price_per_node_hour"), 1e6)?
                }
                None => {
                    let model = fleet.clusters[c_idx].node_pools[p_idx].shape.gpu_model;
                    match model {
                        Some(model) if priced && pool.gpus > 0 => {
                            let m_idx = usize::from(model.0);
                            let model_spec = &spec.gpu_models[m_idx];
                            let per_gpu =
                                gpu_price(ck, model_spec, m_idx, pricing, pool, &pool_path)?;
                            per_gpu * u64::from(pool.gpus)
                        }
                        _ => 0,
                    }
                }
            };
            prices.push(PoolPrice {
                pricing,
                micro_usd_per_node_hour: micro_usd,
            });
        }
        pools.push(prices);
    }
    for (m_idx, model) in spec.gpu_models.iter().enumerate() {
        if let Some(prices) = &model.prices {
            for (field, value) in [
                ("reserved", &prices.reserved),
                ("on_demand", &prices.on_demand),
                ("spot", &prices.spot),
            ] {
                if let Some(value) = value {
                    scaled(
                        ck,
                        value,
                        &format!("gpu_models[{m_idx}].prices.{field}"),
                        1e6,
                    )?;
                }
            }
        }
    }
    Ok(priced.then_some(Costs { pools }))
}

/// The price of one GPU of `model` bought by `pricing`, in micro-dollars per hour; an error
/// at the pool when the table lacks it (a fleet priced in part would look cheap).
fn gpu_price(
    ck: &Checker<'_>,
    model: &spec::GpuModelSpec,
    m_idx: usize,
    pricing: Pricing,
    pool: &spec::NodePoolSpec,
    pool_path: &str,
) -> Result<u64, Error> {
    let path = format!("gpu_models[{m_idx}].prices.{}", pricing.as_str());
    let price = model.prices.as_ref().and_then(|prices| match pricing {
        Pricing::Reserved => prices.reserved.as_ref(),
        Pricing::OnDemand => prices.on_demand.as_ref(),
        Pricing::Spot => prices.spot.as_ref(),
    });
    match price {
        Some(price) => scaled(ck, price, &path, 1e6),
        None => ck.at(
            &pool.name,
            format!("{pool_path}.pricing"),
            format!(
                "node pool {:?} is bought {} but GPU model {:?} has no {} price; give {path} \
                 or the pool's price_per_node_hour",
                pool.name.value,
                pricing.as_str(),
                model.name.value,
                pricing.as_str()
            ),
        ),
    }
}

/// Power figures, or `None` when no GPU model has `power` and no pool `base_watts`.
fn energy(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    paths: &ClusterPaths,
) -> Result<Option<Energy>, Error> {
    let mut gpu_models = Vec::with_capacity(spec.gpu_models.len());
    for (m_idx, model) in spec.gpu_models.iter().enumerate() {
        let power = match &model.power {
            None => GpuPower::default(),
            Some(power) => {
                let path = format!("gpu_models[{m_idx}].power");
                let idle = scaled(ck, &power.idle_watts, &format!("{path}.idle_watts"), 1e3)?;
                let busy = scaled(ck, &power.busy_watts, &format!("{path}.busy_watts"), 1e3)?;
                if busy < idle {
                    return ck.at(
                        &power.busy_watts,
                        format!("{path}.busy_watts"),
                        format!(
                            "busy_watts ({}) is below idle_watts ({}); expected at least idle",
                            power.busy_watts.value, power.idle_watts.value
                        ),
                    );
                }
                GpuPower {
                    idle_milliwatts: idle,
                    busy_milliwatts: busy,
                }
            }
        };
        gpu_models.push(power);
    }
    let mut base_milliwatts = Vec::with_capacity(spec.clusters.len());
    let mut pue_milli = Vec::with_capacity(spec.clusters.len());
    for (c_idx, cluster) in spec.clusters.iter().enumerate() {
        let path = paths.path(c_idx, &cluster.name.value);
        let mut bases = Vec::with_capacity(cluster.node_pools.len());
        for (p_idx, pool) in cluster.node_pools.iter().enumerate() {
            bases.push(match &pool.base_watts {
                Some(watts) => scaled(
                    ck,
                    watts,
                    &format!("{path}.node_pools[{p_idx}].base_watts"),
                    1e3,
                )?,
                None => 0,
            });
        }
        base_milliwatts.push(bases);
        pue_milli.push(match &cluster.pue {
            None => 1000,
            Some(pue) if pue.value >= 1.0 && pue.value <= 10.0 => {
                (pue.value * 1000.0).round() as u64
            }
            Some(pue) => {
                return ck.at(
                    pue,
                    format!("{path}.pue"),
                    format!(
                        "expected a PUE between 1.0 and 10.0 (facility over IT power), found {}",
                        pue.value
                    ),
                );
            }
        });
    }
    let carbon = carbon(ck, spec, paths)?;
    let powered = spec.gpu_models.iter().any(|m| m.power.is_some())
        || spec
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .any(|p| p.base_watts.is_some());
    Ok(powered.then_some(Energy {
        gpu_models,
        base_milliwatts,
        pue_milli,
        carbon,
    }))
}

/// Each cluster's carbon intensity by hour, or `None` without `regions`.
fn carbon(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    paths: &ClusterPaths,
) -> Result<Option<Carbon>, Error> {
    let start_ms_of_day = match &spec.start_time_of_day {
        None => 0,
        Some(text) => {
            let ms = ck.duration(text, "start_time_of_day")?.as_millis();
            if ms >= DAY_MS {
                return ck.at(
                    text,
                    "start_time_of_day",
                    format!("expected a time of day below 24h, found {}", text.value),
                );
            }
            ms
        }
    };
    if spec.regions.is_empty() {
        return Ok(None);
    }
    let mut regions: BTreeMap<&str, [u64; 24]> = BTreeMap::new();
    for (r_idx, region) in spec.regions.iter().enumerate() {
        let path = format!("regions[{r_idx}]");
        let at = |message: String| -> Result<[u64; 24], Error> {
            ck.at(&region.name, format!("{path}.carbon_intensity"), message)
        };
        let values: Vec<f64> = match &region.carbon_intensity {
            CarbonIntensitySpec::Constant(value) => vec![*value; 24],
            CarbonIntensitySpec::Hourly(curve) => curve.hourly.clone(),
        };
        if values.len() != 24 {
            at(format!(
                "expected 24 hourly values (from midnight), found {}",
                values.len()
            ))?;
        }
        let mut hourly = [0u64; 24];
        for (hour, value) in values.iter().enumerate() {
            if !value.is_finite() || *value < 0.0 || *value > 1e9 {
                at(format!(
                    "expected gCO2e/kWh of at least 0, found {value} (hour {hour})"
                ))?;
            }
            hourly[hour] = (value * 1000.0).round() as u64;
        }
        if regions.insert(region.name.value.as_str(), hourly).is_some() {
            return ck.at(
                &region.name,
                format!("{path}.name"),
                format!("region {:?} is declared twice", region.name.value),
            );
        }
    }
    let mut milligrams_per_kwh = Vec::with_capacity(spec.clusters.len());
    for (c_idx, cluster) in spec.clusters.iter().enumerate() {
        let path = paths.path(c_idx, &cluster.name.value);
        let listed = cluster.region.as_deref().and_then(|name| regions.get(name));
        match listed {
            Some(hourly) => milligrams_per_kwh.push(*hourly),
            None => {
                let known: Vec<&str> = regions.keys().copied().collect();
                return ck.at(
                    &cluster.name,
                    format!("{path}.region"),
                    format!(
                        "cluster {:?} has {}; with `regions` every cluster needs a region \
                         listed there ({})",
                        cluster.name.value,
                        cluster
                            .region
                            .as_deref()
                            .map_or("no region".to_owned(), |r| format!("region {r:?}")),
                        known.join(", ")
                    ),
                );
            }
        }
    }
    Ok(Some(Carbon {
        milligrams_per_kwh,
        start_ms_of_day,
    }))
}

/// A pool the provider revokes (`faults.spot_revocations`) but that is priced as something
/// other than spot: its cost would be the reserved or on-demand price of capacity that comes
/// and goes. Only when the fleet is priced at all.
pub(super) fn spot_pricing_warnings(spec: &ScenarioSpec, priced: bool) -> Vec<String> {
    if !priced {
        return Vec::new();
    }
    let mut warnings = Vec::new();
    for (idx, rule) in spec.faults.spot_revocations.iter().enumerate() {
        let rule = &rule.value;
        let pricing = spec
            .clusters
            .iter()
            .filter(|c| c.name.value == rule.cluster.value)
            .flat_map(|c| &c.node_pools)
            .find(|p| p.name.value == rule.pool.value)
            .map(|p| p.pricing.as_ref().map_or("on_demand", |t| t.value.as_str()));
        if let Some(pricing) = pricing.filter(|p| *p != "spot") {
            warnings.push(format!(
                "faults.spot_revocations[{idx}]: pool {}/{} is revoked like spot capacity but \
                 priced `{pricing}`; set its `pricing: spot` to cost it at the spot price",
                rule.cluster.value, rule.pool.value
            ));
        }
    }
    warnings
}
