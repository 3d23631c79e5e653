use super::*;
use crate::cluster::ObjectKey;

const STREAM: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  externalIPs: [203.0.113.10]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
  - addresses: [10.0.0.1]
    nodeName: node-a
    conditions: {ready: true}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Node
    metadata: {name: node-a, labels: {rack: r1}}
  - apiVersion: v1
    kind: Node
    metadata: {name: node-b}
  - apiVersion: v1
    kind: Pod
    metadata: {name: ignored}
"#;

#[test]
fn multi_document_streams_and_lists_are_read() {
    let mut state = ClusterState::default();
    add_documents(&mut state, STREAM, "node-a").unwrap();
    assert_eq!(state.services().len(), 1);
    assert_eq!(state.endpoint_slices().len(), 1);
    let node = state.node().expect("own node found inside the List");
    assert_eq!(node.labels.get("rack").map(String::as_str), Some("r1"));
    assert!(
        state
            .services()
            .contains_key(&ObjectKey::new("shop", "web"))
    );
}

#[test]
fn typed_lists_without_item_kinds_are_read() {
    let text = "apiVersion: v1\nkind: ServiceList\nitems:\n  - metadata: {name: a, namespace: x}\n    spec: {externalIPs: [203.0.113.1]}\n";
    let mut state = ClusterState::default();
    add_documents(&mut state, text, "n").unwrap();
    assert_eq!(state.services().len(), 1);
}

#[test]
fn invalid_yaml_and_invalid_objects_are_errors() {
    let mut state = ClusterState::default();
    assert!(add_documents(&mut state, "kind: Service\nmetadata: [unclosed\n", "n").is_err());
    assert!(
        add_documents(
            &mut state,
            "kind: Service\nmetadata: {name: a}\nspec: {externalIPs: 7}\n",
            "n"
        )
        .is_err()
    );
    assert!(
        add_documents(&mut state, "kind: Service\nspec: {}\n", "n").is_err(),
        "a Service needs a name"
    );
}

#[test]
fn directories_contribute_their_manifest_files_in_order() {
    let dir = std::env::temp_dir().join(format!("kube-anycast-manifests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "kind: Service\nmetadata: {name: b, namespace: x}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a.yml"),
        "kind: Service\nmetadata: {name: a, namespace: x}\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml: [").unwrap();
    std::fs::write(dir.join(".hidden.yaml"), "not yaml: [").unwrap();
    let state = load(std::slice::from_ref(&dir), "n").unwrap();
    assert_eq!(state.services().len(), 2);
    assert_eq!(files(std::slice::from_ref(&dir)).unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `kubectl get -o json` output (after leading blank lines, as a shell may write it) is
/// streamed as JSON; two documents back to back both count; a broken one names itself.
#[test]
fn json_files_are_read_as_json_streams() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.json");
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
            {"kind": "Service", "metadata": {"name": "a", "namespace": "x"},
             "spec": {"externalIPs": ["203.0.113.1"]}},
            {"kind": "EndpointSlice", "metadata": {"name": "a-1", "namespace": "x",
             "labels": {"kubernetes.io/service-name": "a"}}, "addressType": "IPv4",
             "endpoints": [{"addresses": ["10.0.0.1"], "nodeName": "n"}]}]});
    let second = r#"{"kind": "Service", "metadata": {"name": "b", "namespace": "x"}}"#;
    std::fs::write(&file, format!("\n\n  {list}\n{second}\n")).unwrap();
    let state = load(std::slice::from_ref(&file), "n").unwrap();
    assert_eq!(state.services().len(), 2);
    assert_eq!(state.endpoint_slices().len(), 1);
    std::fs::write(
        &file,
        format!("{list}\n{{\"kind\": \"Service\", \"metadata\": 7}}"),
    )
    .unwrap();
    let error = load(std::slice::from_ref(&file), "n").unwrap_err();
    assert!(error.message.starts_with("document 2:"), "{error}");
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = load(&[PathBuf::from("/nonexistent/kube-anycast.yaml")], "n").unwrap_err();
    assert_eq!(err.path, PathBuf::from("/nonexistent/kube-anycast.yaml"));
}
