//! The rack's namespaces and links: the ToR routes between a bridge holding the three
//! nodes and a veth to the client; every node has each Service's externalIPs on its
//! loopback, as kube-proxy makes them local.

use super::plan::{
    CLIENT_V4, CLIENT_V6, Node, SERVICES, TOR_CLIENT_V4, TOR_CLIENT_V6, TOR_V4, TOR_V6,
};
use super::{Lab, LabError};
use crate::process::run;
use std::io::Write as _;

/// `ip` with `args`, words separated by spaces (no argument here contains one).
fn ip(args: &str) -> Result<(), LabError> {
    let args: Vec<&str> = args.split_whitespace().collect();
    run("ip", &args).map(|_| ()).map_err(LabError::Failed)
}

/// Creates namespace `ns` and records it in the `namespaces` state file first, so that
/// `down` deletes it whatever fails next.
fn add_namespace(lab: &Lab, ns: &str) -> Result<(), LabError> {
    let path = lab.path("namespaces");
    let failed = |e: std::io::Error| LabError::Failed(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(failed)?;
    writeln!(file, "{ns}").map_err(failed)?;
    ip(&format!("netns add {ns}"))?;
    ip(&format!("-n {ns} link set lo up"))
}

/// Builds the namespaces, links and addresses.
pub fn build(lab: &Lab) -> Result<(), LabError> {
    let tor = lab.names.tor();
    add_namespace(lab, &tor)?;
    // Forwarding, and a layer-4 hash: different source ports of one client spread over
    // the next hops.
    for setting in [
        "net.ipv4.ip_forward=1",
        "net.ipv4.fib_multipath_hash_policy=1",
        "net.ipv6.conf.all.forwarding=1",
        "net.ipv6.fib_multipath_hash_policy=1",
    ] {
        lab.run_in(&tor, "sysctl", &["-qw", setting])?;
    }
    ip(&format!("-n {tor} link add br0 type bridge"))?;
    ip(&format!("-n {tor} addr add {TOR_V4}/24 dev br0"))?;
    ip(&format!("-n {tor} addr add {TOR_V6}/64 dev br0 nodad"))?;
    ip(&format!("-n {tor} link set br0 up"))?;
    for node in Node::all() {
        add_node(lab, &tor, node)?;
    }
    let client = lab.names.client();
    add_namespace(lab, &client)?;
    ip(&format!(
        "-n {tor} link add cl0 type veth peer name eth0 netns {client}"
    ))?;
    for (ns, dev, v4, v6) in [
        (&tor, "cl0", TOR_CLIENT_V4, TOR_CLIENT_V6),
        (&client, "eth0", CLIENT_V4, CLIENT_V6),
    ] {
        ip(&format!("-n {ns} addr add {v4}/24 dev {dev}"))?;
        ip(&format!("-n {ns} addr add {v6}/64 dev {dev} nodad"))?;
        ip(&format!("-n {ns} link set {dev} up"))?;
    }
    ip(&format!(
        "-n {client} route add default via {TOR_CLIENT_V4}"
    ))?;
    ip(&format!(
        "-n {client} -6 route add default via {TOR_CLIENT_V6}"
    ))
}

fn add_node(lab: &Lab, tor: &str, node: Node) -> Result<(), LabError> {
    let ns = lab.names.node(node);
    let port = node.name();
    add_namespace(lab, &ns)?;
    ip(&format!(
        "-n {tor} link add {port} type veth peer name eth0 netns {ns}"
    ))?;
    ip(&format!("-n {tor} link set {port} master br0 up"))?;
    ip(&format!("-n {ns} addr add {}/24 dev eth0", node.v4()))?;
    // A link-local address that names the node (fe80::1N), so that next hops read well.
    ip(&format!("-n {ns} link set eth0 addrgenmode none"))?;
    ip(&format!(
        "-n {ns} addr add {}/64 dev eth0 nodad",
        node.link_local()
    ))?;
    ip(&format!("-n {ns} addr add {}/64 dev eth0 nodad", node.v6()))?;
    ip(&format!("-n {ns} link set eth0 up"))?;
    ip(&format!("-n {ns} route add default via {TOR_V4}"))?;
    ip(&format!("-n {ns} -6 route add default via {TOR_V6}"))?;
    for s in SERVICES {
        ip(&format!("-n {ns} addr add {}/32 dev lo", s.v4))?;
        ip(&format!("-n {ns} addr add {}/128 dev lo", s.v6))?;
    }
    Ok(())
}

/// Deletes the namespaces this lab created, the last first.
pub fn remove(lab: &Lab) {
    for ns in lab.namespaces().iter().rev() {
        let _ = run("ip", &["netns", "del", ns]);
    }
}

/// The namespaces whose name starts with this lab's prefix (`ka-<id>-`), whoever made
/// them.
pub fn existing(lab: &Lab) -> Vec<String> {
    let prefix = format!("{}-", lab.names.prefix());
    run("ip", &["netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|ns| ns.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}
