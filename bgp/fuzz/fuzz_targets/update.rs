//! UPDATE bodies, decoded with 2-octet and 4-octet AS contexts, eBGP and iBGP.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bgp::fuzzing::update(data));
