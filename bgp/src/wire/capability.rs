//! Capabilities advertised in OPEN (RFC 5492 and the RFCs of each capability).

use super::error::{EncodeError, MessageError};
use super::notification::{ErrorCode, Notification, open_subcode};
use crate::types::{Afi, Asn, Safi};
use bytes::{Bytes, BytesMut};

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

/// Graceful restart flag bits of the first octet (RFC 4724 section 3, RFC 8538 section 2).
const GR_RESTART_STATE: u8 = 0x80;
const GR_NOTIFICATION: u8 = 0x40;
/// The restart time is the low 12 bits of the first two octets.
const GR_MAX_RESTART_TIME: u16 = 0x0fff;
/// Per-family "Forwarding State" bit (RFC 4724 section 3).
const GR_FORWARDING_PRESERVED: u8 = 0x80;

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
            code::GRACEFUL_RESTART => {
                decode_graceful_restart(value).ok_or_else(|| bad("graceful restart"))
            }
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
            Capability::GracefulRestart(gr) => encode_graceful_restart(gr, &mut value)?,
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

/// RFC 4724 section 3: flags and restart time (2), then AFI (2), SAFI (1), flags (1) per
/// family.
fn decode_graceful_restart(value: &[u8]) -> Option<Capability> {
    let ([flags_hi, time_lo], families) = value.split_first_chunk::<2>()?;
    let (entries, []) = families.as_chunks::<4>() else {
        return None;
    };
    let families = entries
        .iter()
        .map(|&[afi_hi, afi_lo, safi, flags]| GracefulRestartFamily {
            afi: Afi::from(u16::from_be_bytes([afi_hi, afi_lo])),
            safi: Safi::from(safi),
            forwarding_preserved: flags & GR_FORWARDING_PRESERVED != 0,
        })
        .collect();
    Some(Capability::GracefulRestart(GracefulRestart {
        restart_state: flags_hi & GR_RESTART_STATE != 0,
        notification: flags_hi & GR_NOTIFICATION != 0,
        restart_time: u16::from_be_bytes([*flags_hi, *time_lo]) & GR_MAX_RESTART_TIME,
        families,
    }))
}

