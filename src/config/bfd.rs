//! `peers[].bfd:`: Bidirectional Forwarding Detection for one peer (RFC 5880, 5881, 5883).
//! Kept apart from the other peer keys: the raw form, the typed form and their
//! validation, each problem naming its field (`peers[0].bfd.min_tx`).

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
        check(
            "enabled",
            match s.as_str() {
                "true" => {
                    out.enabled = true;
                    Ok(())
                }
                "false" => Ok(()),
                other => Err(format!("{other:?} is not true or false")),
            },
        );
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
mod tests {
    use super::*;

    fn raw(enabled: &str, tx: &str, rx: &str, mult: &str) -> RawBfd {
        let s = |v: &str| (!v.is_empty()).then(|| Scalar(v.to_owned()));
        RawBfd {
            enabled: s(enabled),
            min_tx: s(tx),
            min_rx: s(rx),
            multiplier: s(mult),
        }
    }

    fn fields(r: Result<BfdConfig, Vec<(String, String)>>) -> Vec<String> {
        r.expect_err("refused")
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn absent_bfd_is_off_at_300ms_x_3() {
        let c = parse("peers[0].bfd", None).unwrap();
        assert!(!c.enabled);
        assert_eq!(c.min_tx, Duration::from_millis(300));
        assert_eq!(c.min_rx, Duration::from_millis(300));
        assert_eq!(c.multiplier.get(), 3);
    }

    #[test]
    fn every_key_is_read() {
        let c = parse("peers[0].bfd", Some(&raw("true", "50ms", "100ms", "5"))).unwrap();
        assert!(c.enabled);
        assert_eq!(c.min_tx, Duration::from_millis(50));
        assert_eq!(c.min_rx, Duration::from_millis(100));
        assert_eq!(c.multiplier.get(), 5);
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_field() {
        let r = parse("peers[2].bfd", Some(&raw("yes", "5ms", "2m", "0")));
        assert_eq!(
            fields(r),
            [
                "peers[2].bfd.enabled",
                "peers[2].bfd.min_tx",
                "peers[2].bfd.min_rx",
                "peers[2].bfd.multiplier"
            ]
        );
    }

    #[test]
    fn a_multiplier_above_255_is_refused() {
        let r = parse("peers[0].bfd", Some(&raw("", "", "", "256")));
        assert_eq!(fields(r), ["peers[0].bfd.multiplier"]);
    }

    const PEER: &str = "node_name: n1\nlocal_asn: 65010\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: []}\npeers:\n  - {name: tor, address: 10.0.0.1, asn: 65000, bfd: BFD}\n";

    fn config(bfd: &str) -> Result<super::super::Config, super::super::ConfigError> {
        super::super::Config::parse(&PEER.replace("BFD", bfd), |_| None)
    }

    #[test]
    fn the_peer_key_reaches_the_validated_config() {
        let c = config("{enabled: true, min_tx: 50ms}").unwrap();
        assert!(c.peers[0].bfd.enabled);
        assert_eq!(c.peers[0].bfd.min_tx, Duration::from_millis(50));
    }

    #[test]
    fn check_names_the_bfd_field_of_the_peer() {
        let err = config("{min_tx: 1ms}").expect_err("refused");
        assert!(
            err.problems
                .iter()
                .any(|p| p.starts_with("peers[0].bfd.min_tx:")),
            "{:?}",
            err.problems
        );
    }

    #[test]
    fn unknown_bfd_keys_are_refused() {
        let err = config("{interval: 1s}").expect_err("refused");
        assert!(
            err.problems.iter().any(|p| p.contains("interval")),
            "{:?}",
            err.problems
        );
    }
}
