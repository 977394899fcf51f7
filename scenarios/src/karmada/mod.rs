//! Karmada objects converted into the scheduler's types with Karmada's defaults and
//! validation: policy files read whole here, placements in `placement`. The objects' shapes
//! are [`crate::spec::karmada`]'s, re-exported here.

use scheduler::policy::{
    OverridePolicy, OverrideRule, Overrider, Placement, PlacementId, PropagationPolicy,
    ResourceSelector,
};
use sim_core::model::World;

use crate::check::Checker;
use crate::error::Error;
use crate::spec::Text;

mod paste;
mod placement;

pub(crate) use paste::{Paste, Pasted, PastedObject, documents, read_paste, shift_lines};

// Kept at their old paths for callers of this module.
pub use crate::spec::karmada::*;

/// Policies read from Karmada YAML, ready for the control plane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedPolicies {
    /// Placements, indexed by the policies' `placement`.
    pub placements: Vec<Placement>,
    /// PropagationPolicies and ClusterPropagationPolicies.
    pub policies: Vec<PropagationPolicy>,
    /// OverridePolicies and ClusterOverridePolicies.
    pub overrides: Vec<OverridePolicy>,
    /// One line per Karmada field or object read but not modelled.
    pub warnings: Vec<String>,
}

/// Imports the policies of one include into `out`, with the warnings reading it gave.
pub(crate) fn import_paste(
    paste: &Paste,
    world: &World,
    out: &mut ImportedPolicies,
) -> Result<(), Error> {
    let first = out.warnings.len();
    out.warnings.extend(paste.warnings.iter().cloned());
    for object in &paste.objects {
        if let PastedObject::Policy(policy) = &object.object {
            paste
                .checker(object)
                .import_object(policy, &object.path, world, out)?;
        }
    }
    // Skipped kinds are counted over the whole file: their warnings join the policies' in
    // line order, so the file reads top to bottom.
    let prefix = format!("{}:", paste.file.display());
    let line = |warning: &String| {
        warning
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    out.warnings[first..].sort_by_key(line);
    Ok(())
}

impl Checker<'_> {
    fn import_object(
        &self,
        object: &ObjectSpec,
        path: &str,
        world: &World,
        out: &mut ImportedPolicies,
    ) -> Result<(), Error> {
        let kind = object.kind.value.as_str();
        let here = |field: &str| {
            if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            }
        };
        let namespaced = match kind {
            "PropagationPolicy" | "OverridePolicy" => true,
            "ClusterPropagationPolicy" | "ClusterOverridePolicy" => false,
            other => {
                return self.at(
                    &object.kind,
                    here("kind"),
                    format!("unknown policy kind {other:?}"),
                );
            }
        };
        let Some(name) = &object.metadata.name else {
            return self.at(
                &object.kind,
                here("metadata.name"),
                "a policy needs metadata.name",
            );
        };
        let namespace = if namespaced {
            Some(
                object
                    .metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".to_owned()),
            )
        } else {
            None
        };
        let display = match &namespace {
            Some(ns) => format!("{kind} {ns}/{}", name.value),
            None => format!("{kind} {}", name.value),
        };
        let line = name.referenced.line() + self.line_offset;
        let Some(spec) = &object.spec else {
            return self.at(&object.kind, here("spec"), format!("{display} has no spec"));
        };
        if kind.ends_with("OverridePolicy") {
            return self.import_override(spec, name, namespace, &display, line, &here, out);
        }
        for field in spec.present() {
            out.warnings.push(format!(
                "{}:{line}: {display}: spec.{field} is not modelled and was ignored",
                self.file.display()
            ));
        }
        let mut placement = match &spec.placement {
            Some(p) => {
                if let Some(affinity) = &p.workload_affinity {
                    out.warnings.push(format!(
                        "{}:{}: {display}: spec.placement.workloadAffinity is not modelled and was ignored",
                        self.file.display(),
                        affinity.referenced.line() + self.line_offset
                    ));
                }
                let placement = self.placement(p, &here("spec.placement"))?;
                self.admit_placement(p, &placement, &here("spec.placement"))?;
                placement
            }
            None => Placement::default(),
        };
        if let Some(failover) = &spec.failover {
            placement.failover =
                self.failover(failover, &here("spec.failover"), &mut out.warnings)?;
        }
        let schedule_priority = self.schedule_priority(spec, world, line, &display, &here, out)?;
        let selectors = self.resource_selectors(spec, namespace.as_deref(), &here)?;
        if selectors.is_empty() {
            return self.at(
                name,
                here("spec.resourceSelectors"),
                format!("{display} selects nothing: resourceSelectors is empty"),
            );
        }
        if out
            .policies
            .iter()
            .any(|p| p.name == name.value && p.namespace == namespace)
        {
            return self.at(name, here("metadata.name"), format!("duplicate {display}"));
        }
        out.placements.push(placement);
        out.policies.push(PropagationPolicy {
            name: name.value.clone(),
            namespace,
            priority: spec.priority.unwrap_or(0),
            selectors,
            placement: PlacementId(out.placements.len() as u32 - 1),
            schedule_priority,
        });
        Ok(())
    }

    /// A PropagationPolicy's `schedulePriority`: its PriorityClass's value, or 0.
    fn schedule_priority(
        &self,
        spec: &PolicySpec,
        world: &World,
        line: u64,
        display: &str,
        here: &dyn Fn(&str) -> String,
        out: &mut ImportedPolicies,
    ) -> Result<i32, Error> {
        Ok(match &spec.schedule_priority {
            None => 0,
            Some(sp) if sp.priority_class_source.value != "KubePriorityClass" => {
                out.warnings.push(format!(
                    "{}:{line}: {display}: schedulePriority.priorityClassSource {:?} is not supported by Karmada yet; priority 0 is used",
                    self.file.display(),
                    sp.priority_class_source.value
                ));
                0
            }
            Some(sp) => match world
                .priority_classes
                .iter()
                .find(|c| c.name == sp.priority_class_name.value)
            {
                Some(class) => class.value,
                // The API server takes the policy; Karmada's detector then fails to build a
                // binding for what it selects (`GetPriorityClassByName` in
                // `BuildResourceBinding`) until the class exists.
                None => {
                    out.warnings.push(format!(
                        "{}:{}: {display}: {} {:?} is defined neither in the scenario's \
                         priority_classes nor in an include; Karmada builds no binding for the \
                         workloads it selects until the class exists, fleetsim uses priority 0",
                        self.file.display(),
                        sp.priority_class_name.referenced.line() + self.line_offset,
                        here("spec.schedulePriority.priorityClassName"),
                        sp.priority_class_name.value
                    ));
                    0
                }
            },
        })
    }
}