fn encode_graceful_restart(gr: &GracefulRestart, value: &mut BytesMut) -> Result<(), EncodeError> {
    if gr.restart_time > GR_MAX_RESTART_TIME {
        return Err(EncodeError::FieldOverflow("graceful restart time"));
    }
    let [time_hi, time_lo] = gr.restart_time.to_be_bytes();
    let mut flags = 0;
    if gr.restart_state {
        flags |= GR_RESTART_STATE;
    }
    if gr.notification {
        flags |= GR_NOTIFICATION;
    }
    value.extend_from_slice(&[flags | time_hi, time_lo]);
    for f in &gr.families {
        value.extend_from_slice(&u16::from(f.afi).to_be_bytes());
        let flags = if f.forwarding_preserved {
            GR_FORWARDING_PRESERVED
        } else {
            0
        };
        value.extend_from_slice(&[u8::from(f.safi), flags]);
    }
    Ok(())
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
mod tests {
    use super::*;
    use lab::vectors::hex;

    fn encoded(cap: &Capability) -> Vec<u8> {
        let mut out = BytesMut::new();
        cap.encode(&mut out).expect("encodes");
        out.to_vec()
    }

    /// Decodes one TLV through `decode_all` and checks it re-encodes to the same bytes.
    fn both_ways(tlv: &str, cap: Capability) {
        let bytes = hex(tlv);
        assert_eq!(
            Capability::decode_all(&bytes),
            Ok(vec![cap.clone()]),
            "{tlv}"
        );
        assert_eq!(encoded(&cap), bytes, "{cap:?}");
    }

    fn assert_malformed(tlv: &str) {
        let err = Capability::decode_all(&hex(tlv)).expect_err(tlv);
        assert_eq!(err.notification.code, ErrorCode::Open, "{tlv}");
        assert_eq!(err.notification.subcode, open_subcode::UNSPECIFIC, "{tlv}");
        assert!(err.notification.data.is_empty(), "{tlv}");
    }

    #[test]
    fn multiprotocol_is_afi_reserved_safi() {
        both_ways(
            "01 04 0001 00 01",
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            },
        );
        both_ways(
            "01 04 0002 00 01",
            Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
            },
        );
        both_ways(
            "01 04 0019 00 46",
            Capability::Multiprotocol {
                afi: Afi::Unknown(25),
                safi: Safi::Unknown(70),
            },
        );
    }

    #[test]
    fn multiprotocol_reserved_octet_is_ignored_on_receipt() {
        assert_eq!(
            Capability::decode(code::MULTIPROTOCOL, &hex("0002 ff 01")),
            Ok(Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast
            })
        );
    }

    #[test]
    fn empty_valued_capabilities() {
        both_ways("02 00", Capability::RouteRefresh);
        both_ways("06 00", Capability::ExtendedMessage);
        both_ways("46 00", Capability::EnhancedRouteRefresh);
    }

    #[test]
    fn four_octet_as_carries_the_asn() {
        both_ways("41 04 0000FDE8", Capability::FourOctetAs(Asn(65000)));
        both_ways(
            "41 04 FFFFFFFE",
            Capability::FourOctetAs(Asn(4_294_967_294)),
        );
    }

    #[test]
    fn graceful_restart_flags_time_and_families() {
        both_ways(
            "40 0A 8078 0001 01 80 0002 01 00",
            Capability::GracefulRestart(GracefulRestart {
                restart_state: true,
                notification: false,
                restart_time: 120,
                families: vec![
                    GracefulRestartFamily {
                        afi: Afi::Ipv4,
                        safi: Safi::Unicast,
                        forwarding_preserved: true,
                    },
                    GracefulRestartFamily {
                        afi: Afi::Ipv6,
                        safi: Safi::Unicast,
                        forwarding_preserved: false,
                    },
                ],
            }),
        );
        both_ways(
            "40 02 4FFF",
            Capability::GracefulRestart(GracefulRestart {
                restart_state: false,
                notification: true,
                restart_time: 4095,
                families: vec![],
            }),
        );
    }

    #[test]
    fn graceful_restart_reserved_bits_are_ignored_on_receipt() {
        let got = Capability::decode(code::GRACEFUL_RESTART, &hex("3000 0001 01 7F"));
        assert_eq!(
            got,
            Ok(Capability::GracefulRestart(GracefulRestart {
                restart_state: false,
                notification: false,
                restart_time: 0,
                families: vec![GracefulRestartFamily {
                    afi: Afi::Ipv4,
                    safi: Safi::Unicast,
                    forwarding_preserved: false,
                }],
            }))
        );
    }

    #[test]
    fn hostname_is_two_length_prefixed_strings() {
        both_ways(
            "49 0B 04 6E6F6465 05 6C6F63616C",
            Capability::Hostname {
                hostname: "node".into(),
                domain: "local".into(),
            },
        );
        both_ways(
            "49 06 04 6E6F6465 00",
            Capability::Hostname {
                hostname: "node".into(),
                domain: String::new(),
            },
        );
    }

    #[test]
    fn hostname_with_invalid_utf8_is_kept_lossily() {
        let got = Capability::decode(code::HOSTNAME, &hex("02 FF41 00")).unwrap();
        assert_eq!(
            got,
            Capability::Hostname {
                hostname: "\u{FFFD}A".into(),
                domain: String::new()
            }
        );
    }

    #[test]
    fn unknown_capability_is_kept_verbatim() {
        both_ways(
            "4D 00",
            Capability::Unknown {
                code: 77,
                value: Bytes::new(),
            },
        );
        both_ways(
            "80 03 010203",
            Capability::Unknown {
                code: 128,
                value: Bytes::from_static(&[1, 2, 3]),
            },
        );
    }

    #[test]
    fn several_capabilities_in_one_parameter_keep_their_order() {
        let got = Capability::decode_all(&hex("02 00 41 04 00000001 06 00")).unwrap();
        assert_eq!(
            got,
            vec![
                Capability::RouteRefresh,
                Capability::FourOctetAs(Asn(1)),
                Capability::ExtendedMessage
            ]
        );
        assert_eq!(Capability::decode_all(&[]), Ok(vec![]));
    }

    #[test]
    fn known_capability_with_wrong_length_is_open_error_unspecific() {
        for tlv in [
            "01 03 000100",
            "01 05 0001000100",
            "02 01 00",
            "06 01 00",
            "46 01 00",
            "41 02 FDE8",
            "41 05 0000FDE800",
            "40 00",
            "40 01 80",
            "40 05 8078 000101",
            "40 07 8078 0001018000",
            "49 00",
            "49 01 05",
            "49 03 05 4142",
            "49 03 01 41 02",
            "49 04 01 41 00 00",
        ] {
            assert_malformed(tlv);
        }
    }

    #[test]
    fn capability_overrunning_its_parameter_is_open_error_unspecific() {
        assert_malformed("41 05 0000FDE8");
        assert_malformed("02");
        assert_malformed("02 00 41");
    }

    #[test]
    fn encode_refuses_fields_wider_than_the_wire() {
        let mut out = BytesMut::new();
        let long = Capability::Unknown {
            code: 200,
            value: Bytes::from(vec![0; 256]),
        };
        assert_eq!(
            long.encode(&mut out),
            Err(EncodeError::FieldOverflow("capability"))
        );
        let gr = Capability::GracefulRestart(GracefulRestart {
            restart_state: false,
            notification: false,
            restart_time: 4096,
            families: vec![],
        });
        assert_eq!(
            gr.encode(&mut out),
            Err(EncodeError::FieldOverflow("graceful restart time"))
        );
        let host = Capability::Hostname {
            hostname: "h".repeat(256),
            domain: String::new(),
        };
        assert_eq!(
            host.encode(&mut out),
            Err(EncodeError::FieldOverflow("hostname"))
        );
        let both = Capability::Hostname {
            hostname: "h".repeat(200),
            domain: "d".repeat(200),
        };
        assert_eq!(
            both.encode(&mut out),
            Err(EncodeError::FieldOverflow("capability"))
        );
        assert!(out.is_empty(), "nothing written on failure");
    }
}
