//! UPDATE messages (RFC 4271 section 4.3, RFC 4760 for other families, RFC 7606 for
//! error handling) and End-of-RIB markers (RFC 4724 section 2).
//!
//! Sizes: an encoded UPDATE is exactly [`Update::encoded_len`] octets, that is
//! `19 + 2 + Σ nlri_len(withdrawn) + 2 + attributes.encoded_len(ctx) + Σ nlri_len(nlri)`,
//! see [`nlri_len`] and [`PathAttributes::encoded_len`].

pub mod nlri;

pub use nlri::nlri_len;

/// The smallest UPDATE: the 19-octet header, the Withdrawn Routes Length and the Total
/// Path Attribute Length fields (2 octets each), nothing else (RFC 4271 section 4.3).
pub const UPDATE_MIN_LEN: usize = HEADER_LEN + 4;

use super::SessionContext;
use super::attribute::decode::{decode_attributes, missing_mandatory};
use super::attribute::{MpUnreach, PathAttributes};
use super::error::{AttributeAction, AttributeIssue, EncodeError, MessageError};
use super::header::HEADER_LEN;
use super::notification::update_subcode;
use crate::types::Family;
use bytes::{BufMut, Bytes, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// An UPDATE message.
///
/// IPv4 unicast routes may travel in `withdrawn`/`nlri` (classic encoding) or in the
/// MP_REACH/MP_UNREACH attributes; IPv6 only in the latter.
///
/// A decoded UPDATE with [`is_treat_as_withdraw`](Update::is_treat_as_withdraw) true still
/// lists what it announced (in `nlri` and `attributes.mp_reach`): the receiver must handle
/// those prefixes as withdrawn (RFC 7606 section 2). With no prefixes announced, the
/// treat-as-withdraw has nothing to act on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Withdrawn IPv4 routes.
    pub withdrawn: Vec<Ipv4Net>,
    /// Path attributes.
    pub attributes: PathAttributes,
    /// Announced IPv4 routes.
    pub nlri: Vec<Ipv4Net>,
    /// Malformed attributes the decoder handled per RFC 7606 without a session reset.
    /// Always empty on UPDATEs we build.
    pub issues: Vec<AttributeIssue>,
}

impl Update {
    /// The End-of-RIB marker for `family` (RFC 4724 section 2): an empty UPDATE for IPv4
    /// unicast, an UPDATE with only an empty MP_UNREACH_NLRI for other families.
    pub fn end_of_rib(family: Family) -> Update {
        match family {
            Family::Ipv4Unicast => Update::default(),
            Family::Ipv6Unicast => Update {
                attributes: PathAttributes {
                    mp_unreach: Some(MpUnreach {
                        family,
                        withdrawn: Vec::new(),
                    }),
                    ..PathAttributes::default()
                },
                ..Update::default()
            },
        }
    }

    /// An UPDATE withdrawing `ipv4` in the classic Withdrawn Routes field and `ipv6` in an
    /// MP_UNREACH_NLRI. An empty `ipv6` attaches no MP_UNREACH_NLRI: an empty one is the
    /// IPv6 End-of-RIB marker.
    pub fn withdrawal(ipv4: Vec<Ipv4Net>, ipv6: Vec<Ipv6Net>) -> Update {
        let mp_unreach = (!ipv6.is_empty()).then(|| MpUnreach {
            family: Family::Ipv6Unicast,
            withdrawn: ipv6.into_iter().map(IpNet::V6).collect(),
        });
        Update {
            withdrawn: ipv4,
            attributes: PathAttributes {
                mp_unreach,
                ..PathAttributes::default()
            },
            ..Update::default()
        }
    }

