//! The failover lab's smoke run (`lab failover` measures all of it): three nodes running
//! the real binary announce one externalIP to an FRR ToR with BFD at 300 ms x 3, a client
//! sends requests to it, and node2's link is cut on the node side (the ToR's side is a
//! switch port and stays up, so only BFD or the hold timer can tell). The node's next hop
//! must leave the ToR's kernel route through BFD (bfdd's session goes Down), and come
//! back by itself once the link is up again, with node2 answering requests again.
//!
//! It asserts what happens, never how fast: the times are printed. Needs root and FRR
//! with bfdd; without them it says it skipped and passes.

use lab::failover::client::Client;
use lab::failover::fault::Fault;
use lab::failover::measure::{Settings, measure};
use lab::failover::mode::Mode;
use lab::failover::rack::{ANYCAST, FailoverRack, PORT};
use lab::failover::{missing, table};
use lab::prereq::{Router, lab_available};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

#[test]
fn a_cut_link_leaves_the_tor_fib_through_bfd_and_comes_back_by_itself() {
    let test = "a_cut_link_leaves_the_tor_fib_through_bfd_and_comes_back_by_itself";
    if !lab_available(test, &[Router::Frr]) {
        return;
    }
    let lacking = missing(&[Fault::LinkCut]);
    assert!(lacking.is_empty(), "{test}: missing {lacking:?}");
    let binary = Path::new(env!("CARGO_BIN_EXE_kube-anycast"));
    let rack = FailoverRack::start("ft", binary, Mode::Bfd300, 3);
    let client = Client::start(
        &rack.rack().client,
        SocketAddr::from((ANYCAST, PORT)),
        Duration::from_millis(10),
        Duration::from_millis(300),
    );
    let settings = Settings::default();
    let m = measure(&rack, &client, Fault::LinkCut, &settings);
    eprintln!("{test}:\n{}", table::render(std::slice::from_ref(&m)));
    assert!(m.notes.is_empty(), "{:?}", m.notes);
    assert!(
        m.detect.is_some(),
        "node2's next hop never left the ToR's FIB"
    );
    assert_eq!(
        m.tor_bfd_down_and_up,
        Some(true),
        "the ToR's BFD session with node2 did not go Down and come back Up"
    );
    assert!(m.readd.is_some(), "node2's next hop did not come back");
    let back_at = m.back_at.expect("the time the next hop came back");
    let since_back: Vec<_> = client
        .requests()
        .into_iter()
        .filter(|r| r.started >= back_at)
        .collect();
    assert!(
        since_back
            .iter()
            .any(|r| r.outcome.as_deref() == Ok("node2")),
        "node2 answered none of the {} requests since its next hop came back: {:?}",
        since_back.len(),
        since_back.iter().take(5).collect::<Vec<_>>()
    );
}
