//! One EndpointSlice as the endpointslice controller writes it for a Service: owner
//! reference, service-name and managed-by labels, the change-trigger annotation, the
//! controller's managed fields, and endpoints with conditions, node, zone and Pod target.

use super::service::TARGET_PORT;
use super::{NAMESPACE, OTHER_NODES, Spec, ids, pod_ip};
use serde_json::{Value, json};

/// The EndpointSlice of Service `index` of `spec`.
pub fn slice(spec: &Spec, index: usize) -> Value {
    let service = spec.service_name(index);
    let service_uid = ids::uid("Service", index);
    let name = format!("{service}-{}", suffix(index));
    let changed = ids::timestamp(index as u64 + 30);
    let endpoints: Vec<Value> = (0..spec.endpoints)
        .map(|e| endpoint(spec, index, e))
        .collect();
    json!({
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": endpoints,
        "kind": "EndpointSlice",
        "metadata": {
            "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": changed},
            "creationTimestamp": ids::timestamp(index as u64),
            "generateName": format!("{service}-"),
            "generation": 4,
            "labels": {
                "app": service,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": service,
            },
            "managedFields": [{
                "apiVersion": "discovery.k8s.io/v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:addressType": {},
                    "f:endpoints": {},
                    "f:metadata": {
                        "f:annotations": {".": {}, "f:endpoints.kubernetes.io/last-change-trigger-time": {}},
                        "f:generateName": {},
                        "f:labels": {
                            ".": {},
                            "f:app": {},
                            "f:endpointslice.kubernetes.io/managed-by": {},
                            "f:kubernetes.io/service-name": {},
                        },
                        "f:ownerReferences": {".": {}, format!("k:{{\"uid\":\"{service_uid}\"}}"): {}},
                    },
                    "f:ports": {},
                },
                "manager": "kube-controller-manager",
                "operation": "Update",
                "time": changed,
            }],
            "name": name,
            "namespace": NAMESPACE,
            "ownerReferences": [{
                "apiVersion": "v1",
                "blockOwnerDeletion": true,
                "controller": true,
                "kind": "Service",
                "name": service,
                "uid": service_uid,
            }],
            "resourceVersion": (1_000_000 + index).to_string(),
            "uid": ids::uid("EndpointSlice", index),
        },
        "ports": [{"name": "http", "port": TARGET_PORT, "protocol": "TCP"}],
    })
}

/// Endpoint `e` of Service `index`: the first on the node under test, the others on the
/// other nodes in turn, each backed by its own Pod.
fn endpoint(spec: &Spec, index: usize, e: usize) -> Value {
    let (node, node_index) = if e == 0 {
        (spec.node.as_str(), 0)
    } else {
        let k = (e - 1) % OTHER_NODES.len();
        (OTHER_NODES[k], k + 1)
    };
    let pod = format!(
        "{}-{}-{}",
        spec.service_name(index),
        suffix(index * 31 + 7),
        suffix(index * 97 + e)
    );
    json!({
        "addresses": [pod_ip(index, node_index).to_string()],
        "conditions": {"ready": true, "serving": true, "terminating": false},
        "nodeName": node,
        "targetRef": {
            "kind": "Pod",
            "name": pod,
            "namespace": NAMESPACE,
            "uid": ids::uid(&format!("Pod-{e}"), index),
        },
        "zone": zone(node_index),
    })
}

/// The zone of node number `node_index`.
pub fn zone(node_index: usize) -> String {
    format!("zone-{}", (b'a' + (node_index % 3) as u8) as char)
}

/// A five-letter suffix like the ones `generateName` adds (consonants and digits).
fn suffix(n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut v = n.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
    (0..5)
        .map(|_| {
            let c = ALPHABET[v % ALPHABET.len()] as char;
            v /= ALPHABET.len();
            c
        })
        .collect()
}
