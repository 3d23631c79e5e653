//! Small value types shared by every layer: AS numbers, router IDs, address families,
//! and the session values whose RFC rules are checked once, in their constructor
//! ([`HoldTime`], [`RestartTime`], [`RouterId`], [`PeerKind`]).

use crate::code_point::code_point;
use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

/// A value that breaks its RFC rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// RFC 4271 section 4.2: zero, or at least three seconds, in a 16-bit field.
    #[error("must be 0s or at least 3s (RFC 4271 section 4.2)")]
    HoldTime,
    /// A hold time or restart time that is not a whole number of seconds.
    #[error("{0:?} is not a whole number of seconds")]
    FractionalSeconds(Duration),
    /// A duration longer than its field holds.
    #[error("{secs}s is outside 0s..{max}s")]
    TooLong {
        /// The value, in whole seconds.
        secs: u64,
        /// The largest the field holds.
        max: u64,
    },
    /// RFC 6286 section 2.1 (and RFC 4271 section 4.2): the BGP Identifier is non-zero.
    #[error("0.0.0.0 is not a valid BGP identifier")]
    ZeroRouterId,
}

/// Whole seconds of `d`, at most `max`.
fn whole_seconds(d: Duration, max: u64) -> Result<u64, ValueError> {
    if d.subsec_nanos() != 0 {
        return Err(ValueError::FractionalSeconds(d));
    }
    let secs = d.as_secs();
    if secs > max {
        return Err(ValueError::TooLong { secs, max });
    }
    Ok(secs)
}

/// The conversions of a whole-seconds field whose rule its `const fn new(u16)` checks:
/// from and to a [`Duration`], to its seconds and from a `u16`, and its display as `Ns`.
/// Every conversion into the type goes through `new`, so each type states its rule once
/// and the conversions cannot drift apart.
macro_rules! seconds_field {
    ($ty:ident, $max:expr, $wire:literal) => {
        impl $ty {
            /// A duration as this value: whole seconds that fit the field.
            pub fn from_duration(d: Duration) -> Result<$ty, ValueError> {
                let secs = whole_seconds(d, u64::from($max))?;
                $ty::new(u16::try_from(secs).unwrap_or(u16::MAX))
            }

            #[doc = concat!("The value in seconds, ", $wire, ".")]
            pub fn seconds(self) -> u16 {
                self.0
            }

            /// As a duration.
            pub fn as_duration(self) -> Duration {
                Duration::from_secs(u64::from(self.0))
            }
        }

        impl TryFrom<u16> for $ty {
            type Error = ValueError;
            fn try_from(secs: u16) -> Result<$ty, ValueError> {
                $ty::new(secs)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}s", self.0)
            }
        }
    };
}

/// The hold time of a session: 0 (no keepalives, no hold timer) or at least 3 seconds
/// (RFC 4271 section 4.2: "MUST be either zero or at least three seconds").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HoldTime(u16);

impl HoldTime {
    /// No hold timer and no keepalives.
    pub const NONE: HoldTime = HoldTime(0);

    /// 90 seconds, the value RFC 4271 section 10 suggests.
    pub const DEFAULT: HoldTime = HoldTime(90);

    /// `secs` seconds, if RFC 4271 allows it. `const`, so that a constant is checked
    /// when it is compiled.
    pub const fn new(secs: u16) -> Result<HoldTime, ValueError> {
        match secs {
            1 | 2 => Err(ValueError::HoldTime),
            _ => Ok(HoldTime(secs)),
        }
    }

    /// True for 0: the session runs without keepalives and hold timer.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The keepalive interval that goes with it: a third (RFC 4271 section 4.4).
    pub fn keepalive(self) -> u16 {
        self.0 / 3
    }
}

seconds_field!(HoldTime, u16::MAX, "as the OPEN carries it");

/// The graceful restart time we advertise: a 12-bit count of seconds (RFC 4724
/// section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RestartTime(u16);

impl RestartTime {
    /// The largest value the field holds.
    pub const MAX_SECONDS: u16 = 0x0fff;

    /// `secs` seconds, if they fit the field. `const`, so that a constant is checked
    /// when it is compiled.
    pub const fn new(secs: u16) -> Result<RestartTime, ValueError> {
        if secs > RestartTime::MAX_SECONDS {
            return Err(ValueError::TooLong {
                secs: secs as u64,
                max: RestartTime::MAX_SECONDS as u64,
            });
        }
        Ok(RestartTime(secs))
    }
}

seconds_field!(
    RestartTime,
    RestartTime::MAX_SECONDS,
    "as the graceful restart capability carries it"
);

