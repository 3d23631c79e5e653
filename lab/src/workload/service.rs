//! One Service as a real cluster stores it after `kubectl apply`: the client-side-apply
//! annotation holding the applied manifest, kubectl's managed fields, and every field the
//! API server defaults (cluster IPs, families, policies, session affinity, status).

use super::{NAMESPACE, Spec, cluster_ip, ids};
use serde_json::{Value, json};

/// The port every generated Service exposes.
pub const PORT: u16 = 80;
/// The port its Pods listen on.
pub const TARGET_PORT: u16 = 8080;

/// Service `index` of `spec`.
pub fn service(spec: &Spec, index: usize) -> Value {
    let name = spec.service_name(index);
    let ips: Vec<String> = spec
        .service_ips(index)
        .iter()
        .map(ToString::to_string)
        .collect();
    let created = ids::timestamp(index as u64);
    let cluster_ip = cluster_ip(index).to_string();
    let ports =
        json!([{"name": "http", "port": PORT, "protocol": "TCP", "targetPort": TARGET_PORT}]);
    let selector = json!({"app": name});
    let applied = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"annotations": {}, "labels": {"app": name}, "name": name, "namespace": NAMESPACE},
        "spec": {"externalIPs": ips, "ports": ports, "selector": selector},
    });
    // kubectl stores the applied manifest compactly, with a trailing newline.
    let applied = format!("{applied}\n");
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied},
            "creationTimestamp": created,
            "labels": {"app": name},
            "managedFields": [{
                "apiVersion": "v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {
                        "f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                        "f:labels": {".": {}, "f:app": {}},
                    },
                    "f:spec": {
                        "f:externalIPs": {},
                        "f:externalTrafficPolicy": {},
                        "f:internalTrafficPolicy": {},
                        "f:ports": {
                            ".": {},
                            format!("k:{{\"port\":{PORT},\"protocol\":\"TCP\"}}"): {
                                ".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {},
                            },
                        },
                        "f:selector": {},
                        "f:sessionAffinity": {},
                        "f:type": {},
                    },
                },
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "time": created,
            }],
            "name": name,
            "namespace": NAMESPACE,
            "resourceVersion": (1000 + index).to_string(),
            "uid": ids::uid("Service", index),
        },
        "spec": {
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "externalIPs": ips,
            "externalTrafficPolicy": "Cluster",
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": ports,
            "selector": selector,
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    })
}
