//! An EndpointSlice as the endpointslice controller writes it for a Service: owner
//! reference, service-name and managed-by labels, the change-trigger annotation, the
//! controller's managed fields, and endpoints with conditions, node, zone and Pod target.

use super::ids;
use super::service::TARGET_PORT;
use serde_json::{Value, json};

/// One endpoint: an address on a node, with the conditions kube-proxy reads.
#[derive(Clone, Debug)]
pub struct Endpoint {
    address: String,
    node: String,
    ready: bool,
    serving: bool,
    terminating: bool,
    zone: String,
}

impl Endpoint {
    /// A ready endpoint at `address` on `node`.
    pub fn ready(address: impl ToString, node: &str) -> Endpoint {
        Endpoint {
            address: address.to_string(),
            node: node.into(),
            ready: true,
            serving: true,
            terminating: false,
            zone: "zone-a".into(),
        }
    }

    /// Starting or failing its readiness probe: neither ready nor serving.
    pub fn not_ready(address: impl ToString, node: &str) -> Endpoint {
        Endpoint {
            ready: false,
            serving: false,
            ..Endpoint::ready(address, node)
        }
    }

    /// Shutting down but still answering (`serving` while `terminating`).
    pub fn terminating(address: impl ToString, node: &str) -> Endpoint {
        Endpoint {
            ready: false,
            serving: true,
            terminating: true,
            ..Endpoint::ready(address, node)
        }
    }

    /// Its topology zone.
    pub fn zone(mut self, zone: impl Into<String>) -> Endpoint {
        self.zone = zone.into();
        self
    }

    fn build(&self, namespace: &str, pod: &str) -> Value {
        json!({
            "addresses": [self.address],
            "conditions": {"ready": self.ready, "serving": self.serving, "terminating": self.terminating},
            "nodeName": self.node,
            "targetRef": {
                "kind": "Pod",
                "name": pod,
                "namespace": namespace,
                "uid": ids::object_uid("Pod", namespace, pod),
            },
            "zone": self.zone,
        })
    }
}

/// An EndpointSlice of one Service.
#[derive(Clone, Debug)]
pub struct Slice {
    namespace: String,
    service: String,
    name: String,
    address_type: &'static str,
    endpoints: Vec<Endpoint>,
    sequence: usize,
}

impl Slice {
    /// An IPv4 slice of Service `namespace/service`, without endpoints, named as the
    /// controller names it (`<service>-<five letters>`).
    pub fn new(namespace: &str, service: &str) -> Slice {
        let sequence = ids::number(&format!("{namespace}/{service}"));
        Slice {
            namespace: namespace.into(),
            service: service.into(),
            name: format!("{service}-{}", suffix(sequence)),
            address_type: "IPv4",
            endpoints: Vec::new(),
            sequence,
        }
    }

    /// An IPv6 slice instead.
    pub fn ipv6(mut self) -> Slice {
        self.address_type = "IPv6";
        self
    }

    /// Its own name, for a Service with several slices.
    pub fn name(mut self, name: impl Into<String>) -> Slice {
        self.name = name.into();
        self
    }

    /// Adds an endpoint.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Slice {
        self.endpoints.push(endpoint);
        self
    }

    /// Adds endpoints.
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = Endpoint>) -> Slice {
        self.endpoints.extend(endpoints);
        self
    }

    /// Its place in a generated cluster: sets the resource version and times.
    pub fn sequence(mut self, sequence: usize) -> Slice {
        self.sequence = sequence;
        self
    }

    /// The object, as `kubectl get -o json` prints it.
    pub fn build(&self) -> Value {
        let (service, namespace) = (&self.service, &self.namespace);
        let service_uid = ids::object_uid("Service", namespace, service);
        let changed = ids::timestamp(self.sequence as u64 + 30);
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .enumerate()
            .map(|(e, endpoint)| {
                let pod = format!(
                    "{service}-{}-{}",
                    suffix(self.sequence * 31 + 7),
                    suffix(self.sequence * 97 + e)
                );
                endpoint.build(namespace, &pod)
            })
            .collect();
        json!({
            "addressType": self.address_type,
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": endpoints,
            "kind": "EndpointSlice",
            "metadata": {
                "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": changed},
                "creationTimestamp": ids::timestamp(self.sequence as u64),
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
                "name": self.name,
                "namespace": namespace,
                "ownerReferences": [{
                    "apiVersion": "v1",
                    "blockOwnerDeletion": true,
                    "controller": true,
                    "kind": "Service",
                    "name": service,
                    "uid": service_uid,
                }],
                "resourceVersion": (1_000_000 + self.sequence).to_string(),
                "uid": ids::object_uid("EndpointSlice", namespace, &self.name),
            },
            "ports": [{"name": "http", "port": TARGET_PORT, "protocol": "TCP"}],
        })
    }
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
