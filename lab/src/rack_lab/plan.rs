//! The rack of `lab up`, as data: names, addresses, ASNs and Services. The same in every
//! lab instance; the namespaces keep instances apart.
//!
//! ```text
//! rack   10.11.0.0/24, fd00:11::/64  bridge br0 in the ToR: 10.11.0.1, fd00:11::1;
//!        nodeN (eth0): 10.11.0.1N, fd00:11::1N, link-local fe80::1N
//! client 172.16.1.0/24, fd00:16::/64  ToR cl0: .1 / ::1; client eth0: .2 / ::2
//! pools  203.0.113.0/24 (documentation range) and fd00:203::/64 for externalIPs
//! ASNs   ToR 65000, nodeN 6510N (eBGP, one ASN per node, RFC 7938 style)
//! ```

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The ToR's ASN.
pub const TOR_ASN: u32 = 65000;
/// The ToR's address on the rack bridge (also its router ID).
pub const TOR_V4: Ipv4Addr = Ipv4Addr::new(10, 11, 0, 1);
/// The ToR's IPv6 address on the rack bridge.
pub const TOR_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x11, 0, 0, 0, 0, 0, 1);
/// The ToR's address towards the client.
pub const TOR_CLIENT_V4: Ipv4Addr = Ipv4Addr::new(172, 16, 1, 1);
/// The ToR's IPv6 address towards the client.
pub const TOR_CLIENT_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x16, 0, 0, 0, 0, 0, 1);
/// The client's address.
pub const CLIENT_V4: Ipv4Addr = Ipv4Addr::new(172, 16, 1, 2);
/// The client's IPv6 address.
pub const CLIENT_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x16, 0, 0, 0, 0, 0, 2);
/// The IPv4 externalIP pool: the ToR accepts host routes inside it only.
pub const POOL_V4: Ipv4Net = match Ipv4Net::new(Ipv4Addr::new(203, 0, 113, 0), 24) {
    Ok(net) => net,
    Err(_) => panic!("a /24 is a valid prefix"),
};
/// The IPv6 externalIP pool.
pub const POOL_V6: Ipv6Net = match Ipv6Net::new(Ipv6Addr::new(0xfd00, 0x203, 0, 0, 0, 0, 0, 0), 64)
{
    Ok(net) => net,
    Err(_) => panic!("a /64 is a valid prefix"),
};
/// The port every speaker's HTTP listener uses inside its namespace.
pub const SPEAKER_HTTP: &str = "127.0.0.1:9179";
/// The nodes, by index (node1 is 1).
pub const NODES: [u8; 3] = [1, 2, 3];

/// A Kubernetes node of the rack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node(pub u8);

impl Node {
    /// Every node, node1 first.
    pub fn all() -> impl Iterator<Item = Node> {
        NODES.into_iter().map(Node)
    }

    /// `node1` -> node 1; anything else is not a node of the rack.
    pub fn parse(name: &str) -> Option<Node> {
        let n: u8 = name.strip_prefix("node")?.parse().ok()?;
        NODES.contains(&n).then_some(Node(n))
    }

    /// `nodeN`.
    pub fn name(self) -> String {
        format!("node{}", self.0)
    }

    /// 10.11.0.1N: its address on eth0, its BGP session's source and its router ID.
    pub fn v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, 11, 0, 10 + self.0)
    }

    /// fd00:11::1N.
    pub fn v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x11, 0, 0, 0, 0, 0, 0x10 + u16::from(self.0))
    }

    /// fe80::1N: a link-local address that names the node, so next hops read well.
    pub fn link_local(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x10 + u16::from(self.0))
    }

    /// 6510N.
    pub fn asn(self) -> u32 {
        65100 + u32::from(self.0)
    }
}

/// A Service of the rack's cluster (namespace `demo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its name.
    pub name: &'static str,
    /// Its IPv4 externalIP.
    pub v4: Ipv4Addr,
    /// Its IPv6 externalIP.
    pub v6: Ipv6Addr,
    /// The nodes with a ready endpoint when the lab comes up.
    pub initial_nodes: &'static [u8],
}

/// web (endpoints on every node) and api (on node2 and node3).
pub const SERVICES: [Service; 2] = [
    Service {
        name: "web",
        v4: Ipv4Addr::new(203, 0, 113, 10),
        v6: Ipv6Addr::new(0xfd00, 0x203, 0, 0, 0, 0, 0, 0x10),
        initial_nodes: &[1, 2, 3],
    },
    Service {
        name: "api",
        v4: Ipv4Addr::new(203, 0, 113, 20),
        v6: Ipv6Addr::new(0xfd00, 0x203, 0, 0, 0, 0, 0, 0x20),
        initial_nodes: &[2, 3],
    },
];

impl Service {
    /// The Service called `name`.
    pub fn find(name: &str) -> Option<Service> {
        SERVICES.into_iter().find(|s| s.name == name)
    }

    /// Its externalIP of one family.
    pub fn address(&self, ipv6: bool) -> IpAddr {
        if ipv6 {
            IpAddr::V6(self.v6)
        } else {
            IpAddr::V4(self.v4)
        }
    }
}

/// The namespaces of lab `id`: `ka-<id>-tor`, `-node1..3`, `-client`.
#[derive(Clone, Debug)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// The names of lab `id`.
    pub fn new(id: &str) -> Names {
        Names {
            prefix: format!("ka-{id}"),
        }
    }

    /// `ka-<id>`: what every namespace name of this lab starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The ToR's namespace.
    pub fn tor(&self) -> String {
        format!("{}-tor", self.prefix)
    }

    /// The client's namespace.
    pub fn client(&self) -> String {
        format!("{}-client", self.prefix)
    }

    /// A node's namespace.
    pub fn node(&self, node: Node) -> String {
        format!("{}-{}", self.prefix, node.name())
    }

    /// Every namespace, in creation order (the ToR first).
    pub fn all(&self) -> Vec<String> {
        let mut all = vec![self.tor()];
        all.extend(Node::all().map(|n| self.node(n)));
        all.push(self.client());
        all
    }
}

#[cfg(test)]
mod tests;
