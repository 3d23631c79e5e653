//! The router's view, as the lines scripts parse (`testbed/demo.sh`):
//!
//! - `routes`: one line per prefix of the pools, `PREFIX NEXTHOP...`, prefixes and next
//!   hops sorted. FRR and BIRD: the ToR's kernel FIB (what traffic follows); GoBGP has no
//!   FIB: its RIB.
//! - `peers`: one line per node, `NODE ADDRESS ASN STATE PREFIXES` (prefixes accepted,
//!   IPv4 and IPv6).
//!
//! The parsers are pure; [`routes`] and [`peers`] ask the router.

use super::plan::{Node, POOL_V4, POOL_V6};
use super::{Flavour, Lab, LabError};
use crate::rib::{Rib, add_kernel_routes};
use serde_json::Value;
use std::fmt;
use std::net::IpAddr;

/// One line of `peers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The node.
    pub node: Node,
    /// The router's state of the session (`Established`, `Active`, ...).
    pub state: String,
    /// Prefixes accepted from the node, both families.
    pub prefixes: u64,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.node.name(),
            self.node.v4(),
            self.node.asn(),
            self.state,
            self.prefixes
        )
    }
}

/// The `routes` lines of a RIB.
pub fn route_lines(rib: &Rib) -> Vec<String> {
    rib.iter()
        .map(|(prefix, hops)| {
            std::iter::once(prefix.to_string())
                .chain(hops.iter().map(IpAddr::to_string))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The peers in FRR's `show bgp neighbors json`.
pub fn parse_frr_peers(v: &Value) -> Vec<Peer> {
    Node::all()
        .map(|node| {
            let n = v.get(node.v4().to_string());
            let accepted = |afi: &str| {
                n.and_then(|n| {
                    n.pointer(&format!("/addressFamilyInfo/{afi}/acceptedPrefixCounter"))
                })
                .and_then(Value::as_u64)
                .unwrap_or(0)
            };
            Peer {
                node,
                state: n
                    .and_then(|n| n.get("bgpState"))
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
                prefixes: accepted("ipv4Unicast") + accepted("ipv6Unicast"),
            }
        })
        .collect()
}

/// One node's peer from BIRD's `show protocols all NODE`: the `BGP state:` line, and the
/// imported counts of every `Routes:` line (one per channel).
pub fn parse_bird_peer(node: Node, out: &str) -> Peer {
    let prefixes = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Routes:"))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Peer {
        node,
        state: crate::bird::parse_bgp_state(out).unwrap_or_else(|| "unknown".to_string()),
        prefixes,
    }
}

/// The peers in `gobgp neighbor -j`.
pub fn parse_gobgp_peers(v: &Value) -> Vec<Peer> {
    let all = v.as_array().cloned().unwrap_or_default();
    Node::all()
        .map(|node| {
            let address = node.v4().to_string();
            let n = all.iter().find(|n| {
                n.pointer("/conf/neighbor_address").and_then(Value::as_str)
                    == Some(address.as_str())
            });
            Peer {
                node,
                state: n.map_or_else(|| "unknown".to_string(), crate::gobgp::session_state),
                prefixes: n
                    .and_then(|n| n.get("afi_safis"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.pointer("/state/received").and_then(Value::as_u64))
                    .sum(),
            }
        })
        .collect()
}

fn json(what: &str, out: &str) -> Result<Value, LabError> {
    if out.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(out)
        .map_err(|e| LabError::Failed(format!("{what}: bad JSON ({e}): {out}")))
}

/// The ToR's routes to the pools.
pub fn routes(lab: &Lab, flavour: Flavour) -> Result<Rib, LabError> {
    let tor = lab.names.tor();
    let mut rib = Rib::new();
    match flavour {
        Flavour::Frr | Flavour::Bird => {
            for (family, pool) in [("-4", POOL_V4.to_string()), ("-6", POOL_V6.to_string())] {
                let out = crate::process::run(
                    "ip",
                    &["-n", &tor, "-j", family, "route", "show", "root", &pool],
                )?;
                add_kernel_routes(&json("ip route", &out)?, &mut rib)?;
            }
        }
        Flavour::Gobgp => {
            for family in ["ipv4", "ipv6"] {
                let out = lab.run_in(&tor, "gobgp", &["global", "rib", "-a", family, "-j"])?;
                crate::gobgp::parse_rib(&json("gobgp global rib", &out)?, &mut rib)?;
            }
        }
    }
    Ok(rib)
}

/// Runs one vtysh command on the ToR's FRR.
pub fn vtysh(lab: &Lab, command: &str) -> Result<String, LabError> {
    Ok(crate::frr::vtysh_through(&lab.tor_dir(), command)?)
}

/// Runs one birdc command on the ToR's BIRD.
pub fn birdc(lab: &Lab, args: &[&str]) -> Result<String, LabError> {
    let ctl = lab.tor_dir().join("bird.ctl").display().to_string();
    let mut all = vec!["-s", ctl.as_str()];
    all.extend_from_slice(args);
    Ok(crate::process::run("birdc", &all)?)
}

/// The router's view of every node's session.
pub fn peers(lab: &Lab, flavour: Flavour) -> Result<Vec<Peer>, LabError> {
    match flavour {
        Flavour::Frr => {
            let out = vtysh(lab, "show bgp neighbors json")?;
            Ok(parse_frr_peers(&json("show bgp neighbors json", &out)?))
        }
        Flavour::Bird => Node::all()
            .map(|node| {
                let out = birdc(lab, &["show", "protocols", "all", &node.name()])?;
                Ok(parse_bird_peer(node, &out))
            })
            .collect(),
        Flavour::Gobgp => {
            let out = lab.run_in(&lab.names.tor(), "gobgp", &["neighbor", "-j"])?;
            Ok(parse_gobgp_peers(&json("gobgp neighbor -j", &out)?))
        }
    }
}

#[cfg(test)]
mod tests;
