use std::collections::BTreeMap;

use sim_core::model::Cluster;

/// How a selector requirement compares a key's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorOperator {
    /// The key exists and its value is one of the values.
    In,
    /// The key is absent, or its value is none of the values.
    NotIn,
    /// The key exists.
    Exists,
    /// The key is absent.
    DoesNotExist,
    /// The value, an integer, is greater than the single given value (node selectors only).
    Gt,
    /// The value, an integer, is less than the single given value (node selectors only).
    Lt,
}

/// One requirement of a label or field selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Key.
    pub key: String,
    /// Operator.
    pub operator: SelectorOperator,
    /// Values.
    pub values: Vec<String>,
}

impl Requirement {
    /// Kubernetes selector semantics for a value that may be absent.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let parse_one = || self.values.first().and_then(|v| v.parse::<i64>().ok());
        match self.operator {
            SelectorOperator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            SelectorOperator::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
            SelectorOperator::Gt => {
                matches!((value.and_then(|v| v.parse::<i64>().ok()), parse_one()), (Some(v), Some(x)) if v > x)
            }
            SelectorOperator::Lt => {
                matches!((value.and_then(|v| v.parse::<i64>().ok()), parse_one()), (Some(v), Some(x)) if v < x)
            }
        }
    }
}

/// A Kubernetes `LabelSelector`: every label and every expression must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self
                .match_expressions
                .iter()
                .all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
    }
}

/// A Karmada `ClusterAffinity`: all given parts must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterAffinity {
    /// `clusterNames`; empty matches every name.
    pub cluster_names: Vec<String>,
    /// `exclude`.
    pub exclude: Vec<String>,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector.matchExpressions`, keys `provider`, `region` or `zone`.
    pub field_selector: Option<Vec<Requirement>>,
}

impl ClusterAffinity {
    /// Karmada's `util.ClusterMatches`: exclusion, labels, fields, then names.
    pub fn matches(&self, cluster: &Cluster) -> bool {
        if self.exclude.contains(&cluster.name) {
            return false;
        }
        if self
            .label_selector
            .as_ref()
            .is_some_and(|s| !s.matches(&cluster.labels))
        {
            return false;
        }
        if let Some(fields) = &self.field_selector {
            for requirement in fields {
                let ok = match requirement.key.as_str() {
                    "zone" => zones_match(requirement, &cluster.zones),
                    "provider" => {
                        requirement.matches(cluster.provider.as_deref().filter(|v| !v.is_empty()))
                    }
                    "region" => {
                        requirement.matches(cluster.region.as_deref().filter(|v| !v.is_empty()))
                    }
                    // Any other field is absent from the cluster's field set.
                    _ => requirement.matches(None),
                };
                if !ok {
                    return false;
                }
            }
        }
        self.cluster_names.is_empty() || self.cluster_names.contains(&cluster.name)
    }
}

/// Karmada's `matchZones`: zones are a list, matched element-wise.
fn zones_match(requirement: &Requirement, zones: &[String]) -> bool {
    let listed = |zone: &String| requirement.values.contains(zone);
    match requirement.operator {
        SelectorOperator::In => zones.iter().any(listed),
        SelectorOperator::NotIn => !zones.iter().any(listed),
        SelectorOperator::Exists => !zones.is_empty(),
        SelectorOperator::DoesNotExist => zones.is_empty(),
        SelectorOperator::Gt | SelectorOperator::Lt => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(
        name: &str,
        labels: &[(&str, &str)],
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Cluster {
        Cluster {
            name: name.into(),
            region: region.map(Into::into),
            zones: zone.into_iter().map(Into::into).collect(),
            provider: Some("aws".into()),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            taints: Vec::new(),
            node_pools: Vec::new(),
        }
    }

    fn req(key: &str, operator: SelectorOperator, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn empty_affinity_matches_all() {
        assert!(ClusterAffinity::default().matches(&cluster("m1", &[], None, None)));
    }

    #[test]
    fn exclude_wins_over_names() {
        let affinity = ClusterAffinity {
            cluster_names: vec!["m1".into()],
            exclude: vec!["m1".into()],
            ..Default::default()
        };
        assert!(!affinity.matches(&cluster("m1", &[], None, None)));
    }

    #[test]
    fn labels_names_and_fields_must_all_match() {
        let affinity = ClusterAffinity {
            cluster_names: vec!["m1".into(), "m2".into()],
            label_selector: Some(LabelSelector {
                match_labels: [("tier".to_string(), "prod".to_string())].into(),
                match_expressions: Vec::new(),
            }),
            field_selector: Some(vec![req("region", SelectorOperator::In, &["us-east"])]),
            ..Default::default()
        };
        assert!(affinity.matches(&cluster("m1", &[("tier", "prod")], Some("us-east"), None)));
        assert!(!affinity.matches(&cluster("m1", &[("tier", "dev")], Some("us-east"), None)));
        assert!(!affinity.matches(&cluster("m1", &[("tier", "prod")], Some("eu"), None)));
        assert!(!affinity.matches(&cluster("m3", &[("tier", "prod")], Some("us-east"), None)));
    }

    #[test]
    fn selector_operators_follow_kubernetes() {
        let labels: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let check = |r: Requirement| {
            LabelSelector {
                match_labels: BTreeMap::new(),
                match_expressions: vec![r],
            }
            .matches(&labels)
        };
        assert!(check(req("a", SelectorOperator::In, &["1", "2"])));
        assert!(!check(req("b", SelectorOperator::In, &["1"])));
        assert!(check(req("b", SelectorOperator::NotIn, &["1"])));
        assert!(!check(req("a", SelectorOperator::NotIn, &["1"])));
        assert!(check(req("a", SelectorOperator::Exists, &[])));
        assert!(check(req("b", SelectorOperator::DoesNotExist, &[])));
    }

    #[test]
    fn zone_field_matches_the_zone_list() {
        let zoned = cluster("m1", &[], None, Some("z1"));
        let bare = cluster("m2", &[], None, None);
        let with = |r| ClusterAffinity {
            field_selector: Some(vec![r]),
            ..Default::default()
        };
        assert!(with(req("zone", SelectorOperator::In, &["z1"])).matches(&zoned));
        assert!(!with(req("zone", SelectorOperator::In, &["z1"])).matches(&bare));
        assert!(with(req("zone", SelectorOperator::NotIn, &["z1"])).matches(&bare));
        assert!(with(req("zone", SelectorOperator::DoesNotExist, &[])).matches(&bare));
        assert!(!with(req("zone", SelectorOperator::Exists, &[])).matches(&bare));
    }
}
