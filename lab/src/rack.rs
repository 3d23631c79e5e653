//! A rack in network namespaces for the daemon's end-to-end tests: one ToR namespace
//! routing between node namespaces and a client namespace, each on its own /24 veth link
//! (`10.<subnet>.<link>.1` on the ToR, `.2` on the far end), with the anycast address on
//! every node's loopback as kube-proxy makes it local. Nothing runs in it yet; the tests
//! start the router, the speakers and the responders.
//!
//! In a [`StarRack::switched`] rack the ToR's ends of the node links are ports of one
//! bridge holding the gateway addresses, as the VLAN interface of a real ToR faces a
//! switch: when a node's link goes down, the ToR's interface stays up and only a protocol
//! (BFD, the hold timer) can tell. With plain veths the ToR sees the carrier drop and
//! reacts to that alone.
//!
//! Every namespace is deleted on drop, only those this rack created; names are unique per
//! process and rack, so racks of parallel tests never collide.

use crate::process::{Daemon, must, run};
use crate::{CONVERGE, remove_lab_dir, wait_until};
use ipnet::IpNet;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// The ToR's AS. Node `n` (1-based) is AS `TOR_ASN + n`: every session is eBGP, and the
/// ToR needs multipath-relax to put the nodes' paths into one ECMP group.
pub const TOR_ASN: u32 = 65000;

/// The port every node's responder answers on.
pub const RESPONDER_PORT: u16 = 8080;

/// The namespaces of one rack: deleted on drop, only those it created.
struct Namespaces {
    base: String,
    created: Vec<String>,
}

impl Namespaces {
    fn add(&mut self, role: &str) -> String {
        let ns = format!("{}{role}", self.base);
        must("ip", &["netns", "add", &ns]);
        self.created.push(ns.clone());
        must("ip", &["-n", &ns, "link", "set", "lo", "up"]);
        ns
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in self.created.drain(..).rev() {
            let _ = run("ip", &["netns", "del", &ns]);
        }
    }
}

/// Adds the bridge of a switched rack to the ToR namespace with a stub port (one end of
/// a veth pair whose other end stays in the namespace, up): a bridge has carrier while
/// one of its ports does, so the node links can all go down and the gateway addresses
/// stay up. Returns the bridge's name.
fn add_switch(tor: &str) -> String {
    let (bridge, stub, stub_peer) = (format!("{tor}sw"), format!("{tor}s0"), format!("{tor}s1"));
    must("ip", &["-n", tor, "link", "add", &bridge, "type", "bridge"]);
    must(
        "ip",
        &[
            "-n", tor, "link", "add", &stub, "type", "veth", "peer", "name", &stub_peer,
        ],
    );
    must("ip", &["-n", tor, "link", "set", &stub, "master", &bridge]);
    for link in [&stub, &stub_peer, &bridge] {
        must("ip", &["-n", tor, "link", "set", link, "up"]);
    }
    bridge
}

/// Sets one sysctl inside a namespace.
pub fn sysctl(ns: &str, setting: &str) {
    must("ip", &["netns", "exec", ns, "sysctl", "-qw", setting]);
}

/// The ToR, the nodes and a client, wired and addressed.
pub struct StarRack {
    /// The ToR's namespace.
    pub tor: String,
    /// The nodes' namespaces, node1 first.
    pub nodes: Vec<String>,
    /// The client's namespace (the link after the last node's).
    pub client: String,
    subnet: u8,
    // Last: the namespaces go after every process started in them.
    namespaces: Namespaces,
}

/// How the ToR's ends of the node links are attached.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TorPorts {
    /// Each ToR end is a routed interface holding its gateway address.
    Routed,
    /// Every ToR end is a port of one bridge, which holds the gateway addresses and
    /// stays up whatever a node does to its link.
    Switched,
}

impl StarRack {
    /// Builds a rack of `nodes` nodes on `10.<subnet>.0.0/16`; `prefix` (two letters) names
    /// its namespaces; `anycast` goes on every node's loopback.
    pub fn new(prefix: &str, nodes: usize, subnet: u8, anycast: Ipv4Addr) -> StarRack {
        StarRack::build(prefix, nodes, subnet, anycast, TorPorts::Routed)
    }

    /// Like [`StarRack::new`], with the nodes behind a switch: the ToR's ends of the node
    /// links are ports of one bridge (kept up by a stub port of its own), so a node's link
    /// going down is no event on the ToR.
    pub fn switched(prefix: &str, nodes: usize, subnet: u8, anycast: Ipv4Addr) -> StarRack {
        StarRack::build(prefix, nodes, subnet, anycast, TorPorts::Switched)
    }

