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
use crate::rib::Rib;
use ipnet::IpNet;
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

/// Adds the routes of `ip -j route show` to `rib`: a destination without a length is a
/// host route; a multipath route lists its next hops under `nexthops`, and one IPv6
/// prefix may come as several entries.
pub fn parse_kernel_routes(v: &Value, rib: &mut Rib) -> Result<(), String> {
    for route in v.as_array().into_iter().flatten() {
        let Some(dst) = route.get("dst").and_then(Value::as_str) else {
            continue;
        };
        let prefix: IpNet = match dst.parse::<IpNet>() {
            Ok(p) => p,
            Err(_) => IpNet::from(
                dst.parse::<IpAddr>()
                    .map_err(|e| format!("kernel route {dst:?}: {e}"))?,
            ),
        };
        let hops = rib.entry(prefix).or_default();
        let gateways = route.get("gateway").into_iter().chain(
            route
                .get("nexthops")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|h| h.get("gateway")),
        );
        for gw in gateways.filter_map(Value::as_str) {
            hops.insert(
                gw.parse()
                    .map_err(|e| format!("kernel next hop {gw:?} of {dst}: {e}"))?,
            );
        }
    }
    Ok(())
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
                parse_kernel_routes(&json("ip route", &out)?, &mut rib)?;
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
    let dir = lab.tor_dir().display().to_string();
    Ok(crate::process::run(
        "vtysh",
        &["--vty_socket", &dir, "-c", command],
    )?)
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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kernel_routes_merge_multipath_and_split_entries() {
        let v4 = json!([
            {"dst": "203.0.113.10", "nexthops": [{"gateway": "10.11.0.12"}, {"gateway": "10.11.0.11"}]},
            {"dst": "203.0.113.20", "gateway": "10.11.0.13"},
        ]);
        let v6 = json!([
            {"dst": "fd00:203::10", "gateway": "fd00:11::11"},
            {"dst": "fd00:203::10", "nexthops": [{"gateway": "fd00:11::13"}]},
        ]);
        let mut rib = Rib::new();
        parse_kernel_routes(&v4, &mut rib).expect("parses");
        parse_kernel_routes(&v6, &mut rib).expect("parses");
        assert_eq!(
            route_lines(&rib),
            [
                "203.0.113.10/32 10.11.0.11 10.11.0.12",
                "203.0.113.20/32 10.11.0.13",
                "fd00:203::10/128 fd00:11::11 fd00:11::13",
            ]
        );
        assert!(parse_kernel_routes(&json!([{"dst": "nonsense"}]), &mut rib).is_err());
    }

    #[test]
    fn frr_peers_sum_both_families_and_name_missing_neighbors() {
        let v = json!({"10.11.0.11": {"remoteAs": 65101, "bgpState": "Established",
            "addressFamilyInfo": {"ipv4Unicast": {"acceptedPrefixCounter": 2},
                                  "ipv6Unicast": {"acceptedPrefixCounter": 1}}}});
        let peers = parse_frr_peers(&v);
        assert_eq!(peers[0].to_string(), "node1 10.11.0.11 65101 Established 3");
        assert_eq!(peers[1].to_string(), "node2 10.11.0.12 65102 unknown 0");
    }

    #[test]
    fn bird_peer_counts_every_channel() {
        let out = "node3      BGP        ---        up     12:00:00  Established\n  BGP state:          Established\n    Neighbor address: 10.11.0.13\n  Channel ipv4\n    Routes:         2 imported, 0 exported, 2 preferred\n  Channel ipv6\n    Routes:         2 imported, 0 exported, 2 preferred\n";
        assert_eq!(
            parse_bird_peer(Node(3), out).to_string(),
            "node3 10.11.0.13 65103 Established 4"
        );
    }

    #[test]
    fn gobgp_peers_read_state_numbers_and_received_counts() {
        let v = json!([{"conf": {"neighbor_address": "10.11.0.12", "peer_asn": 65102},
            "state": {"session_state": 6},
            "afi_safis": [{"state": {"received": 2}}, {"state": {"received": 2}}]}]);
        let peers = parse_gobgp_peers(&v);
        assert_eq!(peers[1].to_string(), "node2 10.11.0.12 65102 Established 4");
        assert_eq!(peers[0].state, "unknown");
    }
}