    /// The family this UPDATE is an End-of-RIB marker for, if it is one.
    ///
    /// IPv4 unicast: no withdrawn routes, no attributes, no NLRI. IPv6 unicast: nothing but
    /// an MP_UNREACH_NLRI for AFI 2 / SAFI 1 without prefixes. An UPDATE whose attributes
    /// were all dropped by RFC 7606 is not a marker (its `issues` are not empty).
    pub fn as_end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() || !self.issues.is_empty() {
            return None;
        }
        let only_unreach = PathAttributes {
            mp_unreach: self.attributes.mp_unreach.clone(),
            ..PathAttributes::default()
        };
        if self.attributes != only_unreach {
            return None;
        }
        match &self.attributes.mp_unreach {
            None => Some(Family::Ipv4Unicast),
            Some(MpUnreach {
                family: Family::Ipv6Unicast,
                withdrawn,
            }) if withdrawn.is_empty() => Some(Family::Ipv6Unicast),
            Some(_) => None,
        }
    }

    /// True when RFC 7606 says to handle this UPDATE as a withdrawal of all its NLRI.
    pub fn is_treat_as_withdraw(&self) -> bool {
        self.issues
            .iter()
            .any(|i| i.action == AttributeAction::TreatAsWithdraw)
    }

    /// Every prefix this UPDATE announces: the classic NLRI, then MP_REACH_NLRI's.
    pub fn announced(&self) -> impl Iterator<Item = IpNet> + '_ {
        let mp = self.attributes.mp_reach.as_ref().map(|r| &r.nlri[..]);
        classic_then_mp(&self.nlri, mp)
    }

    /// Every prefix this UPDATE withdraws: the Withdrawn Routes field, then
    /// MP_UNREACH_NLRI's (not counting what treat-as-withdraw adds).
    pub fn withdrawn_prefixes(&self) -> impl Iterator<Item = IpNet> + '_ {
        let mp = self
            .attributes
            .mp_unreach
            .as_ref()
            .map(|u| &u.withdrawn[..]);
        classic_then_mp(&self.withdrawn, mp)
    }

    /// The exact size of this UPDATE on the wire, the 19-octet header included, on a
    /// session in `ctx`. Computed without allocating; [`Update::encode_body`] writes
    /// `encoded_len - 19` octets.
    pub fn encoded_len(&self, ctx: &SessionContext) -> usize {
        HEADER_LEN + self.body_len(ctx).0
    }

    /// (body, withdrawn field, attribute section) lengths.
    fn body_len(&self, ctx: &SessionContext) -> (usize, usize, usize) {
        let withdrawn: usize = self
            .withdrawn
            .iter()
            .map(|p| nlri_len(&IpNet::V4(*p)))
            .sum();
        let attributes = self.attributes.encoded_len(ctx);
        let nlri: usize = self.nlri.iter().map(|p| nlri_len(&IpNet::V4(*p))).sum();
        (4 + withdrawn + attributes + nlri, withdrawn, attributes)
    }
}

fn reset(subcode: u8, reason: &str) -> MessageError {
    MessageError::update(subcode, Bytes::new(), reason)
}

