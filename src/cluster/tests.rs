//! The cluster state's change tracking, and reading objects as a real API server prints
//! them into the slim types.

use super::manifest::{AnyObject, Manifest};
use super::objects::{AddressFamily, ExternalIp};
use super::wire::{NodeObject, ServiceObject, SliceObject};
use super::*;
use serde_json::json;

/// A Service as `kubectl get svc -o json` prints it from a real cluster.
fn printed_service() -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "annotations": {
                "kube-anycast.io/med": "10",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"externalIPs\":[\"203.0.113.10\"]}}\n"
            },
            "creationTimestamp": "2026-11-30T10:00:00Z",
            "labels": {"app": "web", "team": "shop"},
            "managedFields": [{
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubectl-client-side-apply",
                "operation": "Update", "time": "2026-11-30T10:00:00Z",
                "fieldsV1": {"f:spec": {"f:externalIPs": {}, "f:ports": {".": {}, "k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}
            }],
            "name": "web",
            "namespace": "shop",
            "resourceVersion": "4711",
            "uid": "6b1a7e0c-0000-4000-8000-000000000001"
        },
        "spec": {
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "externalIPs": ["203.0.113.10", "203.0.113.11", "203.0.113.10"],
            "externalTrafficPolicy": "Local",
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": "web"},
            "sessionAffinity": "None",
            "type": "ClusterIP"
        },
        "status": {"loadBalancer": {}}
    })
}

fn printed_slice() -> serde_json::Value {
    json!({
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": [
            {"addresses": ["10.1.0.5"], "conditions": {"ready": true, "serving": true, "terminating": false},
             "nodeName": "node-a", "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "x"}, "zone": "a"},
            {"addresses": ["10.1.0.6"], "nodeName": "node-b"},
            {"addresses": ["10.1.0.7"], "conditions": {"ready": false, "serving": true, "terminating": true}}
        ],
        "kind": "EndpointSlice",
        "metadata": {
            "generateName": "web-",
            "labels": {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", "kubernetes.io/service-name": "web"},
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:endpoints": {}}}],
            "name": "web-x7k2p",
            "namespace": "shop",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "web", "uid": "y"}],
            "resourceVersion": "4712"
        },
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    })
}

/// `printed_slice` as the watch keeps it.
fn printed_slice_info() -> SliceInfo {
    serde_json::from_value::<SliceObject>(printed_slice())
        .unwrap()
        .into_info()
}

fn printed_node() -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {"kube-anycast.io/drain": "true", "node.alpha.kubernetes.io/ttl": "0"},
            "deletionTimestamp": "2026-11-30T11:00:00Z",
            "labels": {"kubernetes.io/hostname": "node-a", "rack": "r1"},
            "name": "node-a",
            "resourceVersion": "9"
        },
        "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "ToBeDeletedByClusterAutoscaler", "effect": "NoSchedule"}]},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "NetworkUnavailable", "status": "True", "reason": "NoRouteCreated"}
            ],
            "images": [{"names": ["registry/image:1"], "sizeBytes": 1}]
        }
    })
}

#[test]
fn a_printed_service_keeps_only_what_the_rules_read() {
    let object: ServiceObject = serde_json::from_value(printed_service()).unwrap();
    assert_eq!(object.metadata.resource_version.as_deref(), Some("4711"));
    assert!(object.metadata.managed_fields.is_none());
    let info = object.into_info();
    assert_eq!(
        &*info.external_ips,
        &[
            ExternalIp::Ip("203.0.113.10".parse().unwrap()),
            ExternalIp::Ip("203.0.113.11".parse().unwrap())
        ]
    );
    assert!(
        info.local_traffic_policy && !info.headless && !info.external_name && !info.other_proxy
    );
    let annotations: Vec<&str> = info.annotations.keys().map(|k| &**k).collect();
    assert_eq!(
        annotations,
        vec!["kube-anycast.io/med"],
        "the last-applied annotation is dropped"
    );
    assert_eq!(
        info.uid.as_deref(),
        Some("6b1a7e0c-0000-4000-8000-000000000001")
    );
}

