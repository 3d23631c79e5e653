//! Capabilities advertised in OPEN (RFC 5492 and the RFCs of each capability).

use super::error::{EncodeError, MessageError};
use super::notification::{ErrorCode, Notification, open_subcode};
use crate::types::{Afi, Asn, Family, Safi};
use bytes::{Bytes, BytesMut};

mod graceful_restart;
pub use graceful_restart::{GracefulRestart, GracefulRestartFamily};

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

/// Capability codes (IANA "Capability Codes") that this crate interprets.
pub mod code {
    /// Multiprotocol extensions (RFC 4760).
    pub const MULTIPROTOCOL: u8 = 1;
    /// Route refresh (RFC 2918).
    pub const ROUTE_REFRESH: u8 = 2;
    /// Extended message (RFC 8654).
    pub const EXTENDED_MESSAGE: u8 = 6;
    /// Graceful restart (RFC 4724).
    pub const GRACEFUL_RESTART: u8 = 64;
    /// 4-octet AS numbers (RFC 6793).
    pub const FOUR_OCTET_AS: u8 = 65;
    /// Enhanced route refresh (RFC 7313).
    pub const ENHANCED_ROUTE_REFRESH: u8 = 70;
    /// FQDN / hostname (draft-walton-bgp-hostname-capability).
    pub const HOSTNAME: u8 = 73;
}

/// The multiprotocol capability that announces `family` (RFC 4760 section 8), as our
/// OPEN carries it for each family we speak.
impl From<Family> for Capability {
    fn from(family: Family) -> Capability {
        Capability::Multiprotocol {
            afi: family.afi(),
            safi: family.safi(),
        }
    }
}

impl Capability {
    /// The capability code this value is sent with.
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol { .. } => code::MULTIPROTOCOL,
            Capability::RouteRefresh => code::ROUTE_REFRESH,
            Capability::ExtendedMessage => code::EXTENDED_MESSAGE,
            Capability::GracefulRestart(_) => code::GRACEFUL_RESTART,
            Capability::FourOctetAs(_) => code::FOUR_OCTET_AS,
            Capability::EnhancedRouteRefresh => code::ENHANCED_ROUTE_REFRESH,
            Capability::Hostname { .. } => code::HOSTNAME,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Decodes a sequence of capabilities: the value of one Capabilities optional
    /// parameter (RFC 5492 section 4), each `code (1) | length (1) | value`.
    pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<Capability>, MessageError> {
        let mut caps = Vec::new();
        while let [code, len, rest @ ..] = bytes {
            let len = usize::from(*len);
            let Some((value, next)) = rest.split_at_checked(len) else {
                return Err(malformed(format!(
                    "capability {code} length {len} overruns its parameter ({} octets left)",
                    rest.len()
                )));
            };
            caps.push(Capability::decode(*code, value)?);
            bytes = next;
        }
        if !bytes.is_empty() {
            return Err(malformed(
                "capability header truncated at the end of its parameter".to_string(),
            ));
        }
        Ok(caps)
    }

    /// Decodes one capability from its code and value.
    ///
    /// A capability we interpret whose value has the wrong length or layout is answered
    /// with OPEN Message Error / Unspecific (subcode 0) and no data: RFC 5492 defines no
    /// subcode for a malformed capability, and Unsupported Capability (7) would wrongly
    /// tell the peer to retry without it. Unknown codes are kept verbatim.
    pub fn decode(code: u8, value: &[u8]) -> Result<Capability, MessageError> {
        let bad = |what: &str| {
            malformed(format!(
                "capability {code} ({what}) has a malformed value of {} octets",
                value.len()
            ))
        };
        match code {
            code::MULTIPROTOCOL => match *value {
                // RFC 4760 section 8: AFI (2), reserved (1), SAFI (1).
                [afi_hi, afi_lo, _reserved, safi] => Ok(Capability::Multiprotocol {
                    afi: Afi::from(u16::from_be_bytes([afi_hi, afi_lo])),
                    safi: Safi::from(safi),
                }),
                _ => Err(bad("multiprotocol")),
            },
            code::ROUTE_REFRESH if value.is_empty() => Ok(Capability::RouteRefresh),
            code::ROUTE_REFRESH => Err(bad("route refresh")),
            code::EXTENDED_MESSAGE if value.is_empty() => Ok(Capability::ExtendedMessage),
            code::EXTENDED_MESSAGE => Err(bad("extended message")),
            code::ENHANCED_ROUTE_REFRESH if value.is_empty() => {
                Ok(Capability::EnhancedRouteRefresh)
            }
            code::ENHANCED_ROUTE_REFRESH => Err(bad("enhanced route refresh")),
            code::FOUR_OCTET_AS => match *value {
                [a, b, c, d] => Ok(Capability::FourOctetAs(Asn(u32::from_be_bytes([
                    a, b, c, d,
                ])))),
                _ => Err(bad("4-octet AS")),
            },
            code::GRACEFUL_RESTART => GracefulRestart::decode(value)
                .map(Capability::GracefulRestart)
                .ok_or_else(|| bad("graceful restart")),
            code::HOSTNAME => decode_hostname(value).ok_or_else(|| bad("hostname")),
            _ => Ok(Capability::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            }),
        }
    }

    /// Appends this capability as `code | length | value` to `out`.
    ///
    /// Fails without writing when the value does not fit the 1-octet length, or a field
    /// does not fit its width (a restart time over 4095, a host or domain name over 255
    /// octets).
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let mut value = BytesMut::new();
        match self {
            Capability::Multiprotocol { afi, safi } => {
                value.extend_from_slice(&u16::from(*afi).to_be_bytes());
                value.extend_from_slice(&[0, u8::from(*safi)]);
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh => {}
            Capability::FourOctetAs(asn) => value.extend_from_slice(&asn.0.to_be_bytes()),
            Capability::GracefulRestart(gr) => gr.encode(&mut value)?,
            Capability::Hostname { hostname, domain } => {
                for (name, field) in [(hostname, "hostname"), (domain, "domain name")] {
                    let len =
                        u8::try_from(name.len()).map_err(|_| EncodeError::FieldOverflow(field))?;
                    value.extend_from_slice(&[len]);
                    value.extend_from_slice(name.as_bytes());
                }
            }
            Capability::Unknown { value: v, .. } => value.extend_from_slice(v),
        }
        let len =
            u8::try_from(value.len()).map_err(|_| EncodeError::FieldOverflow("capability"))?;
        out.extend_from_slice(&[self.code(), len]);
        out.extend_from_slice(&value);
        Ok(())
    }
}

/// draft-walton-bgp-hostname-capability section 3: hostname length (1), hostname, domain
/// length (1), domain, filling the value exactly. Names are shown to operators only, so
/// invalid UTF-8 is replaced rather than refused.
fn decode_hostname(value: &[u8]) -> Option<Capability> {
    let (&host_len, rest) = value.split_first()?;
    let (hostname, rest) = rest.split_at_checked(usize::from(host_len))?;
    let (&domain_len, domain) = rest.split_first()?;
    if domain.len() != usize::from(domain_len) {
        return None;
    }
    Some(Capability::Hostname {
        hostname: String::from_utf8_lossy(hostname).into_owned(),
        domain: String::from_utf8_lossy(domain).into_owned(),
    })
}

fn malformed(reason: String) -> MessageError {
    MessageError {
        notification: Notification::new(ErrorCode::Open, open_subcode::UNSPECIFIC, Bytes::new()),
        reason,
    }
}

#[cfg(test)]
mod tests;
