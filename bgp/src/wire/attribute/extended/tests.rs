use super::*;

#[test]
fn link_bandwidth_layout_follows_the_draft() {
    // 65001, 1,000,000 bytes/s (8 Mbit/s), non-transitive: 0x40 0x04, AS, float.
    let lb = ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(65001, 1e6, false));
    let bytes = lb.to_bytes();
    assert_eq!(bytes, [0x40, 0x04, 0xfd, 0xe9, 0x49, 0x74, 0x24, 0x00]);
    assert_eq!(ExtendedCommunity::from_bytes(bytes), lb);
    let transitive = LinkBandwidth::new(65001, 1e6, true);
    assert_eq!(
        ExtendedCommunity::LinkBandwidth(transitive).to_bytes()[0],
        0x00
    );
}

#[test]
fn other_subtypes_and_types_stay_opaque() {
    // Route target (0x00 0x02) and a non-transitive opaque type: kept as they came.
    for octets in [
        [0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 1],
        [0x43, 0x04, 1, 2, 3, 4, 5, 6],
        [0x01, 0x04, 1, 2, 3, 4, 5, 6],
    ] {
        let c = ExtendedCommunity::from_bytes(octets);
        assert_eq!(c, ExtendedCommunity::Opaque(octets));
        assert_eq!(c.to_bytes(), octets);
    }
}

#[test]
fn a_nan_bandwidth_round_trips_exactly() {
    let octets = [0x40, 0x04, 0, 1, 0x7f, 0xc0, 0, 1];
    let c = ExtendedCommunity::from_bytes(octets);
    assert!(c.link_bandwidth().unwrap().bytes_per_second().is_nan());
    assert_eq!(c.to_bytes(), octets);
}

#[test]
fn length_must_be_a_non_zero_multiple_of_8() {
    assert!(decode(&[]).is_err());
    assert!(decode(&[0; 12]).is_err());
    assert_eq!(decode(&[0; 16]).unwrap().len(), 2);
}
