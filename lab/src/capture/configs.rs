//! What each router is told for a capture: a 4-octet ASN (42000001NN), the recorder
//! (AS 65001) as its one eBGP peer over IPv4 for IPv4 and IPv6 unicast, graceful restart
//! and route refresh, and two /32 and two /128 to originate with MED 50, community
//! 65001:100 and large community ASN:1:2 (`bgp/tests/captured_vectors.rs` checks them).
//! Pure.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The recorder's ASN.
pub const RECORDER_ASN: u32 = 65001;

/// The link of capture number `n`: the router's and the recorder's addresses.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    /// The capture's number (in the ASN and every address).
    pub n: u8,
}

impl Link {
    /// 42000001NN.
    pub fn asn(self) -> u32 {
        4_200_000_100 + u32::from(self.n)
    }
    /// 10.255.N.1: the router.
    pub fn router_v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, 255, self.n, 1)
    }
    /// 10.255.N.2: the recorder.
    pub fn recorder_v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, 255, self.n, 2)
    }
    /// fd00:255:0:N::1: the router's IPv6 next hop.
    pub fn router_v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x255, 0, self.n.into(), 0, 0, 0, 1)
    }
    /// fd00:255:0:N::2.
    pub fn recorder_v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x255, 0, self.n.into(), 0, 0, 0, 2)
    }
    /// 10.201.N.1/32 and 10.201.N.2/32.
    pub fn v4_routes(self) -> [String; 2] {
        [1, 2].map(|i| format!("10.201.{}.{i}/32", self.n))
    }
    /// fd00:201:N::1/128 and fd00:201:N::2/128.
    pub fn v6_routes(self) -> [String; 2] {
        [1, 2].map(|i| format!("fd00:201:{}::{i}/128", self.n))
    }
}

/// FRR's bgpd.conf; `extra` is added to the route-map of the originated routes.
pub fn frr(link: Link, extra: &str) -> String {
    let (asn, r4, p4) = (link.asn(), link.router_v4(), link.recorder_v4());
    let mut c = String::new();
    let _ = writeln!(
        c,
        "hostname cap-frr\ndebug bgp updates\ndebug bgp neighbor-events"
    );
    let _ = writeln!(c, "router bgp {asn}\n bgp router-id {r4}");
    let _ = writeln!(
        c,
        " no bgp ebgp-requires-policy\n no bgp default ipv4-unicast"
    );
    let _ = writeln!(c, " no bgp network import-check\n bgp graceful-restart");
    let _ = writeln!(c, " no bgp suppress-duplicates");
    let _ = writeln!(c, " neighbor {p4} remote-as {RECORDER_ASN}");
    let _ = writeln!(c, " neighbor {p4} timers connect 1");
    let _ = writeln!(c, " neighbor {p4} advertisement-interval 0");
    for (afi, routes) in [("ipv4", link.v4_routes()), ("ipv6", link.v6_routes())] {
        let _ = writeln!(c, " address-family {afi} unicast");
        for r in routes {
            let _ = writeln!(c, "  network {r} route-map ORIG");
        }
        let _ = writeln!(c, "  neighbor {p4} activate\n exit-address-family");
    }
    let _ = writeln!(c, "route-map ORIG permit 10\n set metric 50");
    let _ = writeln!(
        c,
        " set community 65001:100\n set large-community {asn}:1:2"
    );
    if !extra.is_empty() {
        let _ = writeln!(c, "{extra}");
    }
    c
}

