use super::*;
use std::net::Ipv4Addr;

fn id(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId::new(Ipv4Addr::new(a, b, c, d)).unwrap()
}

#[test]
fn higher_local_identifier_keeps_outbound() {
    assert_eq!(
        survivor(id(10, 0, 0, 2), Asn(1), id(10, 0, 0, 1), Asn(1)),
        Direction::Outbound
    );
}

#[test]
fn higher_peer_identifier_keeps_inbound() {
    assert_eq!(
        survivor(id(10, 0, 0, 1), Asn(1), id(10, 0, 0, 2), Asn(1)),
        Direction::Inbound
    );
}

#[test]
fn identifiers_compare_as_unsigned_integers_not_octet_strings_of_signed_values() {
    // 128.0.0.0 is negative as i32; as u32 it is larger than 127.255.255.255.
    assert_eq!(
        survivor(id(128, 0, 0, 0), Asn(1), id(127, 255, 255, 255), Asn(1)),
        Direction::Outbound
    );
}

#[test]
fn equal_identifiers_fall_back_to_larger_asn() {
    assert_eq!(
        survivor(id(1, 1, 1, 1), Asn(65002), id(1, 1, 1, 1), Asn(65001)),
        Direction::Outbound
    );
    assert_eq!(
        survivor(id(1, 1, 1, 1), Asn(65001), id(1, 1, 1, 1), Asn(65002)),
        Direction::Inbound
    );
}
