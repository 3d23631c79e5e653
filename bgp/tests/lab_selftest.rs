//! Checks of the interop lab itself, with no code of ours on the wire: real routers peer
//! with each other in namespaces, and the lab helpers must read their RIBs correctly. When
//! these fail the lab is broken, not the speaker.

use ipnet::IpNet;
use lab::bird::{Bird, BirdConfig, BirdPeer, parse_bgp_state, parse_routes};
use lab::frr::{Frr, FrrConfig, FrrNeighbor};
use lab::gobgp::{Gobgp, GobgpConfig, GobgpNeighbor};
use lab::interop::InteropRouter;
use lab::netns::{self, NetnsPair};
use lab::prereq::{Router, lab_available};
use lab::rib::{self, compare};
use lab::scenario::{self, Setup};
use lab::{CONVERGE, LabRouter, wait_until};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// GoBGP on side B in our speaker's place: our ASN and router id, peering with the
/// router on side A as `setup` says.
fn gobgp_in_b(pair: &NetnsPair, setup: &Setup) -> Gobgp {
    Gobgp::start(
        &pair.b.ns,
        GobgpConfig {
            asn: scenario::OUR_ASN,
            router_id: scenario::OUR_ROUTER_ID,
            neighbors: vec![GobgpNeighbor {
                address: setup.router_addr(pair),
                remote_as: setup.router_asn(),
                password: None,
            }],
            start_disabled: false,
        },
    )
}

/// Runs `test` (named `name`) when the lab has GoBGP and `R`: `R` on side A and GoBGP on
/// side B of a fresh pair of namespaces, in an eBGP session over IPv4.
fn with_router_and_gobgp<R: InteropRouter>(name: &str, test: impl FnOnce(&NetnsPair, R, Gobgp)) {
    if lab_available(name, &[R::ROUTER, Router::Gobgp]) {
        let pair = NetnsPair::new();
        let setup = Setup::new(true, false);
        let router = R::START(&pair, &setup);
        let gobgp = gobgp_in_b(&pair, &setup);
        test(&pair, router, gobgp);
    }
}

fn originate_from_gobgp(gobgp: &Gobgp, pair: &NetnsPair) -> Vec<IpNet> {
    let mut prefixes = rib::v4_hosts(5);
    prefixes.extend(rib::v6_hosts(5));
    for p in &prefixes {
        let nh = match p {
            IpNet::V4(_) => IpAddr::V4(pair.b.v4),
            IpNet::V6(_) => IpAddr::V6(pair.b.v6),
        };
        gobgp
            .add_route(*p, nh)
            .unwrap_or_else(|e| panic!("gobgp add {p}: {e}"));
    }
    prefixes
}

#[test]
fn frr_rib_shows_routes_originated_by_gobgp() {
    with_router_and_gobgp::<Frr>(
        "frr_rib_shows_routes_originated_by_gobgp",
        |pair, frr, gobgp| {
            frr.wait_established(IpAddr::V4(pair.b.v4));
            gobgp.wait_established(IpAddr::V4(pair.a.v4));
            let prefixes = originate_from_gobgp(&gobgp, pair);
            assert_eq!(prefixes.len(), 10);
            let expected = rib::expected(&prefixes, pair.b.v4, pair.b.v6);
            wait_until("FRR to learn GoBGP's routes", CONVERGE, || {
                compare(&expected, &frr.rib()?)
            });
        },
    );
}

#[test]
fn bird_rib_shows_routes_originated_by_gobgp() {
    with_router_and_gobgp::<Bird>(
        "bird_rib_shows_routes_originated_by_gobgp",
        |pair, bird, gobgp| {
            bird.wait_established(scenario::BIRD_PROTOCOL);
            let prefixes = originate_from_gobgp(&gobgp, pair);
            let expected = rib::expected(&prefixes, pair.b.v4, pair.b.v6);
            wait_until("BIRD to learn GoBGP's routes", CONVERGE, || {
                compare(&expected, &bird.rib(scenario::BIRD_PROTOCOL)?)
            });
        },
    );
}

