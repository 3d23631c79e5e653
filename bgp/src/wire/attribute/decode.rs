//! Walking the path attribute section of a received UPDATE, with the error handling of
//! RFC 7606.
//!
//! Every attribute is checked in this order: duplicates (section 3 (g)), recognized or
//! not (RFC 4271 section 5 for unrecognized ones), dropped because of the session kind
//! (sections 7.5, 7.9, 7.10; RFC 6793 for AS4_* between 4-octet speakers), flags
//! (section 3 (c)), then its value. The action for a malformed attribute comes from
//! [`malformed_attribute_action`], a table keyed by type code.
//!
//! Choices where the RFCs leave room:
//! - Either length form is accepted: a short value with the Extended Length bit set is
//!   read like any other (RFC 4271 section 4.3 only says when the bit MAY be used).
//! - The Partial bit is not checked on receipt: it carries no meaning for the receiver of
//!   a well-known or non-transitive attribute, and RFC 7606 section 3 (c) only names the
//!   Optional and Transitive bits.
//! - NEXT_HOP is checked for length only. Whether an address is usable as a next hop is
//!   a decision of whoever installs the route (this crate installs none).
//! - No AS_PATH content checks (first AS equal to the peer's, RFC 4271 section 6.3): the
//!   codec does not know the peer's AS; RFC 7606 section 7.2 makes the check optional.
//! - When an attribute overruns the section (RFC 7606 section 4), the attributes after it
//!   are unreadable. An MP_REACH_NLRI among them would go unseen, which is why RFC 7606
//!   section 5.1 has senders put MP_REACH_NLRI / MP_UNREACH_NLRI first (our encoder does).

use super::flags::{EXTENDED_LENGTH, KIND, OPTIONAL, OPTIONAL_TRANSITIVE, PARTIAL};
use super::flags::{OPTIONAL_NON_TRANSITIVE, WELL_KNOWN};
use super::{Aggregator, AsPath, PathAttributes, RawAttribute, as_path, extended, mp, values};
use crate::types::Asn;
use crate::wire::SessionContext;
use crate::wire::error::{
    AttributeAction, AttributeIssue, MessageError, discarded_from_external_peer,
    malformed_attribute_action, type_code as tc,
};
use crate::wire::notification::update_subcode;
use bytes::Bytes;

/// The Optional and Transitive bits an attribute this crate interprets must carry
/// (RFC 4271 section 5 and the RFC of each attribute); `None` when not interpreted.
pub fn expected_kind(code: u8) -> Option<u8> {
    match code {
        tc::ORIGIN | tc::AS_PATH | tc::NEXT_HOP | tc::LOCAL_PREF | tc::ATOMIC_AGGREGATE => {
            Some(WELL_KNOWN)
        }
        tc::MULTI_EXIT_DISC
        | tc::ORIGINATOR_ID
        | tc::CLUSTER_LIST
        | tc::MP_REACH_NLRI
        | tc::MP_UNREACH_NLRI => Some(OPTIONAL_NON_TRANSITIVE),
        tc::AGGREGATOR
        | tc::COMMUNITIES
        | tc::EXTENDED_COMMUNITIES
        | tc::AS4_PATH
        | tc::AS4_AGGREGATOR
        | tc::LARGE_COMMUNITY => Some(OPTIONAL_TRANSITIVE),
        _ => None,
    }
}

/// The attribute section of an UPDATE, decoded.
#[derive(Debug, Default)]
pub struct DecodedAttributes {
    /// The attributes kept.
    pub attributes: PathAttributes,
    /// What RFC 7606 made us drop or turn into a withdrawal.
    pub issues: Vec<AttributeIssue>,
}

/// One attribute as found on the wire.
struct Wire<'a> {
    flags: u8,
    code: u8,
    value: &'a [u8],
    /// Flags, type, length and value exactly as received: the data of a NOTIFICATION
    /// about this attribute (RFC 4271 section 6.3).
    raw: &'a [u8],
}

struct Walker<'c> {
    ctx: &'c SessionContext,
    out: DecodedAttributes,
    seen: [bool; 256],
    as4_path: Option<AsPath>,
    as4_aggregator: Option<Aggregator>,
}

