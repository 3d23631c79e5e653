//! Endpoints move the routes, end to end: the real `kube-anycast run` on three nodes of a
//! rack (`lab::e2e`), a real ToR (FRR and BIRD 2 installing into the kernel FIB, GoBGP
//! RIB only) and, where the ToR has a FIB, a client whose requests follow the routes.
//!
//! - Every node with a ready endpoint announces its Services' IPv4 and IPv6 host routes:
//!   the ToR has one next hop per node, and requests spread over the nodes.
//! - A terminating endpoint withdraws while another node has a ready one; gone, it stays
//!   withdrawn; ready again, it announces again.
//! - Terminating endpoints keep announcing while no ready endpoint exists anywhere, and
//!   withdraw as soon as one appears.
//! - No request fails while an endpoint goes terminating then gone (resets of connections
//!   moved by the router's ECMP rehash counted apart).
//!
//! Each test has its own rack (namespaces named per process and rack), so they run in
//! parallel; every process, namespace and file goes on drop, even when a test fails.

use lab::e2e::{E2eRack, EndpointState, Service, next_hops};
use lab::prereq::{Router, lab_available};
use lab::{holds_for, process::run};
use std::path::Path;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

fn rack(router: Router, test: &str, traffic: bool) -> Option<E2eRack> {
    lab_available(test, &[router]).then(|| E2eRack::start(router, "ke", Path::new(BINARY), traffic))
}

/// `count` requests to web over one family: every one answered, by nodes among `allowed`
/// (node names), by at least `distinct` of them.
fn assert_answered(rack: &E2eRack, count: usize, ipv6: bool, allowed: &[&str], distinct: usize) {
    let outcome = rack.requests(count, ipv6);
    let family = if ipv6 { "IPv6" } else { "IPv4" };
    eprintln!("{} {family}: {}", rack.tor_name(), outcome.describe());
    assert!(
        outcome.failed.is_empty(),
        "{family}: requests failed: {:?}",
        outcome.failed
    );
    assert!(
        outcome
            .answers
            .keys()
            .all(|n| allowed.contains(&n.as_str())),
        "{family}: answers from nodes outside {allowed:?}: {:?}",
        outcome.answers
    );
    assert!(
        outcome.answers.len() >= distinct,
        "{family}: {count} requests answered by fewer than {distinct} nodes: {:?}",
        outcome.answers
    );
}

fn every_node_with_a_ready_endpoint_announces_both_families(router: Router, test: &str) {
    let Some(rack) = rack(router, test, true) else {
        return;
    };
    // Exactly these routes, nothing else: web from every node, api from node2 and node3,
    // each IPv6 route via the node's global address.
    let routes = rack.routes().expect("the ToR's routes");
    let expected: lab::rib::Rib = [(Service::Web, &[0, 1, 2][..]), (Service::Api, &[1, 2][..])]
        .iter()
        .flat_map(|(s, nodes)| [false, true].map(|ipv6| (s.prefix(ipv6), next_hops(nodes, ipv6))))
        .collect();
    assert_eq!(routes, expected, "{}'s routes", rack.tor_name());
    if rack.has_fib() {
        // The L4 hash spreads the client's connections over the three next hops.
        let all = ["node1", "node2", "node3"];
        assert_answered(&rack, 30, false, &all, 2);
        assert_answered(&rack, 30, true, &all, 2);
    }
    rack.assert_no_panic();
    let base = rack.base().to_string();
    drop(rack);
    let left = run("ip", &["netns", "list"]).expect("ip netns list");
    assert!(
        !left.lines().any(|l| l.starts_with(&base)),
        "the rack left namespaces behind:\n{left}"
    );
}

