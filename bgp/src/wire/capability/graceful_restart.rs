//! The graceful restart capability (RFC 4724 section 3): its value and the bits it packs.

use crate::types::{Afi, Family, Safi};
use crate::wire::error::EncodeError;
use bytes::BytesMut;

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

/// Flag bits of the first octet (RFC 4724 section 3, RFC 8538 section 2).
const RESTART_STATE: u8 = 0x80;
const NOTIFICATION: u8 = 0x40;
/// The restart time is the low 12 bits of the first two octets.
const MAX_RESTART_TIME: u16 = 0x0fff;
/// Per-family "Forwarding State" bit (RFC 4724 section 3).
const FORWARDING_PRESERVED: u8 = 0x80;

impl GracefulRestartFamily {
    /// The entry for one of the families this crate speaks.
    pub fn new(family: Family, forwarding_preserved: bool) -> GracefulRestartFamily {
        GracefulRestartFamily {
            afi: family.afi(),
            safi: family.safi(),
            forwarding_preserved,
        }
    }
}

impl GracefulRestart {
    /// RFC 4724 section 3: flags and restart time (2), then AFI (2), SAFI (1), flags (1)
    /// per family. `None` when the value does not have that layout.
    pub(super) fn decode(value: &[u8]) -> Option<GracefulRestart> {
        let ([flags_hi, time_lo], families) = value.split_first_chunk::<2>()?;
        let (entries, []) = families.as_chunks::<4>() else {
            return None;
        };
        let families = entries
            .iter()
            .map(|&[afi_hi, afi_lo, safi, flags]| GracefulRestartFamily {
                afi: Afi::from(u16::from_be_bytes([afi_hi, afi_lo])),
                safi: Safi::from(safi),
                forwarding_preserved: flags & FORWARDING_PRESERVED != 0,
            })
            .collect();
        Some(GracefulRestart {
            restart_state: flags_hi & RESTART_STATE != 0,
            notification: flags_hi & NOTIFICATION != 0,
            restart_time: u16::from_be_bytes([*flags_hi, *time_lo]) & MAX_RESTART_TIME,
            families,
        })
    }

    /// Appends the value; fails without writing when the restart time needs more than 12
    /// bits.
    pub(super) fn encode(&self, value: &mut BytesMut) -> Result<(), EncodeError> {
        if self.restart_time > MAX_RESTART_TIME {
            return Err(EncodeError::FieldOverflow("graceful restart time"));
        }
        let [time_hi, time_lo] = self.restart_time.to_be_bytes();
        let mut flags = 0;
        if self.restart_state {
            flags |= RESTART_STATE;
        }
        if self.notification {
            flags |= NOTIFICATION;
        }
        value.extend_from_slice(&[flags | time_hi, time_lo]);
        for f in &self.families {
            value.extend_from_slice(&u16::from(f.afi).to_be_bytes());
            let flags = if f.forwarding_preserved {
                FORWARDING_PRESERVED
            } else {
                0
            };
            value.extend_from_slice(&[u8::from(f.safi), flags]);
        }
        Ok(())
    }
}
