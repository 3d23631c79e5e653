//! The failover rack: a switched [`StarRack`] with the FRR ToR, nodes running the real
//! kube-anycast binary that all announce one Service externalIP, and each node's
//! responder on it. The client and the FIB watch come and go per measurement.

use super::fault::Target;
use super::mode::Mode;
use super::node::{self, Node};
use super::tor::Tor;
use crate::process::Daemon;
use crate::rack::{StarRack, anycast_service, write_manifests};
use crate::{lab_dir, poll_until, remove_lab_dir};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Service externalIP every node announces.
pub const ANYCAST: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 30);
/// The responders' port.
pub use crate::rack::RESPONDER_PORT as PORT;
/// The rack is on `10.91.0.0/16`.
const SUBNET: u8 = 91;

/// A rack of `nodes` nodes in one mode, every process started; stopped by pid and its
/// namespaces deleted on drop.
pub struct FailoverRack {
    /// How the ToR and the nodes detect a dead node.
    pub mode: Mode,
    dir: PathBuf,
    nodes: Vec<Node>,
    responders: Vec<Daemon>,
    tor: Tor,
    // Last: the namespaces go after every process started in them.
    rack: StarRack,
}

impl FailoverRack {
    /// Builds the rack (`prefix`: two letters naming its namespaces) and starts the ToR,
    /// the responders and `binary` on every node.
    pub fn start(prefix: &str, binary: &Path, mode: Mode, nodes: usize) -> FailoverRack {
        let rack = StarRack::switched(prefix, nodes, SUBNET, ANYCAST);
        let dir = lab_dir(rack.base(), "failover");
        let addresses: Vec<Ipv4Addr> = (0..nodes).map(|i| rack.address_of(i)).collect();
        let tor = Tor::start(&rack.tor, rack.gateway(0), &addresses, mode);
        let manifests = dir.join("cluster.json");
        let endpoints = (1..=nodes)
            .map(|n| {
                serde_json::json!({"addresses": [format!("10.244.{n}.1")],
                    "nodeName": format!("node{n}"), "conditions": {"ready": true}})
            })
            .collect();
        write_manifests(
            &manifests,
            &anycast_service(&ANYCAST.to_string(), endpoints),
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbed/responder.py");
        let responders = rack.start_responders(&script, ANYCAST, &dir);
        let nodes = (0..nodes)
            .map(|i| {
                let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let config = node::config(n, rack.address_of(i), rack.gateway(i), &manifests, mode);
                let node_dir = dir.join(format!("node{n}"));
                std::fs::create_dir_all(&node_dir).expect("lab setup: node directory");
                Node::start(binary, &rack.nodes[i], &config, node_dir)
            })
            .collect();
        FailoverRack {
            mode,
            dir,
            nodes,
            responders,
            tor,
            rack,
        }
    }

    /// The namespaced rack.
    pub fn rack(&self) -> &StarRack {
        &self.rack
    }

    /// The rack's private directory (configs, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ToR.
    pub fn tor(&self) -> &Tor {
        &self.tor
    }

    /// Node `i` (node1 is 0).
    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// Node `i`'s address, the ToR's next hop for it.
    pub fn address_of(&self, i: usize) -> Ipv4Addr {
        self.rack.address_of(i)
    }

    /// What a fault of node `i` touches.
    pub fn target(&self, i: usize) -> Target {
        let pids = [self.nodes[i].pid(), self.responders[i].pid()];
        Target {
            ns: self.rack.nodes[i].clone(),
            link: self.rack.node_link(i),
            gateway: self.rack.gateway(i),
            pids: pids.into_iter().flatten().collect(),
        }
    }

    /// Waits until the rack is whole: every responder listens, every node is a next
    /// hop of the ToR's kernel route and its BGP session is Established, and in a BFD
    /// mode both ends of every BFD session are Up.
    pub fn wait_whole(&self, deadline: Duration) -> Result<(), String> {
        let every = Duration::from_millis(50);
        for (i, node) in self.nodes.iter().enumerate() {
            let address = self.address_of(i);
            let n = i + 1;
            poll_until(
                &format!("node{n} Established"),
                deadline,
                every,
                || match self.tor.established(address)? {
                    true => Ok(()),
                    false => Err(format!("not yet; node{n}'s log:\n{}", node.log_tail())),
                },
            )?;
            if self.mode.timers().is_some() {
                poll_until(&format!("node{n}'s BFD Up"), deadline, every, || {
                    let (ours, tor) = (node.bfd()?, self.tor.bfd(address)?);
                    match (ours.state.as_str(), tor.status.as_str()) {
                        ("up", "up") => Ok(()),
                        (o, t) => Err(format!("ours {o}, the ToR's {t}")),
                    }
                })?;
            }
        }
        let all: super::fib::NextHops = (0..self.nodes.len()).map(|i| self.address_of(i)).collect();
        poll_until("every node in the ToR's FIB", deadline, every, || {
            let hops = super::fib::next_hops(&self.rack.tor, ANYCAST)?;
            if hops == all {
                Ok(())
            } else {
                Err(format!("next hops {hops:?}"))
            }
        })?;
        self.rack.wait_for_responders();
        Ok(())
    }
}

impl Drop for FailoverRack {
    fn drop(&mut self) {
        self.nodes.clear();
        self.responders.clear();
        remove_lab_dir(&self.dir);
    }
}
