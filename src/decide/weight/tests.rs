use super::*;
use crate::config::weighted::BitsPerSecond;

fn enabled(bits: u64) -> WeightedConfig {
    WeightedConfig {
        enabled: true,
        bandwidth_per_endpoint: BitsPerSecond(bits),
        transitive: false,
    }
}

fn bandwidth(c: Option<ExtendedCommunity>) -> Option<f32> {
    c.and_then(|c| c.link_bandwidth())
        .map(|lb| lb.bytes_per_second())
}

#[test]
fn bandwidth_is_endpoints_times_bandwidth_per_endpoint_in_bytes() {
    let c = link_bandwidth(&enabled(8_000_000), None, Asn(65001), 3);
    assert_eq!(bandwidth(c), Some(3_000_000.0));
    let lb = c.unwrap().link_bandwidth().unwrap();
    assert!(!lb.transitive, "non-transitive: meaningful to the ToR only");
    assert_eq!(lb.asn, 65001);
}

#[test]
fn transitive_is_a_choice() {
    let config = WeightedConfig {
        transitive: true,
        ..enabled(8)
    };
    let c = link_bandwidth(&config, None, Asn(65001), 1);
    assert!(c.unwrap().link_bandwidth().unwrap().transitive);
}

#[test]
fn a_four_octet_asn_is_sent_as_as_trans() {
    let c = link_bandwidth(&enabled(8), None, Asn(4_200_000_001), 1);
    assert_eq!(c.unwrap().link_bandwidth().unwrap().asn, 23456);
}

#[test]
fn no_community_when_weighting_is_off_or_equal() {
    let off = WeightedConfig::default();
    assert_eq!(link_bandwidth(&off, None, Asn(65001), 3), None);
    assert_eq!(
        link_bandwidth(&enabled(8), Some(WeightMode::Equal), Asn(65001), 3),
        None
    );
}

#[test]
fn the_annotation_turns_weighting_on_for_one_service() {
    let off = WeightedConfig::default();
    let c = link_bandwidth(&off, Some(WeightMode::Endpoints), Asn(65001), 2);
    // The default 1Mbps per endpoint: 2 x 125,000 bytes/s.
    assert_eq!(bandwidth(c), Some(250_000.0));
}

#[test]
fn no_local_ready_endpoint_counts_as_one() {
    let zero = link_bandwidth(&enabled(8_000), None, Asn(65001), 0);
    let one = link_bandwidth(&enabled(8_000), None, Asn(65001), 1);
    assert_eq!(zero, one);
    assert_eq!(bandwidth(zero), Some(1_000.0));
}

#[test]
fn a_shared_address_carries_the_sum_of_its_services_bandwidths() {
    let one = link_bandwidth(&enabled(8), None, Asn(65001), 1).unwrap();
    let two = link_bandwidth(&enabled(8), None, Asn(65001), 2).unwrap();
    let route_target = ExtendedCommunity::Opaque([0, 2, 0, 1, 0, 0, 0, 9]);
    let merged = merge(&[one, route_target], &[two]);
    assert_eq!(merged.len(), 2);
    assert!(merged.contains(&route_target));
    let lb = merged.iter().find_map(|c| c.link_bandwidth()).unwrap();
    assert_eq!(lb.bytes_per_second(), 3.0);
    assert_eq!(merge(&[route_target], &[]), vec![route_target]);
}

#[test]
fn with_link_bandwidth_shares_the_base_when_unweighted() {
    let base = std::sync::Arc::new(RouteAttributes::default());
    assert!(std::sync::Arc::ptr_eq(
        &with_link_bandwidth(&base, None),
        &base
    ));
    let c = link_bandwidth(&enabled(8), None, Asn(65001), 4);
    let weighted = with_link_bandwidth(&base, c);
    assert_eq!(bytes_per_second(&weighted), Some(4.0));
    assert_eq!(display(&weighted).as_deref(), Some("32bps"));
    assert_eq!(display(&base), None);
}
