//! A top-of-rack FRR's BGP configuration for anycast host routes, rendered from one
//! description: the lab rack's ToR (`lab up frr`) and the containerlab testbed's routers
//! (`testbed/containerlab/frr/*/frr.conf`, checked by `lab/tests/containerlab_frr.rs`).
//!
//! The policy is the same everywhere: from the nodes, only host routes (/32, /128) inside
//! the anycast pools; to the nodes, nothing; every node's path in one ECMP group.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// The peer group every node belongs to.
const GROUP: &str = "NODES";

/// How the nodes become neighbors.
#[derive(Clone, Debug)]
pub enum TorNodes {
    /// One `neighbor` per node, each with its own ASN.
    Listed(Vec<TorNode>),
    /// Any node of `range` may connect (`bgp listen range`), all in `remote_as`.
    ListenRange {
        /// The rack segment.
        range: IpNet,
        /// The nodes' ASN.
        remote_as: u32,
        /// `bgp listen limit`.
        limit: u32,
    },
}

/// A listed node.
#[derive(Clone, Debug)]
pub struct TorNode {
    /// Its address.
    pub address: IpAddr,
    /// Its ASN.
    pub asn: u32,
    /// Its name (`description`).
    pub name: String,
}

/// The BGP side of a ToR.
#[derive(Clone, Debug)]
pub struct TorBgp {
    /// `hostname`.
    pub hostname: String,
    /// Local ASN.
    pub asn: u32,
    /// BGP identifier.
    pub router_id: Ipv4Addr,
    /// The IPv4 anycast pool.
    pub pool_v4: Ipv4Net,
    /// The IPv6 anycast pool.
    pub pool_v6: Ipv6Net,
    /// The nodes.
    pub nodes: TorNodes,
    /// TCP-MD5 password of the group.
    pub password: Option<String>,
    /// Wait for the nodes to connect (`neighbor NODES passive`).
    pub passive: bool,
    /// Hold time in seconds; the keepalive is a third of it.
    pub hold_time: u16,
    /// `bgp graceful-restart` (full restart support, not only the helper).
    pub graceful_restart: bool,
    /// The BFD profile of the group (`neighbor NODES bfd profile P`), when BFD is on.
    pub bfd_profile: Option<String>,
    /// `maximum-paths` per family.
    pub maximum_paths: u16,
}

/// An interface of an integrated `frr.conf`.
#[derive(Clone, Debug)]
pub struct TorInterface {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// Its addresses.
    pub addresses: Vec<IpNet>,
}

impl TorBgp {
    /// The pool prefix-lists and the route-maps that use them.
    fn policy(&self, c: &mut String) {
        let _ = writeln!(
            c,
            "! The anycast pool: only host routes (/32, /128) inside it are accepted."
        );
        let _ = writeln!(
            c,
            "ip prefix-list ANYCAST-V4 seq 10 permit {} ge 32",
            self.pool_v4
        );
        let _ = writeln!(
            c,
            "ipv6 prefix-list ANYCAST-V6 seq 10 permit {} ge 128",
            self.pool_v6
        );
        let _ = writeln!(c, "!");
        for (family, ip) in [("V4", "ip"), ("V6", "ipv6")] {
            let _ = writeln!(c, "route-map FROM-NODES-{family} permit 10");
            let _ = writeln!(c, " match {ip} address prefix-list ANYCAST-{family}");
            let _ = writeln!(c, "exit\n!");
        }
        let _ = writeln!(
            c,
            "! kube-anycast installs nothing it receives; send it nothing."
        );
        let _ = writeln!(c, "route-map TO-NODES deny 10\nexit\n!");
    }