/// Whether a session crosses AS boundaries, which decides the AS_PATH and LOCAL_PREF we
/// send, how malformed attributes are treated (RFC 7606) and the TTL of our packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// The peer is in another AS (eBGP).
    External,
    /// The peer is in our AS (iBGP).
    Internal,
}

impl PeerKind {
    /// The kind of a session between `local` and `peer` (RFC 4271 section 1.1).
    pub fn of(local: Asn, peer: Asn) -> PeerKind {
        if local == peer {
            PeerKind::Internal
        } else {
            PeerKind::External
        }
    }

    /// True for eBGP.
    pub fn is_external(self) -> bool {
        self == PeerKind::External
    }
}

/// An autonomous system number. Always held as 4 octets (RFC 6793); the 2-octet form
/// only exists on the wire towards peers that did not announce the capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Asn(pub u32);

impl Asn {
    /// AS_TRANS (RFC 6793 section 9): stands in for a 4-octet ASN towards 2-octet peers.
    pub const TRANS: Asn = Asn(23456);

    /// True when the number fits the 2-octet AS space of RFC 4271.
    pub fn is_two_octet(self) -> bool {
        self.0 <= u32::from(u16::MAX)
    }

    /// The value to put in a 2-octet field: the number itself, or AS_TRANS.
    pub fn to_two_octet(self) -> u16 {
        u16::try_from(self.0).unwrap_or(Asn::TRANS.0 as u16)
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The BGP Identifier of a speaker (RFC 4271 section 4.2; RFC 6286 allows any non-zero
/// value). Never zero: [`RouterId::new`] is the only way to make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterId(Ipv4Addr);

impl RouterId {
    /// `addr` as a BGP Identifier, unless it is 0.0.0.0.
    pub fn new(addr: Ipv4Addr) -> Result<RouterId, ValueError> {
        if addr.is_unspecified() {
            return Err(ValueError::ZeroRouterId);
        }
        Ok(RouterId(addr))
    }

    /// The identifier as an address.
    pub fn addr(self) -> Ipv4Addr {
        self.0
    }

    /// The identifier as the unsigned integer that collision detection compares (RFC 4271 6.8).
    pub fn as_u32(self) -> u32 {
        u32::from(self.0)
    }
}

impl TryFrom<Ipv4Addr> for RouterId {
    type Error = ValueError;
    fn try_from(addr: Ipv4Addr) -> Result<RouterId, ValueError> {
        RouterId::new(addr)
    }
}

impl fmt::Display for RouterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

code_point! {
    /// Address Family Identifier (IANA "Address Family Numbers").
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Afi: u16 {
        /// IPv4 (1).
        Ipv4 = 1,
        /// IPv6 (2).
        Ipv6 = 2;
        /// Any other value, kept so capabilities we do not use can still be shown.
        Unknown,
    }
}

code_point! {
    /// Subsequent Address Family Identifier (IANA "SAFI Values").
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Safi: u8 {
        /// Unicast forwarding (1).
        Unicast = 1;
        /// Any other value.
        Unknown,
    }
}

/// The address families this speaker can exchange routes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4 unicast (AFI 1, SAFI 1).
    Ipv4Unicast,
    /// IPv6 unicast (AFI 2, SAFI 1).
    Ipv6Unicast,
}

impl Family {
    /// Both families, IPv4 first.
    pub const ALL: [Family; 2] = [Family::Ipv4Unicast, Family::Ipv6Unicast];

    /// The AFI of this family.
    pub fn afi(self) -> Afi {
        match self {
            Family::Ipv4Unicast => Afi::Ipv4,
            Family::Ipv6Unicast => Afi::Ipv6,
        }
    }

    /// The SAFI of this family.
    pub fn safi(self) -> Safi {
        Safi::Unicast
    }

    /// The family for an AFI/SAFI pair, if it is one we speak.
    pub fn from_afi_safi(afi: Afi, safi: Safi) -> Option<Family> {
        match (afi, safi) {
            (Afi::Ipv4, Safi::Unicast) => Some(Family::Ipv4Unicast),
            (Afi::Ipv6, Safi::Unicast) => Some(Family::Ipv6Unicast),
            _ => None,
        }
    }

    /// The family a prefix belongs to.
    pub fn of(prefix: &ipnet::IpNet) -> Family {
        match prefix {
            ipnet::IpNet::V4(_) => Family::Ipv4Unicast,
            ipnet::IpNet::V6(_) => Family::Ipv6Unicast,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipv4Unicast => "ipv4-unicast",
            Family::Ipv6Unicast => "ipv6-unicast",
        })
    }
}

#[cfg(test)]
mod tests;
