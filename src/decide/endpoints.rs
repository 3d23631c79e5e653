//! What the EndpointSlices of a Service say about one address family (SPEC section 4.4).

use crate::cluster::objects::{AddressFamily, SliceInfo};
use std::collections::HashMap;
use std::net::IpAddr;

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The endpoint facts the announce rules need, for one Service and one family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointSummary {
    /// A ready endpoint runs on this node.
    pub local_ready: bool,
    /// A serving and terminating endpoint runs on this node.
    pub local_serving_terminating: bool,
    /// A ready endpoint runs somewhere.
    pub any_ready: bool,
    /// A serving and terminating endpoint runs somewhere.
    pub any_serving_terminating: bool,
    /// How many ready endpoints run on this node (weighted anycast, `weight.rs`).
    pub local_ready_count: u32,
}

impl EndpointSummary {
    /// True when traffic sent to this node would reach a usable local endpoint: a ready
    /// one, or, while no ready endpoint exists anywhere, a serving terminating one (the
    /// kube-proxy fallback that keeps a rolling restart from blackholing).
    pub fn locally_usable(&self) -> bool {
        self.local_ready || (!self.any_ready && self.local_serving_terminating)
    }

    /// True when some endpoint anywhere can take traffic.
    pub fn usable_anywhere(&self) -> bool {
        self.any_ready || self.any_serving_terminating
    }
}

/// Conditions of one endpoint address after de-duplication.
#[derive(Clone, Copy, Debug, Default)]
struct Conditions {
    ready: bool,
    serving: bool,
    terminating: bool,
    local: bool,
}

/// The summary for one Service's endpoints of one family, seen from `node_name`.
pub fn summarize<'a>(
    slices: impl IntoIterator<Item = &'a SliceInfo>,
    family: AddressFamily,
    node_name: &str,
) -> EndpointSummary {
    let mut endpoints: HashMap<IpAddr, Conditions> = HashMap::new();
    for slice in slices {
        if slice.family != family {
            continue;
        }
        for endpoint in &slice.endpoints {
            // SPEC 4.4's defaults for missing conditions were applied when the slice was read.
            let local = endpoint.node.as_deref() == Some(node_name);
            for address in &endpoint.addresses {
                // The same address in two slices (a slice being replaced) is one
                // endpoint; its best report wins, so a transient copy cannot hide it.
                let e = endpoints.entry(*address).or_default();
                e.ready |= endpoint.ready;
                e.serving |= endpoint.serving;
                e.terminating |= endpoint.terminating && !endpoint.ready;
                e.local |= local;
            }
        }
    }
    let mut s = EndpointSummary::default();
    for c in endpoints.values() {
        let serving_terminating = c.serving && c.terminating && !c.ready;
        s.any_ready |= c.ready;
        s.any_serving_terminating |= serving_terminating;
        s.local_ready |= c.ready && c.local;
        s.local_ready_count += u32::from(c.ready && c.local);
        s.local_serving_terminating |= serving_terminating && c.local;
    }
    s
}