impl Checker<'_> {
    #[allow(clippy::too_many_arguments)]
    fn import_override(
        &self,
        spec: &PolicySpec,
        name: &Text,
        namespace: Option<String>,
        display: &str,
        line: u64,
        here: &dyn Fn(&str) -> String,
        out: &mut ImportedPolicies,
    ) -> Result<(), Error> {
        let warn = |out: &mut ImportedPolicies, what: String| {
            out.warnings
                .push(format!("{}:{line}: {display}: {what}", self.file.display()));
        };
        for field in spec.present() {
            warn(out, format!("spec.{field} is not modelled and was ignored"));
        }
        let mut rules = Vec::new();
        for (r_idx, rule) in spec.override_rules.iter().flatten().enumerate() {
            let r_path = here(&format!("spec.overrideRules[{r_idx}]"));
            let target = rule
                .target_cluster
                .as_ref()
                .map(|t| self.cluster_affinity(t, &format!("{r_path}.targetCluster")))
                .transpose()?;
            let o = &rule.overriders;
            let others = [
                ("imageOverrider", o.image_overrider.is_some()),
                ("commandOverrider", o.command_overrider.is_some()),
                ("argsOverrider", o.args_overrider.is_some()),
                ("labelsOverrider", o.labels_overrider.is_some()),
                ("annotationsOverrider", o.annotations_overrider.is_some()),
                ("fieldOverrider", o.field_overrider.is_some()),
            ];
            for (field, given) in others {
                if given {
                    warn(
                        out,
                        format!(
                            "overrideRules[{r_idx}].overriders.{field} does not change what pods need and was ignored"
                        ),
                    );
                }
            }
            let mut overriders = Vec::new();
            for (p_idx, patch) in o.plaintext.iter().enumerate() {
                let p_path = format!("{r_path}.overriders.plaintext[{p_idx}]");
                match self.plaintext(patch, &p_path)? {
                    Ok(overrider) => overriders.push(overrider),
                    Err(why) => warn(
                        out,
                        format!(
                            "plaintext {} {:?} {why} and was ignored",
                            patch.operator.value, patch.path.value
                        ),
                    ),
                }
            }
            rules.push(OverrideRule { target, overriders });
        }
        let selectors = self.resource_selectors(spec, namespace.as_deref(), here)?;
        out.overrides.push(OverridePolicy {
            name: name.value.clone(),
            namespace,
            selectors,
            rules,
        });
        Ok(())
    }

    /// `resourceSelectors`; the webhook fills a namespaced policy's empty selector namespace
    /// with its own.
    fn resource_selectors(
        &self,
        spec: &PolicySpec,
        namespace: Option<&str>,
        here: &dyn Fn(&str) -> String,
    ) -> Result<Vec<ResourceSelector>, Error> {
        let mut selectors = Vec::new();
        for (idx, s) in spec.resource_selectors.iter().enumerate() {
            let path = here(&format!("spec.resourceSelectors[{idx}].labelSelector"));
            let label_selector = s
                .label_selector
                .as_ref()
                .map(|l| self.label_selector(l, &path))
                .transpose()?;
            selectors.push(ResourceSelector {
                api_version: s.api_version.clone(),
                kind: s.kind.clone(),
                namespace: if s.namespace.is_empty() {
                    namespace.unwrap_or_default().to_owned()
                } else {
                    s.namespace.clone()
                },
                name: s.name.clone(),
                label_selector,
            });
        }
        Ok(selectors)
    }

    /// A plaintext patch as an overrider, or why it is ignored: only replicas and a container's
    /// cpu, memory or GPU request change what the simulation places.
    fn plaintext(
        &self,
        patch: &PlaintextSpec,
        path: &str,
    ) -> Result<Result<Overrider, String>, Error> {
        let pointer = patch.path.value.as_str();
        let operator = patch.operator.value.as_str();
        if !["add", "replace", "remove"].contains(&operator) {
            return self.at(
                &patch.operator,
                format!("{path}.operator"),
                format!("unknown operator {operator:?}; expected add, replace or remove"),
            );
        }
        let unmodelled = || Ok(Err("is not modelled".to_owned()));
        let resource = pointer
            .strip_prefix("/spec/template/spec/containers/")
            .and_then(|rest| rest.split_once("/resources/requests/"))
            .map(|(_, resource)| resource.replace("~1", "/"));
        let is_replicas = pointer == "/spec/replicas" || pointer == "/spec/parallelism";
        if !is_replicas && resource.is_none() {
            return unmodelled();
        }
        if operator == "remove" {
            return match resource.as_deref() {
                Some("cpu") => Ok(Ok(Overrider::CpuRequest(0))),
                Some("memory") => Ok(Ok(Overrider::MemoryRequest(0))),
                Some("nvidia.com/gpu") => Ok(Ok(Overrider::GpuRequest(0))),
                _ => unmodelled(),
            };
        }
        // Karmada's webhook does not check a plaintext value (`ValidateOverrideRules`); a value
        // the member cannot use fails there, when the patched manifest is applied.
        let unusable = |what: &str| {
            Ok(Err(format!(
                "sets {what}, which the member cluster would refuse,"
            )))
        };
        let text = match patch.value.as_ref().map(|v| &v.value) {
            Some(JsonValue::Number(n)) => n.to_string(),
            Some(JsonValue::Float(f)) => f.to_string(),
            Some(JsonValue::Text(t)) => t.clone(),
            None => return unusable("no value"),
            Some(_) => return unusable("a value that is neither a number nor a quantity"),
        };
        if is_replicas {
            return match text.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Ok(Overrider::Replicas(n))),
                _ => unusable(&format!("{text:?}, not a replica count")),
            };
        }
        let Ok(quantity) = sim_core::quantity::Quantity::parse(&text) else {
            return unusable(&format!("{text:?}, not a quantity"));
        };
        match resource.as_deref() {
            Some("cpu") => Ok(Ok(Overrider::CpuRequest(quantity.milli_value()))),
            Some("memory") => Ok(Ok(Overrider::MemoryRequest(quantity.value()))),
            Some("nvidia.com/gpu") => match u32::try_from(quantity.value()) {
                Ok(gpus) => Ok(Ok(Overrider::GpuRequest(gpus))),
                Err(_) => unusable(&format!("{text:?}, not a GPU count")),
            },
            _ => unmodelled(),
        }
    }
}
