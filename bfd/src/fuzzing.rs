//! The entry point shared by the fuzz target (`bfd/fuzz/`) and the test that replays its
//! corpus on stable Rust. It takes arbitrary bytes, must never panic, and checks that what
//! decodes re-encodes to bytes that decode to the same value. Also the packet the corpus
//! seeds and the unit tests start from.

use crate::packet::{Diagnostic, Micros, Packet, State};
use crate::session::{Event, Session, SessionConfig};
use rand::SeedableRng;
use std::num::{NonZeroU8, NonZeroU32};
use std::time::Instant;

/// A packet in `state` from discriminator `my` to `your`: 300 ms both ways times 3, no
/// echo, no flag set, as FRR and BIRD send by default. The corpus seeds and the unit tests
/// change from it only the fields they are about.
///
/// # Panics
/// When `my` is 0 (a packet's own discriminator is never 0).
pub fn typical_packet(state: State, my: u32, your: u32) -> Packet {
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

/// Decodes `data` as a control packet; a packet that decodes must survive a round trip and
/// must be accepted or refused by a session without a panic in every state.
pub fn packet(data: &[u8]) {
    let Ok(decoded) = Packet::decode(data) else {
        return;
    };
    let encoded = decoded.encode();
    assert_eq!(Packet::decode(&encoded).as_ref(), Ok(&decoded));
    let now = Instant::now();
    let mut session = Session::new(
        SessionConfig::default(),
        NonZeroU32::MIN,
        Box::new(rand::rngs::StdRng::seed_from_u64(0)),
        now,
    );
    // As sent, then addressed to this session so that it gets past demultiplexing.
    let addressed = Packet {
        your_discriminator: session.local_discriminator().get(),
        ..decoded.clone()
    };
    for packet in [decoded.clone(), addressed.clone(), addressed] {
        let _ = session.handle(now, Event::Received(packet));
        let _ = session.handle(now, Event::Timer);
    }
}