#[test]
fn gobgp_rib_shows_routes_originated_by_frr_and_bird() {
    if !lab_available(
        "gobgp_rib_shows_routes_originated_by_frr_and_bird",
        &[Router::Frr, Router::Bird, Router::Gobgp],
    ) {
        return;
    }
    // FRR originates to GoBGP: checks the GoBGP RIB parser, MP_REACH next hops included.
    let pair = NetnsPair::new();
    let setup = Setup::new(true, false);
    let prefixes = {
        let mut p = rib::v4_hosts(3);
        p.extend(rib::v6_hosts(3));
        p
    };
    let frr = Frr::start(
        &pair.a.ns,
        FrrConfig {
            asn: 65001,
            router_id: pair.a.v4,
            neighbors: vec![FrrNeighbor {
                address: IpAddr::V4(pair.b.v4),
                remote_as: 4_200_000_001,
                password: None,
                passive: false,
            }],
            networks: prefixes.clone(),
        },
    );
    let gobgp = gobgp_in_b(&pair, &setup);
    gobgp.wait_established(IpAddr::V4(pair.a.v4));
    let expected = rib::expected(&prefixes, pair.a.v4, pair.a.v6);
    wait_until("GoBGP to learn FRR's routes", CONVERGE, || {
        compare(&expected, &gobgp.rib()?)
    });
    drop(frr);

    // Then BIRD in place of FRR, to check BIRD's originated routes reach GoBGP too.
    let bird = Bird::start(
        &pair.a.ns,
        BirdConfig {
            router_id: pair.a.v4,
            peers: vec![BirdPeer {
                name: "gobgp".to_string(),
                local: IpAddr::V4(pair.a.v4),
                local_as: 65001,
                neighbor: IpAddr::V4(pair.b.v4),
                remote_as: 4_200_000_001,
                password: None,
            }],
            originate: prefixes.clone(),
        },
    );
    bird.wait_established("gobgp");
    wait_until("GoBGP to learn BIRD's routes", CONVERGE, || {
        compare(&expected, &gobgp.rib()?)
    });
}

