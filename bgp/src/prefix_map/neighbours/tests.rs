use super::*;
use std::collections::HashSet;

fn hash(state: &NeighbourHash, key: Key<Ipv4Net>) -> u64 {
    state.hash_one(key)
}

fn host(address: u32) -> Key<Ipv4Net> {
    Key(Ipv4Net::new(address.into(), 32).unwrap_or_default())
}

#[test]
fn the_addresses_of_a_run_take_neighbouring_buckets() {
    let state = NeighbourHash::default();
    let base = hash(&state, host(0x0a00_0100));
    for offset in 1..RUN {
        let h = hash(&state, host(0x0a00_0100 + offset));
        assert_eq!(
            (h & !TAG_BITS).wrapping_sub(base & !TAG_BITS) & !TAG_BITS,
            u64::from(offset),
            "offset {offset}"
        );
    }
}

#[test]
fn the_tags_within_a_run_differ() {
    let state = NeighbourHash::default();
    let tags: HashSet<u64> = (0..RUN)
        .map(|offset| hash(&state, host(0x0a00_0100 + offset)) >> 57)
        .collect();
    assert_eq!(tags.len(), RUN as usize);
}

#[test]
fn the_next_address_after_a_run_starts_another() {
    let state = NeighbourHash::default();
    let last = hash(&state, host(0x0a00_0100 + RUN - 1)) & !TAG_BITS;
    let next = hash(&state, host(0x0a00_0100 + RUN)) & !TAG_BITS;
    assert_ne!(
        next.wrapping_sub(last) & !TAG_BITS,
        1,
        "runs hold {RUN} addresses"
    );
}

#[test]
fn runs_and_lengths_land_apart() {
    let state = NeighbourHash::default();
    let low_bits = |h: u64| h & 0xffff;
    // The same offset in 256 neighbouring runs: the keyed hash scatters them.
    let runs: HashSet<u64> = (0..256u32)
        .map(|run| low_bits(hash(&state, host(0x0a00_0000 + run * RUN))))
        .collect();
    assert!(runs.len() > 240, "only {} places", runs.len());
    let longer = Key(Ipv4Net::new(0x0a00_0100.into(), 31).unwrap_or_default());
    assert_ne!(hash(&state, host(0x0a00_0100)), hash(&state, longer));
}

#[test]
fn two_tables_place_runs_differently() {
    let (a, b) = (NeighbourHash::default(), NeighbourHash::default());
    assert_ne!(hash(&a, host(0x0a00_0100)), hash(&b, host(0x0a00_0100)));
}

#[test]
fn ipv6_runs_are_kept_together_too() {
    let state = NeighbourHash::default();
    let key = |low: u128| {
        Key(Ipv6Net::new((0x2001_0db8_u128 << 96 | low).into(), 128).unwrap_or_default())
    };
    let base = state.hash_one(key(0x100));
    let next = state.hash_one(key(0x101));
    assert_eq!((next & !TAG_BITS).wrapping_sub(base & !TAG_BITS), 1);
}