#[test]
fn a_printed_slice_keeps_endpoints_with_default_conditions() {
    let info = printed_slice_info();
    assert_eq!(info.service.as_deref(), Some("web"));
    assert_eq!(info.family, AddressFamily::V4);
    let conditions: Vec<(bool, bool, bool, Option<&str>)> = info
        .endpoints
        .iter()
        .map(|e| (e.ready, e.serving, e.terminating, e.node.as_deref()))
        .collect();
    assert_eq!(
        conditions,
        vec![
            (true, true, false, Some("node-a")),
            (true, true, false, Some("node-b")),
            (false, true, true, None),
        ]
    );
}

#[test]
fn a_printed_node_keeps_labels_health_and_our_annotations() {
    let info = serde_json::from_value::<NodeObject>(printed_node())
        .unwrap()
        .into_info();
    assert_eq!(info.labels.get("rack").map(String::as_str), Some("r1"));
    assert_eq!(info.annotations.len(), 1);
    assert!(info.deleting);
    assert!(info.network_unavailable);
    assert_eq!(&*info.taints, &["ToBeDeletedByClusterAutoscaler".into()]);
}

#[test]
fn a_list_of_printed_objects_reads_every_kind() {
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [printed_service(), printed_slice(), printed_node(), {"kind": "Pod", "metadata": {"name": "p"}}]});
    let object: AnyObject = serde_json::from_value(list).unwrap();
    let Manifest::List(items) = object.into_manifest() else {
        panic!("a List is read as a list");
    };
    let kinds: Vec<&str> = items
        .into_iter()
        .map(|item| match item {
            Manifest::Service(Some(key), info) if key == ObjectKey::new("shop", "web") => {
                assert_eq!(info.external_ips.len(), 2);
                "Service"
            }
            Manifest::Slice(Some(_), info) => {
                assert_eq!(info.endpoints.len(), 3);
                "EndpointSlice"
            }
            Manifest::Node(Some(name), info) if name == "node-a" => {
                assert!(info.network_unavailable);
                "Node"
            }
            Manifest::Other => "other",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, vec!["Service", "EndpointSlice", "Node", "other"]);
}

#[test]
fn watch_types_name_the_real_kinds() {
    use kube::Resource;
    assert_eq!(
        ServiceObject::url_path(&(), Some("ns")),
        "/api/v1/namespaces/ns/services"
    );
    assert_eq!(
        SliceObject::url_path(&(), None),
        "/apis/discovery.k8s.io/v1/endpointslices"
    );
    assert_eq!(NodeObject::url_path(&(), None), "/api/v1/nodes");
}

#[test]
fn an_unchanged_object_marks_nothing_changed() {
    let mut state = ClusterState::default();
    let key = ObjectKey::new("shop", "web");
    let info = serde_json::from_value::<ServiceObject>(printed_service())
        .unwrap()
        .into_info();
    state.upsert_service(key.clone(), info.clone());
    let _ = state.take_dirty();
    state.upsert_service(key.clone(), info.clone());
    assert_eq!(state.take_dirty(), Dirty::Services(Default::default()));
    let mut changed = info;
    changed.annotations.clear();
    state.upsert_service(key.clone(), changed);
    assert_eq!(state.take_dirty(), Dirty::Services([key].into()));
}

#[test]
fn a_relist_marks_only_the_services_that_differ() {
    let mut state = ClusterState::default();
    let slice = printed_slice_info();
    let a = ObjectKey::new("shop", "web-a");
    let b = ObjectKey::new("shop", "web-b");
    state.upsert_service(ObjectKey::new("shop", "web"), printed_service_info());
    state.replace_slices([(a.clone(), slice.clone()), (b.clone(), slice.clone())].into());
    let _ = state.take_dirty();
    // The same slices again, minus one: only its Service changed.
    state.replace_slices([(a, slice)].into());
    assert_eq!(
        state.take_dirty(),
        Dirty::Services([ObjectKey::new("shop", "web")].into())
    );
    assert_eq!(state.endpoint_slices().len(), 1);
}

