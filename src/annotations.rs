//! The `kube-anycast.io/*` annotations of a Service (SPEC section 5): parsing and
//! validation into [`ServiceAnnotations`]. Every value is checked on its own: a bad value
//! is reported and its key takes its default, while the other keys apply. The rule reads
//! nothing but the current annotations, so a restart, `plan` and `run` agree (SPEC 4.8).

use crate::values::{self, sorted_unique};
use bgp::wire::{Community, LargeCommunity};
use std::collections::{BTreeMap, BTreeSet};

/// Prefix of every annotation we read.
pub const PREFIX: &str = "kube-anycast.io/";
/// `kube-anycast.io/announce`.
pub const ANNOUNCE: &str = "kube-anycast.io/announce";
/// `kube-anycast.io/announce-from`.
pub const ANNOUNCE_FROM: &str = "kube-anycast.io/announce-from";
/// `kube-anycast.io/communities`.
pub const COMMUNITIES: &str = "kube-anycast.io/communities";
/// `kube-anycast.io/large-communities`.
pub const LARGE_COMMUNITIES: &str = "kube-anycast.io/large-communities";
/// `kube-anycast.io/med`.
pub const MED: &str = "kube-anycast.io/med";
/// `kube-anycast.io/local-preference`.
pub const LOCAL_PREFERENCE: &str = "kube-anycast.io/local-preference";
/// `kube-anycast.io/as-path-prepend`.
pub const AS_PATH_PREPEND: &str = "kube-anycast.io/as-path-prepend";
/// `kube-anycast.io/peers`.
pub const PEERS: &str = "kube-anycast.io/peers";
/// `kube-anycast.io/weight`.
pub const WEIGHT: &str = "kube-anycast.io/weight";
/// `kube-anycast.io/drain`, on a Node.
pub const DRAIN: &str = "kube-anycast.io/drain";

const KNOWN: [&str; 9] = [
    ANNOUNCE,
    ANNOUNCE_FROM,
    COMMUNITIES,
    LARGE_COMMUNITIES,
    MED,
    LOCAL_PREFERENCE,
    AS_PATH_PREPEND,
    PEERS,
    WEIGHT,
];

/// Largest `as-path-prepend`: beyond ten copies a path is longer than any router prefers
/// anyway, and long paths are filtered by many networks.
pub const MAX_PREPEND: u8 = 10;

/// Where a Service is announced from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnnounceFrom {
    /// Nodes with local endpoints (the default).
    #[default]
    Local,
    /// Every node, while any endpoint exists (externalTrafficPolicy Cluster only).
    Cluster,
}

/// `weight`: how this node's share of a Service's traffic is set (weighted anycast).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightMode {
    /// A link bandwidth proportional to the local ready endpoints.
    Endpoints,
    /// No link bandwidth: the router splits flows equally (plain ECMP).
    Equal,
}

/// The validated annotations of one Service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceAnnotations {
    /// `announce`: `Some(true)` opts in, `Some(false)` out, `None` leaves it to the config.
    pub announce: Option<bool>,
    /// `announce-from`.
    pub announce_from: AnnounceFrom,
    /// `communities`.
    pub communities: Vec<Community>,
    /// `large-communities`.
    pub large_communities: Vec<LargeCommunity>,
    /// `med`.
    pub med: Option<u32>,
    /// `local-preference`.
    pub local_preference: Option<u32>,
    /// `as-path-prepend`.
    pub as_path_prepend: u8,
    /// `peers`: only these peers; `None` means all.
    pub peers: Option<BTreeSet<String>>,
    /// `weight`: `None` leaves it to `announce.weighted.enabled`.
    pub weight: Option<WeightMode>,
}

/// One bad annotation: an error of the Service's, which its key names (as a
/// [`ConfigError`](crate::config::ConfigError) names the field).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct AnnotationProblem {
    /// The annotation key.
    pub key: String,
    /// What is wrong with its value.
    pub message: String,
}

/// Parses the annotations of a Service: the settings in force (each bad value replaced by
/// its key's default) and one problem per bad value. `peer_names` are the configured
/// peers, so that a typo in `peers` is reported instead of silently announcing to nobody.
pub fn parse<'a, K, V>(
    annotations: impl IntoIterator<Item = (&'a K, &'a V)>,
    peer_names: &BTreeSet<String>,
) -> (ServiceAnnotations, Vec<AnnotationProblem>)
where
    K: AsRef<str> + ?Sized + 'a,
    V: AsRef<str> + ?Sized + 'a,
{
    let mut problems = Vec::new();
    let mut out = ServiceAnnotations::default();
    let ours = annotations
        .into_iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| k.starts_with(PREFIX));
    for (key, value) in ours {
        let value = value.trim();
        let result = match key {
            ANNOUNCE => parse_bool(value).map(|v| out.announce = Some(v)),
            ANNOUNCE_FROM => match value {
                "local" => {
                    out.announce_from = AnnounceFrom::Local;
                    Ok(())
                }
                "cluster" => {
                    out.announce_from = AnnounceFrom::Cluster;
                    Ok(())
                }
                other => Err(format!("{other:?} is not local or cluster")),
            },
            COMMUNITIES => values::parse_list(value, values::parse_community)
                .map(|v| out.communities = sorted_unique(v)),
            LARGE_COMMUNITIES => values::parse_list(value, values::parse_large_community)
                .map(|v| out.large_communities = sorted_unique(v)),
            MED => parse_u32(value).map(|v| out.med = Some(v)),
            LOCAL_PREFERENCE => parse_u32(value).map(|v| out.local_preference = Some(v)),
            AS_PATH_PREPEND => match value.parse::<u8>() {
                Ok(n @ 1..=MAX_PREPEND) => {
                    out.as_path_prepend = n;
                    Ok(())
                }
                _ => Err(format!("{value:?} is not a number 1..{MAX_PREPEND}")),
            },
            PEERS => parse_peers(value, peer_names).map(|v| out.peers = Some(v)),
            WEIGHT => match value {
                "endpoints" => {
                    out.weight = Some(WeightMode::Endpoints);
                    Ok(())
                }
                "equal" => {
                    out.weight = Some(WeightMode::Equal);
                    Ok(())
                }
                other => Err(format!("{other:?} is not endpoints or equal")),
            },
            DRAIN => Err("drain is a Node annotation; it has no effect on a Service".into()),
            _ => Err(format!(
                "unknown annotation; known ones are {}",
                KNOWN.join(", ")
            )),
        };
        if let Err(message) = result {
            problems.push(AnnotationProblem {
                key: key.to_owned(),
                message,
            });
        }
    }
    (out, problems)
}

/// True when a Node carries `kube-anycast.io/drain: "true"`. Anything else, a typo
/// included, is not a drain: draining moves traffic away, so it must be asked for exactly.
pub fn node_drained(annotations: &BTreeMap<Box<str>, Box<str>>) -> bool {
    annotations.get(DRAIN).is_some_and(|v| v.trim() == "true")
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{other:?} is not \"true\" or \"false\"")),
    }
}

fn parse_u32(value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| format!("{value:?} is not a number 0..4294967295"))
}

fn parse_peers(value: &str, peer_names: &BTreeSet<String>) -> Result<BTreeSet<String>, String> {
    let names = values::parse_list(value, |s| Ok(s.to_owned()))?;
    if names.is_empty() {
        return Err("empty peer list (remove the annotation to use all peers)".into());
    }
    let unknown: Vec<&String> = names.iter().filter(|n| !peer_names.contains(*n)).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown peer name(s) {unknown:?}; configured peers are {:?}",
            peer_names.iter().collect::<Vec<_>>()
        ));
    }
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests;
