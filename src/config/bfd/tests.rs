use super::*;

fn raw(enabled: &str, tx: &str, rx: &str, mult: &str) -> RawBfd {
    let s = |v: &str| (!v.is_empty()).then(|| Scalar(v.to_owned()));
    RawBfd {
        enabled: s(enabled),
        min_tx: s(tx),
        min_rx: s(rx),
        multiplier: s(mult),
    }
}

fn fields(r: Result<BfdConfig, Vec<(String, String)>>) -> Vec<String> {
    r.expect_err("refused")
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

#[test]
fn absent_bfd_is_off_at_300ms_x_3() {
    let c = parse("peers[0].bfd", None).unwrap();
    assert!(!c.enabled);
    assert_eq!(c.min_tx, Duration::from_millis(300));
    assert_eq!(c.min_rx, Duration::from_millis(300));
    assert_eq!(c.multiplier.get(), 3);
}

#[test]
fn every_key_is_read() {
    let c = parse("peers[0].bfd", Some(&raw("true", "50ms", "100ms", "5"))).unwrap();
    assert!(c.enabled);
    assert_eq!(c.min_tx, Duration::from_millis(50));
    assert_eq!(c.min_rx, Duration::from_millis(100));
    assert_eq!(c.multiplier.get(), 5);
}

#[test]
fn each_bad_value_is_refused_naming_its_field() {
    let r = parse("peers[2].bfd", Some(&raw("yes", "5ms", "2m", "0")));
    assert_eq!(
        fields(r),
        [
            "peers[2].bfd.enabled",
            "peers[2].bfd.min_tx",
            "peers[2].bfd.min_rx",
            "peers[2].bfd.multiplier"
        ]
    );
}

#[test]
fn a_multiplier_above_255_is_refused() {
    let r = parse("peers[0].bfd", Some(&raw("", "", "", "256")));
    assert_eq!(fields(r), ["peers[0].bfd.multiplier"]);
}

const PEER: &str = "node_name: n1\nlocal_asn: 65010\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: []}\npeers:\n  - {name: tor, address: 10.0.0.1, asn: 65000, bfd: BFD}\n";

fn config(bfd: &str) -> Result<super::super::Config, super::super::ConfigError> {
    super::super::Config::parse(&PEER.replace("BFD", bfd), |_| None)
}

#[test]
fn the_peer_key_reaches_the_validated_config() {
    let c = config("{enabled: true, min_tx: 50ms}").unwrap();
    assert!(c.peers[0].bfd.enabled);
    assert_eq!(c.peers[0].bfd.min_tx, Duration::from_millis(50));
}

#[test]
fn check_names_the_bfd_field_of_the_peer() {
    let err = config("{min_tx: 1ms}").expect_err("refused");
    assert!(
        err.problems
            .iter()
            .any(|p| p.starts_with("peers[0].bfd.min_tx:")),
        "{:?}",
        err.problems
    );
}

#[test]
fn unknown_bfd_keys_are_refused() {
    let err = config("{interval: 1s}").expect_err("refused");
    assert!(
        err.problems.iter().any(|p| p.contains("interval")),
        "{:?}",
        err.problems
    );
}
