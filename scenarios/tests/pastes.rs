//! What a user pastes into a policy include, as Karmada's examples and `kubectl get -o
//! yaml|json` give it: several kinds in one file, `List`s, JSON, FederatedResourceQuotas,
//! PriorityClasses and ResourceQuotas beside the policies, and fields of Karmada v1.19 fleetsim
//! does not model. Only what Karmada's API server would refuse is refused.

use std::path::Path;

use scenarios::Error;
use scheduler::policy::SelectorOperator;
use scheduler::quota::{FederatedResourceQuota, Limits, QuotaScope, ResourceQuota};
use sim_core::model::{ClusterId, NamespaceId, PriorityClassId};

use crate::common::shared_or_skip;
use crate::karmada_import::{
    Fixture, ONE_JOB, assert_input_error, import_error, imported, line_of, names, policy,
    scenario_text,
};

const POLICY: &str = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: trainers, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
";

/// Warnings that say `fragment`.
fn warnings_with<'s>(warnings: &'s [String], fragment: &str) -> Vec<&'s String> {
    warnings.iter().filter(|w| w.contains(fragment)).collect()
}

#[test]
fn other_kinds_in_a_multi_document_paste_give_one_warning_per_kind() {
    let text = format!(
        "\
apiVersion: v1
kind: Namespace
metadata: {{name: llm}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: llm}}
spec:
  replicas: 2
  template: {{spec: {{containers: [{{name: web, image: nginx}}]}}}}
---
{POLICY}---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {{name: web, namespace: llm}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: llm}}
"
    );
    let (_dir, file, scenario) = imported(&text);
    assert_eq!(names(&scenario), ["trainers"]);
    let at = |line: u64| format!("{}:{line}: skipped", file.display());
    // In the order each kind first appears, with the line of its first object.
    assert_eq!(
        scenario.warnings,
        [
            format!(
                "{} 1 object of kind Namespace (v1): not modelled in a policy include",
                at(2)
            ),
            format!(
                "{} 2 objects of kind Deployment (apps/v1): not modelled in a policy include",
                at(6)
            ),
            format!(
                "{} 1 object of kind ServiceExport (multicluster.x-k8s.io/v1alpha1): not modelled in a policy include",
                at(line_of(&text, "kind: ServiceExport"))
            ),
        ]
    );
}

#[test]
fn yaml_list_mixes_policies_and_skipped_items() {
    let text = "\
apiVersion: v1
kind: List
metadata: {resourceVersion: \"\"}
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: llm}
  spec: {replicas: 3}
- apiVersion: policy.karmada.io/v1alpha1
  kind: PropagationPolicy
  metadata: {name: trainers, namespace: llm}
  spec:
    resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
    placement:
      clusterAffinity: {clusterNames: [east]}
      clusterAfinity: {clusterNames: [west]}
";
    // The typo in the second item is found at its line, behind a skipped item.
    let (_dir, file, err) = import_error(text);
    assert_input_error(
        &err,
        &file,
        line_of(text, "clusterAfinity"),
        "items[1].spec.placement.clusterAfinity",
        "clusterAfinity",
    );
    let fixed = text.replace("      clusterAfinity: {clusterNames: [west]}\n", "");
    let (_dir, file, scenario) = imported(&fixed);
    assert_eq!(names(&scenario), ["trainers"]);
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:6: skipped 1 object of kind Deployment (apps/v1): not modelled in a policy include",
            file.display()
        )]
    );
}

#[test]
fn json_list_as_kubectl_prints_it_is_read() {
    let text = r#"{
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "trainers", "namespace": "llm"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "batch/v1", "kind": "Job"}],
                "schedulePriority": {"priorityClassSource": "KubePriorityClass", "priorityClassName": "training-high"}
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "llm"},
            "spec": {"ports": [{"port": 80}]}
        }
    ],
    "metadata": {"resourceVersion": ""}
}
"#;
    let (_dir, file, scenario) = imported(text);
    assert_eq!(policy(&scenario, "trainers").schedule_priority, 1000);
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:{}: skipped 1 object of kind Service (v1): not modelled in a policy include",
            file.display(),
            line_of(text, "\"kind\": \"Service\"")
        )]
    );
    // A typo in JSON is found at its line too.
    let typo = text.replace("\"resourceSelectors\"", "\"resourceSelector\"");
    let (_dir, file, err) = import_error(&typo);
    assert_input_error(
        &err,
        &file,
        line_of(&typo, "resourceSelector\""),
        "items[0].spec.resourceSelector",
        "resourceSelector",
    );
}

