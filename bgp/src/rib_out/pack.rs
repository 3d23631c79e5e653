//! Packing pending changes into UPDATEs no longer than the session allows.
//!
//! Sizes are computed exactly while prefixes are added (`size`, and the wire encoder's
//! own size functions), so each UPDATE is filled until the next prefix would not fit.
//! IPv4 unicast uses the classic Withdrawn
//! Routes and NLRI fields with NEXT_HOP (RFC 4271 section 4.3), which every router accepts;
//! IPv6 unicast uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760, next hop per RFC 2545).
//! Announcements carry one family each; a withdrawal UPDATE may carry IPv4 in the classic
//! field and IPv6 in its one MP_UNREACH_NLRI.

use super::table::Table;
use super::{PeerSession, export, size};
use crate::types::Family;
use crate::wire::{MpReach, NextHop, Update, nlri_len};
use ipnet::IpNet;

/// An UPDATE withdrawing as many pending withdrawals as fit, IPv4 first; `None` when none
/// is pending. The peer no longer has the prefixes withdrawn.
pub(super) fn withdrawal(table: &mut Table, max_len: usize) -> Option<Update> {
    let mut used = size::EMPTY_UPDATE_LEN;
    let mut ipv4 = Vec::new();
    while let Some(prefix) = table.next_withdrawal(Family::Ipv4Unicast, |prefix| {
        let len = nlri_len(&prefix);
        let fits = used + len <= max_len;
        used += if fits { len } else { 0 };
        fits
    }) {
        if let IpNet::V4(v4) = prefix {
            ipv4.push(v4);
        }
    }
    let mut ipv6 = Vec::new();
    let mut ipv6_len = 0;
    while let Some(prefix) = table.next_withdrawal(Family::Ipv6Unicast, |prefix| {
        let len = nlri_len(&prefix);
        let fits = used + size::mp_unreach_len(ipv6_len + len) <= max_len;
        ipv6_len += if fits { len } else { 0 };
        fits
    }) {
        if let IpNet::V6(v6) = prefix {
            ipv6.push(v6);
        }
    }
    if ipv4.is_empty() && ipv6.is_empty() {
        return drop_unfittable_withdrawal(table);
    }
    Some(Update::withdrawal(ipv4, ipv6))
}

/// An UPDATE announcing as many prefixes of `family` from its oldest pending attribute
/// group as fit; `None` when nothing of `family` could be sent. The peer has the prefixes
/// announced.
pub(super) fn announcement(
    table: &mut Table,
    session: &PeerSession,
    family: Family,
) -> Option<Update> {
    let (group, attrs) = table.first_group(family)?;
    let Some(next_hop) = export::next_hop(family, &session.policy) else {
        // Not reached: routes without a next hop are never queued. Dropping keeps the
        // queue draining should it happen.
        table.hold_back(family, group);
        return None;
    };
    let max_len = session.context.max_message_len;
    let mut path = export::path_attributes(&attrs, &session.policy);
    let update = match next_hop {
        NextHop::V4(address) => {
            path.next_hop = Some(address);
            let mut used = size::EMPTY_UPDATE_LEN + path.encoded_len(&session.context);
            let mut nlri = Vec::new();
            while let Some(prefix) = table.first_in_group(family, group) {
                let IpNet::V4(v4) = prefix else { break };
                let len = nlri_len(&prefix);
                if used + len > max_len {
                    break;
                }
                used += len;
                table.take_announcement(prefix, &attrs);
                nlri.push(v4);
            }
            (!nlri.is_empty()).then(|| Update {
                attributes: path,
                nlri,
                ..Update::default()
            })
        }
        NextHop::V6 { .. } => {
            let used = size::EMPTY_UPDATE_LEN + path.encoded_len(&session.context);
            let mut nlri = Vec::new();
            let mut nlri_octets = 0;
            while let Some(prefix) = table.first_in_group(family, group) {
                let len = nlri_len(&prefix);
                if used + size::mp_reach_len(&next_hop, nlri_octets + len) > max_len {
                    break;
                }
                nlri_octets += len;
                table.take_announcement(prefix, &attrs);
                nlri.push(prefix);
            }
            (!nlri.is_empty()).then(|| {
                path.mp_reach = Some(MpReach {
                    family,
                    next_hop,
                    nlri,
                });
                Update {
                    attributes: path,
                    ..Update::default()
                }
            })
        }
    };
    if update.is_none() {
        // Attributes so large that not even one prefix fits in a message: those routes
        // cannot be sent on this session. They are held back instead of blocking every
        // later change.
        let held = table.hold_back(family, group);
        tracing::warn!(
            %family,
            held,
            max_len,
            communities = attrs.communities.len(),
            large_communities = attrs.large_communities.len(),
            "routes held back: their attributes do not fit in one UPDATE"
        );
    }
    update
}

/// A maximum message length too small for even one withdrawal (never the case with the
/// lengths of RFC 4271 and RFC 8654): forget the first one so the queue still drains.
fn drop_unfittable_withdrawal(table: &mut Table) -> Option<Update> {
    let prefix = Family::ALL
        .into_iter()
        .find_map(|family| table.next_withdrawal(family, |_| true))?;
    tracing::warn!(%prefix, "withdrawal does not fit in the maximum message length");
    None
}
