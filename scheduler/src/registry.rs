//! The plugins scenarios and experiments can name: member placement policies, Karmada cluster
//! filters and score plugins, replica estimators and queue sorts, each under its registered
//! name.
//!
//! [`Registry::builtin`] lists the in-tree ones; a user of the library starts from it and
//! registers plugins of its own, which scenarios then name exactly like a built-in:
//!
//! ```
//! use scheduler::member::LeastAllocated;
//! use scheduler::registry::Registry;
//!
//! let mut plugins = Registry::builtin();
//! plugins.register_placement("Spread", |_| Box::new(LeastAllocated)).unwrap();
//! // Names are unique (placement names ignoring case, `-` and `_`).
//! assert!(plugins.register_placement("spread", |_| Box::new(LeastAllocated)).is_err());
//! assert_eq!(plugins.placement_name("spread"), Some("Spread"));
//! ```
//!
//! Lists of names (and the "known" part of an unknown-name error) give the built-ins first, in
//! their order here, then the user's in registration order.

use std::sync::{Arc, LazyLock};

use crate::error::Error;
use crate::estimator::{
    AccurateEstimator, GeneralEstimator, ReplicaEstimator, ResourceQuotaEstimator,
};
use crate::filter::{
    ApiEnablement, ClusterAffinityFilter, ClusterEviction, FilterPlugin, SpreadConstraintFilter,
    TaintToleration,
};
use crate::member::{
    BestFit, DotProd, Fgd, GpuClustering, GpuPacking, LeastAllocated, MostAllocated, Normalization,
    PlacementPolicy, Random, TargetWorkload,
};
use crate::queue::{PrioritySort, QueueSort};
use crate::score::{ClusterLocality, ScorePlugin};

/// What a placement policy is built from, once per member cluster and run.
#[derive(Clone, Copy, Debug)]
pub struct PlacementContext<'a> {
    /// The workload FGD measures fragmentation against (empty: every node alike).
    pub target: &'a Arc<TargetWorkload>,
    /// What DotProd, BestFit and GpuClustering divide a node's CPU and GPU by.
    pub norm: Normalization,
    /// A seed drawn from the run's seed for this member cluster: policies that cannot draw
    /// from the member's stream (those written in Python) seed their own generator with it,
    /// so one seed still gives one run.
    pub seed: u64,
}