/// bird.conf, logging to `log`.
pub fn bird(link: Link, log: &str) -> String {
    let (asn, r4) = (link.asn(), link.router_v4());
    let attrs = format!(
        "{{ bgp_med = 50; bgp_community.add((65001, 100)); bgp_large_community.add(({asn}, 1, 2)); }}"
    );
    let mut c = String::new();
    let _ = writeln!(
        c,
        "log \"{log}\" all;\nrouter id {r4};\nprotocol device {{ scan time 2; }}"
    );
    for (name, channel, routes) in [
        ("orig4", "ipv4", link.v4_routes()),
        ("orig6", "ipv6", link.v6_routes()),
    ] {
        let _ = writeln!(c, "protocol static {name} {{\n  {channel};");
        for r in routes {
            let _ = writeln!(c, "  route {r} unreachable {attrs};");
        }
        let _ = writeln!(c, "}}");
    }
    let _ = writeln!(c, "protocol bgp cap {{\n  local {r4} as {asn};");
    let _ = writeln!(c, "  neighbor {} as {RECORDER_ASN};", link.recorder_v4());
    let _ = writeln!(
        c,
        "  connect retry time 1;\n  graceful restart on;\n  enable route refresh on;"
    );
    let _ = writeln!(
        c,
        "  ipv4 {{ import all; export where source = RTS_STATIC; next hop self; }};"
    );
    let _ = writeln!(
        c,
        "  ipv6 {{ import all; export where source = RTS_STATIC; next hop address {}; }};\n}}",
        link.router_v6()
    );
    c
}

/// gobgpd.toml (the routes are added through its API afterwards).
pub fn gobgp(link: Link) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "[global.config]\n  as = {}", link.asn());
    let _ = writeln!(c, "  router-id = \"{}\"\n  port = 179", link.router_v4());
    let _ = writeln!(c, "[[neighbors]]\n  [neighbors.config]");
    let _ = writeln!(c, "    neighbor-address = \"{}\"", link.recorder_v4());
    let _ = writeln!(c, "    peer-as = {RECORDER_ASN}");
    let _ = writeln!(c, "  [neighbors.timers.config]\n    connect-retry = 1");
    let _ = writeln!(
        c,
        "  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = 120"
    );
    for afi in ["ipv4-unicast", "ipv6-unicast"] {
        let _ = writeln!(
            c,
            "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]"
        );
        let _ = writeln!(c, "      afi-safi-name = \"{afi}\"");
        let _ = writeln!(
            c,
            "    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true"
        );
    }
    c
}

/// The `gobgp global rib add` arguments of each route.
pub fn gobgp_routes(link: Link) -> Vec<Vec<String>> {
    let large = format!("{}:1:2", link.asn());
    let v4 = link
        .v4_routes()
        .map(|r| ("ipv4", r, link.router_v4().to_string()));
    let v6 = link
        .v6_routes()
        .map(|r| ("ipv6", r, link.router_v6().to_string()));
    v4.into_iter()
        .chain(v6)
        .map(|(family, route, next_hop)| {
            [
                "global",
                "rib",
                "-a",
                family,
                "add",
                &route,
                "nexthop",
                &next_hop,
                "med",
                "50",
                "community",
                "65001:100",
                "large-community",
                &large,
            ]
            .map(str::to_string)
            .to_vec()
        })
        .collect()
}

/// exabgp.conf.
pub fn exabgp(link: Link) -> String {
    let (asn, r4, r6) = (link.asn(), link.router_v4(), link.router_v6());
    let attrs = format!("med 50 community [ 65001:100 ] large-community [ {asn}:1:2 ]");
    let mut c = String::new();
    let _ = writeln!(c, "neighbor {} {{", link.recorder_v4());
    let _ = writeln!(
        c,
        "  router-id {r4};\n  local-address {r4};\n  local-as {asn};"
    );
    let _ = writeln!(c, "  peer-as {RECORDER_ASN};");
    let _ = writeln!(
        c,
        "  capability {{\n    graceful-restart 120;\n    route-refresh;\n  }}"
    );
    let _ = writeln!(
        c,
        "  family {{\n    ipv4 unicast;\n    ipv6 unicast;\n  }}\n  static {{"
    );
    for r in link.v4_routes() {
        let _ = writeln!(c, "    route {r} next-hop {r4} {attrs};");
    }
    for r in link.v6_routes() {
        let _ = writeln!(c, "    route {r} next-hop {r6} {attrs};");
    }
    let _ = writeln!(c, "  }}\n}}");
    c
}

#[cfg(test)]
mod tests;
