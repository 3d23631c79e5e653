use super::*;

#[test]
fn communities_accept_asn_value_and_well_known_names() {
    assert_eq!(parse_community("65010:100"), Ok(Community::new(65010, 100)));
    assert_eq!(parse_community("no-export"), Ok(Community::NO_EXPORT));
    assert_eq!(parse_community("NO-ADVERTISE"), Ok(Community::NO_ADVERTISE));
    assert_eq!(
        parse_community("graceful-shutdown"),
        Ok(Community::GRACEFUL_SHUTDOWN)
    );
}

#[test]
fn communities_refuse_out_of_range_and_garbage() {
    for text in ["65536:1", "1:65536", "1", "a:b", "1:2:3"] {
        assert!(parse_community(text).is_err(), "{text}");
    }
}

#[test]
fn large_communities_need_three_u32_parts() {
    assert_eq!(
        parse_large_community("4200000000:1:2"),
        Ok(LargeCommunity {
            global: 4_200_000_000,
            local1: 1,
            local2: 2
        })
    );
    assert!(parse_large_community("1:2").is_err());
    assert!(parse_large_community("1:2:4294967296").is_err());
}

#[test]
fn lists_split_on_commas_and_skip_blanks() {
    assert_eq!(
        parse_list("65010:1, no-export ,", parse_community),
        Ok(vec![Community::new(65010, 1), Community::NO_EXPORT])
    );
    assert_eq!(parse_list("", parse_community), Ok(vec![]));
    assert!(parse_list("65010:1,bad", parse_community).is_err());
}

#[test]
fn durations_take_units_and_sums() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
}

#[test]
fn durations_refuse_bare_numbers_and_unknown_units() {
    for text in ["90", "3d", "s", ""] {
        assert!(parse_duration(text).is_err(), "{text:?}");
    }
}