/// Builds a member placement policy for one member cluster of one run. Policies that draw at
/// random get their draws from the member's seeded stream (the `draw` argument of
/// [`PlacementPolicy::share_device`], and [`crate::member::Choice::Uniform`]), as the
/// built-in Random does.
pub type PlacementFactory =
    Arc<dyn Fn(&PlacementContext<'_>) -> Box<dyn PlacementPolicy> + Send + Sync>;
/// A cluster filter plugin, shared by every run.
pub type SharedFilter = Arc<dyn FilterPlugin + Send + Sync>;
/// A cluster score plugin, shared by every run.
pub type SharedScore = Arc<dyn ScorePlugin + Send + Sync>;
/// A replica estimator, shared by every run.
pub type SharedEstimator = Arc<dyn ReplicaEstimator + Send + Sync>;
/// A scheduling queue order, shared by every run.
pub type SharedQueueSort = Arc<dyn QueueSort + Send + Sync>;

/// Registered plugins of the five kinds, by name, in registration order. Names are owned: a
/// library user, or a Python session, registers plugins under names made at run time.
#[derive(Clone)]
pub struct Registry {
    placements: Vec<(Arc<str>, PlacementFactory)>,
    filters: Vec<(Arc<str>, SharedFilter)>,
    scores: Vec<(Arc<str>, SharedScore)>,
    estimators: Vec<(Arc<str>, SharedEstimator)>,
    queue_sorts: Vec<(Arc<str>, SharedQueueSort)>,
    /// Filter and score names in registration order: what `--plugins` names.
    plugins: Vec<Arc<str>>,
}

static BUILTIN: LazyLock<Arc<Registry>> = LazyLock::new(|| Arc::new(Registry::builtin()));

impl Registry {
    /// No plugins at all (a scenario could name none); most users want [`Registry::builtin`].
    pub fn empty() -> Registry {
        Registry {
            placements: Vec::new(),
            filters: Vec::new(),
            scores: Vec::new(),
            estimators: Vec::new(),
            queue_sorts: Vec::new(),
            plugins: Vec::new(),
        }
    }

    /// The in-tree plugins (see [`register_builtins`]).
    pub fn builtin() -> Registry {
        let mut r = Registry::empty();
        register_builtins(&mut r).expect("built-in names are distinct");
        r
    }

    /// The in-tree plugins, built once and shared: what [`crate::ControlInputs::new`] and the
    /// scenario loaders without a registry of their own use.
    pub fn shared_builtin() -> Arc<Registry> {
        Arc::clone(&BUILTIN)
    }

    /// The shared in-tree plugins, borrowed for the whole program.
    pub fn builtin_ref() -> &'static Registry {
        &BUILTIN
    }

    /// Registers a member placement policy. Names match ignoring case, `-` and `_`, so one
    /// that folds to a registered name is a duplicate.
    pub fn register_placement(
        &mut self,
        name: impl Into<Arc<str>>,
        factory: impl Fn(&PlacementContext<'_>) -> Box<dyn PlacementPolicy> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let name = name.into();
        if self.placement_name(&name).is_some() {
            return Err(duplicate("member placement", &name));
        }
        self.placements.push((name, Arc::new(factory)));
        Ok(self)
    }

    /// Registers a cluster filter plugin; Karmada's `--plugins` (`scheduler.plugins`) enables
    /// it, and `*` (the default) enables every registered one. Filters run in registration
    /// order.
    pub fn register_filter(
        &mut self,
        name: impl Into<Arc<str>>,
        plugin: impl FilterPlugin + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let name = name.into();
        add(
            &mut self.filters,
            "filter",
            Arc::clone(&name),
            Arc::new(plugin),
        )?;
        self.add_plugin_name(name);
        Ok(self)
    }

    /// Registers a cluster score plugin, enabled as a filter is; scores are summed.
    pub fn register_score(
        &mut self,
        name: impl Into<Arc<str>>,
        plugin: impl ScorePlugin + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let name = name.into();
        add(
            &mut self.scores,
            "score",
            Arc::clone(&name),
            Arc::new(plugin),
        )?;
        self.add_plugin_name(name);
        Ok(self)
    }

    /// Registers a replica estimator (`scheduler.estimators` names it).
    pub fn register_estimator(
        &mut self,
        name: impl Into<Arc<str>>,
        plugin: impl ReplicaEstimator + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        add(
            &mut self.estimators,
            "estimator",
            name.into(),
            Arc::new(plugin),
        )?;
        Ok(self)
    }

    /// Registers an order of the scheduling queue's active queue (`scheduler.queue_sort`
    /// names it).
    pub fn register_queue_sort(
        &mut self,
        name: impl Into<Arc<str>>,
        plugin: impl QueueSort + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        add(
            &mut self.queue_sorts,
            "queue sort",
            name.into(),
            Arc::new(plugin),
        )?;
        Ok(self)
    }

    fn add_plugin_name(&mut self, name: Arc<str>) {
        if !self.plugins.contains(&name) {
            self.plugins.push(name);
        }
    }

    /// The names Karmada's `--plugins` (`scheduler.plugins`) takes: filters and score plugins,
    /// in registration order (the built-in filters, the built-in score plugins, then the
    /// user's), a name registered as both once.
    pub fn plugin_names(&self) -> Vec<&str> {
        self.plugins.iter().map(|name| &**name).collect()
    }

    /// The registered spelling of a placement policy name: matching ignores case, `-` and
    /// `_`, so `best-fit`, `bestfit` and `BestFit` are one policy.
    pub fn placement_name(&self, name: &str) -> Option<&str> {
        self.placements
            .iter()
            .map(|(known, _)| &**known)
            .find(|known| folded_eq(known, name))
    }

    /// Placement policy names, built-ins first.
    pub fn placement_names(&self) -> Vec<&str> {
        names(&self.placements)
    }

    /// Filter names, in the order filters run.
    pub fn filter_names(&self) -> Vec<&str> {
        names(&self.filters)
    }

    /// Score plugin names.
    pub fn score_names(&self) -> Vec<&str> {
        names(&self.scores)
    }

    /// Estimator names.
    pub fn estimator_names(&self) -> Vec<&str> {
        names(&self.estimators)
    }

    /// Queue sort names.
    pub fn queue_sort_names(&self) -> Vec<&str> {
        names(&self.queue_sorts)
    }

    /// The placement policy registered as `name` (see [`Registry::placement_name`]), built
    /// for one member cluster.
    pub fn placement(
        &self,
        name: &str,
        context: &PlacementContext<'_>,
    ) -> Result<Box<dyn PlacementPolicy>, Error> {
        let (_, factory) = self
            .placements
            .iter()
            .find(|(known, _)| folded_eq(known, name))
            .ok_or_else(|| unknown("member placement", name, &self.placements))?;
        Ok(factory(context))
    }

    /// The filter registered as `name`.
    pub fn filter(&self, name: &str) -> Result<SharedFilter, Error> {
        find(&self.filters, "filter", name)
    }

    /// The score plugin registered as `name`.
    pub fn score(&self, name: &str) -> Result<SharedScore, Error> {
        find(&self.scores, "score", name)
    }

    /// The estimator registered as `name`.
    pub fn estimator(&self, name: &str) -> Result<SharedEstimator, Error> {
        find(&self.estimators, "estimator", name)
    }

    /// The queue sort registered as `name`.
    pub fn queue_sort(&self, name: &str) -> Result<SharedQueueSort, Error> {
        find(&self.queue_sorts, "queue sort", name)
    }
}

/// Registers the in-tree plugins: a new built-in is one line here. Their order is the order of
/// lists of names and, for filters, the order they run in (Karmada's).
fn register_builtins(r: &mut Registry) -> Result<(), Error> {
    r.register_placement(LeastAllocated::NAME, |_| Box::new(LeastAllocated))?;
    r.register_placement(MostAllocated::NAME, |_| Box::new(MostAllocated))?;
    r.register_placement(Random::NAME, |_| Box::new(Random))?;
    r.register_placement(DotProd::NAME, |c| Box::new(DotProd { norm: c.norm }))?;
    r.register_placement(GpuClustering::NAME, |c| {
        Box::new(GpuClustering { norm: c.norm })
    })?;
    r.register_placement(GpuPacking::NAME, |_| Box::new(GpuPacking))?;
    r.register_placement(BestFit::NAME, |c| Box::new(BestFit { norm: c.norm }))?;
    r.register_placement(Fgd::NAME, |c| Box::new(Fgd::new(Arc::clone(c.target))))?;
    r.register_filter(ApiEnablement::NAME, ApiEnablement)?;
    r.register_filter(TaintToleration::NAME, TaintToleration)?;
    r.register_filter(ClusterAffinityFilter::NAME, ClusterAffinityFilter)?;
    r.register_filter(SpreadConstraintFilter::NAME, SpreadConstraintFilter)?;
    r.register_filter(ClusterEviction::NAME, ClusterEviction)?;
    r.register_score(ClusterLocality::NAME, ClusterLocality)?;
    r.register_estimator(GeneralEstimator::NAME, GeneralEstimator)?;
    r.register_estimator(AccurateEstimator::NAME, AccurateEstimator)?;
    r.register_estimator(ResourceQuotaEstimator::NAME, ResourceQuotaEstimator)?;
    r.register_queue_sort(PrioritySort::NAME, PrioritySort)?;
    Ok(())
}

impl Default for Registry {
    /// [`Registry::builtin`].
    fn default() -> Self {
        Registry::builtin()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("placements", &self.placement_names())
            .field("filters", &self.filter_names())
            .field("scores", &self.score_names())
            .field("estimators", &self.estimator_names())
            .field("queue_sorts", &self.queue_sort_names())
            .finish()
    }
}

fn add<T>(
    list: &mut Vec<(Arc<str>, T)>,
    kind: &'static str,
    name: Arc<str>,
    plugin: T,
) -> Result<(), Error> {
    if list.iter().any(|(known, _)| *known == name) {
        return Err(duplicate(kind, &name));
    }
    list.push((name, plugin));
    Ok(())
}

fn find<T: Clone>(list: &[(Arc<str>, T)], kind: &'static str, name: &str) -> Result<T, Error> {
    list.iter()
        .find(|(known, _)| &**known == name)
        .map(|(_, plugin)| plugin.clone())
        .ok_or_else(|| unknown(kind, name, list))
}

fn names<T>(list: &[(Arc<str>, T)]) -> Vec<&str> {
    list.iter().map(|(name, _)| &**name).collect()
}

fn unknown<T>(kind: &'static str, name: &str, list: &[(Arc<str>, T)]) -> Error {
    Error::UnknownPlugin {
        kind,
        name: name.to_owned(),
        known: names(list).join(", "),
    }
}

fn duplicate(kind: &'static str, name: &str) -> Error {
    Error::DuplicatePlugin {
        kind,
        name: name.to_owned(),
    }
}

/// Equal ignoring ASCII case, `-` and `_`.
fn folded_eq(a: &str, b: &str) -> bool {
    let fold = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_keep_their_order() {
        let r = Registry::builtin();
        assert_eq!(
            r.placement_names(),
            [
                "least-allocated",
                "most-allocated",
                "Random",
                "DotProd",
                "GpuClustering",
                "GpuPacking",
                "BestFit",
                "FGD"
            ]
        );
        assert_eq!(
            r.filter_names(),
            [
                "APIEnablement",
                "TaintToleration",
                "ClusterAffinity",
                "SpreadConstraint",
                "ClusterEviction"
            ]
        );
        assert_eq!(r.score_names(), ["ClusterLocality"]);
        assert_eq!(
            r.estimator_names(),
            ["general", "accurate", "resource-quota"]
        );
        assert_eq!(r.queue_sort_names(), ["PrioritySort"]);
    }

    #[test]
    fn duplicates_are_errors_and_user_names_follow_builtins() {
        let mut r = Registry::builtin();
        let err = r
            .register_score("ClusterLocality", ClusterLocality)
            .unwrap_err();
        assert_eq!(
            err,
            Error::DuplicatePlugin {
                kind: "score",
                name: "ClusterLocality".into()
            }
        );
        // Placement names fold: `best_fit` is BestFit.
        assert!(
            r.register_placement("best_fit", |_| Box::new(LeastAllocated))
                .is_err()
        );
        r.register_score("B", ClusterLocality).unwrap();
        r.register_filter("C", TaintToleration).unwrap();
        r.register_score("A", ClusterLocality).unwrap();
        r.register_filter("A", TaintToleration).unwrap();
        assert_eq!(r.score_names(), ["ClusterLocality", "B", "A"]);
        // `--plugins` names: the built-in filters and score plugins, then the user's in
        // registration order, whatever their kind, once each.
        let builtin = Registry::builtin();
        let all = r.plugin_names();
        let (builtins, user) = all.split_at(6);
        assert_eq!(builtins, builtin.plugin_names());
        assert_eq!(
            builtin.plugin_names(),
            [builtin.filter_names(), builtin.score_names()].concat()
        );
        assert_eq!(user, ["B", "C", "A"]);
        let err = r.score("C").err().unwrap();
        assert_eq!(
            err.to_string(),
            "unknown score \"C\" (known: ClusterLocality, B, A)"
        );
    }
}
