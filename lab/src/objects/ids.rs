//! Deterministic stand-ins for what the API server makes up: uids, timestamps, numbers. Written
//! here rather than taken from `uuid`/`chrono`: they only need to look right and be the
//! same on every run, and they are a few lines each.

/// A version-4-shaped UUID derived from `kind` and `index`: the same inputs always give
/// the same uid, different ones (practically) never collide.
pub fn uid(kind: &str, index: usize) -> String {
    let seed = fnv1a(kind) ^ (index as u64);
    let hi = mix(seed);
    let lo = mix(hi ^ 0x9e37_79b9_7f4a_7c15);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xfff,
        (lo >> 48) & 0x3fff | 0x8000,
        lo & 0xffff_ffff_ffff
    )
}

/// 64-bit FNV-1a of `text`: a string turned into a seed, stable across runs and
/// platforms (unlike `std`'s hasher, which is randomly keyed).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// splitmix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An RFC 3339 UTC time `seconds` after 2026-11-02T00:00:00Z, as the API server writes
/// `creationTimestamp` and managed-field times.
pub fn timestamp(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    // Up to 28 days stay inside November; further ones repeat the last day.
    let day = 2 + days.min(28);
    format!(
        "2026-11-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// A stable number for `key` (such as `namespace/name`), for the facts a builder makes up
/// when the test does not say: cluster IPs, resource versions, timestamps.
pub fn number(key: &str) -> usize {
    (mix(fnv1a(key)) % 1_000_000) as usize
}

/// The uid of the object of `kind` named `namespace/name`: the same on every run, so a
/// slice's owner reference finds its Service's uid without being told.
pub fn object_uid(kind: &str, namespace: &str, name: &str) -> String {
    uid(&format!("{kind}/{namespace}/{name}"), 0)
}
