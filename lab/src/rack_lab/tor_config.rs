//! The ToR's configuration for each flavour, rendered from the rack plan. FRR's comes
//! from [`crate::frr::tor`], shared with the containerlab routers. Pure.

use super::plan::{Node, POOL_V4, POOL_V6, TOR_ASN, TOR_V4};
use super::settings::Bfd;
use crate::frr::tor::{TorBgp, TorNode, TorNodes};
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
    let mut c = String::new();
    let _ = writeln!(c, "log \"{log}\" all;");
    let _ = writeln!(c, "router id {TOR_V4};");
    let _ = writeln!(c, "protocol device {{}}");
    let _ = writeln!(
        c,
        "# Installs the BGP routes into this namespace's FIB, all next hops of a prefix."
    );
    for family in ["ipv4", "ipv6"] {
        let _ = writeln!(
            c,
            "protocol kernel {{ {family} {{ import none; export all; }}; merge paths on; }}"
        );
    }
    let _ = writeln!(
        c,
        "# Only host routes inside the lab pools are accepted; nothing is sent back."
    );
    let _ = writeln!(
        c,
        "filter from_nodes {{ if net ~ [ {POOL_V4}{{32,32}} ] then accept; reject; }}"
    );
    let _ = writeln!(
        c,
        "filter from_nodes6 {{ if net ~ [ {POOL_V6}{{128,128}} ] then accept; reject; }}"
    );
    let _ = writeln!(c, "template bgp nodes {{");
    let _ = writeln!(c, "  local {TOR_V4} as {TOR_ASN};");
    let _ = writeln!(c, "  passive on;");
    let _ = writeln!(c, "  hold time {hold_time};");
    let _ = writeln!(c, "  error wait time 1, 10;");
    if bfd.is_some() {
        let _ = writeln!(c, "  bfd on;");
    }
    let _ = writeln!(c, "  ipv4 {{ import filter from_nodes; export none; }};");
    let _ = writeln!(c, "  ipv6 {{ import filter from_nodes6; export none; }};");
    let _ = writeln!(c, "}}");
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
    let mut c = String::new();
    let _ = writeln!(
        c,
        "[global.config]\n  as = {TOR_ASN}\n  router-id = \"{TOR_V4}\""
    );
    let _ = writeln!(c, "  port = 179\n  local-address-list = [\"{TOR_V4}\"]");
    let _ = writeln!(c, "[global.apply-policy.config]");
    let _ = writeln!(c, "  import-policy-list = [\"from-nodes\"]");
    let _ = writeln!(c, "  default-import-policy = \"reject-route\"");
    let _ = writeln!(c, "  default-export-policy = \"reject-route\"");
    let sets = [
        ("lab-pool", POOL_V4.to_string(), "32..32"),
        ("lab-pool6", POOL_V6.to_string(), "128..128"),
    ];
    for (name, prefix, range) in &sets {
        let _ = writeln!(
            c,
            "[[defined-sets.prefix-sets]]\n  prefix-set-name = \"{name}\""
        );
        let _ = writeln!(c, "  [[defined-sets.prefix-sets.prefix-list]]");
        let _ = writeln!(
            c,
            "    ip-prefix = \"{prefix}\"\n    masklength-range = \"{range}\""
        );
    }
    let _ = writeln!(c, "[[policy-definitions]]\n  name = \"from-nodes\"");
    for (name, _, _) in &sets {
        let _ = writeln!(c, "  [[policy-definitions.statements]]");
        let _ = writeln!(
            c,
            "    [policy-definitions.statements.conditions.match-prefix-set]"
        );
        let _ = writeln!(c, "      prefix-set = \"{name}\"");
        let _ = writeln!(c, "    [policy-definitions.statements.actions]");
        let _ = writeln!(c, "      route-disposition = \"accept-route\"");
    }
    for n in Node::all() {
        let _ = writeln!(c, "[[neighbors]]\n  [neighbors.config]");
        let _ = writeln!(c, "    neighbor-address = \"{}\"", n.v4());
        let _ = writeln!(
            c,
            "    peer-as = {}\n    description = \"{}\"",
            n.asn(),
            n.name()
        );
        let _ = writeln!(c, "  [neighbors.transport.config]\n    passive-mode = true");
        let _ = writeln!(
            c,
            "  [neighbors.timers.config]\n    hold-time = {hold_time}"
        );
        let _ = writeln!(c, "    keepalive-interval = {}", hold_time / 3);
        for afi in ["ipv4-unicast", "ipv6-unicast"] {
            let _ = writeln!(
                c,
                "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]"
            );
            let _ = writeln!(c, "      afi-safi-name = \"{afi}\"");
        }
    }
    c
}

#[cfg(test)]
mod tests;
