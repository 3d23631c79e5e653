//! The ToR's configuration for each flavour, rendered from the rack plan. FRR's comes
//! from [`crate::frr::tor`], shared with the containerlab routers. Pure.

use super::plan::{Node, POOL_V4, POOL_V6, TOR_ASN, TOR_V4};
use super::settings::Bfd;
use crate::frr::tor::{TorBgp, TorNode, TorNodes};
use crate::gobgp::{open_neighbor, unicast_families};
use std::fmt::Write as _;
use std::net::IpAddr;

/// The BFD profile of the FRR ToR.
pub const BFD_PROFILE: &str = "lab";

/// FRR's BGP side: every node listed with its own ASN, the ToR passive.
pub fn frr(hostname: &str, hold_time: u16, bfd: Option<Bfd>) -> TorBgp {
    TorBgp {
        hostname: hostname.to_string(),
        asn: TOR_ASN,
        router_id: TOR_V4,
        pool_v4: POOL_V4,
        pool_v6: POOL_V6,
        nodes: TorNodes::Listed(
            Node::all()
                .map(|n| TorNode {
                    address: IpAddr::V4(n.v4()),
                    asn: n.asn(),
                    name: n.name(),
                })
                .collect(),
        ),
        password: None,
        passive: true,
        hold_time,
        graceful_restart: false,
        bfd_profile: bfd.map(|_| BFD_PROFILE.to_string()),
        maximum_paths: 16,
    }
}

/// bird.conf: the kernel protocols install every next hop of a prefix (`merge paths`).
pub fn bird(log: &str, hold_time: u16, bfd: Option<Bfd>) -> String {
    let mut c = format!(
        "log \"{log}\" all;
router id {TOR_V4};
protocol device {{}}
# Installs the BGP routes into this namespace's FIB, all next hops of a prefix.
"
    );
    for family in ["ipv4", "ipv6"] {
        let _ = writeln!(
            c,
            "protocol kernel {{ {family} {{ import none; export all; }}; merge paths on; }}"
        );
    }
    let bfd_on = if bfd.is_some() { "  bfd on;\n" } else { "" };
    let _ = write!(
        c,
        "# Only host routes inside the lab pools are accepted; nothing is sent back.
filter from_nodes {{ if net ~ [ {POOL_V4}{{32,32}} ] then accept; reject; }}
filter from_nodes6 {{ if net ~ [ {POOL_V6}{{128,128}} ] then accept; reject; }}
template bgp nodes {{
  local {TOR_V4} as {TOR_ASN};
  passive on;
  hold time {hold_time};
  error wait time 1, 10;
{bfd_on}  ipv4 {{ import filter from_nodes; export none; }};
  ipv6 {{ import filter from_nodes6; export none; }};
}}
"
    );
    for n in Node::all() {
        let _ = writeln!(
            c,
            "protocol bgp {} from nodes {{ neighbor {} as {}; }}",
            n.name(),
            n.v4(),
            n.asn()
        );
    }
    if let Some(b) = bfd {
        let _ = writeln!(
            c,
            "protocol bfd {{ interface \"*\" {{ min rx interval {ms} ms; min tx interval {ms} ms; multiplier {mult}; }}; }}",
            ms = b.interval_ms,
            mult = b.multiplier
        );
    }
    c
}

/// gobgpd.toml: import only the pools' host routes, export nothing.
pub fn gobgp(hold_time: u16) -> String {
    let mut c = format!(
        "[global.config]
  as = {TOR_ASN}
  router-id = \"{TOR_V4}\"
  port = 179
  local-address-list = [\"{TOR_V4}\"]
[global.apply-policy.config]
  import-policy-list = [\"from-nodes\"]
  default-import-policy = \"reject-route\"
  default-export-policy = \"reject-route\"
"
    );
    let sets = [
        ("lab-pool", POOL_V4.to_string(), "32..32"),
        ("lab-pool6", POOL_V6.to_string(), "128..128"),
    ];
    for (name, prefix, range) in &sets {
        let _ = write!(
            c,
            "[[defined-sets.prefix-sets]]
  prefix-set-name = \"{name}\"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = \"{prefix}\"
    masklength-range = \"{range}\"
"
        );
    }
    let _ = writeln!(c, "[[policy-definitions]]\n  name = \"from-nodes\"");
    for (name, _, _) in &sets {
        let _ = write!(
            c,
            "  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = \"{name}\"
    [policy-definitions.statements.actions]
      route-disposition = \"accept-route\"
"
        );
    }
    let keepalive = hold_time / 3;
    for n in Node::all() {
        open_neighbor(&mut c, n.v4(), n.asn());
        let _ = write!(
            c,
            "    description = \"{}\"
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.timers.config]
    hold-time = {hold_time}
    keepalive-interval = {keepalive}
",
            n.name()
        );
        unicast_families(&mut c);
    }
    c
}

#[cfg(test)]
mod tests;