const FRQ: &str = "\
apiVersion: policy.karmada.io/v1alpha1
kind: FederatedResourceQuota
metadata: {name: team, namespace: llm}
spec:
  overall:
    cpu: 100
    nvidia.com/gpu: \"16\"
    count/deployments: \"3\"
  staticAssignments:
    - clusterName: east
      hard: {nvidia.com/gpu: \"8\"}
    - clusterName: member9
      hard: {nvidia.com/gpu: \"8\"}
status:
  overall: {cpu: \"100\"}
";

#[test]
fn federated_resource_quota_is_the_namespace_federated_quota() {
    let text = format!("{POLICY}---\n{FRQ}");
    let (_dir, file, scenario) = imported(&text);
    let llm = NamespaceId(0);
    assert_eq!(
        scenario.quotas.federated,
        [FederatedResourceQuota {
            namespace: llm,
            overall: Limits {
                cpu_milli: Some(100_000),
                gpus: Some(16),
                ..Limits::default()
            },
        }]
    );
    assert_eq!(
        scenario.quotas.resource_quotas,
        [ResourceQuota {
            cluster: ClusterId(0),
            namespace: llm,
            hard: Limits {
                gpus: Some(8),
                ..Limits::default()
            },
            scopes: Vec::new(),
        }]
    );
    let name_line = line_of(&text, "name: team");
    let at = format!(
        "{}:{name_line}: FederatedResourceQuota llm/team: ",
        file.display()
    );
    let expected = [
        "spec.overall.count/deployments is not counted by fleetsim's model and was ignored",
        "spec.staticAssignments[1].clusterName \"member9\" is not a cluster of the scenario; ignored",
    ];
    let found: Vec<_> = scenario
        .warnings
        .iter()
        .filter(|w| w.starts_with(&at))
        .collect();
    assert_eq!(found.len(), expected.len(), "{:#?}", scenario.warnings);
    for (warning, end) in found.iter().zip(expected) {
        assert_eq!(**warning, format!("{at}{end}"));
    }
}

#[test]
fn federated_resource_quota_of_a_namespace_with_a_quota_is_refused_naming_both() {
    let fixture = Fixture::new();
    let file = fixture.write("karmada/frq.yaml", FRQ);
    // The scenario gives llm a quota too: which one holds would be a guess.
    let text = scenario_text(&["karmada/frq.yaml"], "", ONE_JOB).replace(
        "namespaces: [{name: llm}",
        "namespaces: [{name: llm, quota: {federated: {overall: {cpu: \"8\"}}}}",
    );
    let scenario_file = fixture.write("scenario.yaml", &text);
    let err = scenarios::load(&scenario_file).unwrap_err();
    assert_input_error(&err, &file, 3, "metadata.namespace", "given a quota twice");
    let message = err.to_string();
    assert!(
        message.contains(&format!("{}:", scenario_file.display()))
            && message.contains("namespaces[0]"),
        "{message}"
    );
}

#[test]
fn federated_resource_quota_of_an_undeclared_namespace_is_a_warning() {
    let text = FRQ.replace("namespace: llm", "namespace: test");
    let (_dir, file, scenario) = imported(&text);
    assert!(scenario.quotas.federated.is_empty());
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:3: FederatedResourceQuota test/team: namespace \"test\" is not declared under namespaces; ignored",
            file.display()
        )]
    );
}

#[test]
fn resource_quota_holds_in_every_cluster_with_its_priority_class_scope() {
    let text = "\
apiVersion: v1
kind: ResourceQuota
metadata: {name: gpus-high, namespace: vision}
spec:
  hard: {requests.nvidia.com/gpu: \"4\", services: \"2\"}
  scopeSelector:
    matchExpressions:
    - {scopeName: PriorityClass, operator: In, values: [training-high, not-a-class]}
";
    let (_dir, file, scenario) = imported(text);
    let quota = |cluster| ResourceQuota {
        cluster: ClusterId(cluster),
        namespace: NamespaceId(1),
        hard: Limits {
            gpus: Some(4),
            ..Limits::default()
        },
        scopes: vec![QuotaScope {
            priority_class: true,
            operator: Some(SelectorOperator::In),
            values: vec![PriorityClassId(0)],
        }],
    };
    assert_eq!(scenario.quotas.resource_quotas, [quota(0), quota(1)]);
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:3: ResourceQuota vision/gpus-high: spec.hard.services is not counted by fleetsim's model and was ignored",
            file.display()
        )]
    );
}

