use super::Fleet;

/// Index of a namespace in [`World::namespaces`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamespaceId(pub u32);

/// Index of a priority class in [`World::priority_classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriorityClassId(pub u32);

/// A team's namespace, present in every member cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// Name.
    pub name: String,
}

/// A Kubernetes PriorityClass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityClass {
    /// Name.
    pub name: String,
    /// Priority value; higher runs first.
    pub value: i32,
    /// `preemptionPolicy: Never`: its pods wait for room and never preempt.
    pub never_preempts: bool,
}

/// The static world of a scenario: the fleet plus the tenants that use it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct World {
    /// GPU models and clusters.
    pub fleet: Fleet,
    /// Namespaces, indexed by [`NamespaceId`].
    pub namespaces: Vec<Namespace>,
    /// Priority classes, indexed by [`PriorityClassId`].
    pub priority_classes: Vec<PriorityClass>,
    /// Prices and power figures of the fleet, when the scenario gives them.
    pub economics: super::Economics,
}

impl World {
    /// The namespace with this id.
    pub fn namespace(&self, id: NamespaceId) -> &Namespace {
        &self.namespaces[id.0 as usize]
    }

    /// The priority class with this id.
    pub fn priority_class(&self, id: PriorityClassId) -> &PriorityClass {
        &self.priority_classes[id.0 as usize]
    }

    /// The priority value of an optional class (0 without one, as in Kubernetes).
    pub fn priority_value(&self, id: Option<PriorityClassId>) -> i32 {
        id.map_or(0, |id| self.priority_class(id).value)
    }
}
