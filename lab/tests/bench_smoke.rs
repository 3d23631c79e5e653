//! The bench's smoke run: every originator (kube-anycast with both sources and workloads
//! A, B and C, BIRD 2, GoBGP, ExaBGP) announces 1,000 routes into the FRR ToR and withdraws
//! them, then kube-anycast once more into a ToR that sends it nothing. It asserts that
//! every phase completed, never how long one took, and prints the table. Needs root and
//! the routers; without them it says it skipped and passes.

use lab::bench::originator::Kind;
use lab::bench::tor::Export;
use lab::bench::{self, Options};
use lab::prereq::{Router, lab_available};
use std::time::Duration;

#[test]
fn every_originator_announces_and_withdraws_1000_routes() {
    let routers = [Router::Frr, Router::Bird, Router::Gobgp, Router::Exabgp];
    if !lab_available("bench smoke run", &routers) {
        return;
    }
    // The debug binary saves CI a release build; the phases do not depend on speed.
    let binary = bench::binary::build_kube_anycast(false)
        .unwrap_or_else(|e| panic!("cannot build kube-anycast: {e}"));
    let options = Options {
        binary,
        sizes: vec![1_000],
        kinds: Kind::ALL.to_vec(),
        poll: Duration::from_millis(20),
        export: Export::All,
    };
    let mut runs = bench::run_all(&options, |run| {
        eprintln!("{} at N = {}: {:?}", run.kind.title(), run.n, run.notes);
    });
    // The other ToR setup once: the ToR must take its deny-all route-map (`Tor::new`
    // checks its running config) and every phase still complete.
    let quiet = Options {
        export: Export::None,
        ..options
    };
    runs.push(bench::run_one(&quiet, Kind::ManifestsB, 1_000));
    println!("{}", bench::table::render(&runs));
    assert_eq!(runs.len(), Kind::ALL.len() + 1);
    for run in &runs {
        assert!(
            run.completed(),
            "{} did not complete every phase: {:?}",
            run.kind.title(),
            run.notes
        );
        let announce = run.announce.expect("the ToR's counters after the announce");
        assert!(
            announce.updates >= 1 && announce.bytes > 0,
            "{}: the ToR counted no UPDATE: {announce:?}",
            run.kind.title()
        );
        assert!(
            run.usage.is_some_and(|u| u.peak_rss > 0),
            "{}: no memory reading",
            run.kind.title()
        );
    }
}
