//! The Node the daemon runs on, as the kubelet and the node controllers keep it: labels,
//! annotations, pod CIDR, and a status with capacity, conditions, addresses, the image
//! list and node info. The image list is most of a real Node's bytes.

use super::{StringMap, extend, field_keys, ids};
use serde_json::{Value, json};

/// Images a typical worker node has pulled: (names, size in bytes).
const IMAGES: [(&str, u64); 14] = [
    ("registry.k8s.io/kube-proxy", 30_254_416),
    ("registry.k8s.io/coredns/coredns", 18_562_039),
    ("registry.k8s.io/pause", 320_368),
    ("docker.io/calico/node", 117_567_456),
    ("docker.io/calico/cni", 94_413_287),
    ("quay.io/prometheus/node-exporter", 11_683_018),
    ("registry.k8s.io/ingress-nginx/controller", 105_449_220),
    ("docker.io/library/nginx", 71_063_542),
    ("docker.io/library/redis", 45_218_906),
    ("docker.io/grafana/promtail", 80_212_338),
    ("registry.k8s.io/metrics-server/metrics-server", 19_495_314),
    ("ghcr.io/kube-anycast/kube-anycast", 9_812_004),
    ("docker.io/library/postgres", 153_778_640),
    ("quay.io/jetstack/cert-manager-controller", 21_894_172),
];

/// A Node to print.
#[derive(Clone, Debug)]
pub struct Node {
    name: String,
    labels: StringMap,
    taints: Vec<Value>,
    ready: bool,
}

impl Node {
    /// A Ready worker Node named `name`, with the labels the kubelet and the cloud set.
    pub fn new(name: &str) -> Node {
        let mut labels = StringMap::new();
        extend(
            &mut labels,
            &json!({
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "m5.xlarge",
                "topology.kubernetes.io/region": "eu-west-1",
                "topology.kubernetes.io/zone": "zone-a",
            }),
        );
        Node {
            name: name.into(),
            labels,
            taints: Vec::new(),
            ready: true,
        }
    }

    /// Adds the labels of a JSON object.
    pub fn labels(mut self, labels: Value) -> Node {
        extend(&mut self.labels, &labels);
        self
    }

    /// Adds a taint (`effect`: NoSchedule, PreferNoSchedule or NoExecute).
    pub fn taint(mut self, key: &str, effect: &str) -> Node {
        self.taints.push(json!({"key": key, "effect": effect}));
        self
    }

    /// Its Ready condition: `false` is a node the kubelet reports NotReady.
    pub fn ready(mut self, ready: bool) -> Node {
        self.ready = ready;
        self
    }

    /// The object, as `kubectl get -o json` prints it.
    pub fn build(&self) -> Value {
        build(self)
    }
}

fn build(node: &Node) -> Value {
    let name = node.name.as_str();
    let created = ids::timestamp(0);
    let heartbeat = ids::timestamp(86_400 * 4);
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": created,
            "message": message, "reason": reason, "status": status, "type": kind,
        })
    };
    let images: Vec<Value> = IMAGES
        .iter()
        .enumerate()
        .map(|(i, (image, size))| {
            json!({
                "names": [
                    format!("{image}@sha256:{}", ids::uid(image, i).replace('-', "").repeat(2)),
                    format!("{image}:v1.{i}.0"),
                ],
                "sizeBytes": size,
            })
        })
        .collect();
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "csi.volume.kubernetes.io/nodeid": format!("{{\"csi.tigera.io\":\"{name}\"}}"),
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "projectcalico.org/IPv4Address": "10.77.0.2/24",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "creationTimestamp": created,
            "labels": node.labels,
            "managedFields": [
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {
                        "f:annotations": {".": {}, "f:kubeadm.alpha.kubernetes.io/cri-socket": {}, "f:volumes.kubernetes.io/controller-managed-attach-detach": {}},
                        "f:labels": field_keys(&node.labels),
                    }},
                    "manager": "kubelet",
                    "operation": "Update",
                    "time": created,
                },
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:annotations": {"f:node.alpha.kubernetes.io/ttl": {}}},
                        "f:spec": {"f:podCIDR": {}, "f:podCIDRs": {".": {}, "v:\"10.244.0.0/16\"": {}}},
                    },
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "time": created,
                },
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {
                        "f:conditions": {
                            "k:{\"type\":\"DiskPressure\"}": {"f:lastHeartbeatTime": {}},
                            "k:{\"type\":\"MemoryPressure\"}": {"f:lastHeartbeatTime": {}},
                            "k:{\"type\":\"PIDPressure\"}": {"f:lastHeartbeatTime": {}},
                            "k:{\"type\":\"Ready\"}": {"f:lastHeartbeatTime": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}},
                        },
                        "f:images": {},
                        "f:nodeInfo": {"f:bootID": {}, "f:kernelVersion": {}},
                    }},
                    "manager": "kubelet",
                    "operation": "Update",
                    "subresource": "status",
                    "time": heartbeat,
                },
            ],
            "name": name,
            "resourceVersion": "2000000",
            "uid": ids::object_uid("Node", "", name),
        },
        "spec": {"podCIDR": "10.244.0.0/16", "podCIDRs": ["10.244.0.0/16"], "providerID": format!("aws:///eu-west-1a/i-0{}", &ids::uid(name, 0)[..16])},
        "status": {
            "addresses": [
                {"address": "10.77.0.2", "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": {"cpu": "4", "ephemeral-storage": "96143180846", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "15928128Ki", "pods": "110"},
            "capacity": {"cpu": "4", "ephemeral-storage": "104322028Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "16030528Ki", "pods": "110"},
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                if node.ready {
                    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status. AppArmor enabled")
                } else {
                    condition("Ready", "False", "KubeletNotReady", "container runtime network not ready")
                },
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": images,
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": ids::uid("boot", 0),
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.1.0-27-cloud-amd64",
                "kubeProxyVersion": "v1.33.2",
                "kubeletVersion": "v1.33.2",
                "machineID": ids::uid("machine", 0).replace('-', ""),
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": ids::uid("system", 0),
            },
        },
    });
    // A Node without taints has no `taints` field at all.
    if !node.taints.is_empty() {
        object["spec"]["taints"] = json!(node.taints);
    }
    object
}