    fn build(
        prefix: &str,
        nodes: usize,
        subnet: u8,
        anycast: Ipv4Addr,
        ports: TorPorts,
    ) -> StarRack {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut namespaces = Namespaces {
            base: format!("{prefix}{}x{id}", std::process::id()),
            created: Vec::new(),
        };
        let tor = namespaces.add("t");
        let nodes: Vec<String> = (1..=nodes)
            .map(|n| namespaces.add(&format!("n{n}")))
            .collect();
        let client = namespaces.add("c");
        // Forwarding, a hash on the L4 5-tuple so connections spread over the next hops,
        // and no reverse path filter (replies come back over any node).
        for s in [
            "net.ipv4.ip_forward=1",
            "net.ipv4.fib_multipath_hash_policy=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ] {
            sysctl(&tor, s);
        }
        let switch = (ports == TorPorts::Switched).then(|| add_switch(&tor));
        for (i, ns) in nodes.iter().chain([&client]).enumerate() {
            let n = i + 1;
            let (tor_if, far_if) = (format!("{tor}{n}"), format!("{}{n}", namespaces.base));
            must(
                "ip",
                &[
                    "link", "add", &tor_if, "netns", &tor, "type", "veth", "peer", "name", &far_if,
                    "netns", ns,
                ],
            );
            let gateway = format!("10.{subnet}.{n}.1");
            let (tor_addr, far_addr) = (format!("{gateway}/24"), format!("10.{subnet}.{n}.2/24"));
            let gateway_if = match &switch {
                Some(bridge) if i < nodes.len() => {
                    must(
                        "ip",
                        &["-n", &tor, "link", "set", &tor_if, "master", bridge],
                    );
                    bridge.as_str()
                }
                _ => tor_if.as_str(),
            };
            must(
                "ip",
                &["-n", &tor, "addr", "add", &tor_addr, "dev", gateway_if],
            );
            must("ip", &["-n", ns, "addr", "add", &far_addr, "dev", &far_if]);
            must("ip", &["-n", &tor, "link", "set", &tor_if, "up"]);
            must("ip", &["-n", ns, "link", "set", &far_if, "up"]);
            must(
                "ip",
                &["-n", ns, "route", "add", "default", "via", &gateway],
            );
        }
        let anycast = format!("{anycast}/32");
        for ns in &nodes {
            must("ip", &["-n", ns, "addr", "add", &anycast, "dev", "lo"]);
        }
        StarRack {
            tor,
            nodes,
            client,
            subnet,
            namespaces,
        }
    }

    /// What names this rack's namespaces (and so its files and logs).
    pub fn base(&self) -> &str {
        &self.namespaces.base
    }

    /// The ToR's interface towards node `i` (node1 is 0; the client's is `nodes.len()`).
    pub fn tor_interface(&self, i: usize) -> String {
        format!("{}{}", self.tor, i + 1)
    }

    /// Adds IPv6 to every link (`fd00:<subnet>:<link>::1/64` on the ToR, `::2` on the far
    /// end, no DAD so they are usable at once), IPv6 forwarding with the same L4 hash, and
    /// the default routes; the rack then routes both families.
    pub fn add_ipv6(&self, subnet: u8) {
        for s in [
            "net.ipv6.conf.all.forwarding=1",
            "net.ipv6.fib_multipath_hash_policy=1",
        ] {
            sysctl(&self.tor, s);
        }
        for (i, ns) in self.nodes.iter().chain([&self.client]).enumerate() {
            let gateway = Self::link_address6(subnet, i, 1);
            let (tor_addr, far_addr) = (
                format!("{gateway}/64"),
                format!("{}/64", Self::link_address6(subnet, i, 2)),
            );
            let (tor_if, far_if) = (self.tor_interface(i), format!("{}{}", self.base(), i + 1));
            must(
                "ip",
                &[
                    "-n", &self.tor, "addr", "add", &tor_addr, "dev", &tor_if, "nodad",
                ],
            );
            must(
                "ip",
                &["-n", ns, "addr", "add", &far_addr, "dev", &far_if, "nodad"],
            );
            let gateway = gateway.to_string();
            must(
                "ip",
                &["-n", ns, "-6", "route", "add", "default", "via", &gateway],
            );
        }
    }