#[test]
fn workload_affinity_is_a_warning_at_its_line_and_a_misspelling_an_error() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: gang, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterAffinity: {clusterNames: [east, west]}
    workloadAffinity:
      affinity: {groupByLabelKey: app.group}
";
    let (_dir, file, scenario) = imported(text);
    assert_eq!(names(&scenario), ["gang"]);
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:9: PropagationPolicy llm/gang: spec.placement.workloadAffinity is not modelled and was ignored",
            file.display()
        )]
    );
    let typo = text.replace("workloadAffinity", "workloadAfinity");
    let (_dir, file, err) = import_error(&typo);
    assert_input_error(
        &err,
        &file,
        8,
        "spec.placement.workloadAfinity",
        "workloadAfinity",
    );
}

#[test]
fn priority_class_in_the_same_paste_gives_the_schedule_priority() {
    let text = "\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high-priority-example}
value: 1000000
globalDefault: false
description: For critical workloads.
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: critical, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  schedulePriority:
    priorityClassSource: KubePriorityClass
    priorityClassName: high-priority-example
";
    let (_dir, _file, scenario) = imported(text);
    assert_eq!(policy(&scenario, "critical").schedule_priority, 1_000_000);
    let class = scenario
        .world
        .priority_classes
        .iter()
        .find(|c| c.name == "high-priority-example")
        .expect("the pasted class joins the scenario's");
    assert_eq!((class.value, class.never_preempts), (1_000_000, false));
    assert!(scenario.warnings.is_empty(), "{:#?}", scenario.warnings);
}

#[test]
fn priority_class_defined_in_the_scenario_and_the_paste_is_refused_naming_both() {
    let text = "\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: training-high
value: 5
";
    let (fixture, file, err) = import_error(text);
    assert_input_error(&err, &file, 4, "metadata.name", "defined twice");
    let scenario_file = fixture.scenario_path();
    let message = err.to_string();
    assert!(
        message.contains(&format!("{}:", scenario_file.display()))
            && message.contains("(priority_classes[0].name)"),
        "{message}"
    );
}

#[test]
fn plaintext_value_may_be_any_json() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: labels, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  overrideRules:
  - overriders:
      plaintext:
      - {path: /metadata/labels, operator: add, value: {team: llm, tier: gold}}
      - {path: /spec/template/spec/tolerations, operator: add, value: [{key: gpu, operator: Exists}]}
      - {path: /spec/suspend, operator: replace, value: true}
      - {path: /metadata/annotations, operator: replace, value: null}
      - {path: /spec/replicas, operator: replace, value: 3}
      - {path: /spec/parallelism, operator: replace, value: {min: 2}}
      - {path: /spec/template/spec/containers/0/resources/requests/cpu, operator: replace, value: lots}
";
    let (_dir, _file, scenario) = imported(text);
    let rules = &scenario.policies.overrides[0].rules;
    assert_eq!(
        rules[0].overriders.len(),
        1,
        "only the replica count is modelled"
    );
    let ignored = warnings_with(&scenario.warnings, "is not modelled and was ignored");
    assert_eq!(ignored.len(), 4, "{:#?}", scenario.warnings);
    // Karmada's webhook takes any value; the member cluster refuses what it cannot use.
    let unusable = warnings_with(&scenario.warnings, "which the member cluster would refuse");
    assert_eq!(unusable.len(), 2, "{:#?}", scenario.warnings);
    assert!(
        unusable[1].contains("\"lots\", not a quantity"),
        "{}",
        unusable[1]
    );
}

