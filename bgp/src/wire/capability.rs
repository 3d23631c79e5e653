//! Capabilities advertised in OPEN (RFC 5492 and the RFCs of each capability).

use crate::types::{Afi, Asn, Safi};
use bytes::Bytes;

/// One capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Code 1: multiprotocol extensions (RFC 4760).
    Multiprotocol {
        /// AFI.
        afi: Afi,
        /// SAFI.
        safi: Safi,
    },
    /// Code 2: route refresh (RFC 2918).
    RouteRefresh,
    /// Code 6: extended message (RFC 8654).
    ExtendedMessage,
    /// Code 64: graceful restart (RFC 4724).
    GracefulRestart(GracefulRestart),
    /// Code 65: support for 4-octet AS numbers (RFC 6793).
    FourOctetAs(Asn),
    /// Code 70: enhanced route refresh (RFC 7313).
    EnhancedRouteRefresh,
    /// Code 73: FQDN / hostname (draft-walton-bgp-hostname-capability): shown by routers
    /// in their neighbor summary.
    Hostname {
        /// Host name, at most 255 octets of UTF-8 on the wire.
        hostname: String,
        /// Domain name, may be empty.
        domain: String,
    },
    /// Any capability we do not interpret, kept verbatim (RFC 5492: ignore, do not reject).
    Unknown {
        /// Capability code.
        code: u8,
        /// Capability value.
        value: Bytes,
    },
}

/// The graceful restart capability (RFC 4724 section 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestart {
    /// "R" bit: the sender has restarted and its peer must not wait for its End-of-RIB
    /// before sending its own routes.
    pub restart_state: bool,
    /// "N" bit (RFC 8538, notification support). Kept for display; we never set it.
    pub notification: bool,
    /// Restart time in seconds (12 bits).
    pub restart_time: u16,
    /// Per-family entries.
    pub families: Vec<GracefulRestartFamily>,
}

/// One AFI/SAFI entry of the graceful restart capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GracefulRestartFamily {
    /// AFI.
    pub afi: Afi,
    /// SAFI.
    pub safi: Safi,
    /// "F" bit: forwarding state was preserved across the restart.
    pub forwarding_preserved: bool,
}
