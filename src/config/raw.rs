//! The config file as written: every key known (unknown keys are refused by serde), every
//! value still a string. Turning strings into typed values happens in
//! [`super::validate`], where each problem can name its field.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Any YAML scalar (string, number, boolean), kept as its text. Lets validation report
/// `local_asn: "abc" is not a number` instead of a type error without a field name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub node_name: Option<Scalar>,
    pub local_asn: Option<Scalar>,
    pub router_id: Option<Scalar>,
    pub source: Option<RawSource>,
    pub announce: Option<RawAnnounce>,
    #[serde(default)]
    pub peers: Vec<RawPeer>,
    pub graceful_restart: Option<RawGracefulRestart>,
    pub shutdown: Option<RawShutdown>,
    pub http: Option<RawHttp>,
}

/// `source:`: exactly one of the keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub kubernetes: Option<RawKubernetes>,
    pub manifests: Option<Vec<Scalar>>,
}

/// `source.kubernetes:`; no keys today, present to be extended without breaking files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKubernetes {}

/// `announce:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnnounce {
    pub allowed_cidrs: Option<Vec<Scalar>>,
    pub services: Option<Scalar>,
    #[serde(default)]
    pub namespaces: Vec<Scalar>,
    #[serde(default)]
    pub communities: Vec<Scalar>,
    #[serde(default)]
    pub large_communities: Vec<Scalar>,
    #[serde(default)]
    pub pools: Vec<RawPool>,
    #[serde(default)]
    pub annotation_communities: Vec<Scalar>,
    pub allow_cross_namespace_sharing: Option<Scalar>,
    pub weighted: Option<RawWeighted>,
}

/// One entry of `announce.pools:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    pub name: Option<Scalar>,
    pub cidrs: Option<Vec<Scalar>>,
    pub namespaces: Option<Vec<Scalar>>,
    pub namespace_selector: Option<RawSelector>,
}

/// A label selector; only `matchLabels`, the form every operator writes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelector {
    #[serde(default, rename = "matchLabels")]
    pub match_labels: BTreeMap<String, Scalar>,
}

/// One entry of `peers:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPeer {
    pub name: Option<Scalar>,
    pub address: Option<Scalar>,
    pub asn: Option<Scalar>,
    pub port: Option<Scalar>,
    pub local_address: Option<Scalar>,
    pub password_file: Option<Scalar>,
    pub hold_time: Option<Scalar>,
    pub connect_retry: Option<Scalar>,
    pub passive: Option<Scalar>,
    pub ebgp_multihop: Option<Scalar>,
    pub ttl_security: Option<Scalar>,
    pub families: Option<Vec<Scalar>>,
    pub next_hop: Option<RawNextHop>,
    pub bfd: Option<RawBfd>,
    #[serde(default)]
    pub node_selector: BTreeMap<String, Scalar>,
}

/// `peers[].next_hop:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNextHop {
    pub ipv4: Option<Scalar>,
    pub ipv6: Option<Scalar>,
}

/// `graceful_restart:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGracefulRestart {
    pub restart_time: Option<Scalar>,
}

/// `shutdown:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShutdown {
    pub mode: Option<Scalar>,
    pub drain: Option<Scalar>,
}

/// `http:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub listen: Option<Scalar>,
    pub ready_when: Option<Scalar>,
}

/// `announce.weighted:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeighted {
    pub enabled: Option<Scalar>,
    pub bandwidth_per_endpoint: Option<Scalar>,
    pub transitive: Option<Scalar>,
}

/// `peers[].bfd:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBfd {
    pub enabled: Option<Scalar>,
    pub min_tx: Option<Scalar>,
    pub min_rx: Option<Scalar>,
    pub multiplier: Option<Scalar>,
}
