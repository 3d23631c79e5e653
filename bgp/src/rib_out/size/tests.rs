use super::*;
use crate::types::Family;
use crate::wire::{MpReach, MpUnreach, PathAttributes, SessionContext};
use ipnet::IpNet;
use std::net::Ipv6Addr;

/// The incremental sizes agree with the encoder's on both sides of the Extended
/// Length boundary.
#[test]
fn mp_sizes_match_the_encoder() {
    let ctx = SessionContext::default();
    for count in 0..40u32 {
        let nlri: Vec<IpNet> = (0..count)
            .map(|i| IpNet::new(Ipv6Addr::from(u128::from(i) << 64).into(), 64))
            .collect::<Result<_, _>>()
            .expect("valid prefixes");
        let nlri_len: usize = nlri.iter().map(crate::wire::nlri_len).sum();
        for link_local in [None, Some(Ipv6Addr::LOCALHOST)] {
            let next_hop = NextHop::V6 {
                global: Ipv6Addr::LOCALHOST,
                link_local,
            };
            let reach = PathAttributes {
                mp_reach: Some(MpReach {
                    family: Family::Ipv6Unicast,
                    next_hop,
                    nlri: nlri.clone(),
                }),
                ..PathAttributes::default()
            };
            assert_eq!(reach.encoded_len(&ctx), mp_reach_len(&next_hop, nlri_len));
        }
        let unreach = PathAttributes {
            mp_unreach: Some(MpUnreach {
                family: Family::Ipv6Unicast,
                withdrawn: nlri.clone(),
            }),
            ..PathAttributes::default()
        };
        assert_eq!(unreach.encoded_len(&ctx), mp_unreach_len(nlri_len));
    }
}
