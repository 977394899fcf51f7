//! The planner's search: the cheapest point of the dimensions' grid that meets the objective.
//!
//! It relies on monotonicity: more nodes or more quota never makes waiting worse, so along one
//! dimension the points that meet the objective are the values from some threshold up, and
//! bisection finds that threshold in log₂(steps) evaluations. Starting from every dimension
//! at its largest value, the search bisects each dimension down in turn (the dearest first)
//! until no dimension moves, then refines locally: one step more of one dimension may let
//! another, dearer one drop several steps. Evaluated points are cached, so no point runs
//! twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use reports::Estimate;
use scenarios::plan::{Bound, DecideBy, Minimize, Plan};

use crate::RunError;
use crate::sweep::evaluate;

/// Coordinate passes before the search settles for where it is.
const MAX_PASSES: usize = 8;
/// Rounds of descent and local refinement.
const MAX_REFINEMENTS: usize = 16;

/// One run behind a point.
#[derive(Clone, Debug)]
pub struct PlanRun {
    /// Condition index in the plan.
    pub condition: usize,
    /// Replication index.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
    /// The plan's metrics, in order.
    pub metrics: Vec<Option<f64>>,
}

/// One constraint under one condition at a point.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// Constraint index.
    pub constraint: usize,
    /// Condition index.
    pub condition: usize,
    /// The replications' estimate; `None` when no run had a value.
    pub estimate: Option<Estimate>,
    /// The value judged: the mean, or the pessimistic end of its interval.
    pub judged: Option<f64>,
    /// Whether it meets the target.
    pub met: bool,
}

/// An evaluated point.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Order of evaluation, from 0.
    pub point: usize,
    /// Value per dimension.
    pub values: Vec<u64>,
    /// What the values cost.
    pub cost: f64,
    /// Every constraint under every condition.
    pub judgements: Vec<Judgement>,
    /// The constraints the search steers by are met.
    pub steering_met: bool,
    /// Every constraint is met.
    pub all_met: bool,
    /// The runs, conditions in order, replications within.
    pub runs: Vec<PlanRun>,
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The recommendation meets every constraint.
    Met,
    /// Even every dimension at its largest value does not meet the objective.
    Unreachable,
    /// The cheapest point meeting the constraints more capacity helps with fails another
    /// (a utilization floor, say), which less capacity cannot fix either.
    Conflict,
}

/// What the search found.
pub struct SearchResult {
    /// How it ended.
    pub status: Status,
    /// The recommended point (the largest one when unreachable).
    pub recommendation: Arc<Evaluation>,
    /// Per dimension one step below the recommendation (`None` at its minimum).
    pub below: Vec<Option<Arc<Evaluation>>>,
    /// Every point evaluated, in order.
    pub evaluated: Vec<Arc<Evaluation>>,
}

/// Evaluates points, each once.
struct Evaluator<'a> {
    plan: &'a Plan,
    pool: &'a rayon::ThreadPool,
    /// Step indices → evaluation.
    cache: BTreeMap<Vec<u64>, Arc<Evaluation>>,
    order: Vec<Arc<Evaluation>>,
    runs_done: AtomicUsize,
    progress: &'a (dyn Fn(usize, usize) + Sync),
}

