//! The BFD control packet of RFC 5880 section 4.1, without the optional authentication
//! section (section 6.7 is not implemented, so a packet with the A bit set is refused, as
//! section 6.8.6 requires when `bfd.AuthType` is zero).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//! |                       My Discriminator                        |
//! |                      Your Discriminator                       |
//! |                    Desired Min TX Interval                    |
//! |                   Required Min RX Interval                    |
//! |                 Required Min Echo RX Interval                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::num::{NonZeroU8, NonZeroU32};
use std::time::Duration;

/// The only protocol version (RFC 5880 section 4.1, "Vers").
pub const VERSION: u8 = 1;
/// The length of a control packet without authentication (section 4.1).
pub const LEN: usize = 24;

const POLL: u8 = 0x20;
const FINAL: u8 = 0x10;
const CPI: u8 = 0x08;
const AUTH: u8 = 0x04;
const DEMAND: u8 = 0x02;
const MULTIPOINT: u8 = 0x01;

/// The session state carried in a packet and kept by a session (section 4.1, "Sta").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Held down by an operator; the remote end must not treat this as a failure.
    AdminDown,
    /// The session is down or just created.
    Down,
    /// The remote end is heard, the three-way handshake is half done.
    Init,
    /// Both ends hear each other.
    Up,
}

impl State {
    fn from_bits(bits: u8) -> State {
        match bits & 0x3 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }

    fn bits(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }

    /// The name used in status output and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            State::AdminDown => "admin_down",
            State::Down => "down",
            State::Init => "init",
            State::Up => "up",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the sender's session last changed state (section 4.1, "Diag").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Diagnostic {
    /// 0.
    None,
    /// 1: no packet within the detection time.
    ControlDetectionTimeExpired,
    /// 2.
    EchoFunctionFailed,
    /// 3: the remote end said Down (or AdminDown).
    NeighborSignaledSessionDown,
    /// 4.
    ForwardingPlaneReset,
    /// 5.
    PathDown,
    /// 6.
    ConcatenatedPathDown,
    /// 7: held down by an operator.
    AdministrativelyDown,
    /// 8.
    ReverseConcatenatedPathDown,
    /// 9-31, reserved: kept so that a packet re-encodes to the same bytes.
    Reserved(u8),
}

impl Diagnostic {
    fn from_bits(bits: u8) -> Diagnostic {
        match bits & 0x1f {
            0 => Diagnostic::None,
            1 => Diagnostic::ControlDetectionTimeExpired,
            2 => Diagnostic::EchoFunctionFailed,
            3 => Diagnostic::NeighborSignaledSessionDown,
            4 => Diagnostic::ForwardingPlaneReset,
            5 => Diagnostic::PathDown,
            6 => Diagnostic::ConcatenatedPathDown,
            7 => Diagnostic::AdministrativelyDown,
            8 => Diagnostic::ReverseConcatenatedPathDown,
            other => Diagnostic::Reserved(other),
        }
    }

    /// The 5-bit code.
    pub fn code(self) -> u8 {
        match self {
            Diagnostic::None => 0,
            Diagnostic::ControlDetectionTimeExpired => 1,
            Diagnostic::EchoFunctionFailed => 2,
            Diagnostic::NeighborSignaledSessionDown => 3,
            Diagnostic::ForwardingPlaneReset => 4,
            Diagnostic::PathDown => 5,
            Diagnostic::ConcatenatedPathDown => 6,
            Diagnostic::AdministrativelyDown => 7,
            Diagnostic::ReverseConcatenatedPathDown => 8,
            Diagnostic::Reserved(code) => code & 0x1f,
        }
    }

    /// A short description for status output.
    pub fn as_str(self) -> &'static str {
        match self {
            Diagnostic::None => "no diagnostic",
            Diagnostic::ControlDetectionTimeExpired => "control detection time expired",
            Diagnostic::EchoFunctionFailed => "echo function failed",
            Diagnostic::NeighborSignaledSessionDown => "neighbor signaled session down",
            Diagnostic::ForwardingPlaneReset => "forwarding plane reset",
            Diagnostic::PathDown => "path down",
            Diagnostic::ConcatenatedPathDown => "concatenated path down",
            Diagnostic::AdministrativelyDown => "administratively down",
            Diagnostic::ReverseConcatenatedPathDown => "reverse concatenated path down",
            Diagnostic::Reserved(_) => "reserved",
        }
    }
}

/// An interval as carried on the wire: microseconds in 32 bits (section 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Micros(pub u32);

impl Micros {
    /// The interval as a `Duration`.
    pub fn duration(self) -> Duration {
        Duration::from_micros(u64::from(self.0))
    }

    /// The interval nearest to `d` that fits, saturating at `u32::MAX` microseconds.
    pub fn saturating_from(d: Duration) -> Micros {
        Micros(u32::try_from(d.as_micros()).unwrap_or(u32::MAX))
    }
}

