use super::*;

#[test]
fn records_have_their_declared_lengths() {
    let mut out = Vec::new();
    let ips = [Ipv4Addr::new(100, 64, 0, 1), Ipv4Addr::new(100, 64, 0, 2)];
    let peer = Ipv4Addr::new(10, 77, 0, 2);
    write_host_routes(&mut out, peer, 65001, peer, ips.into_iter()).unwrap();
    let mut at = 0;
    let mut records = Vec::new();
    while at < out.len() {
        let subtype = u16::from_be_bytes([out[at + 6], out[at + 7]]);
        let len = u32::from_be_bytes(out[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push((subtype, &out[at + 12..at + 12 + len]));
        at += 12 + len;
    }
    assert_eq!(at, out.len());
    let subtypes: Vec<u16> = records.iter().map(|r| r.0).collect();
    assert_eq!(
        subtypes,
        [PEER_INDEX_TABLE, RIB_IPV4_UNICAST, RIB_IPV4_UNICAST]
    );
    // Sequence number, prefix length, prefix, one entry from peer 0.
    assert_eq!(&records[2].1[..11], &[0, 0, 0, 1, 32, 100, 64, 0, 2, 0, 1]);
    let attrs = &records[2].1[19..];
    assert_eq!(
        attrs,
        &[0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 10, 77, 0, 2]
    );
}
