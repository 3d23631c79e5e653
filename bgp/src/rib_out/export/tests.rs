use super::*;
use crate::rib_out::NextHops;
use crate::types::PeerKind;
use std::net::{Ipv4Addr, Ipv6Addr};

fn policy(ebgp: bool) -> ExportPolicy {
    ExportPolicy {
        local_asn: Asn(64512),
        kind: if ebgp {
            PeerKind::External
        } else {
            PeerKind::Internal
        },
        next_hops: NextHops {
            v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            v6: Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            v6_link_local: None,
        },
    }
}

#[test]
fn largest_prepend_splits_into_segments_of_255() {
    let attrs = RouteAttributes {
        as_path_prepend: u8::MAX,
        ..RouteAttributes::default()
    };
    let path = path_attributes(&attrs, &policy(true))
        .as_path
        .expect("AS_PATH is always sent");
    assert_eq!(
        path.segments,
        vec![
            AsPathSegment::Sequence(vec![Asn(64512); 255]),
            AsPathSegment::Sequence(vec![Asn(64512); 1]),
        ]
    );
}

#[test]
fn missing_next_hop_holds_family_back() {
    let mut p = policy(true);
    p.next_hops.v6 = None;
    p.next_hops.v6_link_local = Some(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
    assert_eq!(next_hop(Family::Ipv6Unicast, &p), None);
    assert!(next_hop(Family::Ipv4Unicast, &p).is_some());
}