    /// Puts `address` on every node's loopback, as kube-proxy makes an externalIP local.
    pub fn add_to_loopbacks(&self, address: IpNet) {
        let address = address.to_string();
        for ns in &self.nodes {
            must("ip", &["-n", ns, "addr", "add", &address, "dev", "lo"]);
        }
    }

    /// The IPv6 address of `end` (1: the ToR, 2: the far end) on link `i` (node1 is 0), as
    /// [`StarRack::add_ipv6`] numbers them.
    pub fn link_address6(subnet: u8, i: usize, end: u16) -> Ipv6Addr {
        let link = u16::try_from(i + 1).unwrap_or(u16::MAX);
        Ipv6Addr::new(0xfd00, u16::from(subnet), link, 0, 0, 0, 0, end)
    }

    /// Node `i`'s end of its link (node1 is 0), in the node's namespace.
    pub fn node_link(&self, i: usize) -> String {
        format!("{}{}", self.namespaces.base, i + 1)
    }

    /// Node `i`'s gateway: the ToR's address on its link.
    pub fn gateway(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, self.subnet, u8::try_from(i + 1).unwrap_or(u8::MAX), 1)
    }

    /// Node `i`'s address on its link.
    pub fn address_of(&self, i: usize) -> Ipv4Addr {
        StarRack::node_address(self.subnet, i)
    }

    /// Node `i`'s address (node1 is 0) in a rack on `10.<subnet>.0.0/16`.
    pub fn node_address(subnet: u8, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, subnet, u8::try_from(i + 1).unwrap_or(u8::MAX), 2)
    }

    /// Node `i`'s AS (node1 is 0): see [`TOR_ASN`].
    pub fn node_asn(i: usize) -> u32 {
        TOR_ASN + u32::try_from(i + 1).unwrap_or(u32::MAX - TOR_ASN)
    }

    /// Every node as the ToR peers with it: its address and AS, node1 first.
    pub fn tor_neighbors(&self) -> Vec<(Ipv4Addr, u32)> {
        (0..self.nodes.len())
            .map(|i| (self.address_of(i), StarRack::node_asn(i)))
            .collect()
    }

    /// Starts the responders standing in for each node's pods (`testbed/responder.py`):
    /// each answers its node's name (`node1`...) on `anycast`:[`RESPONDER_PORT`].
    /// `script` is the responder's path.
    pub fn start_responders(&self, script: &Path, anycast: Ipv4Addr, dir: &Path) -> Vec<Daemon> {
        let script = script.display().to_string();
        let (anycast, port) = (anycast.to_string(), RESPONDER_PORT.to_string());
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, ns)| {
                let name = format!("node{}", i + 1);
                Daemon::spawn_in(
                    ns,
                    &name,
                    &dir.join(format!("{name}-responder.log")),
                    "python3",
                    &[&script, &anycast, &port, &name],
                )
            })
            .collect()
    }

    /// Waits until every node's responder accepts connections.
    pub fn wait_for_responders(&self) {
        let port = RESPONDER_PORT;
        let sport = format!(":{port}");
        for ns in &self.nodes {
            wait_until("the responder to listen", CONVERGE, || {
                let out = run(
                    "ip",
                    &["netns", "exec", ns, "ss", "-Hltn", "sport", "=", &sport],
                )?;
                if out.trim().is_empty() {
                    Err(format!("nothing listens on port {port} in {ns}"))
                } else {
                    Ok(())
                }
            });
        }
    }
}

/// A private directory for one test's files, removed on drop unless the test is failing
/// (then it stays, and its place is printed).
pub struct TestFiles(pub PathBuf);

impl Drop for TestFiles {
    fn drop(&mut self) {
        remove_lab_dir(&self.0);
    }
}

/// The cluster of a rack test as a `kind: List`: Service `shop/web` with `anycast` as its
/// externalIP (`externalTrafficPolicy: Local`) and one EndpointSlice holding `endpoints`.
pub fn anycast_service(anycast: &str, endpoints: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"externalIPs": [anycast], "clusterIP": "10.96.0.10",
                "externalTrafficPolicy": "Local"}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-1", "namespace": "shop",
                "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "endpoints": endpoints},
    ]})
}

/// Replaces a manifests file at once (temporary file and rename), as the daemons watching
/// it must never read half of it.
pub fn write_manifests(path: &Path, objects: &serde_json::Value) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, objects.to_string())
        .unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("rename {}: {e}", tmp.display()));
}
