//! Building our OPEN from the configuration, and judging the peer's OPEN (RFC 4271
//! section 6.2, RFC 6793, RFC 6286, RFC 5492): pure functions, no state.

use super::{Negotiated, SessionConfig};
use crate::types::{Asn, Family, HoldTime, PeerKind};
use crate::wire::notification::open_subcode;
use crate::wire::{
    Capability, ErrorCode, GracefulRestart, GracefulRestartFamily, MAX_EXTENDED_MESSAGE_LEN,
    MAX_MESSAGE_LEN, Notification, Open, SessionContext,
};

/// The only BGP version we speak.
pub const BGP_VERSION: u8 = 4;

/// The families we announce: the configured ones, or IPv4 unicast alone when none are
/// configured (what a speaker without the Multiprotocol capability implies, RFC 4760
/// section 8).
fn local_families(config: &SessionConfig) -> Vec<Family> {
    let mut out: Vec<Family> = Vec::new();
    for f in &config.families {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    if out.is_empty() {
        out.push(Family::Ipv4Unicast);
    }
    out
}

/// Our OPEN message.
///
/// - My Autonomous System: our ASN, or AS_TRANS when it needs 4 octets (RFC 6793 section 4.1).
/// - 4-octet AS capability always, so a 4-octet ASN is never lost.
/// - One Multiprotocol capability per family (RFC 4760).
/// - Route refresh (RFC 2918), so a peer can ask for our routes again without a reset.
/// - Extended message (RFC 8654), graceful restart (RFC 4724) and hostname when configured.
///
/// Graceful restart (RFC 4724 section 3): the Forwarding State (F) bit is set for every
/// family. It speaks of *our* forwarding of the routes we announce, and the packets those
/// routes attract are delivered by the host (kube-proxy), which keeps forwarding while
/// this process restarts; a clear F bit would make a helper delete our stale routes the
/// moment the new session comes up (section 4.2), a flap on every upgrade. The Restart
/// State (R) bit is `restart_state`: the caller ([`Session`](super::Session)) sets it only
/// until the first session after the process started reached Established.
pub fn build_open(config: &SessionConfig, restart_state: bool) -> Open {
    let families = local_families(config);
    let mut capabilities: Vec<Capability> =
        families.iter().copied().map(Capability::from).collect();
    capabilities.push(Capability::RouteRefresh);
    capabilities.push(Capability::FourOctetAs(config.local_asn));
    if config.extended_message {
        capabilities.push(Capability::ExtendedMessage);
    }
    if let Some(gr) = config.graceful_restart {
        capabilities.push(Capability::GracefulRestart(GracefulRestart {
            restart_state,
            notification: false,
            restart_time: gr.restart_time.seconds(),
            families: families
                .iter()
                .map(|f| GracefulRestartFamily::new(*f, true))
                .collect(),
        }));
    }
    if let Some(name) = &config.hostname {
        capabilities.push(Capability::Hostname {
            hostname: name.clone(),
            domain: String::new(),
        });
    }
    Open {
        version: BGP_VERSION,
        my_as: config.local_asn.to_two_octet(),
        hold_time: config.hold_time.seconds(),
        router_id: config.router_id,
        capabilities,
    }
}

fn open_error(subcode: u8, data: Vec<u8>) -> Notification {
    Notification::new(ErrorCode::Open, subcode, data)
}

/// The peer's ASN as its OPEN states it, checked for consistency (RFC 6793 section 4.1,
/// RFC 7607): a 4-octet capability that fits 2 octets must repeat My Autonomous System, one
/// that does not must come with AS_TRANS there, and neither may be 0 or AS_TRANS itself.
fn peer_asn(open: &Open) -> Result<Asn, Notification> {
    let bad = || open_error(open_subcode::BAD_PEER_AS, Vec::new());
    let four = open.capabilities.iter().find_map(|c| match c {
        Capability::FourOctetAs(asn) => Some(*asn),
        _ => None,
    });
    if open.my_as == 0 {
        return Err(bad());
    }
    match four {
        None => Ok(Asn(u32::from(open.my_as))),
        Some(asn) if asn.0 == 0 || asn == Asn::TRANS => Err(bad()),
        Some(asn) if asn.is_two_octet() && u32::from(open.my_as) != asn.0 => Err(bad()),
        Some(asn) if !asn.is_two_octet() && Asn(u32::from(open.my_as)) != Asn::TRANS => Err(bad()),
        Some(asn) => Ok(asn),
    }
}

/// Judges the peer's OPEN against our configuration (RFC 4271 section 6.2 in its order:
/// version, AS, hold time, identifier) and, if acceptable, computes what both sides
/// agreed. The error is the NOTIFICATION to send.
pub fn negotiate(config: &SessionConfig, open: &Open) -> Result<Negotiated, Notification> {
    if open.version != BGP_VERSION {
        // Data: the largest version we support, 2 octets (RFC 4271 section 6.2).
        return Err(open_error(
            open_subcode::UNSUPPORTED_VERSION,
            u16::from(BGP_VERSION).to_be_bytes().to_vec(),
        ));
    }
    let asn = peer_asn(open)?;
    if asn != config.peer_asn {
        return Err(open_error(open_subcode::BAD_PEER_AS, Vec::new()));
    }
    let peer_hold_time = HoldTime::new(open.hold_time)
        .map_err(|_| open_error(open_subcode::UNACCEPTABLE_HOLD_TIME, Vec::new()))?;
    let kind = PeerKind::of(config.local_asn, config.peer_asn);
    // RFC 6286 section 2.2: any non-zero value (a `RouterId` is never zero); equal to
    // ours only between ASes.
    if kind == PeerKind::Internal && open.router_id == config.router_id {
        return Err(open_error(open_subcode::BAD_BGP_IDENTIFIER, Vec::new()));
    }

    let has = |want: &Capability| open.capabilities.iter().any(|c| c == want);
    let peer_mp: Vec<Family> = open
        .capabilities
        .iter()
        .filter_map(|c| match c {
            Capability::Multiprotocol { afi, safi } => Some(Family::from_afi_safi(*afi, *safi)),
            _ => None,
        })
        .flatten()
        .collect();
    let peer_sent_mp = open
        .capabilities
        .iter()
        .any(|c| matches!(c, Capability::Multiprotocol { .. }));
    let families: Vec<Family> = local_families(config)
        .into_iter()
        .filter(|f| {
            if peer_sent_mp {
                peer_mp.contains(f)
            } else {
                // RFC 4760 section 8: no Multiprotocol capability means IPv4 unicast.
                *f == Family::Ipv4Unicast
            }
        })
        .collect();

    let hold_time = config.hold_time.min(peer_hold_time).seconds();
    let four_octet_as = open
        .capabilities
        .iter()
        .any(|c| matches!(c, Capability::FourOctetAs(_)));
    let extended_message = config.extended_message && has(&Capability::ExtendedMessage);
    let peer_graceful_restart = open.capabilities.iter().find_map(|c| match c {
        Capability::GracefulRestart(gr) => Some(gr.clone()),
        _ => None,
    });
    let peer_hostname = open.capabilities.iter().find_map(|c| match c {
        Capability::Hostname { hostname, .. } => Some(hostname.clone()),
        _ => None,
    });
    Ok(Negotiated {
        peer_asn: asn,
        peer_router_id: open.router_id,
        hold_time,
        keepalive: hold_time / 3,
        families,
        four_octet_as,
        route_refresh: has(&Capability::RouteRefresh),
        extended_message,
        peer_graceful_restart,
        peer_hostname,
        context: SessionContext {
            four_octet_as,
            max_message_len: if extended_message {
                MAX_EXTENDED_MESSAGE_LEN
            } else {
                MAX_MESSAGE_LEN
            },
            ebgp: kind.is_external(),
        },
    })
}
