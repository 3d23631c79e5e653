//! The entry point shared by the fuzz target (`bfd/fuzz/`) and the test that replays its
//! corpus on stable Rust. It takes arbitrary bytes, must never panic, and checks that what
//! decodes re-encodes to bytes that decode to the same value.

use crate::packet::Packet;
use crate::session::{Event, Session, SessionConfig};
use rand::SeedableRng;
use std::num::NonZeroU32;
use std::time::Instant;

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
