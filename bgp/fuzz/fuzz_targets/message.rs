//! A byte stream framed by `Header::parse` and decoded by `Message::decode`, under each
//! session context of `bgp::fuzzing::contexts`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bgp::fuzzing::message(data));