/// Decodes the path attribute section (exactly the Total Path Attribute Length octets).
///
/// `Err` is a session reset; everything else RFC 7606 allows to survive is in `issues`.
pub fn decode_attributes(
    mut section: &[u8],
    ctx: &SessionContext,
) -> Result<DecodedAttributes, MessageError> {
    let mut walker = Walker {
        ctx,
        out: DecodedAttributes::default(),
        seen: [false; 256],
        as4_path: None,
        as4_aggregator: None,
    };
    while !section.is_empty() {
        match split_attribute(section) {
            Ok((attr, rest)) => {
                walker.attribute(&attr)?;
                section = rest;
            }
            Err(code) => {
                // RFC 7606 section 4: an attribute header or length that overruns the
                // section: "the 'treat-as-withdraw' approach MUST be used ... and the
                // Total Attribute Length MUST be relied upon to enable the beginning of
                // the NLRI field to be located". The rest of the section is unusable.
                // MP_REACH_NLRI / MP_UNREACH_NLRI themselves cut short hide their NLRI:
                // session reset (section 7.11).
                if code == Some(tc::MP_REACH_NLRI) || code == Some(tc::MP_UNREACH_NLRI) {
                    return Err(MessageError::update(
                        update_subcode::MALFORMED_ATTRIBUTE_LIST,
                        Bytes::new(),
                        "MP attribute overruns the path attribute section",
                    ));
                }
                walker.issue(
                    code.unwrap_or(0),
                    AttributeAction::TreatAsWithdraw,
                    "attribute overruns the path attribute section",
                );
                break;
            }
        }
    }
    walker.finish();
    Ok(walker.out)
}

/// Splits the first attribute off `section`. `Err(type code if known)` when its header or
/// value does not fit in what remains.
fn split_attribute(section: &[u8]) -> Result<(Wire<'_>, &[u8]), Option<u8>> {
    let (flags, code, len, header) = match section {
        [flags, code, hi, lo, ..] if flags & EXTENDED_LENGTH != 0 => (
            *flags,
            *code,
            usize::from(u16::from_be_bytes([*hi, *lo])),
            4,
        ),
        [flags, code, len, ..] if flags & EXTENDED_LENGTH == 0 => {
            (*flags, *code, usize::from(*len), 3)
        }
        [_, code, ..] => return Err(Some(*code)),
        _ => return Err(None),
    };
    let end = header + len;
    if end > section.len() {
        return Err(Some(code));
    }
    let attr = Wire {
        flags,
        code,
        value: &section[header..end],
        raw: &section[..end],
    };
    Ok((attr, &section[end..]))
}

