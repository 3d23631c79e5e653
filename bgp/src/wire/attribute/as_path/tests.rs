use super::*;

fn seq(asns: &[u32]) -> AsPathSegment {
    AsPathSegment::Sequence(asns.iter().map(|a| Asn(*a)).collect())
}
fn set(asns: &[u32]) -> AsPathSegment {
    AsPathSegment::Set(asns.iter().map(|a| Asn(*a)).collect())
}
fn path(segments: Vec<AsPathSegment>) -> AsPath {
    AsPath { segments }
}

#[test]
fn four_octet_sequence_and_set_round_trip_bytes() {
    let p = path(vec![seq(&[65001, 4_200_000_000]), set(&[1, 2])]);
    let bytes = [
        2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0x00, //
        1, 2, 0, 0, 0, 1, 0, 0, 0, 2,
    ];
    assert_eq!(decode(&bytes, 4).unwrap(), p);
    let mut out = BytesMut::new();
    encode(&p, 4, false, &mut out);
    assert_eq!(&out[..], &bytes[..]);
    assert_eq!(value_len(&p, 4, false), bytes.len());
}

#[test]
fn two_octet_path_writes_as_trans_for_large_asns() {
    let p = path(vec![seq(&[65001, 4_200_000_000])]);
    let mut out = BytesMut::new();
    encode(&p, 2, false, &mut out);
    assert_eq!(&out[..], &[2, 2, 0xfd, 0xe9, 0x5b, 0xa0]);
    assert!(needs_as4_path(&p));
    assert!(!needs_as4_path(&path(vec![seq(&[65001, 65535])])));
}

#[test]
fn segment_longer_than_255_asns_is_split_on_encode() {
    let asns: Vec<u32> = (1..=300).collect();
    let p = path(vec![seq(&asns)]);
    let mut out = BytesMut::new();
    encode(&p, 4, false, &mut out);
    assert_eq!(out.len(), value_len(&p, 4, false));
    assert_eq!(out.len(), 2 + 255 * 4 + 2 + 45 * 4);
    let back = decode(&out, 4).unwrap();
    assert_eq!(back, path(vec![seq(&asns[..255]), seq(&asns[255..])]));
}

#[test]
fn as_path_with_zero_length_segment_is_malformed() {
    assert!(decode(&[2, 0], 4).is_err());
}

#[test]
fn as_path_with_unknown_segment_type_is_malformed() {
    assert!(decode(&[5, 1, 0, 1], 2).is_err());
}

#[test]
fn as_path_segment_overrun_is_malformed() {
    assert!(decode(&[2, 2, 0, 1, 0], 2).is_err());
}

#[test]
fn as_path_trailing_single_octet_is_malformed() {
    assert!(decode(&[2, 1, 0, 1, 2], 2).is_err());
}

#[test]
fn merge_takes_leading_asns_from_as_path() {
    // RFC 6793 4.2.3: AS_PATH 5 ASNs, AS4_PATH 3: the first 2 of AS_PATH go in front.
    let as_path = path(vec![seq(&[1, 2, 23456, 23456, 3])]);
    let as4 = path(vec![seq(&[70000, 80000, 3])]);
    assert_eq!(
        merge(&as_path, &as4),
        path(vec![seq(&[1, 2]), seq(&[70000, 80000, 3])])
    );
}

#[test]
fn merge_ignores_longer_as4_path() {
    let as_path = path(vec![seq(&[23456])]);
    let as4 = path(vec![seq(&[70000, 80000])]);
    assert_eq!(merge(&as_path, &as4), as_path);
}

#[test]
fn merge_keeps_leading_confed_segments_and_counts_sets_as_one() {
    let as_path = path(vec![
        AsPathSegment::ConfedSequence(vec![Asn(64512)]),
        set(&[1, 2, 3]),
        seq(&[23456]),
    ]);
    let as4 = path(vec![seq(&[70000])]);
    assert_eq!(
        merge(&as_path, &as4),
        path(vec![
            AsPathSegment::ConfedSequence(vec![Asn(64512)]),
            set(&[1, 2, 3]),
            seq(&[70000]),
        ])
    );
}
