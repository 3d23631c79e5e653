//! Timer values: connect retry backoff, jitter (RFC 4271 section 10) and the fixed and
//! derived durations of RFC 4271 and RFC 9687. Pure arithmetic; the randomness comes in
//! as an argument so that callers choose a seeded generator.

use rand::Rng;
use std::time::Duration;

/// Hold timer while waiting for the peer's OPEN: "a large value", 4 minutes suggested
/// (RFC 4271 section 8.2.2, OpenSent state).
pub const OPEN_SENT_HOLD: Duration = Duration::from_secs(240);

/// Lower bound of the default send hold time (RFC 9687: the greater of
/// 8 minutes and twice the negotiated hold time).
pub const MIN_SEND_HOLD: Duration = Duration::from_secs(8 * 60);

/// How long an Established session must stay up before the connect retry backoff starts
/// over, when the negotiated hold time is shorter (or 0). A session that falls after a
/// shorter time counts as flapping and keeps backing off.
pub const MIN_STABLE: Duration = Duration::from_secs(90);

/// The connect retry interval before jitter: `base` doubled `attempt` times, never more
/// than `max` (and never less than `base` if `max` is misconfigured below it).
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let cap = max.max(base);
    // 2^attempt overflows quickly; any factor that already passes the cap is the cap.
    let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
    base.checked_mul(factor).map_or(cap, |d| d.min(cap))
}

/// `value` scaled by a random factor in [0.75, 1.0] (RFC 4271 section 10), so that
/// speakers restarted together do not retry in lockstep.
pub fn jitter<R: Rng + ?Sized>(value: Duration, rng: &mut R) -> Duration {
    value.mul_f64(rng.random_range(0.75..=1.0))
}

/// The default send hold time: max(8 minutes, 2 x hold time) (RFC 9687).
pub fn default_send_hold(hold_time: Duration) -> Duration {
    MIN_SEND_HOLD.max(hold_time.saturating_mul(2))
}

/// How long an Established session with this negotiated hold time (seconds) must stay
/// up before the backoff resets: the hold time, at least [`MIN_STABLE`].
pub fn stable_after(hold_time: u16) -> Duration {
    Duration::from_secs(u64::from(hold_time)).max(MIN_STABLE)
}

#[cfg(test)]
mod tests;
