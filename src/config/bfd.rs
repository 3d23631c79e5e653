//! `peers[].bfd:`: Bidirectional Forwarding Detection for one peer (RFC 5880, 5881, 5883).
//! Kept apart from the other peer keys: the raw form, the typed form and their
//! validation, each problem naming its field (`peers[0].bfd.min_tx`).

use super::fields::parse_bool;
use super::raw::{RawBfd, Scalar};
use crate::values;
use std::num::NonZeroU8;
use std::time::Duration;

/// Below this, a userspace timer on a busy node fires late often enough to take a healthy
/// session down; FRR's bfdd has the same floor.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Above this, BFD is slower than a BGP hold timer and pointless.
const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// BFD for one peer. With `enabled`, a session runs to the peer's address, single-hop
/// (RFC 5881) or, when `ebgp_multihop` is above 1, multihop (RFC 5883).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BfdConfig {
    /// Run a BFD session to this peer.
    pub enabled: bool,
    /// Desired Min TX Interval once Up (RFC 5880 section 6.8.3).
    pub min_tx: Duration,
    /// Required Min RX Interval.
    pub min_rx: Duration,
    /// Detect Mult: the peer declares us down after this many missed intervals.
    pub multiplier: NonZeroU8,
}

impl Default for BfdConfig {
    /// Off; 300 ms x 3 when turned on, detection in under a second.
    fn default() -> Self {
        BfdConfig {
            enabled: false,
            min_tx: Duration::from_millis(300),
            min_rx: Duration::from_millis(300),
            multiplier: NonZeroU8::new(3).unwrap_or(NonZeroU8::MIN),
        }
    }
}

/// Validates `raw` found at `field` (`peers[0].bfd`). Problems come back as
/// (field, message) pairs.
pub fn parse(field: &str, raw: Option<&RawBfd>) -> Result<BfdConfig, Vec<(String, String)>> {
    let defaults = BfdConfig::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let mut problems = Vec::new();
    let text = |value: Option<&Scalar>| value.map(|v| v.0.trim().to_owned());
    let mut check = |name: &str, result: Result<(), String>| {
        if let Err(e) = result {
            problems.push((format!("{field}.{name}"), e));
        }
    };
    let mut out = defaults;
    if let Some(s) = text(raw.enabled.as_ref()) {
        check("enabled", parse_bool(&s).map(|b| out.enabled = b));
    }
    if let Some(s) = text(raw.min_tx.as_ref()) {
        check("min_tx", interval(&s).map(|d| out.min_tx = d));
    }
    if let Some(s) = text(raw.min_rx.as_ref()) {
        check("min_rx", interval(&s).map(|d| out.min_rx = d));
    }
    if let Some(s) = text(raw.multiplier.as_ref()) {
        check(
            "multiplier",
            s.parse::<u8>()
                .ok()
                .and_then(NonZeroU8::new)
                .map(|m| out.multiplier = m)
                .ok_or_else(|| format!("{s:?} is not a multiplier 1..255")),
        );
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn interval(s: &str) -> Result<Duration, String> {
    let d = values::parse_duration(s)?;
    if d < MIN_INTERVAL || d > MAX_INTERVAL {
        return Err(format!(
            "{s:?} must be between {}ms and {}s",
            MIN_INTERVAL.as_millis(),
            MAX_INTERVAL.as_secs()
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
