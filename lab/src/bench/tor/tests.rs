use super::*;

#[test]
fn summary_of_either_shape() {
    let flat = serde_json::json!({"peers": {"10.77.0.2": {
        "state": "Established", "pfxRcd": 12, "pfxSnt": 7, "msgSent": 30
    }}});
    let nested = serde_json::json!({"ipv4Unicast": flat.clone()});
    for v in [flat, nested] {
        assert_eq!(
            parse_summary(&v, "10.77.0.2").unwrap(),
            Summary {
                state: "Established".into(),
                prefixes: 12,
                sent: 7,
                messages_sent: 30,
            }
        );
    }
    assert!(parse_summary(&serde_json::json!({}), "10.77.0.2").is_err());
}

#[test]
fn routes_via_a_gateway() {
    let gw = Ipv4Addr::new(10, 77, 0, 2);
    let hex = format!("{:08X}", u32::from_ne_bytes(gw.octets()));
    let table = format!(
        "Iface\tDestination\tGateway \tFlags\n\
             ka1a\t00004D0A\t00000000\t0001\n\
             ka1a\t01004064\t{hex}\t0003\n\
             ka1a\t02004064\t{hex}\t0003\n"
    );
    assert_eq!(count_via(&table, gw), 2);
    assert_eq!(count_via(&table, Ipv4Addr::new(10, 77, 0, 3)), 0);
}

#[test]
fn bytes_from_ss() {
    let ss = "0 0 10.77.0.1:179 10.77.0.2:41234\n\t cubic wscale:7,7 bytes_sent:120 bytes_acked:121 bytes_received:5432 segs_out:9";
    assert_eq!(parse_bytes_received(ss), Some(5432));
    assert_eq!(parse_bytes_received("nothing"), None);
}
