use super::*;

/// Waits (with a deadline) until the shared state satisfies `done`.
async fn wait_for(
    shared: &super::super::SharedCluster,
    what: &str,
    done: impl Fn(&super::super::SharedCluster) -> bool,
) {
    let mut versions = shared.subscribe();
    let wait = async {
        while !done(shared) {
            versions.changed().await.expect("the source runs");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test]
async fn run_follows_a_configmap_volume_as_the_kubelet_updates_it() {
    use crate::source::manifest_set::tests::{service, service_names};
    use crate::source::watch::tests::ConfigMapVolume;
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    let a = service("a", "203.0.113.1");
    let b = service("b", "203.0.113.2");
    let mut volume = ConfigMapVolume::new(&dir, &[("cluster.yaml", a.as_str())]);
    let shared = std::sync::Arc::new(SharedCluster::default());
    let task = tokio::spawn(run(vec![dir.clone()], "n".into(), shared.clone()));
    wait_for(&shared, "the first load", |s| {
        s.subscribe().borrow().synced && service_names(s) == ["x/a"]
    })
    .await;
    volume.update(&[("cluster.yaml", b.as_str())]);
    wait_for(&shared, "the swapped content", |s| {
        service_names(s) == ["x/b"]
    })
    .await;
    volume.update(&[("cluster.yaml", a.as_str())]);
    wait_for(&shared, "the second swap", |s| service_names(s) == ["x/a"]).await;
    task.abort();
}

#[tokio::test]
async fn run_follows_a_file_replaced_by_rename_and_edited_in_place() {
    use crate::source::manifest_set::tests::{replace, service, service_names};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, service("a", "203.0.113.1")).unwrap();
    let shared = std::sync::Arc::new(SharedCluster::default());
    let task = tokio::spawn(run(vec![file.clone()], "n".into(), shared.clone()));
    wait_for(&shared, "the first load", |s| service_names(s) == ["x/a"]).await;
    replace(&file, &service("b", "203.0.113.2"));
    wait_for(&shared, "the renamed file", |s| service_names(s) == ["x/b"]).await;
    std::fs::write(&file, service("c", "203.0.113.3")).unwrap();
    wait_for(&shared, "the in-place edit", |s| {
        service_names(s) == ["x/c"]
    })
    .await;
    task.abort();
}
