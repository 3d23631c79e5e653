//! `kube-anycast plan`: what this node would announce and why, without speaking BGP.

use crate::cluster::ClusterState;
use crate::config::{Config, Pool};
use crate::decide::{self, Decision, Settings};
use serde_json::json;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Runs the decision once over `cluster` for `node_name`.
pub fn plan(config: &Config, cluster: &ClusterState, node_name: &str) -> Decision {
    let peer_names: BTreeSet<String> = config.peers.iter().map(|p| p.name.clone()).collect();
    let settings = Settings {
        node_name,
        local_asn: config.local_asn,
        announce: &config.announce,
        peer_names: &peer_names,
    };
    decide::decide(cluster, settings)
}

/// The pool an externalIP belongs to, when pools are configured and it parses.
fn pool_name<'a>(external_ip: &str, pools: &'a [Pool]) -> Option<&'a str> {
    let ip = external_ip.parse().ok()?;
    decide::pools::pool_of(ip, pools).map(|p| &*p.name)
}

/// True for an address its Service would announce on its own, held back by the rules of
/// shared addresses (another Service sharing it is not announced here, or lives in
/// another namespace).
fn held_back(v: &decide::AddressVerdict, decision: &Decision) -> bool {
    matches!(v.verdict, decide::reason::Verdict::Announced(_))
        && v.external_ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| !decision.routes.contains_key(&ipnet::IpNet::from(ip)))
}

/// What `plan` says of one externalIP.
fn detail(v: &decide::AddressVerdict, decision: &Decision) -> String {
    if held_back(v, decision) {
        format!(
            "not announced: shared address, see problems (on its own: {})",
            v.verdict
        )
    } else {
        v.verdict.to_string()
    }
}

/// The human form: one line per externalIP (with its pool, when pools are configured),
/// then the problems.
pub fn render_text(decision: &Decision, node_name: &str, pools: &[Pool]) -> String {
    let mut out = String::new();
    let width = decision
        .verdicts
        .iter()
        .map(|v| v.service.to_string().len())
        .max()
        .unwrap_or(7)
        .max(7);
    let ip_width = decision
        .verdicts
        .iter()
        .map(|v| v.external_ip.len())
        .max()
        .unwrap_or(11)
        .max(11);
    let _ = writeln!(
        out,
        "node {node_name}: {} route(s) announced{}",
        decision.routes.len(),
        if decision.drained {
            " (node drained: GRACEFUL_SHUTDOWN on every route)"
        } else {
            ""
        }
    );
    let pool_width = pools
        .iter()
        .map(|p| p.name.len())
        .max()
        .map(|w| w.max(4) + 2)
        .unwrap_or(0);
    let pool_header = if pools.is_empty() { "" } else { "POOL" };
    let _ = writeln!(
        out,
        "{:width$}  {:ip_width$}  {pool_header:pool_width$}DECISION",
        "SERVICE", "EXTERNAL-IP"
    );
    for v in &decision.verdicts {
        let pool = if pools.is_empty() {
            ""
        } else {
            pool_name(&v.external_ip, pools).unwrap_or("-")
        };
        // Weighted anycast: the link bandwidth the address is announced with.
        let weight = v
            .external_ip
            .parse::<std::net::IpAddr>()
            .ok()
            .filter(|_| matches!(v.verdict, decide::reason::Verdict::Announced(_)))
            .and_then(|ip| decision.routes.get(&ipnet::IpNet::from(ip)))
            .and_then(|r| decide::weight::display(&r.attributes))
            .map(|w| format!(" (weight {w})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:width$}  {:ip_width$}  {pool:pool_width$}{}{weight}",
            v.service.to_string(),
            v.external_ip,
            detail(v, decision)
        );
    }
    if !decision.problems.is_empty() {
        let _ = writeln!(out, "\nproblems:");
        for p in &decision.problems {
            let _ = writeln!(out, "  {}: {} ({})", p.service, p.message, p.code);
        }
    }
    out
}

/// The machine form.
pub fn render_json(decision: &Decision, node_name: &str, pools: &[Pool]) -> serde_json::Value {
    json!({
        "node": node_name,
        "drained": decision.drained,
        "routes": decision.routes.iter().map(|(prefix, route)| json!({
            "prefix": prefix.to_string(),
            "services": route.services.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "peers": match &route.peers {
                decide::PeerSelection::All => json!("all"),
                decide::PeerSelection::Only(names) => json!(names.as_ref()),
            },
            "communities": route.attributes.communities.iter().map(|c| format!("{}:{}", c.0 >> 16, c.0 & 0xffff)).collect::<Vec<_>>(),
            "large_communities": route.attributes.large_communities.iter().map(|c| format!("{}:{}:{}", c.global, c.local1, c.local2)).collect::<Vec<_>>(),
            "med": route.attributes.med,
            "local_preference": route.attributes.local_pref,
            "as_path_prepend": route.attributes.as_path_prepend,
            "weight": decide::weight::display(&route.attributes),
            "link_bandwidth_bytes_per_second": decide::weight::bytes_per_second(&route.attributes),
        })).collect::<Vec<_>>(),
        "external_ips": decision.verdicts.iter().map(|v| json!({
            "service": v.service.to_string(),
            "external_ip": v.external_ip,
            "pool": pool_name(&v.external_ip, pools),
            "announced": matches!(v.verdict, decide::reason::Verdict::Announced(_)) && !held_back(v, decision),
            "reason": match &v.verdict {
                _ if held_back(v, decision) => "shared_address",
                decide::reason::Verdict::Announced(_) => "announced",
                decide::reason::Verdict::NotAnnounced(r) => r.code(),
            },
            "detail": detail(v, decision),
        })).collect::<Vec<_>>(),
        "problems": decision.problems.iter().map(|p| json!({
            "service": p.service.to_string(), "code": p.code, "message": p.message,
        })).collect::<Vec<_>>(),
    })
}