#[test]
fn a_slice_of_no_service_marks_nothing_changed() {
    let mut state = ClusterState::default();
    let web = ObjectKey::new("shop", "web");
    let slice_key = ObjectKey::new("shop", "web-a");
    state.upsert_service(web.clone(), printed_service_info());
    state.upsert_slice(slice_key.clone(), printed_slice_info());
    let _ = state.take_dirty();
    // The Service goes first, as when its manifest is deleted: it is marked once.
    state.remove_service(&web);
    assert_eq!(state.take_dirty(), Dirty::Removed(vec![web.clone()]));
    // Its slice going after it changes no decision.
    assert!(state.remove_slice(&slice_key));
    assert!(!state.remove_slice(&slice_key), "already gone");
    assert_eq!(state.take_dirty(), Dirty::Services(Default::default()));
    // A slice arriving before its Service: the Service marks itself when it comes, and
    // its slices are read then.
    state.upsert_slice(slice_key.clone(), printed_slice_info());
    assert_eq!(state.take_dirty(), Dirty::Services(Default::default()));
    state.upsert_service(web.clone(), printed_service_info());
    assert_eq!(state.take_dirty(), Dirty::Services([web.clone()].into()));
    assert_eq!(state.slices_of(&web).count(), 1);
}

/// The printed Service of [`printed_service`], as the state keeps it.
fn printed_service_info() -> ServiceInfo {
    serde_json::from_value::<ServiceObject>(printed_service())
        .expect("a printed Service parses")
        .into_info()
}

#[test]
fn endpoints_share_one_copy_of_each_node_name() {
    let mut state = ClusterState::default();
    let slice = printed_slice_info();
    state.upsert_slice(ObjectKey::new("shop", "s1"), slice.clone());
    state.upsert_slice(ObjectKey::new("shop", "s2"), slice);
    let nodes: Vec<&objects::NodeName> = state
        .endpoint_slices()
        .values()
        .flat_map(|s| s.endpoints.iter().filter_map(|e| e.node.as_ref()))
        .filter(|n| &***n == "node-a")
        .collect();
    assert_eq!(nodes.len(), 2);
    assert!(std::sync::Arc::ptr_eq(nodes[0], nodes[1]));
}

#[test]
fn an_external_ip_keeps_the_owners_spelling_unless_it_is_the_canonical_one() {
    assert_eq!(
        ExternalIp::from_text("2001:db8::1".into()),
        ExternalIp::Ip("2001:db8::1".parse().unwrap())
    );
    let upper = ExternalIp::from_text("2001:DB8::1".into());
    assert_eq!(upper.to_string(), "2001:DB8::1", "shown as written");
    assert_eq!(
        upper.ip(),
        Some("2001:db8::1".parse().unwrap()),
        "still an address"
    );
    let bad = ExternalIp::from_text("203.0.113.010".into());
    assert_eq!(
        bad.ip(),
        None,
        "leading zeros are ambiguous, never an address"
    );
}

