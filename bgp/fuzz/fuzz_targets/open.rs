//! OPEN bodies and bare capability lists, then NOTIFICATION and ROUTE-REFRESH bodies.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bgp::fuzzing::open(data);
    bgp::fuzzing::small_bodies(data);
});
