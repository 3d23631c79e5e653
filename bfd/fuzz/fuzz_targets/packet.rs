//! Control packets: decode, round trip, and feed to a session in every state.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bfd::fuzzing::packet(data);
});
