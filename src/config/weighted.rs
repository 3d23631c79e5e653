//! `announce.weighted:` (SPEC section 3): weighted anycast. Each route carries a link
//! bandwidth extended community (draft-ietf-idr-link-bandwidth) proportional to this
//! node's ready local endpoints, so a router with weighted ECMP splits flows between the
//! nodes by their capacity instead of equally.

use super::fields::parse_bool;
use super::raw::{RawWeighted, Scalar};

/// `announce.weighted:`, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightedConfig {
    /// Send the link bandwidth community on every route (a Service's
    /// `kube-anycast.io/weight` annotation overrides this).
    pub enabled: bool,
    /// Bandwidth one ready endpoint stands for, in bits per second.
    pub bandwidth_per_endpoint: BitsPerSecond,
    /// Send the community as transitive (Type 0x00) instead of non-transitive (0x40, the
    /// default; see `decide::weight` for why). For routers that do not weight by a
    /// non-transitive one: some FRR 10 releases (fixed by FRRouting/frr#20607).
    pub transitive: bool,
}

impl Default for WeightedConfig {
    /// SPEC: off, 1Mbps per endpoint.
    fn default() -> WeightedConfig {
        WeightedConfig {
            enabled: false,
            bandwidth_per_endpoint: BitsPerSecond(1_000_000),
            transitive: false,
        }
    }
}

/// A bandwidth in bits per second, as operators write it (`1Mbps`, `10Gbps`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BitsPerSecond(pub u64);

impl BitsPerSecond {
    /// Bytes per second, the unit of the link bandwidth community (draft section 2).
    pub fn bytes_per_second(self) -> f64 {
        self.0 as f64 / 8.0
    }
}

impl std::fmt::Display for BitsPerSecond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (unit, scale) in [("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)] {
            let scale = scale as u64;
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}bps", self.0)
    }
}

/// Largest bandwidth per endpoint accepted: 1 Tbit/s is more than any link a single pod
/// sits behind, and keeps the product with any endpoint count far inside an `f32`.
const MAX_BITS_PER_SECOND: u64 = 1_000_000_000_000;

/// Parses `NUMBER UNIT` with UNIT one of bps, kbps, Mbps, Gbps, Tbps (decimal multiples,
/// as link speeds are quoted). The number is a whole number, greater than 0; at least
/// 8bps, since the community carries whole bytes per second well only from there.
pub fn parse_bandwidth(text: &str) -> Result<BitsPerSecond, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit (bps, kbps, Mbps, Gbps or Tbps)"))?;
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim() {
        "bps" => 1,
        "kbps" | "Kbps" => 1_000,
        "Mbps" => 1_000_000,
        "Gbps" => 1_000_000_000,
        "Tbps" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "unit {other:?} is not one of bps, kbps, Mbps, Gbps, Tbps"
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let bits = number
        .checked_mul(scale)
        .filter(|b| (8..=MAX_BITS_PER_SECOND).contains(b))
        .ok_or_else(|| format!("{text:?} is not between 8bps and 1Tbps"))?;
    Ok(BitsPerSecond(bits))
}

/// Validates `announce.weighted`; problems go to `add` with the field's full name.
pub fn validate(
    raw: Option<RawWeighted>,
    mut add: impl FnMut(&str, String),
) -> Option<WeightedConfig> {
    let Some(raw) = raw else {
        return Some(WeightedConfig::default());
    };
    let default = WeightedConfig::default();
    let mut flag = |field: &str, value: Option<&Scalar>, default: bool| match value {
        None => Some(default),
        Some(s) => parse_bool(s.0.trim()).map_err(|e| add(field, e)).ok(),
    };
    let enabled = flag(
        "announce.weighted.enabled",
        raw.enabled.as_ref(),
        default.enabled,
    );
    let transitive = flag(
        "announce.weighted.transitive",
        raw.transitive.as_ref(),
        default.transitive,
    );
    let bandwidth = match &raw.bandwidth_per_endpoint {
        None => Some(default.bandwidth_per_endpoint),
        Some(s) => match parse_bandwidth(s.0.trim()) {
            Ok(b) => Some(b),
            Err(e) => {
                add("announce.weighted.bandwidth_per_endpoint", e);
                None
            }
        },
    };
    Some(WeightedConfig {
        enabled: enabled?,
        bandwidth_per_endpoint: bandwidth?,
        transitive: transitive?,
    })
}

#[cfg(test)]
mod tests;
