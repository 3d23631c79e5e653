use super::*;
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn uids_are_distinct_and_stable() {
    let uids: BTreeSet<String> = (0..10_000).map(|i| ids::uid("Service", i)).collect();
    assert_eq!(uids.len(), 10_000);
    assert_eq!(ids::uid("Service", 7), ids::uid("Service", 7));
    assert_ne!(ids::uid("Service", 7), ids::uid("EndpointSlice", 7));
}

#[test]
fn a_service_carries_its_annotations_and_the_manifest_kubectl_applied() {
    let svc = Service::new("shop", "web")
        .external_ips(["203.0.113.10"])
        .annotations(json!({"kube-anycast.io/med": "10"}))
        .build();
    let annotations = &svc["metadata"]["annotations"];
    assert_eq!(annotations["kube-anycast.io/med"], "10");
    let applied: serde_json::Value = serde_json::from_str(
        annotations["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(applied["spec"]["externalIPs"], json!(["203.0.113.10"]));
    assert_eq!(
        applied["metadata"]["annotations"]["kube-anycast.io/med"],
        "10"
    );
    let managed = &svc["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"];
    assert!(managed["f:annotations"]["f:kube-anycast.io/med"].is_object());
    assert_eq!(svc["status"], json!({"loadBalancer": {}}));
}

#[test]
fn a_slice_points_at_its_service_and_carries_each_endpoint_condition() {
    let svc = Service::new("shop", "web").build();
    let slice = Slice::new("shop", "web")
        .ipv6()
        .endpoint(Endpoint::ready("fd00::1", "node-a"))
        .endpoint(Endpoint::terminating("fd00::2", "node-b"))
        .endpoint(Endpoint::not_ready("fd00::3", "node-c"))
        .build();
    assert_eq!(slice["addressType"], "IPv6");
    assert_eq!(
        slice["metadata"]["ownerReferences"][0]["uid"],
        svc["metadata"]["uid"]
    );
    assert_eq!(
        slice["metadata"]["labels"]["kubernetes.io/service-name"],
        "web"
    );
    let conditions: Vec<_> = slice["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let c = &e["conditions"];
            (
                e["nodeName"].as_str().unwrap().to_string(),
                c["ready"].as_bool().unwrap(),
                c["serving"].as_bool().unwrap(),
                c["terminating"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            ("node-a".to_string(), true, true, false),
            ("node-b".to_string(), false, true, true),
            ("node-c".to_string(), false, false, false),
        ]
    );
    assert_eq!(slice["endpoints"][0]["targetRef"]["kind"], "Pod");
}

#[test]
fn a_node_has_its_labels_taints_and_ready_condition() {
    let plain = Node::new("node-a").build();
    assert!(plain["spec"].get("taints").is_none());
    let node = Node::new("node-a")
        .labels(json!({"rack": "r1"}))
        .taint("node.kubernetes.io/unschedulable", "NoSchedule")
        .ready(false)
        .build();
    assert_eq!(node["metadata"]["labels"]["rack"], "r1");
    assert_eq!(
        node["metadata"]["labels"]["kubernetes.io/hostname"],
        "node-a"
    );
    assert_eq!(
        node["spec"]["taints"][0]["key"],
        "node.kubernetes.io/unschedulable"
    );
    let ready = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["status"], "False");
}

#[test]
fn a_namespace_has_its_name_label() {
    let ns = Namespace::new("shop").labels(json!({"team": "a"})).build();
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "shop"
    );
    assert_eq!(ns["metadata"]["labels"]["team"], "a");
}
