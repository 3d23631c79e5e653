//! One packet builder for the unit tests of every module, so that each test names only
//! the fields its rule is about.

use super::{Diagnostic, Micros, Packet, State};
use std::num::{NonZeroU8, NonZeroU32};

/// A packet in `state` from discriminator `my` to `your`: 300 ms both ways times 3, no
/// echo, no flag set, as FRR and BIRD send by default.
pub(crate) fn packet(state: State, my: u32, your: u32) -> Packet {
    Packet {
        diagnostic: Diagnostic::None,
        state,
        poll: false,
        final_: false,
        control_plane_independent: false,
        demand: false,
        detect_mult: NonZeroU8::new(3).expect("nonzero"),
        my_discriminator: NonZeroU32::new(my).expect("a packet's own discriminator is nonzero"),
        your_discriminator: your,
        desired_min_tx: Micros(300_000),
        required_min_rx: Micros(300_000),
        required_min_echo_rx: Micros(0),
    }
}
