//! Which communities a Service's annotations may set (`announce.annotation_communities`).
//! Communities steer the fabric's policy (BLACKHOLE, NO_EXPORT, a provider's traffic
//! engineering values), so they are the operator's: whoever can create a Service may only
//! pick from the list. The config's own communities are not limited by it.

use crate::annotations::{AnnotationProblem, COMMUNITIES, LARGE_COMMUNITIES, ServiceAnnotations};
use crate::values;
use bgp::wire::{Community, LargeCommunity};

/// One entry of `announce.annotation_communities`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommunityPattern {
    /// `ASN:VALUE` or a well-known name: exactly this community.
    Community(Community),
    /// `A:B:C`: exactly this large community.
    Large(LargeCommunity),
    /// `ASN:*`: every community of this ASN (when it fits 16 bits) and every large
    /// community whose global administrator is this ASN.
    Asn(u32),
    /// `A:B:*`: every large community `A:B:x`.
    LargePrefix(u32, u32),
}

impl CommunityPattern {
    /// Parses one entry; the message follows the field name.
    pub fn parse(text: &str) -> Result<CommunityPattern, String> {
        let text = text.trim();
        let number = |part: &str| {
            part.parse::<u32>()
                .map_err(|_| format!("{text:?}: {part:?} is not a number 0..4294967295"))
        };
        match text.split(':').collect::<Vec<_>>().as_slice() {
            [asn, "*"] => number(asn).map(CommunityPattern::Asn),
            [asn, "*", "*"] => number(asn).map(CommunityPattern::Asn),
            [global, local1, "*"] => Ok(CommunityPattern::LargePrefix(
                number(global)?,
                number(local1)?,
            )),
            [_, _, _] => values::parse_large_community(text).map(CommunityPattern::Large),
            _ => values::parse_community(text).map(CommunityPattern::Community),
        }
    }

    fn allows(&self, community: Community) -> bool {
        match *self {
            CommunityPattern::Community(c) => c == community,
            CommunityPattern::Asn(asn) => community.0 >> 16 == asn,
            CommunityPattern::Large(_) | CommunityPattern::LargePrefix(..) => false,
        }
    }

    fn allows_large(&self, large: LargeCommunity) -> bool {
        match *self {
            CommunityPattern::Large(l) => l == large,
            CommunityPattern::Asn(asn) => large.global == asn,
            CommunityPattern::LargePrefix(global, local1) => {
                large.global == global && large.local1 == local1
            }
            CommunityPattern::Community(_) => false,
        }
    }
}

/// Refuses the `communities` and `large-communities` annotations when they set anything
/// outside `allowed`: like any bad value, the annotation is ignored (its default, none,
/// applies) and reported.
pub fn enforce(
    effective: &mut ServiceAnnotations,
    allowed: &[CommunityPattern],
) -> Vec<AnnotationProblem> {
    let mut problems = Vec::new();
    let refused: Vec<String> = effective
        .communities
        .iter()
        .filter(|c| !allowed.iter().any(|p| p.allows(**c)))
        .map(|c| format!("{}:{}", c.0 >> 16, c.0 & 0xFFFF))
        .collect();
    if !refused.is_empty() {
        effective.communities.clear();
        problems.push(refusal(COMMUNITIES, &refused));
    }
    let refused: Vec<String> = effective
        .large_communities
        .iter()
        .filter(|l| !allowed.iter().any(|p| p.allows_large(**l)))
        .map(|l| format!("{}:{}:{}", l.global, l.local1, l.local2))
        .collect();
    if !refused.is_empty() {
        effective.large_communities.clear();
        problems.push(refusal(LARGE_COMMUNITIES, &refused));
    }
    problems
}

fn refusal(key: &str, refused: &[String]) -> AnnotationProblem {
    AnnotationProblem {
        key: key.to_owned(),
        message: format!(
            "{} not in announce.annotation_communities",
            refused.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
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
}