#[test]
fn cluster_affinity_beside_placement_is_refused() {
    // Karmada's CRD (charts/karmada/_crds/bases/policy/policy.karmada.io_propagationpolicies.yaml)
    // lists spec's properties without clusterAffinity and without
    // x-kubernetes-preserve-unknown-fields, so the field is unknown to the API server's
    // structural schema, and kubectl's default strict field validation refuses the object
    // (`strict decoding error: unknown field "spec.clusterAffinity"`) rather than pruning it.
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: misplaced, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  clusterAffinity:
    clusterNames: [east]
";
    let (_dir, file, err) = import_error(text);
    assert_input_error(&err, &file, 6, "spec.clusterAffinity", "clusterAffinity");
}

/// `examples/scenarios/quickstart.yaml` including `policies`, written beside it in `dir`.
fn quickstart_including(dir: &Path, policies: &Path) -> Result<scenarios::Scenario, Error> {
    let quickstart =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios/quickstart.yaml");
    let mut text = std::fs::read_to_string(quickstart).unwrap();
    text.push_str(&format!(
        "policies: [{{include: {:?}}}]\n",
        policies.display().to_string()
    ));
    let scenario = dir.join("quickstart.yaml");
    std::fs::write(&scenario, text).unwrap();
    scenarios::load(&scenario)
}

#[test]
fn every_karmada_sample_is_accepted() {
    let Some(samples) = shared_or_skip("third-party/karmada-samples") else {
        return;
    };
    // fragments/ holds doc excerpts with elided parts, not objects (its README.txt says so).
    let mut files = Vec::new();
    for dir in [samples.clone(), samples.join("website")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 60, "{} samples", files.len());
    let dir = tempfile::tempdir().unwrap();
    let refused: Vec<String> = files
        .iter()
        .filter_map(|file| quickstart_including(dir.path(), file).err())
        .map(|err| err.to_string())
        .collect();
    // The one sample Karmada refuses too: `placement:` left empty and `clusterAffinity` one
    // level up, in `spec`, where the CRD's schema has no such field (see
    // cluster_affinity_beside_placement_is_refused).
    let misplaced =
        "scheduling_propagation-policy_32.yaml:10:3: spec.clusterAffinity: unknown field";
    let (expected, unexpected): (Vec<String>, Vec<String>) =
        refused.into_iter().partition(|err| err.contains(misplaced));
    assert_eq!(expected.len(), 1, "{expected:?}");
    assert!(unexpected.is_empty(), "refused:\n{}", unexpected.join("\n"));
}

#[test]
fn every_conformance_placement_and_quota_is_accepted_as_a_paste() {
    let Some(cases) = shared_or_skip("conformance") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut pasted = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for case in entries {
        let text = std::fs::read_to_string(&case).unwrap();
        let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let mut items = Vec::new();
        if let Some(placement) = value.get("placement") {
            items.push(serde_json::json!({
                "apiVersion": "policy.karmada.io/v1alpha1",
                "kind": "PropagationPolicy",
                "metadata": {"name": "case", "namespace": "llm"},
                "spec": {
                    "resourceSelectors": [{"apiVersion": "batch/v1", "kind": "Job"}],
                    "placement": placement,
                },
            }));
        }
        let clusters = value.get("clusters").and_then(|c| c.as_array());
        for cluster in clusters.into_iter().flatten() {
            for quota in cluster
                .get("quotas")
                .and_then(|q| q.as_array())
                .into_iter()
                .flatten()
            {
                let mut quota = quota.clone();
                quota["apiVersion"] = "v1".into();
                quota["kind"] = "ResourceQuota".into();
                items.push(quota);
            }
        }
        if items.is_empty() {
            continue;
        }
        pasted += 1;
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        let file = dir.path().join("paste.json");
        std::fs::write(&file, serde_json::to_string_pretty(&list).unwrap()).unwrap();
        if let Err(err) = quickstart_including(dir.path(), &file) {
            panic!("{}: refused: {err}", case.display());
        }
    }
    assert!(
        pasted > 0,
        "no conformance case holds a placement or a quota"
    );
}

#[test]
fn include_json_single_object() {
    let text = r#"{"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
 "metadata": {"name": "all"},
 "spec": {"resourceSelectors": [{"apiVersion": "batch/v1", "kind": "Job"}]}}
"#;
    let (_dir, _file, scenario) = imported(text);
    assert_eq!(names(&scenario), ["all"]);
}
