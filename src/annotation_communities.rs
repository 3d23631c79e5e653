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
mod tests;
