use super::*;
use std::time::Duration;

fn hops(list: &[&str]) -> NextHops {
    list.iter().map(|a| a.parse().unwrap()).collect()
}

#[test]
fn a_multipath_route_has_every_live_gateway() {
    let json = r#"[{"dst":"203.0.113.30","nhid":10,"flags":[],"nexthops":[
            {"gateway":"10.91.1.2","dev":"sw","weight":1,"flags":[]},
            {"gateway":"10.91.2.2","dev":"sw","weight":1,"flags":["dead","linkdown"]},
            {"gateway":"10.91.3.2","dev":"sw","weight":1,"flags":[]}]}]"#;
    assert_eq!(
        parse_next_hops(json).unwrap(),
        hops(&["10.91.1.2", "10.91.3.2"])
    );
}

#[test]
fn a_single_path_route_and_an_absent_route() {
    let json =
        r#"[{"dst":"203.0.113.30","gateway":"10.91.2.2","dev":"sw","protocol":"bgp","flags":[]}]"#;
    assert_eq!(parse_next_hops(json).unwrap(), hops(&["10.91.2.2"]));
    assert_eq!(parse_next_hops("[]").unwrap(), hops(&[]));
    assert_eq!(parse_next_hops("\n").unwrap(), hops(&[]));
    assert!(parse_next_hops("[{").is_err());
    assert!(parse_next_hops(r#"[{"gateway":"nope"}]"#).is_err());
}

#[test]
fn the_first_change_after_a_moment_that_matches() {
    let t0 = Instant::now();
    let node2: Ipv4Addr = "10.91.2.2".parse().unwrap();
    let changes = vec![
        (t0, hops(&["10.91.1.2", "10.91.2.2"])),
        (t0 + Duration::from_millis(5), hops(&["10.91.1.2"])),
        (
            t0 + Duration::from_millis(900),
            hops(&["10.91.1.2", "10.91.2.2"]),
        ),
        (t0 + Duration::from_millis(950), hops(&["10.91.1.2"])),
    ];
    let gone = |h: &NextHops| !h.contains(&node2);
    assert_eq!(
        first_change(&changes, t0 + Duration::from_millis(10), gone),
        Some(t0 + Duration::from_millis(950))
    );
    assert_eq!(first_change(&changes, t0, |h| h.contains(&node2)), Some(t0));
    assert_eq!(
        first_change(&changes, t0 + Duration::from_secs(1), gone),
        None
    );
}
