use super::*;

fn v4(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

#[test]
fn nlri_len_is_one_plus_octets_needed() {
    assert_eq!(nlri_len(&"0.0.0.0/0".parse().unwrap()), 1);
    assert_eq!(nlri_len(&"10.0.0.0/8".parse().unwrap()), 2);
    assert_eq!(nlri_len(&"10.0.0.0/9".parse().unwrap()), 3);
    assert_eq!(nlri_len(&"10.0.0.1/32".parse().unwrap()), 5);
    assert_eq!(nlri_len(&"2001:db8::/32".parse().unwrap()), 5);
    assert_eq!(nlri_len(&"2001:db8::1/128".parse().unwrap()), 17);
}

#[test]
fn prefixes_encode_to_length_and_significant_octets() {
    let mut out = BytesMut::new();
    for p in [
        "10.0.0.0/8",
        "192.168.1.128/25",
        "0.0.0.0/0",
        "2001:db8::/33",
    ] {
        encode_prefix(&p.parse().unwrap(), &mut out);
    }
    assert_eq!(
        &out[..],
        &[
            8, 10, 25, 192, 168, 1, 128, 0, 33, 0x20, 0x01, 0x0d, 0xb8, 0x00
        ][..]
    );
}

#[test]
fn host_bits_are_cleared_on_decode_and_never_encoded() {
    // 10.0.0.255/24 sent with host bits in the last octet is not possible (only 3
    // octets travel), but /25 carries 1 host-significant bit pattern in its 4th octet.
    assert_eq!(
        decode_v4(&[25, 10, 0, 0, 0xff]).unwrap(),
        vec![v4("10.0.0.128/25")]
    );
    let mut out = BytesMut::new();
    encode_prefix(&"10.0.0.255/25".parse().unwrap(), &mut out);
    assert_eq!(&out[..], &[25, 10, 0, 0, 0x80]);
}

#[test]
fn ipv4_prefix_longer_than_32_is_rejected() {
    assert_eq!(
        decode_v4(&[33, 1, 2, 3, 4, 5]),
        Err(PrefixError::LengthTooLong)
    );
}

#[test]
fn ipv6_prefix_longer_than_128_is_rejected() {
    let mut field = vec![129];
    field.extend_from_slice(&[0; 17]);
    assert_eq!(decode_v6(&field), Err(PrefixError::LengthTooLong));
}

#[test]
fn prefix_overrunning_its_field_is_rejected() {
    assert_eq!(decode_v4(&[24, 10, 0]), Err(PrefixError::Truncated));
    assert_eq!(decode_v6(&[64, 0x20, 0x01]), Err(PrefixError::Truncated));
}

#[test]
fn empty_field_has_no_prefixes() {
    assert_eq!(decode_v4(&[]).unwrap(), vec![]);
}
