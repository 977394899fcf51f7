//! What every part of validation shares: a [`Checker`] that builds errors pointing into one
//! file, the table of distinct node claims, and name-to-id lookups against the world.
//!
//! It sits below `spec`'s readers (validation, Karmada import, workloads, trace fleets), so
//! none of them needs another to check a value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scheduler::estimator::{NodeClaim, PerNodeLimit};
use scheduler::policy::{SelectorOperator, Toleration, TolerationOperator};
use serde_saphyr::Spanned;
use sim_core::Duration;
use sim_core::model::{Fleet, GpuModelId, NamespaceId, PriorityClassId, Taint, TaintEffect, World};
use sim_core::quantity::Quantity;

use crate::error::{Error, Position};
use crate::spec::{self, Text};

/// Checks values and builds errors that point into one file.
pub(crate) struct Checker<'a> {
    pub(crate) file: &'a Path,
    /// Added to every line: the document's first line in a multi-document file.
    pub(crate) line_offset: u64,
}

impl Checker<'_> {
    pub(crate) fn error<T>(
        &self,
        line: u64,
        column: u64,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, Error> {
        let line = if line > 0 {
            line + self.line_offset
        } else {
            line
        };
        Err(Error::Input {
            position: Position {
                file: self.file.to_owned(),
                line,
                column,
                path: path.into(),
            },
            message: message.into(),
        })
    }

    pub(crate) fn at<T, V>(
        &self,
        value: &Spanned<V>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, Error> {
        self.error(
            value.referenced.line(),
            value.referenced.column(),
            path,
            message,
        )
    }

    pub(crate) fn quantity(&self, text: &Text, path: &str) -> Result<Quantity, Error> {
        match Quantity::parse(&text.value) {
            Ok(q) if q.is_negative() => self.at(
                text,
                path,
                format!("{:?} is negative; expected a quantity ≥ 0", text.value),
            ),
            Ok(q) => Ok(q),
            Err(err) => self.at(text, path, err.to_string()),
        }
    }

    pub(crate) fn duration(&self, text: &Text, path: &str) -> Result<Duration, Error> {
        Duration::parse(&text.value)
            .or_else(|err| self.at(text, path, format!("{err} (e.g. 45s, 1h30m, 30d)")))
    }

    pub(crate) fn optional_duration(
        &self,
        text: Option<&Text>,
        path: &str,
        default: Duration,
    ) -> Result<Duration, Error> {
        text.map_or(Ok(default), |t| self.duration(t, path))
    }

    pub(crate) fn unique_name(
        &self,
        seen: &mut BTreeSet<String>,
        name: &Text,
        path: &str,
        what: &str,
    ) -> Result<String, Error> {
        if name.value.is_empty() {
            return self.at(name, path, format!("{what} name is empty"));
        }
        if !seen.insert(name.value.clone()) {
            return self.at(
                name,
                path,
                format!("duplicate {what} name {:?}", name.value),
            );
        }
        Ok(name.value.clone())
    }

    pub(crate) fn taints(
        &self,
        specs: &[spec::TaintSpec],
        path: &str,
    ) -> Result<Vec<Taint>, Error> {
        specs
            .iter()
            .enumerate()
            .map(|(idx, t)| {
                Ok(Taint {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: self.taint_effect(&t.effect, &format!("{path}[{idx}].effect"))?,
                })
            })
            .collect()
    }

    /// Kubernetes tolerations.
    pub(crate) fn tolerations(
        &self,
        specs: &[spec::karmada::TolerationSpec],
        path: &str,
    ) -> Result<Vec<Toleration>, Error> {
        let mut tolerations = Vec::new();
        for (idx, t) in specs.iter().enumerate() {
            let t_path = format!("{path}[{idx}]");
            let operator = match t.operator.as_ref().map(|o| o.value.as_str()) {
                None | Some("Equal") | Some("") => TolerationOperator::Equal,
                Some("Exists") => TolerationOperator::Exists,
                Some(other) => {
                    return self.at(
                        t.operator.as_ref().expect("some"),
                        format!("{t_path}.operator"),
                        format!("unknown operator {other:?}; expected Exists or Equal"),
                    );
                }
            };
            let effect = match &t.effect {
                Some(text) if !text.value.is_empty() => {
                    Some(self.taint_effect(text, &format!("{t_path}.effect"))?)
                }
                _ => None,
            };
            tolerations.push(Toleration {
                // Kubernetes treats zero and negative seconds as "evict at once".
                toleration_seconds: t.toleration_seconds.map(|seconds| seconds.max(0) as u64),
                key: t.key.clone(),
                operator,
                value: t.value.clone(),
                effect,
            });
        }
        Ok(tolerations)
    }

    /// A ResourceQuota `scopeSelector` requirement's operator.
    pub(crate) fn scope_operator(
        &self,
        text: &Text,
        path: &str,
    ) -> Result<SelectorOperator, Error> {
        match text.value.as_str() {
            "In" => Ok(SelectorOperator::In),
            "NotIn" => Ok(SelectorOperator::NotIn),
            "Exists" => Ok(SelectorOperator::Exists),
            "DoesNotExist" => Ok(SelectorOperator::DoesNotExist),
            other => self.at(
                text,
                path,
                format!("unknown operator {other:?}; expected In, NotIn, Exists or DoesNotExist"),
            ),
        }
    }

    pub(crate) fn taint_effect(&self, text: &Text, path: &str) -> Result<TaintEffect, Error> {
        match text.value.as_str() {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            other => self.at(text, path, format!("unknown taint effect {other:?}; expected NoSchedule, PreferNoSchedule or NoExecute")),
        }
    }

    pub(crate) fn gpu_model(
        &self,
        fleet: &Fleet,
        text: &Text,
        path: &str,
    ) -> Result<GpuModelId, Error> {
        fleet.gpu_model_id(&text.value).map_or_else(
            || {
                let known: Vec<&str> = fleet.gpu_models.iter().map(|m| m.name.as_str()).collect();
                self.at(
                    text,
                    path,
                    format!(
                        "unknown GPU model {:?}; gpu_models declares: {}",
                        text.value,
                        known.join(", ")
                    ),
                )
            },
            Ok,
        )
    }
}

/// The id of a declared priority class, or an error at `text`.
pub(crate) fn priority_class_id(
    ck: &Checker<'_>,
    world: &World,
    text: &Text,
    path: &str,
) -> Result<PriorityClassId, Error> {
    match world
        .priority_classes
        .iter()
        .position(|p| p.name == text.value)
    {
        Some(idx) => Ok(PriorityClassId(idx as u32)),
        None => ck.at(
            text,
            path,
            format!(
                "unknown priority class {:?}; declare it under priority_classes",
                text.value
            ),
        ),
    }
}

/// The id of a declared namespace, or an error at `text`.
pub(crate) fn namespace_id(
    ck: &Checker<'_>,
    world: &World,
    text: &Text,
    path: &str,
) -> Result<NamespaceId, Error> {
    match world.namespaces.iter().position(|n| n.name == text.value) {
        Some(idx) => Ok(NamespaceId(idx as u32)),
        None => ck.at(
            text,
            path,
            format!(
                "unknown namespace {:?}; declare it under namespaces",
                text.value
            ),
        ),
    }
}

/// The distinct node claims of a scenario's pods; index 0 is the empty claim.
pub(crate) struct ClaimTable {
    claims: Vec<NodeClaim>,
}

impl ClaimTable {
    /// A table holding only the empty claim.
    pub(crate) fn new() -> ClaimTable {
        ClaimTable {
            claims: vec![NodeClaim::default()],
        }
    }

    /// The index of the claim with this selector and these tolerations, added if new.
    pub(crate) fn intern(
        &mut self,
        ck: &Checker<'_>,
        node_selector: &BTreeMap<String, String>,
        tolerations: &[spec::karmada::TolerationSpec],
        path: &str,
    ) -> Result<u16, Error> {
        let claim = NodeClaim {
            node_selector: node_selector.clone(),
            node_affinity: Vec::new(),
            tolerations: ck.tolerations(tolerations, path)?,
            per_node_limit: None,
        };
        self.add(ck, claim, path)
    }

    /// The index of claim `base` with a per-node cap on a group's pods, added if new: serving
    /// traces cap an application's instances per node.
    pub(crate) fn with_per_node_limit(
        &mut self,
        ck: &Checker<'_>,
        base: u16,
        limit: PerNodeLimit,
        path: &str,
    ) -> Result<u16, Error> {
        let claim = NodeClaim {
            per_node_limit: Some(limit),
            ..self.claims[usize::from(base)].clone()
        };
        self.add(ck, claim, path)
    }

    /// The index of claim `base` with a namespace's node selector and tolerations added, added
    /// if new: selector entries whose key the claim lacks, tolerations it does not have yet.
    pub(crate) fn with_namespace_defaults(
        &mut self,
        ck: &Checker<'_>,
        base: u16,
        node_selector: &BTreeMap<String, String>,
        tolerations: &[Toleration],
        path: &str,
    ) -> Result<u16, Error> {
        let mut claim = self.claims[usize::from(base)].clone();
        for (key, value) in node_selector {
            claim
                .node_selector
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
        for toleration in tolerations {
            if !claim.tolerations.contains(toleration) {
                claim.tolerations.push(toleration.clone());
            }
        }
        self.add(ck, claim, path)
    }

    /// Claims so far.
    pub(crate) fn len(&self) -> usize {
        self.claims.len()
    }

    fn add(&mut self, ck: &Checker<'_>, claim: NodeClaim, path: &str) -> Result<u16, Error> {
        let idx = match self.claims.iter().position(|c| *c == claim) {
            Some(idx) => idx,
            None => {
                self.claims.push(claim);
                self.claims.len() - 1
            }
        };
        u16::try_from(idx)
            .or_else(|_| ck.error(0, 0, path, "more than 65,535 distinct node claims"))
    }

    /// The claims, indexed as interned.
    pub(crate) fn into_inner(self) -> Vec<NodeClaim> {
        self.claims
    }
}