fn terminating_endpoint_withdraws_while_another_node_is_ready(router: Router, test: &str) {
    let Some(mut rack) = rack(router, test, true) else {
        return;
    };
    let others = ["node2", "node3"];
    rack.set_endpoint(0, Service::Web, EndpointState::Terminating);
    rack.wait_next_hops(
        "node1 withdraws web (terminating, ready elsewhere)",
        Service::Web,
        &[1, 2],
    );
    if rack.has_fib() {
        assert_answered(&rack, 10, false, &others, 1);
    }
    rack.set_endpoint(0, Service::Web, EndpointState::Gone);
    if rack.has_fib() {
        assert_answered(&rack, 10, false, &others, 1);
    }
    holds_for(
        "web withdrawn by node1 once gone",
        Duration::from_secs(1),
        || {
            let hops = rack.next_hops_of(Service::Web.prefix(false))?;
            match hops == next_hops(&[1, 2], false) {
                true => Ok(()),
                false => Err(format!("web via {hops:?}")),
            }
        },
    );
    rack.set_endpoint(0, Service::Web, EndpointState::Ready);
    rack.wait_next_hops(
        "node1 announces web again once ready",
        Service::Web,
        &[0, 1, 2],
    );
    rack.assert_no_panic();
}

fn terminating_endpoints_keep_announcing_while_no_ready_one_exists(router: Router, test: &str) {
    let Some(mut rack) = rack(router, test, false) else {
        return;
    };
    // node2 terminating while node3 is ready: node2 withdraws.
    rack.set_endpoint(1, Service::Api, EndpointState::Terminating);
    rack.wait_next_hops("node2 withdraws api", Service::Api, &[2]);
    // Both terminating, none ready anywhere: both announce (node2 again).
    rack.set_endpoint(2, Service::Api, EndpointState::Terminating);
    rack.wait_next_hops(
        "both terminating endpoints announce api",
        Service::Api,
        &[1, 2],
    );
    // A ready endpoint appears on node3: the terminating-only node2 withdraws.
    rack.set_endpoint(2, Service::Api, EndpointState::Ready);
    rack.wait_next_hops(
        "node2 withdraws api once node3 is ready",
        Service::Api,
        &[2],
    );
    // No endpoint at all: nothing announced.
    rack.set_endpoint(1, Service::Api, EndpointState::Gone);
    rack.set_endpoint(2, Service::Api, EndpointState::Gone);
    rack.wait_next_hops("api withdrawn everywhere", Service::Api, &[]);
    rack.assert_no_panic();
}

fn no_request_fails_while_an_endpoint_goes_terminating_then_gone(router: Router, test: &str) {
    let Some(mut rack) = rack(router, test, true) else {
        return;
    };
    let stream = rack.request_stream();
    // Each phase lasts a second of requests (20 ms apart), so every transition has
    // requests in flight around it.
    let phase = Duration::from_secs(1);
    std::thread::sleep(phase);
    rack.set_endpoint(0, Service::Web, EndpointState::Terminating);
    rack.wait_next_hops("node1 withdraws web", Service::Web, &[1, 2]);
    std::thread::sleep(phase);
    rack.set_endpoint(0, Service::Web, EndpointState::Gone);
    std::thread::sleep(phase);
    let outcome = stream.finish();
    eprintln!("{}: {}", rack.tor_name(), outcome.describe());
    // Stateless ECMP moves some flows whenever the next-hop set changes: a connection in
    // flight at that instant can land on another node, which resets it. That is the
    // router's hashing, shown apart; anything else (refused, timed out, no route) fails.
    let (resets, failures): (Vec<_>, Vec<_>) = outcome.failed.iter().partition(|f| f.reset);
    if !resets.is_empty() {
        eprintln!(
            "{} connection(s) reset in flight as the next hops changed (ECMP rehash)",
            resets.len()
        );
    }
    assert!(failures.is_empty(), "requests failed: {failures:?}");
    assert!(
        outcome.ok >= 20,
        "too few requests to mean anything: {}",
        outcome.describe()
    );
    rack.assert_no_panic();
}

lab::for_routers!(every_node_with_a_ready_endpoint_announces_both_families);
lab::for_routers!(terminating_endpoint_withdraws_while_another_node_is_ready);
lab::for_routers!(terminating_endpoints_keep_announcing_while_no_ready_one_exists);
// Traffic follows BGP only where the ToR has a FIB: not on GoBGP.
lab::for_routers!(no_request_fails_while_an_endpoint_goes_terminating_then_gone: Frr, Bird);