#[test]
fn a_namespace_label_change_marks_only_its_services_changed() {
    use super::objects::NamespaceInfo;
    let mut state = ClusterState::default();
    for key in [
        ObjectKey::new("shop", "web"),
        ObjectKey::new("shop", "api"),
        ObjectKey::new("shop-b", "web"),
        ObjectKey::new("other", "web"),
    ] {
        state.upsert_service(key, ServiceInfo::default());
    }
    let labelled = |value: &str| NamespaceInfo {
        labels: [("team".to_string(), value.to_string())].into(),
    };
    state.upsert_namespace("shop".into(), labelled("a"));
    let _ = state.take_dirty();
    state.upsert_namespace("shop".into(), labelled("a"));
    assert_eq!(state.take_dirty(), Dirty::Services(Default::default()));
    state.upsert_namespace("shop".into(), labelled("b"));
    assert_eq!(
        state.take_dirty(),
        Dirty::Services([ObjectKey::new("shop", "api"), ObjectKey::new("shop", "web")].into())
    );
    state.remove_namespace("shop");
    assert_eq!(
        state.take_dirty(),
        Dirty::Services([ObjectKey::new("shop", "api"), ObjectKey::new("shop", "web")].into())
    );
}

#[test]
fn a_printed_namespace_keeps_its_labels() {
    use super::wire::NamespaceObject;
    use kube::Resource;
    let object: AnyObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": "shop"}, "managedFields": []},
        "status": {"phase": "Active"}
    }))
    .unwrap();
    let Manifest::Namespace(Some(name), info) = object.into_manifest() else {
        panic!("a Namespace");
    };
    assert_eq!(name, "shop");
    assert_eq!(info.labels.get("team").map(String::as_str), Some("shop"));
    assert_eq!(NamespaceObject::url_path(&(), None), "/api/v1/namespaces");
}

#[test]
fn object_keys_order_by_namespace_then_name() {
    // As (namespace, name) pairs, not as the joined text: "a" comes before "a-b" even
    // though "a-b..." sorts before "a/..." and "az" as text.
    let mut keys = [
        ObjectKey::new("a-b", "c"),
        ObjectKey::new("a", "z"),
        ObjectKey::new("ab", "a"),
        ObjectKey::new("a", "b"),
    ];
    keys.sort();
    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.namespace(), k.name())).collect();
    assert_eq!(pairs, [("a", "b"), ("a", "z"), ("a-b", "c"), ("ab", "a")]);
    assert_eq!(keys[0].to_string(), "a/b");
}

#[test]
fn object_keys_are_equal_by_both_parts_and_hash_alike() {
    use std::hash::BuildHasher;
    let hasher = std::collections::hash_map::RandomState::new();
    let (a, b) = (ObjectKey::new("shop", "web"), ObjectKey::new("shop", "web"));
    assert_eq!(a, b);
    assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b));
    assert_eq!(a, a.clone());
    // The same letters split elsewhere are another key.
    assert_ne!(ObjectKey::new("ab", "c"), ObjectKey::new("a", "bc"));
    assert_ne!(ObjectKey::new("", "abc"), ObjectKey::new("abc", ""));
}

#[test]
fn removals_alone_are_a_list_and_any_other_change_makes_them_a_set() {
    let mut state = ClusterState::default();
    let [a, b, c] = ["a", "b", "c"].map(|n| ObjectKey::new("shop", n));
    for key in [&a, &b, &c] {
        state.upsert_service(key.clone(), printed_service_info());
    }
    let _ = state.take_dirty();
    assert!(state.remove_service(&b));
    assert!(state.remove_service(&a));
    assert!(!state.remove_service(&a), "already gone: nothing to record");
    assert_eq!(
        state.take_dirty(),
        Dirty::Removed(vec![b.clone(), a.clone()])
    );
    // A removal and then another change: one set of changed Services, the removed too.
    state.remove_service(&c);
    state.upsert_service(b.clone(), printed_service_info());
    assert_eq!(
        state.take_dirty(),
        Dirty::Services([b.clone(), c.clone()].into())
    );
    // A Service removed and added again is a change, not a removal.
    state.remove_service(&b);
    state.upsert_service(b.clone(), printed_service_info());
    assert_eq!(state.take_dirty(), Dirty::Services([b].into()));
    // A change first, then a removal: both in the set.
    state.upsert_service(a.clone(), printed_service_info());
    state.remove_service(&a);
    assert_eq!(state.take_dirty(), Dirty::Services([a].into()));
}
