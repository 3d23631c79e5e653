use super::*;

#[test]
fn the_config_carries_the_modes_bfd_timers() {
    let c = config(
        2,
        Ipv4Addr::new(10, 91, 2, 2),
        Ipv4Addr::new(10, 91, 2, 1),
        Path::new("/tmp/cluster.json"),
        Mode::Bfd50,
    );
    assert!(c.contains("local_asn: 65002\n"), "{c}");
    assert!(
        c.contains("bfd: {enabled: true, min_tx: 50ms, min_rx: 50ms, multiplier: 3}"),
        "{c}"
    );
    assert!(c.contains("hold_time: 9s"), "{c}");
    let off = config(
        1,
        Ipv4Addr::new(10, 91, 1, 2),
        Ipv4Addr::new(10, 91, 1, 1),
        Path::new("/tmp/cluster.json"),
        Mode::Off,
    );
    assert!(off.contains("bfd: {enabled: false}"), "{off}");
}

#[test]
fn our_bfd_session_from_status() {
    let status =
        serde_json::json!({"peers": [{"name": "tor", "bfd": {"state": "up", "transitions": 3}}]});
    assert_eq!(
        parse_our_bfd(&status),
        Ok(OurBfd {
            state: "up".into(),
            transitions: 3
        })
    );
    let without = serde_json::json!({"peers": [{"name": "tor", "bfd": null}]});
    assert!(parse_our_bfd(&without).is_err());
}
