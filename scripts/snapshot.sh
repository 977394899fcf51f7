#!/usr/bin/env bash
# Takes a snapshot of a Karmada fleet for `fleetsim import`: one folder per member cluster,
# plus `karmada/` for the control plane. Only object specs and status are read (Nodes, Pods,
# quotas, priority classes, Karmada's Clusters and policies); no Secret, kubeconfig or token is
# ever written.
#
# Usage: scripts/snapshot.sh OUT_DIR KARMADA_CONTEXT MEMBER_CONTEXT...
#   Each member's folder is named after its kube context; rename it to the member's name in
#   Karmada (its Cluster object's name) if the two differ.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 OUT_DIR KARMADA_CONTEXT MEMBER_CONTEXT..." >&2
    exit 2
fi
out=$1
karmada=$2
shift 2
mkdir -p "$out/karmada"
kubectl --context "$karmada" get clusters.cluster.karmada.io -o yaml >"$out/karmada/clusters.yaml"
kubectl --context "$karmada" get propagationpolicies,overridepolicies -A -o yaml >"$out/karmada/policies.yaml"
kubectl --context "$karmada" get clusterpropagationpolicies,clusteroverridepolicies -o yaml >"$out/karmada/cluster-policies.yaml"
kubectl --context "$karmada" get federatedresourcequotas -A -o yaml >"$out/karmada/quotas.yaml"
kubectl --context "$karmada" get deployments,statefulsets,jobs.batch -A -o yaml >"$out/karmada/workloads.yaml"
kubectl --context "$karmada" get resourcebindings -A -o yaml >"$out/karmada/bindings.yaml"
# Training operators' kinds, where their CRDs are installed.
for kind in pytorchjobs.kubeflow.org mpijobs.kubeflow.org tfjobs.kubeflow.org jobs.batch.volcano.sh; do
    if kubectl --context "$karmada" get "$kind" -A -o yaml >"$out/karmada/$kind.yaml.part" 2>/dev/null; then
        mv "$out/karmada/$kind.yaml.part" "$out/karmada/$kind.yaml"
    else
        rm -f "$out/karmada/$kind.yaml.part"
    fi
done
for member in "$@"; do
    mkdir -p "$out/$member"
    kubectl --context "$member" get nodes -o yaml >"$out/$member/nodes.yaml"
    kubectl --context "$member" get pods -A -o yaml >"$out/$member/pods.yaml"
    kubectl --context "$member" get resourcequotas -A -o yaml >"$out/$member/quotas.yaml"
    kubectl --context "$member" get priorityclasses -o yaml >"$out/$member/priorityclasses.yaml"
done
echo "snapshot of ${#} member cluster(s) in $out"
