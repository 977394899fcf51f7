//! One Karmada scheduling decision (filter, score, estimate, select, divide), measured alone:
//! Divided with dynamic weights over 10 clusters, and with region and cluster spread
//! constraints over 100 clusters in 10 regions.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scheduler::SchedulerConfig;
use scheduler::binding::{BindingView, ClusterView, ResourceBinding};
use scheduler::divide::Mode;
use scheduler::estimator::{ResourceList, ResourceSummary};
use scheduler::generic::{self, Given};
use scheduler::policy::{
    DivisionPreference, Placement, ReplicaScheduling, SpreadConstraint, SpreadField,
};
use sim_core::model::{
    Cluster, ClusterId, GpuModelSet, GpuRequest, JobId, NamespaceId, PodRequest,
};

const GI: i64 = 1 << 30;

fn fleet(n_clusters: usize) -> (Vec<Cluster>, Vec<ResourceSummary>) {
    let clusters = (0..n_clusters)
        .map(|idx| Cluster {
            name: format!("member-{idx:03}"),
            region: Some(format!("region-{}", idx % 10)),
            zones: vec![format!("zone-{idx}")],
            provider: Some("onprem".into()),
            labels: [("tier".to_string(), "prod".to_string())].into(),
            taints: Vec::new(),
            node_pools: Vec::new(),
        })
        .collect();
    // 1,000 nodes of 8 GPUs each, partly used, differently per cluster.
    let summaries = (0..n_clusters as i64)
        .map(|idx| ResourceSummary {
            allocatable: ResourceList {
                cpu_milli: 96_000_000,
                memory: 1024 * 1000 * GI,
                pods: 110_000,
                gpus: 8000,
            },
            allocated: ResourceList {
                cpu_milli: 40_000_000 + idx * 100_000,
                memory: 400_000 * GI,
                pods: 3000,
                gpus: 3000 + idx * 37,
            },
            allocating: ResourceList::default(),
        })
        .collect();
    (clusters, summaries)
}

fn bench_decision(c: &mut Criterion, name: &str, n_clusters: usize, spread: Vec<SpreadConstraint>) {
    let (clusters, summaries) = fleet(n_clusters);
    let views: Vec<ClusterView<'_>> = clusters
        .iter()
        .zip(&summaries)
        .enumerate()
        .map(|(idx, (cluster, summary))| ClusterView {
            id: ClusterId(idx as u32),
            cluster,
            summary,
            api_enablements: None,
            member: None,
            resource_models: None,
            assumed: &[],
        })
        .collect();
    let placement = Placement {
        spread_constraints: spread,
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    let request = PodRequest {
        cpu_milli: 48_000,
        memory: 512 * GI as u64,
        gpu: GpuRequest::whole(8, GpuModelSet::ANY),
        node_claim: 0,
    };
    let binding = ResourceBinding::new(JobId(0), 12, request, NamespaceId(0));
    let plugins = SchedulerConfig::default()
        .resolve(0)
        .expect("in-tree plugins");
    let view = BindingView {
        binding: &binding,
        placement: &placement,
    };
    let mut group = c.benchmark_group("decision");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter(|| {
            generic::schedule(
                &plugins,
                std::hint::black_box(&view),
                &views,
                Given::default(),
                Mode::Steady,
            )
        })
    });
    group.finish();
}

fn decisions(c: &mut Criterion) {
    bench_decision(c, "dynamic_weight_10_clusters", 10, Vec::new());
    let spread = vec![
        SpreadConstraint {
            field: SpreadField::Region,
            min_groups: 2,
            max_groups: 3,
        },
        SpreadConstraint {
            field: SpreadField::Cluster,
            min_groups: 3,
            max_groups: 10,
        },
    ];
    bench_decision(c, "dynamic_weight_spread_100_clusters", 100, spread);
}

/// The accurate estimator over one 1,000-node cluster whose nodes are in 9 distinct states,
/// and the general estimator over its summary.
fn estimators(c: &mut Criterion) {
    use scheduler::estimator::GeneralEstimator;
    use scheduler::member::MemberCluster;
    use sim_core::model::{GpuModelId, NodePool, NodeShape};
    let cluster = Cluster {
        name: "big".into(),
        region: None,
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: vec![NodePool {
            name: "h100".into(),
            count: 1000,
            shape: NodeShape {
                cpu_milli: 96_000,
                memory: 1 << 40,
                max_pods: 110,
                gpus: 8,
                gpu_model: Some(GpuModelId(0)),
            },
            labels: Default::default(),
            taints: Vec::new(),
        }],
    };
    let mut member = MemberCluster::new(ClusterId(0), &cluster, 1);
    let one_gpu = PodRequest {
        cpu_milli: 6000,
        memory: 48 * GI as u64,
        gpu: GpuRequest::whole(1, GpuModelSet::ANY),
        node_claim: 0,
    };
    // Node i holds i % 9 one-GPU pods: nine distinct free states.
    for node in 0..1000u32 {
        for k in 0..node % 9 {
            member.bind(node, &one_gpu, 1 << k);
        }
    }
    let request = PodRequest {
        cpu_milli: 24_000,
        memory: 192 * GI as u64,
        gpu: GpuRequest::whole(4, GpuModelSet::ANY),
        node_claim: 0,
    };
    let mut group = c.benchmark_group("estimator");
    group.throughput(Throughput::Elements(1));
    group.bench_function("accurate_1000_nodes", |b| {
        b.iter(|| member.accurate_replicas(std::hint::black_box(&request)))
    });
    let binding = ResourceBinding::new(JobId(0), 1, request, NamespaceId(0));
    let placement = Placement::default();
    let view = BindingView {
        binding: &binding,
        placement: &placement,
    };
    let summary = *member.summary();
    group.bench_function("general_summary", |b| {
        b.iter(|| GeneralEstimator::from_summary(std::hint::black_box(&summary), &view))
    });
    group.finish();
}

criterion_group!(benches, decisions, estimators);
criterion_main!(benches);