impl Update {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    ///
    /// `Err` means session reset with the NOTIFICATION it carries. Attribute errors RFC 7606
    /// lets the session survive are in [`Update::issues`].
    pub fn decode_body(body: &[u8], ctx: &SessionContext) -> Result<Update, MessageError> {
        use update_subcode::{INVALID_NETWORK_FIELD, MALFORMED_ATTRIBUTE_LIST};
        // RFC 4271 section 6.3: "If the Withdrawn Routes Length or Total Attribute Length
        // is too large (i.e., if Withdrawn Routes Length + Total Attribute Length + 23
        // exceeds the message Length), then the Error Subcode MUST be set to Malformed
        // Attribute List." The NLRI cannot be located: no treat-as-withdraw is possible.
        let too_long = || {
            reset(
                MALFORMED_ATTRIBUTE_LIST,
                "UPDATE field lengths exceed the message",
            )
        };
        let (withdrawn_field, rest) = split_length_prefixed(body).ok_or_else(too_long)?;
        let (attribute_section, nlri_field) = split_length_prefixed(rest).ok_or_else(too_long)?;

        // RFC 7606 section 5.3: a Withdrawn Routes or NLRI field that does not parse
        // (a prefix length over 32, a prefix overrunning the field) leaves no reliable
        // list of routes to withdraw, so treat-as-withdraw is impossible and the session
        // is reset; RFC 4271 section 6.3 names the subcode Invalid Network Field.
        let withdrawn = nlri::decode_v4(withdrawn_field)
            .map_err(|e| reset(INVALID_NETWORK_FIELD, e.reason()))?;
        let nlri =
            nlri::decode_v4(nlri_field).map_err(|e| reset(INVALID_NETWORK_FIELD, e.reason()))?;

        let decoded = decode_attributes(attribute_section, ctx)?;
        let mut update = Update {
            withdrawn,
            attributes: decoded.attributes,
            nlri,
            issues: decoded.issues,
        };
        let mp_nlri = update
            .attributes
            .mp_reach
            .as_ref()
            .is_some_and(|r| !r.nlri.is_empty());
        if !update.nlri.is_empty() || mp_nlri {
            // RFC 7606 section 3 (d): "If any of the well-known mandatory attributes are
            // not present in an UPDATE message, then 'treat-as-withdraw' MUST be used."
            // An attribute dropped as malformed already carries its own issue.
            for code in missing_mandatory(&update.attributes, !update.nlri.is_empty(), ctx.ebgp) {
                if update.issues.iter().all(|i| i.type_code != code) {
                    update.issues.push(AttributeIssue {
                        type_code: code,
                        action: AttributeAction::TreatAsWithdraw,
                        reason: "missing well-known attribute".to_string(),
                    });
                }
            }
        }
        Ok(update)
    }

    /// Appends the body (everything after the header) of this message to `out`:
    /// `encoded_len(ctx) - 19` octets.
    ///
    /// Fails without writing anything when the whole message would exceed
    /// `ctx.max_message_len`, a length field would overflow, or the message contradicts
    /// itself (see [`EncodeError::Inconsistent`]).
    pub fn encode_body(&self, ctx: &SessionContext, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.attributes.check()?;
        let (body, withdrawn_len, attributes_len) = self.body_len(ctx);
        if HEADER_LEN + body > ctx.max_message_len {
            return Err(EncodeError::TooLong {
                len: HEADER_LEN + body,
                max: ctx.max_message_len,
            });
        }
        let withdrawn_len = u16::try_from(withdrawn_len)
            .map_err(|_| EncodeError::FieldOverflow("withdrawn routes length"))?;
        let attributes_len = u16::try_from(attributes_len)
            .map_err(|_| EncodeError::FieldOverflow("total path attribute length"))?;
        out.reserve(body);
        let start = out.len();
        out.put_u16(withdrawn_len);
        for p in &self.withdrawn {
            nlri::encode_prefix(&IpNet::V4(*p), out);
        }
        out.put_u16(attributes_len);
        if let Err(e) = self.attributes.encode(ctx, out) {
            out.truncate(start);
            return Err(e);
        }
        for p in &self.nlri {
            nlri::encode_prefix(&IpNet::V4(*p), out);
        }
        debug_assert_eq!(
            out.len() - start,
            body,
            "encoded_len disagrees with the encoder"
        );
        Ok(())
    }
}

/// The IPv4 prefixes of a classic field, then those of the MP attribute that goes with it.
fn classic_then_mp<'a>(
    classic: &'a [Ipv4Net],
    mp: Option<&'a [IpNet]>,
) -> impl Iterator<Item = IpNet> + 'a {
    let mp = mp.unwrap_or_default().iter().copied();
    classic.iter().map(|p| IpNet::V4(*p)).chain(mp)
}

/// Splits a 2-octet length and the field of that many octets off the front of `bytes`:
/// (field, what follows), or `None` when the length or the field overruns `bytes`.
fn split_length_prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let ([hi, lo], rest) = bytes.split_first_chunk::<2>()?;
    rest.split_at_checked(usize::from(u16::from_be_bytes([*hi, *lo])))
}

#[cfg(test)]
mod tests;