impl Walker<'_> {
    fn issue(&mut self, type_code: u8, action: AttributeAction, reason: impl Into<String>) {
        self.out.issues.push(AttributeIssue {
            type_code,
            action,
            reason: reason.into(),
        });
    }

    /// Applies the RFC 7606 table to a malformed attribute.
    fn malformed(
        &mut self,
        attr: &Wire<'_>,
        subcode: u8,
        reason: &str,
    ) -> Result<(), MessageError> {
        match malformed_attribute_action(attr.code, self.ctx.ebgp).as_attribute_action() {
            Some(action) => {
                self.issue(attr.code, action, reason);
                Ok(())
            }
            None => Err(MessageError::update(
                subcode,
                Bytes::copy_from_slice(attr.raw),
                reason,
            )),
        }
    }

    fn attribute(&mut self, attr: &Wire<'_>) -> Result<(), MessageError> {
        let code = attr.code;
        // RFC 7606 section 3 (g): "If the MP_REACH_NLRI attribute or the MP_UNREACH_NLRI
        // attribute appears more than once in the UPDATE message, then a NOTIFICATION
        // message MUST be sent with the Error Subcode 'Malformed Attribute List'. If any
        // other attribute (whether recognized or unrecognized) appears more than once in
        // an UPDATE message, then all the occurrences of the attribute other than the
        // first one SHALL be discarded".
        if std::mem::replace(&mut self.seen[usize::from(code)], true) {
            if code == tc::MP_REACH_NLRI || code == tc::MP_UNREACH_NLRI {
                return Err(MessageError::update(
                    update_subcode::MALFORMED_ATTRIBUTE_LIST,
                    Bytes::new(),
                    "MP_REACH_NLRI or MP_UNREACH_NLRI appears twice",
                ));
            }
            self.issue(code, AttributeAction::Discard, "duplicate attribute");
            return Ok(());
        }
        let Some(kind) = expected_kind(code) else {
            return self.unrecognized(attr);
        };
        if self.ctx.ebgp && discarded_from_external_peer(code) {
            self.issue(
                code,
                AttributeAction::Discard,
                "received from an external peer",
            );
            return Ok(());
        }
        if self.ctx.four_octet_as && (code == tc::AS4_PATH || code == tc::AS4_AGGREGATOR) {
            // RFC 6793 section 4.1: speakers that both support 4-octet ASNs never exchange
            // AS4_PATH / AS4_AGGREGATOR; received ones are discarded.
            self.issue(
                code,
                AttributeAction::Discard,
                "AS4 attribute on a 4-octet AS session",
            );
            return Ok(());
        }
        if attr.flags & KIND != kind {
            // RFC 7606 section 3 (c): Optional/Transitive bits in conflict with the
            // definition: the attribute is malformed, handled per its row of the table.
            return self.malformed(
                attr,
                update_subcode::ATTRIBUTE_FLAGS_ERROR,
                "attribute flags conflict with the attribute type",
            );
        }
        self.value(attr)
    }

    fn unrecognized(&mut self, attr: &Wire<'_>) -> Result<(), MessageError> {
        // RFC 4271 section 6.3: an unrecognized well-known attribute is an error that
        // RFC 7606 does not soften (there is nothing to look up in the table).
        if attr.flags & OPTIONAL == 0 {
            return Err(MessageError::update(
                update_subcode::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                Bytes::copy_from_slice(attr.raw),
                format!("unrecognized well-known attribute {}", attr.code),
            ));
        }
        // RFC 4271 section 5: "If an optional non-transitive attribute is unrecognized, it
        // is quietly ignored"; an optional transitive one is passed on, Partial set.
        if attr.flags & OPTIONAL_TRANSITIVE == OPTIONAL_TRANSITIVE {
            self.keep_raw(attr, false);
        }
        Ok(())
    }

    /// Keeps an attribute as bytes. `recognized`: checked here (MP attributes of other
    /// families) rather than unknown, so the Partial bit is left as is.
    fn keep_raw(&mut self, attr: &Wire<'_>, recognized: bool) {
        let mut flags = attr.flags & !EXTENDED_LENGTH;
        // RFC 4271 section 5: an unrecognized optional transitive attribute is passed on
        // with the Partial bit set.
        if !recognized && flags & OPTIONAL_TRANSITIVE == OPTIONAL_TRANSITIVE {
            flags |= PARTIAL;
        }
        self.out.attributes.unknown.push(RawAttribute {
            flags,
            type_code: attr.code,
            value: Bytes::copy_from_slice(attr.value),
        });
    }

    /// Stores a decoded MP_REACH_NLRI or MP_UNREACH_NLRI in its `slot`; one of a family
    /// this crate does not speak (`None`) is kept as raw bytes instead.
    fn mp_value<T>(
        &mut self,
        attr: &Wire<'_>,
        decoded: Result<Option<T>, values::Malformed>,
        slot: impl FnOnce(&mut PathAttributes) -> &mut Option<T>,
    ) -> Result<(), values::Malformed> {
        match decoded? {
            Some(value) => *slot(&mut self.out.attributes) = Some(value),
            None => self.keep_raw(attr, true),
        }
        Ok(())
    }

    fn value(&mut self, attr: &Wire<'_>) -> Result<(), MessageError> {
        use update_subcode::{ATTRIBUTE_LENGTH_ERROR, OPTIONAL_ATTRIBUTE_ERROR};
        let v = attr.value;
        let four = self.ctx.four_octet_as;
        let attrs = &mut self.out.attributes;
        let result: Result<(), &str> = match attr.code {
            tc::ORIGIN => values::origin(v).map(|o| attrs.origin = Some(o)),
            tc::AS_PATH => {
                as_path::decode(v, if four { 4 } else { 2 }).map(|p| attrs.as_path = Some(p))
            }
            tc::NEXT_HOP => {
                values::ipv4_value(v, "NEXT_HOP length is not 4").map(|a| attrs.next_hop = Some(a))
            }
            tc::MULTI_EXIT_DISC => {
                values::u32_value(v, "MULTI_EXIT_DISC length is not 4").map(|m| attrs.med = Some(m))
            }
            tc::LOCAL_PREF => values::u32_value(v, "LOCAL_PREF length is not 4")
                .map(|l| attrs.local_pref = Some(l)),
            tc::ATOMIC_AGGREGATE => {
                values::atomic_aggregate(v).map(|()| attrs.atomic_aggregate = true)
            }
            tc::AGGREGATOR => values::aggregator(v, four).map(|a| attrs.aggregator = Some(a)),
            tc::COMMUNITIES => values::communities(v).map(|c| attrs.communities = c),
            tc::ORIGINATOR_ID => values::ipv4_value(v, "ORIGINATOR_ID length is not 4")
                .map(|a| attrs.originator_id = Some(a)),
            tc::CLUSTER_LIST => values::cluster_list(v).map(|c| attrs.cluster_list = c),
            tc::LARGE_COMMUNITY => {
                values::large_communities(v).map(|c| attrs.large_communities = c)
            }
            tc::AS4_AGGREGATOR => {
                values::aggregator(v, true).map(|a| self.as4_aggregator = Some(a))
            }
            tc::AS4_PATH => return self.as4_path_value(attr),
            // RFC 7606 section 7.14: a length that is not a non-zero multiple of 8
            // is treat-as-withdraw (the table in `error.rs`).
            tc::EXTENDED_COMMUNITIES => extended::decode(v).map(|c| attrs.extended_communities = c),
            tc::MP_REACH_NLRI => self.mp_value(attr, mp::decode_reach(v), |a| &mut a.mp_reach),
            tc::MP_UNREACH_NLRI => {
                self.mp_value(attr, mp::decode_unreach(v), |a| &mut a.mp_unreach)
            }
            _ => {
                self.keep_raw(attr, true);
                Ok(())
            }
        };
        match result {
            Ok(()) => Ok(()),
            Err(reason) => {
                // Only MP attributes reach a session reset here (RFC 4760 section 7 names
                // Optional Attribute Error for them); the subcode of the others is unused.
                let subcode = match attr.code {
                    tc::MP_REACH_NLRI | tc::MP_UNREACH_NLRI => OPTIONAL_ATTRIBUTE_ERROR,
                    _ => ATTRIBUTE_LENGTH_ERROR,
                };
                self.malformed(attr, subcode, reason)
            }
        }
    }

    fn as4_path_value(&mut self, attr: &Wire<'_>) -> Result<(), MessageError> {
        match as_path::decode(attr.value, 4) {
            Ok(mut path) => {
                if as_path::strip_confed(&mut path) {
                    self.issue(
                        tc::AS4_PATH,
                        AttributeAction::Discard,
                        "confederation segments in AS4_PATH discarded",
                    );
                }
                self.as4_path = Some(path);
                Ok(())
            }
            Err(reason) => self.malformed(attr, update_subcode::OPTIONAL_ATTRIBUTE_ERROR, reason),
        }
    }

    /// RFC 6793 section 4.2.3: rebuilds the 4-octet AS_PATH and AGGREGATOR of a 2-octet
    /// session.
    fn finish(&mut self) {
        let attrs = &mut self.out.attributes;
        let mut use_as4_path = true;
        if let Some(as4) = self.as4_aggregator.take() {
            match attrs.aggregator {
                // "If the AGGREGATOR attribute contains an AS number other than AS_TRANS,
                // then ... the AS4_AGGREGATOR and AS4_PATH attributes SHALL be ignored".
                Some(a) if a.asn != Asn::TRANS => use_as4_path = false,
                Some(_) => attrs.aggregator = Some(as4),
                // An AS4_AGGREGATOR without AGGREGATOR has nothing to complete.
                None => {}
            }
        }
        if let (true, Some(as4), Some(path)) = (use_as4_path, self.as4_path.take(), &attrs.as_path)
        {
            attrs.as_path = Some(as_path::merge(path, &as4));
        }
    }
}

/// The type codes of the well-known attributes an UPDATE that announces routes lacks
/// (RFC 4271 section 5, RFC 7606 section 3 (d)): ORIGIN and AS_PATH always; NEXT_HOP when
/// there is classic NLRI (RFC 4760 section 3 makes it optional for MP_REACH_NLRI only);
/// LOCAL_PREF on iBGP (RFC 4271 section 5.1.5: "SHALL be included in all UPDATE messages
/// that a given BGP speaker sends to other internal peers").
pub fn missing_mandatory(attrs: &PathAttributes, classic_nlri: bool, ebgp: bool) -> Vec<u8> {
    let mut missing = Vec::new();
    if attrs.origin.is_none() {
        missing.push(tc::ORIGIN);
    }
    if attrs.as_path.is_none() {
        missing.push(tc::AS_PATH);
    }
    if classic_nlri && attrs.next_hop.is_none() {
        missing.push(tc::NEXT_HOP);
    }
    if !ebgp && attrs.local_pref.is_none() {
        missing.push(tc::LOCAL_PREF);
    }
    missing
}