    /// `router bgp` and its address families.
    fn router(&self, c: &mut String) {
        let _ = writeln!(c, "router bgp {}", self.asn);
        let _ = writeln!(c, " bgp router-id {}", self.router_id);
        let _ = writeln!(c, " bgp log-neighbor-changes");
        let _ = writeln!(
            c,
            " ! Nodes may sit in different AS numbers: still one ECMP group."
        );
        let _ = writeln!(c, " bgp bestpath as-path multipath-relax");
        if self.graceful_restart {
            let _ = writeln!(c, " bgp graceful-restart");
        }
        let _ = writeln!(c, " neighbor {GROUP} peer-group");
        if let TorNodes::ListenRange { remote_as, .. } = &self.nodes {
            let _ = writeln!(c, " neighbor {GROUP} remote-as {remote_as}");
        }
        if let Some(p) = &self.password {
            let _ = writeln!(c, " neighbor {GROUP} password {p}");
        }
        if self.passive {
            let _ = writeln!(c, " neighbor {GROUP} passive");
        }
        let _ = writeln!(
            c,
            " neighbor {GROUP} timers {} {}",
            self.hold_time / 3,
            self.hold_time
        );
        if let Some(profile) = &self.bfd_profile {
            let _ = writeln!(c, " neighbor {GROUP} bfd");
            let _ = writeln!(c, " neighbor {GROUP} bfd profile {profile}");
        }
        match &self.nodes {
            TorNodes::Listed(nodes) => {
                for n in nodes {
                    let _ = writeln!(c, " neighbor {} remote-as {}", n.address, n.asn);
                    let _ = writeln!(c, " neighbor {} peer-group {GROUP}", n.address);
                    let _ = writeln!(c, " neighbor {} description {}", n.address, n.name);
                }
            }
            TorNodes::ListenRange { range, limit, .. } => {
                let _ = writeln!(
                    c,
                    " ! Any node of the rack segment may connect (kube-anycast peers are active)."
                );
                let _ = writeln!(c, " bgp listen range {range} peer-group {GROUP}");
                let _ = writeln!(c, " bgp listen limit {limit}");
            }
        }
        let paths = self.maximum_paths;
        for (afi, family) in [("ipv4", "V4"), ("ipv6", "V6")] {
            let _ = write!(
                c,
                " !
 address-family {afi} unicast
  neighbor {GROUP} activate
  neighbor {GROUP} route-map FROM-NODES-{family} in
  neighbor {GROUP} route-map TO-NODES out
  maximum-paths {paths}
 exit-address-family
"
            );
        }
        let _ = writeln!(c, "exit\n!");
    }

    /// The lines every configuration of this ToR starts with: the datacenter defaults,
    /// the host name and where it logs (`log` as after `log`).
    fn preamble(&self, c: &mut String, log: &str) {
        let _ = writeln!(c, "frr defaults datacenter");
        let _ = writeln!(c, "hostname {}", self.hostname);
        let _ = writeln!(c, "log {log}");
    }

    /// bgpd.conf for bgpd started on its own (the lab), logging to `log`.
    pub fn bgpd_conf(&self, log: &str) -> String {
        let mut c = String::new();
        self.preamble(&mut c, &format!("file {log}"));
        let _ = writeln!(c, "!");
        self.policy(&mut c);
        self.router(&mut c);
        c
    }

    /// An integrated `frr.conf` (as in an FRR container): `comment` lines first, then
    /// the version, the interfaces and the BGP configuration.
    pub fn frr_conf(&self, comment: &[&str], version: &str, interfaces: &[TorInterface]) -> String {
        let mut c = String::new();
        for line in comment {
            let _ = writeln!(c, "! {line}");
        }
        let _ = writeln!(c, "frr version {version}");
        self.preamble(&mut c, "stdout informational");
        let _ = writeln!(c, "service integrated-vtysh-config");
        let _ = writeln!(c, "!");
        for i in interfaces {
            let _ = writeln!(c, "interface {}", i.name);
            let _ = writeln!(c, " description {}", i.description);
            for a in &i.addresses {
                let ip = if matches!(a, IpNet::V6(_)) {
                    "ipv6"
                } else {
                    "ip"
                };
                let _ = writeln!(c, " {ip} address {a}");
            }
            let _ = writeln!(c, "exit\n!");
        }
        self.policy(&mut c);
        self.router(&mut c);
        c
    }
}

/// bfdd.conf with one profile, for `neighbor ... bfd profile`.
pub fn bfdd_conf(
    hostname: &str,
    log: &str,
    profile: &str,
    interval_ms: u32,
    multiplier: u8,
) -> String {
    format!(
        "hostname {hostname}\nlog file {log}\nbfd\n profile {profile}\n  transmit-interval {interval_ms}\n  receive-interval {interval_ms}\n  detect-multiplier {multiplier}\n"
    )
}
