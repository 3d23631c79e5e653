//! Route sets as a router shows them, and their comparison with what was announced.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Prefix to the next hops a router has for it.
pub type Rib = BTreeMap<IpNet, BTreeSet<IpAddr>>;

/// `count` distinct IPv4 /32s in 10.100.0.0/16 (outside the link's subnet).
pub fn v4_hosts(count: u16) -> Vec<IpNet> {
    (0..u32::from(count))
        .map(|i| {
            let addr = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 100, 0, 0)) + i);
            IpNet::V4(Ipv4Net::new(addr, 32).expect("/32 is valid"))
        })
        .collect()
}

/// `count` distinct IPv6 /128s in fd00:100::/64.
pub fn v6_hosts(count: u16) -> Vec<IpNet> {
    (0..u128::from(count))
        .map(|i| {
            let addr =
                Ipv6Addr::from(u128::from(Ipv6Addr::new(0xfd00, 0x100, 0, 0, 0, 0, 0, 0)) + i);
            IpNet::V6(Ipv6Net::new(addr, 128).expect("/128 is valid"))
        })
        .collect()
}

/// The RIB a router should show for `prefixes`, each with the next hop of its family.
pub fn expected(prefixes: &[IpNet], next_hop_v4: Ipv4Addr, next_hop_v6: Ipv6Addr) -> Rib {
    prefixes
        .iter()
        .map(|p| {
            let nh = match p {
                IpNet::V4(_) => IpAddr::V4(next_hop_v4),
                IpNet::V6(_) => IpAddr::V6(next_hop_v6),
            };
            (*p, BTreeSet::from([nh]))
        })
        .collect()
}

fn is_link_local(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

/// Ok when `actual` has exactly the prefixes of `expected`, each with exactly the expected
/// next hops. An IPv6 link-local next hop next to the global one is ignored: RFC 2545
/// makes it optional. Otherwise describes the difference (counts and a few examples).
pub fn compare(expected: &Rib, actual: &Rib) -> Result<(), String> {
    let mut missing = Vec::new();
    let mut unexpected = Vec::new();
    let mut wrong_next_hop = Vec::new();
    for (prefix, want) in expected {
        match actual.get(prefix) {
            None => missing.push(prefix.to_string()),
            Some(have) => {
                let global: BTreeSet<IpAddr> =
                    have.iter().filter(|a| !is_link_local(a)).copied().collect();
                if &global != want {
                    wrong_next_hop.push(format!("{prefix} via {have:?} (want {want:?})"));
                }
            }
        }
    }
    for prefix in actual.keys() {
        if !expected.contains_key(prefix) {
            unexpected.push(prefix.to_string());
        }
    }
    if missing.is_empty() && unexpected.is_empty() && wrong_next_hop.is_empty() {
        return Ok(());
    }
    let sample = |v: &[String]| v.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    Err(format!(
        "router has {} prefixes, expected {}: {} missing [{}], {} unexpected [{}], {} with \
         a wrong next hop [{}]",
        actual.len(),
        expected.len(),
        missing.len(),
        sample(&missing),
        unexpected.len(),
        sample(&unexpected),
        wrong_next_hop.len(),
        sample(&wrong_next_hop)
    ))
}

/// `rib` with `link_local` added to the next hops of every IPv6 prefix.
pub fn with_link_local(rib: &Rib, link_local: Ipv6Addr) -> Rib {
    let mut out = rib.clone();
    for (prefix, hops) in out.iter_mut() {
        if let IpNet::V6(_) = prefix {
            hops.insert(IpAddr::V6(link_local));
        }
    }
    out
}

/// Ok when `actual` equals `expected` exactly, link-local next hops included.
pub fn compare_exact(expected: &Rib, actual: &Rib) -> Result<(), String> {
    if expected.len() != actual.len() || !expected.keys().eq(actual.keys()) {
        return Err(format!(
            "router has {} prefixes, expected {} (or other ones)",
            actual.len(),
            expected.len()
        ));
    }
    let differ: Vec<String> = expected
        .iter()
        .filter(|(p, want)| actual.get(*p) != Some(*want))
        .take(3)
        .map(|(p, want)| format!("{p} via {:?} (want {want:?})", actual.get(p)))
        .collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "link-local next hops differ: {}",
            differ.join(", ")
        ))
    }
}

/// Merges the per-family tables of a router into one.
pub fn merge(a: Rib, b: Rib) -> Rib {
    let mut out = a;
    for (p, nh) in b {
        out.entry(p).or_default().extend(nh);
    }
    out
}

/// Adds the routes of `ip -j route show` (parsed) to `rib`: a destination without a length is a
/// host route; a multipath route lists its next hops under `nexthops`, and one IPv6
/// prefix may come as several entries.
pub fn add_kernel_routes(v: &Value, rib: &mut Rib) -> Result<(), String> {
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

/// Adds the paths of a route table printed as JSON keyed by prefix (`{"PREFIX": [PATH,
/// ...]}`, as FRR and GoBGP print theirs) to `rib`: each path `usable` keeps gets the
/// prefix an entry, with the next hops `next_hops` reads from it. `router` names the
/// table in errors.
pub fn add_json_table<'v>(
    routes: &'v serde_json::Map<String, Value>,
    rib: &mut Rib,
    router: &str,
    usable: impl Fn(&Value) -> bool,
    next_hops: impl Fn(&'v Value) -> Vec<&'v str>,
) -> Result<(), String> {
    for (prefix, paths) in routes {
        let prefix: IpNet = prefix
            .parse()
            .map_err(|e| format!("{router} route key {prefix:?}: {e}"))?;
        for path in paths.as_array().into_iter().flatten() {
            if !usable(path) {
                continue;
            }
            let hops = rib.entry(prefix).or_default();
            for ip in next_hops(path) {
                let ip: IpAddr = ip
                    .parse()
                    .map_err(|e| format!("{router} next hop {ip:?} of {prefix}: {e}"))?;
                hops.insert(ip);
            }
        }
    }
    Ok(())
}
