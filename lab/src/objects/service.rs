//! A Service as a real cluster stores it after `kubectl apply`: the client-side-apply
//! annotation holding the applied manifest, kubectl's managed fields, and every field the
//! API server defaults (cluster IPs, families, policies, session affinity, status).

use super::{StringMap, extend, field_keys, ids};
use serde_json::{Value, json};
use std::net::Ipv4Addr;

/// The port every built Service exposes.
pub const PORT: u16 = 80;
/// The port its Pods listen on.
pub const TARGET_PORT: u16 = 8080;

/// A Service to print.
#[derive(Clone, Debug)]
pub struct Service {
    namespace: String,
    name: String,
    external_ips: Vec<String>,
    labels: StringMap,
    annotations: StringMap,
    sequence: usize,
}

impl Service {
    /// Service `namespace/name` with no externalIPs and no labels.
    pub fn new(namespace: &str, name: &str) -> Service {
        Service {
            namespace: namespace.into(),
            name: name.into(),
            external_ips: Vec::new(),
            labels: StringMap::new(),
            annotations: StringMap::new(),
            sequence: ids::number(&format!("{namespace}/{name}")),
        }
    }

    /// Its `spec.externalIPs`.
    pub fn external_ips<T: ToString>(mut self, ips: impl IntoIterator<Item = T>) -> Service {
        self.external_ips = ips.into_iter().map(|ip| ip.to_string()).collect();
        self
    }

    /// Adds the annotations of a JSON object (`json!({"kube-anycast.io/med": "10"})`).
    pub fn annotations(mut self, annotations: Value) -> Service {
        extend(&mut self.annotations, &annotations);
        self
    }

    /// Adds the labels of a JSON object.
    pub fn labels(mut self, labels: Value) -> Service {
        extend(&mut self.labels, &labels);
        self
    }

    /// Its place in a generated cluster: sets the cluster IP, resource version and
    /// creation time, so that numbered Services differ the way a real cluster's do.
    pub fn sequence(mut self, sequence: usize) -> Service {
        self.sequence = sequence;
        self
    }

    /// The object, as `kubectl get -o json` prints it.
    pub fn build(&self) -> Value {
        let (name, namespace) = (&self.name, &self.namespace);
        let created = ids::timestamp(self.sequence as u64);
        let cluster_ip = cluster_ip(self.sequence).to_string();
        let ports =
            json!([{"name": "http", "port": PORT, "protocol": "TCP", "targetPort": TARGET_PORT}]);
        let selector = json!({"app": name});
        let applied = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"annotations": self.annotations, "labels": self.labels, "name": name, "namespace": namespace},
            "spec": {"externalIPs": self.external_ips, "ports": ports, "selector": selector},
        });
        let mut annotations = self.annotations.clone();
        // kubectl stores the applied manifest compactly, with a trailing newline.
        annotations.insert(
            "kubectl.kubernetes.io/last-applied-configuration".into(),
            json!(format!("{applied}\n")),
        );
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "annotations": annotations,
                "creationTimestamp": created,
                "labels": self.labels,
                "managedFields": [{
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {
                            "f:annotations": field_keys(&annotations),
                            "f:labels": field_keys(&self.labels),
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
                "namespace": namespace,
                "resourceVersion": (1000 + self.sequence).to_string(),
                "uid": ids::object_uid("Service", namespace, name),
            },
            "spec": {
                "clusterIP": cluster_ip,
                "clusterIPs": [cluster_ip],
                "externalIPs": self.external_ips,
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
}

/// The cluster IP of Service number `sequence`, in 10.96.0.0/12 (skipping 10.96.0.0/24,
/// where kube-dns and the API server live).
fn cluster_ip(sequence: usize) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(10, 96, 1, 1));
    Ipv4Addr::from(base + (sequence as u32 % 0xf_fe00))
}
