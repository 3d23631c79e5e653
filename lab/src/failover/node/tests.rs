use super::*;

/// The config of node `n` of the rack (10.91.N.2, its ToR at 10.91.N.1) in `mode`.
fn node_config(n: u8, mode: Mode) -> String {
    config(
        u32::from(n),
        Ipv4Addr::new(10, 91, n, 2),
        Ipv4Addr::new(10, 91, n, 1),
        Path::new("/tmp/cluster.json"),
        mode,
    )
}

#[test]
fn the_config_carries_the_modes_bfd_timers() {
    let c = node_config(2, Mode::Bfd50);
    assert!(c.contains("local_asn: 65002\n"), "{c}");
    assert!(
        c.contains("bfd: {enabled: true, min_tx: 50ms, min_rx: 50ms, multiplier: 3}"),
        "{c}"
    );
    assert!(c.contains("hold_time: 9s"), "{c}");
    let off = node_config(1, Mode::Off);
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
