//! The cluster of the end-to-end rack: two dual-stack Services and where their endpoints
//! are, rendered as the manifests file every speaker watches. Pure: the state in, the
//! Kubernetes objects out.

use ipnet::IpNet;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A Service of the rack, with an IPv4 and an IPv6 externalIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// `demo/web`: 203.0.113.10 and fd00:203::10, endpoints on every node at first. The
    /// client's requests go to it.
    Web,
    /// `demo/api`: 203.0.113.20 and fd00:203::20, endpoints on node2 and node3 at first.
    Api,
}

impl Service {
    /// Both Services.
    pub const ALL: [Service; 2] = [Service::Web, Service::Api];

    /// Its name in the `demo` namespace.
    pub fn name(self) -> &'static str {
        match self {
            Service::Web => "web",
            Service::Api => "api",
        }
    }

    /// Its IPv4 externalIP.
    pub fn address4(self) -> Ipv4Addr {
        match self {
            Service::Web => Ipv4Addr::new(203, 0, 113, 10),
            Service::Api => Ipv4Addr::new(203, 0, 113, 20),
        }
    }

    /// Its externalIP of one family: the IPv6 one ends like the IPv4 one
    /// (`fd00:203::10`, `fd00:203::20`).
    pub fn address(self, ipv6: bool) -> IpAddr {
        let v4 = self.address4();
        if ipv6 {
            let last = u16::from_str_radix(&v4.octets()[3].to_string(), 16).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0x203, 0, 0, 0, 0, 0, last))
        } else {
            IpAddr::V4(v4)
        }
    }

    /// The host route a node announces for it (/32 or /128).
    pub fn prefix(self, ipv6: bool) -> IpNet {
        IpNet::from(self.address(ipv6))
    }

    /// Both host routes.
    pub fn prefixes(self) -> [IpNet; 2] {
        [self.prefix(false), self.prefix(true)]
    }

    /// The nodes (node1 is 0) with a ready endpoint when the rack starts.
    fn initial_nodes(self, nodes: usize) -> std::ops::Range<usize> {
        match self {
            Service::Web => 0..nodes,
            Service::Api => 1..nodes,
        }
    }
}

/// An endpoint's life, as its EndpointSlice conditions show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointState {
    /// `ready: true`.
    Ready,
    /// The pod is shutting down: `ready: false, serving: true, terminating: true`.
    Terminating,
    /// The endpoint is no longer in the slice.
    Gone,
}

/// Where every Service has endpoints.
#[derive(Clone, Debug)]
pub struct Cluster {
    nodes: usize,
    endpoints: BTreeMap<(Service, usize), EndpointState>,
}

impl Cluster {
    /// web ready on every node, api ready on every node but node1.
    pub fn new(nodes: usize) -> Cluster {
        let endpoints = Service::ALL
            .iter()
            .flat_map(|s| {
                s.initial_nodes(nodes)
                    .map(|n| ((*s, n), EndpointState::Ready))
            })
            .collect();
        Cluster { nodes, endpoints }
    }

    /// Moves the endpoint of `service` on node `node` (node1 is 0) to `state`.
    pub fn set(&mut self, node: usize, service: Service, state: EndpointState) {
        self.endpoints.insert((service, node), state);
    }

    /// The state of the endpoint of `service` on `node`.
    pub fn state(&self, node: usize, service: Service) -> EndpointState {
        self.endpoints
            .get(&(service, node))
            .copied()
            .unwrap_or(EndpointState::Gone)
    }

    /// The cluster as one `kind: List`: the Nodes, each Service (dual stack) and one
    /// EndpointSlice per Service and family. Pod addresses are made up: only the node and
    /// the conditions matter to the speakers.
    pub fn manifests(&self) -> Value {
        let mut items: Vec<Value> = (1..=self.nodes)
            .map(|n| json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node{n}")}}))
            .collect();
        for service in Service::ALL {
            items.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": service.name(), "namespace": "demo"},
                "spec": {"type": "ClusterIP", "ipFamilyPolicy": "RequireDualStack",
                    "externalIPs": [service.address(false).to_string(), service.address(true).to_string()],
                    "ports": [{"port": 80, "protocol": "TCP"}]}}));
            for ipv6 in [false, true] {
                items.push(self.slice(service, ipv6));
            }
        }
        json!({"apiVersion": "v1", "kind": "List", "items": items})
    }

    fn slice(&self, service: Service, ipv6: bool) -> Value {
        let family = if ipv6 { "IPv6" } else { "IPv4" };
        let endpoints: Vec<Value> = (0..self.nodes)
            .filter_map(|node| {
                let conditions = match self.state(node, service) {
                    EndpointState::Ready => {
                        json!({"ready": true, "serving": true, "terminating": false})
                    }
                    EndpointState::Terminating => {
                        json!({"ready": false, "serving": true, "terminating": true})
                    }
                    EndpointState::Gone => return None,
                };
                let n = node + 1;
                let address = if ipv6 {
                    format!("fd00:244:{n}::1")
                } else {
                    format!("10.244.{n}.1")
                };
                Some(
                    json!({"addresses": [address], "nodeName": format!("node{n}"),
                    "conditions": conditions}),
                )
            })
            .collect();
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{}-{}", service.name(), family.to_lowercase()),
                "namespace": "demo",
                "labels": {"kubernetes.io/service-name": service.name()}},
            "addressType": family, "ports": [{"port": 80, "protocol": "TCP"}],
            "endpoints": endpoints})
    }
}

#[cfg(test)]
mod tests;