/// Every session shape the interop tests use, with GoBGP standing in for our speaker on
/// side B: the router configurations of the scenarios are right independently of our code.
/// `test` names the test when the lab cannot run it.
fn router_accepts_every_session_shape<R: InteropRouter>(test: &str) {
    if !lab_available(test, &[R::ROUTER, Router::Gobgp]) {
        return;
    }
    // The shapes are independent labs: run them side by side.
    std::thread::scope(|scope| {
        let shapes = [(true, false), (true, true), (false, false), (false, true)];
        let runs: Vec<_> = shapes
            .into_iter()
            .map(|(ebgp, v6)| {
                scope.spawn(move || one_session_shape(Setup::new(ebgp, v6), R::START))
            })
            .collect();
        assert_eq!(runs.len(), 4);
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

fn one_session_shape<R: LabRouter>(setup: Setup, start: fn(&NetnsPair, &Setup) -> R) {
    let pair = NetnsPair::new();
    let router = start(&pair, &setup);
    let gobgp = gobgp_in_b(&pair, &setup);
    let shape = format!("{setup:?} with {}", router.describe());
    wait_until(
        &format!("Established in {shape}"),
        CONVERGE,
        || match router.session_state()? {
            s if s == "Established" => Ok(()),
            s => Err(format!("{s}; {}", router.log_tail())),
        },
    );
    let prefixes = originate_from_gobgp(&gobgp, &pair);
    let expected = rib::expected(&prefixes, pair.b.v4, pair.b.v6);
    wait_until(&format!("routes in {shape}"), CONVERGE, || {
        compare(&expected, &router.rib()?)
    });
}

#[test]
fn frr_accepts_every_session_shape_from_gobgp() {
    router_accepts_every_session_shape::<Frr>("frr_accepts_every_session_shape_from_gobgp");
}

#[test]
fn bird_accepts_every_session_shape_from_gobgp() {
    router_accepts_every_session_shape::<Bird>("bird_accepts_every_session_shape_from_gobgp");
}

#[test]
fn namespaces_are_deleted_on_drop() {
    if !lab_available("namespaces_are_deleted_on_drop", &[]) {
        return;
    }
    let pair = NetnsPair::new();
    let names = [pair.a.ns.clone(), pair.b.ns.clone()];
    let listed = lab::process::must("ip", &["netns", "list"]);
    for n in &names {
        assert!(listed.contains(n.as_str()), "{n} not created: {listed}");
    }
    assert!(pair.a.link_local().is_ok());
    drop(pair);
    let listed = lab::process::must("ip", &["netns", "list"]);
    for n in &names {
        assert!(!listed.contains(n.as_str()), "{n} left behind: {listed}");
    }
}

#[test]
fn bird_route_parser_reads_next_hops_and_skips_unreachable() {
    let out = "BIRD 2.0.12 ready.
Table master4:
10.9.0.1/32          unicast [frr 06:09:29.558] * (100) [AS65001i]
\tvia 10.77.0.1 on t1b
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65001
\tBGP.next_hop: 10.77.0.1
\tBGP.local_pref: 100
10.9.0.2/32          unreachable [frr 06:09:29.558] * (100) [AS65001i]
\tType: BGP univ
\tBGP.next_hop: 10.77.0.9

Table master6:
fd00:9::1/128        unicast [frr 06:09:29.558 from 10.77.0.1] * (100) [AS65001i]
\tvia fd00:77::1 on t1b
\tType: BGP univ
\tBGP.next_hop: fd00:77::1 fe80::5cd6:f6ff:fead:ae43
";
    let rib = parse_routes(out).expect("parses");
    assert_eq!(rib.len(), 2);
    let v4: IpNet = "10.9.0.1/32".parse().expect("valid");
    let v6: IpNet = "fd00:9::1/128".parse().expect("valid");
    assert_eq!(rib[&v4], BTreeSet::from([IpAddr::V4(netns::A_V4)]));
    assert_eq!(rib[&v6].len(), 2);
    assert!(rib[&v6].contains(&IpAddr::V6(netns::A_V6)));
}

#[test]
fn bird_state_parser_reads_the_bgp_state_line() {
    let out = "BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
frr        BGP        ---        start  06:09:28.493  Active        Socket: Connection refused
  BGP state:          Active
    Neighbor address: 10.77.0.1
";
    assert_eq!(parse_bgp_state(out).as_deref(), Some("Active"));
    assert_eq!(parse_bgp_state("BIRD 2.0.12 ready.\n"), None);
}

#[test]
fn rib_comparison_ignores_only_the_link_local_next_hop() {
    let p: IpNet = "fd00:100::1/128".parse().expect("valid");
    let expected = rib::expected(&[p], netns::B_V4, netns::B_V6);
    let mut actual = expected.clone();
    let ll: IpAddr = "fe80::1".parse().expect("valid");
    actual.get_mut(&p).expect("present").insert(ll);
    assert_eq!(compare(&expected, &actual), Ok(()));
    let wrong = rib::expected(&[p], netns::B_V4, netns::A_V6);
    assert!(compare(&expected, &wrong).is_err());
    assert!(compare(&expected, &rib::Rib::new()).is_err());
    let extra = rib::expected(&rib::v6_hosts(2), netns::B_V4, netns::B_V6);
    assert!(compare(&expected, &extra).is_err());
}

#[test]
fn exact_rib_comparison_requires_the_link_local_next_hop() {
    let prefixes = [
        "fd00:100::1/128".parse::<IpNet>().expect("valid"),
        "10.100.0.1/32".parse::<IpNet>().expect("valid"),
    ];
    let ll: std::net::Ipv6Addr = "fe80::1".parse().expect("valid");
    let plain = rib::expected(&prefixes, netns::B_V4, netns::B_V6);
    let with_ll = rib::with_link_local(&plain, ll);
    assert_eq!(with_ll[&prefixes[0]].len(), 2);
    assert_eq!(
        with_ll[&prefixes[1]].len(),
        1,
        "IPv4 routes get no link-local"
    );
    assert_eq!(rib::compare_exact(&with_ll, &with_ll), Ok(()));
    assert!(rib::compare_exact(&with_ll, &plain).is_err());
    assert!(rib::compare_exact(&plain, &with_ll).is_err());
    let other_ll = rib::with_link_local(&plain, "fe80::2".parse().expect("valid"));
    assert!(rib::compare_exact(&with_ll, &other_ll).is_err());
}