impl Evaluator<'_> {
    fn evaluate(&mut self, steps: &[u64]) -> Result<Arc<Evaluation>, RunError> {
        if let Some(found) = self.cache.get(steps) {
            return Ok(found.clone());
        }
        let plan = self.plan;
        let values = values_at(plan, steps);
        let scenarios = plan
            .conditions
            .iter()
            .map(|condition| plan.scenario(&values, condition))
            .collect::<Result<Vec<_>, _>>()?;
        let tasks: Vec<(usize, u32)> = (0..plan.conditions.len())
            .flat_map(|c| (0..plan.replications).map(move |r| (c, r)))
            .collect();
        let n_points = self.order.len();
        let (progress, runs_done) = (self.progress, &self.runs_done);
        let runs: Vec<PlanRun> = self.pool.install(|| {
            tasks
                .par_iter()
                .map(|&(condition, replication)| {
                    let scenario = &scenarios[condition];
                    let seed =
                        scenarios::variant::replication_seed(plan.seed, scenario.seed, replication);
                    let digest = evaluate::run_digest(scenario, seed)?;
                    progress(n_points, runs_done.fetch_add(1, Ordering::Relaxed) + 1);
                    Ok(PlanRun {
                        condition,
                        replication,
                        seed,
                        metrics: plan
                            .metrics
                            .iter()
                            .map(|key| evaluate::metric_value(key, &digest))
                            .collect(),
                    })
                })
                .collect::<Result<Vec<_>, RunError>>()
        })?;
        let judgements = judge(plan, &runs);
        let met = |steering_only: bool| {
            judgements
                .iter()
                .filter(|j| !steering_only || plan.constraints[j.constraint].steers)
                .all(|j| j.met)
        };
        let evaluation = Arc::new(Evaluation {
            point: self.order.len(),
            cost: point_cost(plan, &values, &runs),
            values,
            steering_met: met(true),
            all_met: met(false),
            judgements,
            runs,
        });
        self.cache.insert(steps.to_vec(), evaluation.clone());
        self.order.push(evaluation.clone());
        (self.progress)(self.order.len(), self.runs_done.load(Ordering::Relaxed));
        Ok(evaluation)
    }

    fn feasible(&mut self, steps: &[u64]) -> Result<bool, RunError> {
        Ok(self.evaluate(steps)?.steering_met)
    }

    /// The smallest step of dimension `idx` in `0..=steps[idx]` that is feasible with the
    /// others fixed, assuming `steps` itself is.
    fn bisect(&mut self, steps: &[u64], idx: usize) -> Result<u64, RunError> {
        let (mut low, mut high) = (0, steps[idx]);
        let mut probe = steps.to_vec();
        while low < high {
            let mid = low + (high - low) / 2;
            probe[idx] = mid;
            if self.feasible(&probe)? {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        Ok(high)
    }
}

/// Bisects each dimension down in turn (in `order`) until none moves: then every dimension
/// is at its lowest feasible step given the others. Another pass matters when lowering one
/// dimension helps another (one team's smaller quota leaves room for the next).
fn descend(
    evaluator: &mut Evaluator<'_>,
    current: &mut [u64],
    order: &[usize],
    bisected_at: &mut [Option<Vec<u64>>],
) -> Result<(), RunError> {
    for _ in 0..MAX_PASSES {
        let mut moved = false;
        for &idx in order {
            if bisected_at[idx].as_deref() == Some(&*current) {
                continue;
            }
            let lowest = evaluator.bisect(current, idx)?;
            if lowest != current[idx] {
                current[idx] = lowest;
                moved = true;
            }
            bisected_at[idx] = Some(current.to_vec());
        }
        if !moved {
            break;
        }
    }
    Ok(())
}

/// What a point costs: its unit costs, or the minimised metric's mean over the replications
/// under the first condition (infinite when no run had a value, so such a point is never
/// recommended over one that has).
fn point_cost(plan: &Plan, values: &[u64], runs: &[PlanRun]) -> f64 {
    let Minimize::Metric(metric) = &plan.minimize else {
        return plan.cost(values);
    };
    let idx = plan
        .metrics
        .iter()
        .position(|m| m == metric)
        .expect("the minimised metric is recorded");
    let values: Vec<f64> = runs
        .iter()
        .filter(|r| r.condition == 0)
        .filter_map(|r| r.metrics[idx])
        .collect();
    Estimate::of(&values).map_or(f64::INFINITY, |e| e.mean)
}

/// The frontier walk, when the cost is measured: for every combination of the other
/// dimensions' steps (in lexicographic order), the last dimension's lowest step that meets the
/// objective, by bisection. Feasibility is monotone, so that step never rises when another
/// dimension grows: the bisection runs below the lowest step found for the combinations one
/// step smaller, and a combination whose predecessors all fail starts from the top. The
/// cheapest frontier point (by measured cost, then unit cost, then steps) is the answer:
/// with cost growing with every dimension (nodes are paid for), no point off the frontier can
/// be cheaper. `None` when nothing in the ranges meets the objective.
fn frontier_walk(evaluator: &mut Evaluator<'_>, plan: &Plan) -> Result<Option<Vec<u64>>, RunError> {
    let n_steps: Vec<u64> = plan.dimensions.iter().map(|d| d.n_steps()).collect();
    let (last, others) = n_steps.split_last().expect("at least one dimension");
    let mut lowest: BTreeMap<Vec<u64>, Option<u64>> = BTreeMap::new();
    let mut best: Option<(Vec<u64>, f64, f64)> = None;
    let mut prefix = vec![0u64; others.len()];
    loop {
        let mut bound: Option<u64> = None;
        for idx in 0..prefix.len() {
            if prefix[idx] > 0 {
                let mut before = prefix.clone();
                before[idx] -= 1;
                if let Some(Some(step)) = lowest.get(&before) {
                    bound = Some(bound.map_or(*step, |b| b.min(*step)));
                }
            }
        }
        let mut point = prefix.clone();
        point.push(bound.unwrap_or(*last));
        let found = if bound.is_some() || evaluator.feasible(&point)? {
            let step = evaluator.bisect(&point, others.len())?;
            point[others.len()] = step;
            let evaluation = evaluator.evaluate(&point)?;
            let unit_cost = plan.cost(&evaluation.values);
            let cheaper = best.as_ref().is_none_or(|(_, cost, unit)| {
                evaluation
                    .cost
                    .total_cmp(cost)
                    .then(unit_cost.total_cmp(unit))
                    .is_lt()
            });
            if cheaper {
                best = Some((point.clone(), evaluation.cost, unit_cost));
            }
            Some(step)
        } else {
            None
        };
        lowest.insert(prefix.clone(), found);
        // The next combination in lexicographic order, the last of the others fastest.
        let Some(idx) = (0..prefix.len()).rev().find(|&i| prefix[i] < others[i]) else {
            break;
        };
        prefix[idx] += 1;
        for later in &mut prefix[idx + 1..] {
            *later = 0;
        }
    }
    Ok(best.map(|(steps, _, _)| steps))
}

/// The dimensions' values at grid steps `steps`.
fn values_at(plan: &Plan, steps: &[u64]) -> Vec<u64> {
    plan.dimensions
        .iter()
        .zip(steps)
        .map(|(d, &k)| d.value(k))
        .collect()
}

/// Judges every constraint under every condition from a point's runs.
fn judge(plan: &Plan, runs: &[PlanRun]) -> Vec<Judgement> {
    let mut judgements = Vec::new();
    for (constraint_idx, constraint) in plan.constraints.iter().enumerate() {
        let metric_idx = plan
            .metrics
            .iter()
            .position(|m| *m == constraint.metric)
            .expect("constrained metrics are recorded");
        for condition in 0..plan.conditions.len() {
            let values: Vec<f64> = runs
                .iter()
                .filter(|r| r.condition == condition)
                .filter_map(|r| r.metrics[metric_idx])
                .collect();
            let estimate = Estimate::of(&values);
            let judged = estimate.map(|e| match (plan.decide_by, e.ci95, constraint.bound) {
                (DecideBy::Ci95, Some((_, high)), Bound::AtMost(_)) => high,
                (DecideBy::Ci95, Some((low, _)), Bound::AtLeast(_)) => low,
                _ => e.mean,
            });
            judgements.push(Judgement {
                constraint: constraint_idx,
                condition,
                estimate,
                met: judged.is_some_and(|v| constraint.met_by(v)),
                judged,
            });
        }
    }
    judgements
}

/// Searches the plan's grid on `pool`; `progress(points, runs)` is called as runs finish.
pub fn search(
    plan: &Plan,
    pool: &rayon::ThreadPool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SearchResult, RunError> {
    let mut evaluator = Evaluator {
        plan,
        pool,
        cache: BTreeMap::new(),
        order: Vec::new(),
        runs_done: AtomicUsize::new(0),
        progress,
    };
    let top: Vec<u64> = plan.dimensions.iter().map(|d| d.n_steps()).collect();
    let top_evaluation = evaluator.evaluate(&top)?;
    if !top_evaluation.steering_met {
        return Ok(SearchResult {
            status: Status::Unreachable,
            below: vec![None; plan.dimensions.len()],
            recommendation: top_evaluation,
            evaluated: evaluator.order,
        });
    }
    if matches!(plan.minimize, Minimize::Metric(_)) {
        let current = frontier_walk(&mut evaluator, plan)?.expect("the top point meets it");
        return finish(&mut evaluator, plan, current);
    }
    // The dearest step first: what it saves matters most.
    let mut by_cost: Vec<usize> = (0..plan.dimensions.len()).collect();
    let step_cost = |idx: usize| {
        let d = &plan.dimensions[idx];
        d.unit_cost * d.step as f64
    };
    by_cost.sort_by(|&a, &b| step_cost(b).total_cmp(&step_cost(a)).then(a.cmp(&b)));
    let mut current = top;
    // The point each dimension was last bisected at: bisecting again where nothing changed
    // would only repeat the same probes.
    let mut bisected_at: Vec<Option<Vec<u64>>> = vec![None; plan.dimensions.len()];
    let cost = |steps: &[u64]| plan.cost(&values_at(plan, steps));
    for _ in 0..MAX_REFINEMENTS {
        descend(&mut evaluator, &mut current, &by_cost, &mut bisected_at)?;
        // Local refinement: one step up on one dimension, the others bisected down again;
        // the cheapest such point, if cheaper than where the descent ended, is the next
        // start.
        let mut best: Option<Vec<u64>> = None;
        for up in 0..plan.dimensions.len() {
            if plan.dimensions.len() == 1 || current[up] == plan.dimensions[up].n_steps() {
                continue;
            }
            let mut candidate = current.clone();
            candidate[up] += 1;
            for &idx in &by_cost {
                if idx != up {
                    candidate[idx] = evaluator.bisect(&candidate, idx)?;
                }
            }
            if cost(&candidate) < best.as_deref().map_or(cost(&current), cost) - 1e-9 {
                best = Some(candidate);
            }
        }
        match best {
            Some(candidate) => current = candidate,
            None => break,
        }
    }
    finish(&mut evaluator, plan, current)
}

/// The result at `current`: its evaluation and, per dimension, the point one step below.
fn finish(
    evaluator: &mut Evaluator<'_>,
    plan: &Plan,
    current: Vec<u64>,
) -> Result<SearchResult, RunError> {
    let recommendation = evaluator.evaluate(&current)?;
    let mut below = Vec::new();
    for idx in 0..plan.dimensions.len() {
        if current[idx] == 0 {
            below.push(None);
            continue;
        }
        let mut step_down = current.clone();
        step_down[idx] -= 1;
        below.push(Some(evaluator.evaluate(&step_down)?));
    }
    let status = if recommendation.all_met {
        Status::Met
    } else {
        Status::Conflict
    };
    Ok(SearchResult {
        status,
        recommendation,
        below,
        evaluated: std::mem::take(&mut evaluator.order),
    })
}
