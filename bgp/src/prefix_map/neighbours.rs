//! A hash for prefix keys that puts each run of 16 neighbouring addresses (an IPv4 /28,
//! an IPv6 /124) in neighbouring buckets, while the runs themselves land where a keyed
//! hash puts them.
//!
//! The big passes over a table walk it in prefix order: a start, a bulk withdraw, a
//! session coming up, a whole Node's worth of changes (the decision and the Adj-RIB-Out
//! sort what they change). With an ordinary hash, every step of such a walk is a cache
//! miss somewhere in a table of megabytes; with this one, neighbouring prefixes share
//! cache lines, and a walk misses the cache once per run instead of once per prefix.
//! Runs are kept short on purpose: the table probes from a bucket onwards, and long runs
//! of full buckets (256 addresses a run) made lookups several times slower.
//!
//! The keyed part keeps what a keyed hash gives against chosen keys: a Service owner
//! picks addresses, but cannot know where a run lands, and no two addresses of one run
//! can share a bucket. The top seven bits, which the table compares before any key,
//! differ within a run.

use foldhash::fast::{FixedState, RandomState};
use ipnet::{Ipv4Net, Ipv6Net};
use std::hash::{BuildHasher, Hash, Hasher};

/// A prefix as a key of a map built with [`NeighbourHash`]: it hands the hasher its
/// address (one write) and then its length (one write of a `u8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Key<N>(pub(super) N);

impl Hash for Key<Ipv4Net> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(u32::from(self.0.addr()));
        state.write_u8(self.0.prefix_len());
    }
}

impl Hash for Key<Ipv6Net> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from(self.0.addr()));
        state.write_u8(self.0.prefix_len());
    }
}

/// Builds [`NeighbourHasher`]s with a seed of its own, drawn like foldhash's.
#[derive(Clone, Debug)]
pub(super) struct NeighbourHash {
    seed: FixedState,
}

impl Default for NeighbourHash {
    fn default() -> Self {
        NeighbourHash {
            seed: FixedState::with_seed(RandomState::default().hash_one(0u8)),
        }
    }
}

impl BuildHasher for NeighbourHash {
    type Hasher = NeighbourHasher;

    fn build_hasher(&self) -> NeighbourHasher {
        NeighbourHasher {
            seed: self.seed.clone(),
            address: 0,
            length: 0,
        }
    }
}

/// Collects what a [`Key`] writes; the hash is made in [`Hasher::finish`].
pub(super) struct NeighbourHasher {
    seed: FixedState,
    address: u128,
    length: u8,
}

/// Spreads the offsets within a run over the top bits (a 64-bit golden-ratio constant).
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

/// The addresses of a run share all but these low bits: 16 of them, one probe group of
/// the table (its SSE2 width).
const RUN_BITS: u32 = 4;

/// How many neighbouring addresses a run holds.
#[cfg(test)]
const RUN: u32 = 1 << RUN_BITS;

/// The top seven bits: what the table compares before a key.
const TAG_BITS: u64 = !(u64::MAX >> 7);

impl Hasher for NeighbourHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only `Key`s are hashed here, and they use the typed writes below; any other
        // bytes still count, folded into the address.
        for byte in bytes {
            self.address = self.address.rotate_left(8) ^ u128::from(*byte);
        }
    }

    fn write_u8(&mut self, length: u8) {
        self.length = length;
    }

    fn write_u32(&mut self, address: u32) {
        self.address = u128::from(address);
    }

    fn write_u128(&mut self, address: u128) {
        self.address = address;
    }

    fn finish(&self) -> u64 {
        let high = self.address >> RUN_BITS;
        // One integer into the keyed hash: a u64 whenever it fits (every IPv4 run).
        let run = match u64::try_from(high) {
            Ok(high) if high >> 48 == 0 => self.seed.hash_one(high | u64::from(self.length) << 56),
            _ => self.seed.hash_one((high, self.length)),
        };
        let offset = (self.address & ((1 << RUN_BITS) - 1)) as u64;
        let tag = (run ^ offset.wrapping_mul(SPREAD)) & TAG_BITS;
        (run.wrapping_add(offset) & !TAG_BITS) | tag
    }
}

#[cfg(test)]
mod tests;
