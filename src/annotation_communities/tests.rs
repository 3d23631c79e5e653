use super::*;

fn patterns(list: &[&str]) -> Vec<CommunityPattern> {
    list.iter()
        .map(|p| CommunityPattern::parse(p).unwrap())
        .collect()
}

fn with(communities: &[Community], large: &[LargeCommunity]) -> ServiceAnnotations {
    ServiceAnnotations {
        communities: communities.to_vec(),
        large_communities: large.to_vec(),
        ..Default::default()
    }
}

const BLACKHOLE: Community = Community(0xFFFF_029A);

#[test]
fn exact_values_and_asn_patterns_allow_their_communities() {
    let allowed = patterns(&["65010:7", "65020:*", "no-export", "65010:1:2", "65030:5:*"]);
    let mut a = with(
        &[
            Community::new(65010, 7),
            Community::new(65020, 9),
            Community::NO_EXPORT,
        ],
        &[
            LargeCommunity {
                global: 65010,
                local1: 1,
                local2: 2,
            },
            LargeCommunity {
                global: 65020,
                local1: 3,
                local2: 4,
            },
            LargeCommunity {
                global: 65030,
                local1: 5,
                local2: 6,
            },
        ],
    );
    let before = a.clone();
    assert_eq!(enforce(&mut a, &allowed), vec![]);
    assert_eq!(a, before);
}

#[test]
fn a_community_outside_the_list_refuses_the_whole_annotation() {
    let allowed = patterns(&["65010:*"]);
    let mut a = with(&[Community::new(65010, 7), Community::new(65011, 1)], &[]);
    let problems = enforce(&mut a, &allowed);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, COMMUNITIES);
    assert!(problems[0].message.contains("65011:1"));
    assert!(a.communities.is_empty(), "the annotation takes its default");
}

#[test]
fn a_tenants_blackhole_is_refused_unless_listed() {
    assert_eq!(
        CommunityPattern::parse("65535:666"),
        Ok(CommunityPattern::Community(BLACKHOLE))
    );
    let mut a = with(&[BLACKHOLE], &[]);
    assert_eq!(enforce(&mut a, &patterns(&["65010:*"])).len(), 1);
    let mut listed = with(&[BLACKHOLE], &[]);
    assert!(enforce(&mut listed, &patterns(&["65535:666"])).is_empty());
    assert_eq!(listed.communities, vec![BLACKHOLE]);
}

#[test]
fn an_empty_list_allows_no_annotation_community() {
    let mut a = with(
        &[Community::new(65010, 7)],
        &[LargeCommunity {
            global: 1,
            local1: 2,
            local2: 3,
        }],
    );
    let keys: Vec<String> = enforce(&mut a, &[]).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, vec![COMMUNITIES, LARGE_COMMUNITIES]);
}

#[test]
fn malformed_patterns_are_refused() {
    for bad in ["65010", "x:*", "65010:*:1", "1:2:3:4", "70000:1"] {
        assert!(CommunityPattern::parse(bad).is_err(), "{bad}");
    }
}