/// A decoded control packet (section 4.1). The version is always 1, the M bit always
/// clear and the A bit always clear: decoding refuses anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Why the sender's session last changed state.
    pub diagnostic: Diagnostic,
    /// The sender's session state.
    pub state: State,
    /// P: the sender asks for a packet with F set (a Poll Sequence, section 6.5).
    pub poll: bool,
    /// F: the answer to a Poll.
    pub final_: bool,
    /// C: the sender's BFD runs independently of its control plane.
    pub control_plane_independent: bool,
    /// D: the sender wishes to run demand mode (section 6.6; never used by us).
    pub demand: bool,
    /// Detect Mult: the sender's detection time is this times the agreed interval.
    pub detect_mult: NonZeroU8,
    /// My Discriminator: the sender's own, nonzero, session identifier.
    pub my_discriminator: NonZeroU32,
    /// Your Discriminator: the receiver's identifier as last heard, or 0 if unknown.
    pub your_discriminator: u32,
    /// The minimum interval the sender wants to transmit at.
    pub desired_min_tx: Micros,
    /// The minimum interval the sender can receive at; 0 asks the receiver not to send.
    pub required_min_rx: Micros,
    /// The minimum echo interval the sender supports; 0 when it has no echo function.
    pub required_min_echo_rx: Micros,
}

/// Why a packet was refused: the checks of RFC 5880 section 6.8.6 that need no session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the fixed part.
    #[error("packet of {0} bytes is shorter than the 24-byte control packet")]
    Truncated(usize),
    /// "If the version number is not correct (1), the packet MUST be discarded."
    #[error("unsupported BFD version {0}")]
    Version(u8),
    /// "If the Length field is less than the minimum correct value (24 if the A bit is
    /// clear, or 26 if the A bit is set), the packet MUST be discarded."
    #[error("length field {0} is below the minimum")]
    LengthTooSmall(u8),
    /// "If the Length field is greater than the payload of the encapsulating protocol,
    /// the packet MUST be discarded."
    #[error("length field {length} exceeds the {payload} bytes received")]
    LengthExceedsPayload {
        /// The Length field.
        length: u8,
        /// The bytes actually received.
        payload: usize,
    },
    /// "If the Detect Mult field is zero, the packet MUST be discarded."
    #[error("detect multiplier is zero")]
    ZeroDetectMult,
    /// "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
    #[error("multipoint bit is set")]
    Multipoint,
    /// "If the My Discriminator field is zero, the packet MUST be discarded."
    #[error("my discriminator is zero")]
    ZeroMyDiscriminator,
    /// "If the Your Discriminator field is zero and the State field is not Down or
    /// AdminDown, the packet MUST be discarded."
    #[error("your discriminator is zero in state {0}")]
    ZeroYourDiscriminator(State),
    /// "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the
    /// packet MUST be discarded." Authentication is never in use here.
    #[error("authentication is present but not in use")]
    Authentication,
}

impl Packet {
    /// Decodes one control packet from a UDP payload, applying the checks of section 6.8.6
    /// that need no session state, in the order the RFC lists them. Bytes after the
    /// Length field's end are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
        let Some(fixed) = bytes.first_chunk::<LEN>() else {
            return Err(DecodeError::Truncated(bytes.len()));
        };
        let version = fixed[0] >> 5;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let flags = fixed[1];
        let length = fixed[3];
        let auth = flags & AUTH != 0;
        let minimum = if auth { 26 } else { LEN as u8 };
        if length < minimum {
            return Err(DecodeError::LengthTooSmall(length));
        }
        if usize::from(length) > bytes.len() {
            return Err(DecodeError::LengthExceedsPayload {
                length,
                payload: bytes.len(),
            });
        }
        let Some(detect_mult) = NonZeroU8::new(fixed[2]) else {
            return Err(DecodeError::ZeroDetectMult);
        };
        if flags & MULTIPOINT != 0 {
            return Err(DecodeError::Multipoint);
        }
        let word = |at: usize| {
            u32::from_be_bytes([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]])
        };
        let Some(my_discriminator) = NonZeroU32::new(word(4)) else {
            return Err(DecodeError::ZeroMyDiscriminator);
        };
        let state = State::from_bits(flags >> 6);
        let your_discriminator = word(8);
        if your_discriminator == 0 && !matches!(state, State::Down | State::AdminDown) {
            return Err(DecodeError::ZeroYourDiscriminator(state));
        }
        if auth {
            return Err(DecodeError::Authentication);
        }
        Ok(Packet {
            diagnostic: Diagnostic::from_bits(fixed[0]),
            state,
            poll: flags & POLL != 0,
            final_: flags & FINAL != 0,
            control_plane_independent: flags & CPI != 0,
            demand: flags & DEMAND != 0,
            detect_mult,
            my_discriminator,
            your_discriminator,
            desired_min_tx: Micros(word(12)),
            required_min_rx: Micros(word(16)),
            required_min_echo_rx: Micros(word(20)),
        })
    }

    /// Encodes the packet (24 bytes, version 1, A and M clear).
    pub fn encode(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[0] = (VERSION << 5) | self.diagnostic.code();
        let bit = |set: bool, mask: u8| if set { mask } else { 0 };
        out[1] = (self.state.bits() << 6)
            | bit(self.poll, POLL)
            | bit(self.final_, FINAL)
            | bit(self.control_plane_independent, CPI)
            | bit(self.demand, DEMAND);
        out[2] = self.detect_mult.get();
        out[3] = LEN as u8;
        out[4..8].copy_from_slice(&self.my_discriminator.get().to_be_bytes());
        out[8..12].copy_from_slice(&self.your_discriminator.to_be_bytes());
        out[12..16].copy_from_slice(&self.desired_min_tx.0.to_be_bytes());
        out[16..20].copy_from_slice(&self.required_min_rx.0.to_be_bytes());
        out[20..24].copy_from_slice(&self.required_min_echo_rx.0.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests;
