//! The seed corpus of the fuzz target in `bfd/fuzz/`: generated here from packets built
//! with this crate's types (plus malformed ones, one per section 6.8.6 check), checked to
//! be what is committed, and replayed through the entry point the fuzz target calls, so
//! that stable Rust exercises it on every test run.
//!
//! After changing the generator, rewrite the files with
//! `REGENERATE_FUZZ_CORPUS=1 cargo test -p bfd --test fuzz_corpus`.

use bfd::packet::Packet;
use bfd::{Diagnostic, State};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/packet")
}

/// The typical packet from discriminator 0x1234.
fn packet(state: State, your: u32) -> Packet {
    bfd::fuzzing::typical_packet(state, 0x1234, your)
}

fn seeds() -> BTreeMap<&'static str, Vec<u8>> {
    let mut seeds = BTreeMap::new();
    let down = packet(State::Down, 0).encode();
    seeds.insert("down", down.to_vec());
    seeds.insert("init", packet(State::Init, 7).encode().to_vec());
    seeds.insert("up", packet(State::Up, 7).encode().to_vec());
    seeds.insert(
        "up-poll",
        Packet {
            poll: true,
            ..packet(State::Up, 7)
        }
        .encode()
        .to_vec(),
    );
    seeds.insert(
        "up-final-demand",
        Packet {
            final_: true,
            demand: true,
            ..packet(State::Up, 7)
        }
        .encode()
        .to_vec(),
    );
    seeds.insert(
        "admin-down",
        Packet {
            diagnostic: Diagnostic::AdministrativelyDown,
            ..packet(State::AdminDown, 7)
        }
        .encode()
        .to_vec(),
    );
    let mut bad = |name, at: usize, value: u8| {
        let mut b = down.to_vec();
        b[at] = value;
        seeds.insert(name, b);
    };
    bad("bad-version", 0, 0x40);
    bad("bad-length-short", 3, 23);
    bad("bad-length-long", 3, 200);
    bad("bad-mult-zero", 2, 0);
    bad("bad-multipoint", 1, 0x41);
    bad("bad-auth", 1, 0x44);
    bad("bad-up-without-your-discriminator", 1, 0xc0);
    seeds.insert("truncated", down[..20].to_vec());
    seeds
}

#[test]
fn corpus_is_the_generated_seeds_and_replays_without_panic() {
    let dir = corpus_dir();
    let seeds = seeds();
    if std::env::var_os("REGENERATE_FUZZ_CORPUS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        for (name, bytes) in &seeds {
            std::fs::write(dir.join(name), bytes).expect("write seed");
        }
    }
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir exists") {
        let path = entry.expect("dir entry").path();
        let bytes = std::fs::read(&path).expect("read seed");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        assert_eq!(
            seeds.get(name),
            Some(&bytes),
            "{name} differs from the generator; regenerate the corpus"
        );
        bfd::fuzzing::packet(&bytes);
        for cut in 0..bytes.len() {
            bfd::fuzzing::packet(&bytes[..cut]);
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            bfd::fuzzing::packet(&flipped);
        }
        found += 1;
    }
    assert_eq!(found, seeds.len(), "every seed is committed");
}

#[test]
fn valid_seeds_decode_and_malformed_ones_do_not() {
    for (name, bytes) in seeds() {
        let decoded = Packet::decode(&bytes);
        assert_eq!(
            decoded.is_ok(),
            !name.starts_with("bad-") && name != "truncated",
            "{name}"
        );
    }
}
