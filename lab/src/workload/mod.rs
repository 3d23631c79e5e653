//! Kubernetes objects at scale, shaped exactly as `kubectl get svc,endpointslices,nodes -A
//! -o json` prints them from a real cluster: managed fields, the last-applied annotation,
//! status, Pod target references and a full Node. A benchmark fed bare objects would
//! measure a parser and a store that never see what a cluster really sends.
//!
//! The same objects feed the manifests source (written as one `kind: List` file) and the
//! fake API server (applied one by one), so both sources see the same cluster. Output is
//! deterministic: the same [`Spec`] always gives the same bytes, so runs compare.
//!
//! Addresses: externalIPs are numbered from [`EXTERNAL_POOL`] (100.64.0.0/10, room for
//! four million), cluster IPs from 10.96.0.0/12, Pod IPs from 10.244.0.0/16 per node.

mod output;

pub use output::{Format, Summary, write};

use crate::objects::{Endpoint, Node, Service, Slice};
use serde_json::Value;
use std::net::Ipv4Addr;

/// The externalIP range of every workload; the bench daemon's `allowed_cidrs`.
pub const EXTERNAL_POOL: &str = "100.64.0.0/10";

/// The namespace every generated Service and EndpointSlice lives in.
pub const NAMESPACE: &str = "bench";

/// The other nodes endpoints are spread over (besides [`Spec::node`]).
pub const OTHER_NODES: [&str; 2] = ["node-b", "node-c"];

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// How many Services (each with one EndpointSlice).
    pub services: usize,
    /// externalIPs per Service.
    pub ips_per_service: usize,
    /// Endpoints per slice: the first on [`Spec::node`], the others on [`OTHER_NODES`]
    /// in turn. All ready.
    pub endpoints: usize,
    /// The node the daemon under test runs as; the only Node object generated.
    pub node: String,
}

impl Spec {
    /// Workload A: `routes / 10` Services of 10 externalIPs, 3 endpoints each.
    pub fn workload_a(routes: usize, node: &str) -> Spec {
        Spec {
            services: routes.div_ceil(10),
            ips_per_service: 10,
            endpoints: 3,
            node: node.to_string(),
        }
    }

    /// Workload B: the same routes from one Service.
    pub fn workload_b(routes: usize, node: &str) -> Spec {
        Spec {
            services: 1,
            ips_per_service: routes,
            endpoints: 3,
            node: node.to_string(),
        }
    }

    /// Workload C: one Service (and one slice of 3 endpoints) per route, the shape of a
    /// cluster of many small Services, where the per-object costs show.
    pub fn workload_c(routes: usize, node: &str) -> Spec {
        Spec {
            services: routes,
            ips_per_service: 1,
            endpoints: 3,
            node: node.to_string(),
        }
    }

    /// How many distinct externalIPs (host routes) the workload announces.
    pub fn routes(&self) -> usize {
        self.services * self.ips_per_service
    }

    /// Every externalIP of the workload, in order.
    pub fn external_ips(&self) -> impl Iterator<Item = Ipv4Addr> + use<> {
        (0..self.routes()).map(external_ip)
    }

    /// The Services, then the EndpointSlices, then the Node: kubectl's order for
    /// `get svc,endpointslices,nodes`. Built one at a time, so 100,000 routes never sit
    /// in memory as a whole.
    pub fn objects(&self) -> impl Iterator<Item = Value> + '_ {
        let services = (0..self.services).map(|i| self.service(i).build());
        let slices = (0..self.services).map(|i| self.slice(i).build());
        services
            .chain(slices)
            .chain(std::iter::once_with(|| Node::new(&self.node).build()))
    }

    /// Service `index`.
    pub fn service(&self, index: usize) -> Service {
        let name = self.service_name(index);
        Service::new(NAMESPACE, &name)
            .labels(serde_json::json!({"app": name}))
            .external_ips(self.service_ips(index))
            .sequence(index)
    }

    /// The EndpointSlice of Service `index`: endpoint 0 on [`Spec::node`], the others on
    /// [`OTHER_NODES`] in turn, all ready.
    pub fn slice(&self, index: usize) -> Slice {
        let endpoints = (0..self.endpoints).map(|e| {
            let (node, node_index) = if e == 0 {
                (self.node.as_str(), 0)
            } else {
                let k = (e - 1) % OTHER_NODES.len();
                (OTHER_NODES[k], k + 1)
            };
            Endpoint::ready(pod_ip(index, node_index), node).zone(zone(node_index))
        });
        Slice::new(NAMESPACE, &self.service_name(index))
            .sequence(index)
            .endpoints(endpoints)
    }

    /// The name of Service `index` (its slice is named after it).
    pub fn service_name(&self, index: usize) -> String {
        format!("web-{index:06}")
    }

    /// The externalIPs of Service `index`.
    pub fn service_ips(&self, index: usize) -> Vec<Ipv4Addr> {
        let first = index * self.ips_per_service;
        (first..first + self.ips_per_service)
            .map(external_ip)
            .collect()
    }
}

/// The `index`th address of [`EXTERNAL_POOL`], skipping .0 so no address looks like a
/// network.
pub fn external_ip(index: usize) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(100, 64, 0, 0));
    // The pool holds 2^22 addresses; wrap rather than leave it.
    let offset = (index as u32 + 1) & 0x3f_ffff;
    Ipv4Addr::from(base + offset)
}

/// The IP of the Pod behind Service `index` on node number `node_index`: each node owns
/// a /16 from 10.244.0.0/14 as its pod CIDR.
fn pod_ip(index: usize, node_index: usize) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(10, 244, 0, 2)) + ((node_index as u32 & 3) << 16);
    Ipv4Addr::from(base + (index as u32 % 0xfff0))
}

/// The zone of node number `node_index`.
pub fn zone(node_index: usize) -> String {
    format!("zone-{}", (b'a' + (node_index % 3) as u8) as char)
}

#[cfg(test)]
mod tests;
