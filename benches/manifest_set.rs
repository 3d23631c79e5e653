//! What the manifests source costs when a file changes, at the scale of workload A
//! (10,000 Services x 10 externalIPs, each with a slice of 3 endpoints, as a cluster
//! prints them): the source's share of a bulk withdraw, before the decision sees it.
//!
//! Run: `cargo bench --bench manifest_set`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kube_anycast::source::SharedCluster;
use kube_anycast::source::manifest_set::ManifestSet;
use lab::workload::{Format, Spec};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const NODE: &str = "node-0";

fn write(spec: &Spec, path: &Path) {
    let tmp = path.with_extension("json.tmp");
    let file = std::fs::File::create(&tmp).expect("the bench directory is writable");
    lab::workload::write(spec, Format::Json, file).expect("the workload is written");
    std::fs::rename(&tmp, path).expect("the file is replaced");
}

/// The file rewritten to hold only the Node: every Service and slice goes.
fn bulk_withdraw(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("cluster.json");
    let full = Spec::workload_a(100_000, NODE);
    let node_only = Spec {
        services: 0,
        ..full.clone()
    };
    let paths = vec![path.clone()];
    let changed: BTreeSet<PathBuf> = [path.clone()].into();
    let mut group = c.benchmark_group("manifest set");
    group.sample_size(10);
    group.bench_function("file rewritten without its 10,000 Services", |b| {
        b.iter_batched(
            || {
                write(&full, &path);
                let shared = SharedCluster::default();
                let mut set = ManifestSet::default();
                set.refresh(&paths, NODE, &shared);
                assert_eq!(shared.read(|s| s.services().len()), 10_000);
                write(&node_only, &path);
                (set, shared)
            },
            |(mut set, shared)| {
                assert!(set.refresh_files(&changed, NODE, &shared));
                assert!(shared.read(|s| s.services().is_empty()));
                (set, shared)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bulk_withdraw);
criterion_main!(benches);
