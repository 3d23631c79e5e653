//! Raw config to typed config. Every problem is collected, not just the first, and each
//! names its field with the path a user would write (`peers[0].hold_time`).

use super::fields::{Problems, collect, parse_asn, parse_bool, parse_cidr};
use super::raw::{RawAnnounce, RawConfig};
use super::{
    AnnounceConfig, Config, ReadyWhen, ServiceSelection, ShutdownConfig, ShutdownModeConfig,
    SourceConfig,
};
use crate::values::{self, sorted_unique};
use bgp::{RestartTime, RouterId};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

const DEFAULT_RESTART_TIME: RestartTime = match RestartTime::new(120) {
    Ok(t) => t,
    Err(_) => panic!("120 s fits the 12-bit restart time"),
};
const DEFAULT_DRAIN: Duration = Duration::from_secs(2);
const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9179";

/// Validates everything; on failure returns one line per problem.
pub fn validate(raw: RawConfig) -> Result<Config, Vec<String>> {
    let mut p = Problems::default();
    let node_name = p.required("node_name", raw.node_name.as_ref(), parse_node_name);
    let local_asn = p.required("local_asn", raw.local_asn.as_ref(), parse_asn);
    let router_id = raw
        .router_id
        .as_ref()
        .and_then(|v| p.convert("router_id", v, parse_router_id));
    let source = parse_source(&mut p, raw.source);
    let announce = match raw.announce {
        Some(a) => parse_announce(&mut p, a),
        None => {
            p.add(
                "announce.allowed_cidrs",
                "is required (an empty list announces nothing)",
            );
            None
        }
    };
    let peers = super::peer::parse_peers(&mut p, &raw.peers, local_asn);
    let gr = raw.graceful_restart.unwrap_or_default();
    let graceful_restart_time = p.or_default(
        "graceful_restart.restart_time",
        gr.restart_time.as_ref(),
        DEFAULT_RESTART_TIME,
        |s| RestartTime::from_duration(values::parse_duration(s)?).map_err(|e| e.to_string()),
    );
    let shutdown_raw = raw.shutdown.unwrap_or_default();
    let mode = p.keyword(
        "shutdown.mode",
        shutdown_raw.mode.as_ref(),
        &[
            ("withdraw", ShutdownModeConfig::Withdraw),
            ("graceful-restart", ShutdownModeConfig::GracefulRestart),
        ],
    );
    let drain = p.or_default(
        "shutdown.drain",
        shutdown_raw.drain.as_ref(),
        DEFAULT_DRAIN,
        values::parse_duration,
    );
    if mode == Some(ShutdownModeConfig::GracefulRestart)
        && graceful_restart_time.map(RestartTime::seconds) == Some(0)
    {
        p.add(
            "shutdown.mode",
            "graceful-restart needs graceful_restart.restart_time above 0s (the capability must be sent)",
        );
    }
    let http = raw.http.unwrap_or_default();
    let http_listen = p.or_default(
        "http.listen",
        http.listen.as_ref(),
        SocketAddr::from_str(DEFAULT_HTTP_LISTEN).expect("constant address"),
        |s| {
            SocketAddr::from_str(s)
                .map_err(|_| format!("{s:?} is not ADDRESS:PORT, e.g. 127.0.0.1:9179 or [::]:9179"))
        },
    );
    let ready_when = p.keyword(
        "http.ready_when",
        http.ready_when.as_ref(),
        &[
            ("all-peers", ReadyWhen::AllPeers),
            ("any-peer", ReadyWhen::AnyPeer),
        ],
    );

    if !p.is_empty() {
        return Err(p.into_lines());
    }
    match (
        node_name,
        local_asn,
        source,
        announce,
        peers,
        graceful_restart_time,
        mode,
        drain,
        http_listen,
        ready_when,
    ) {
        (
            Some(node_name),
            Some(local_asn),
            Some(source),
            Some(announce),
            Some(peers),
            Some(graceful_restart_time),
            Some(mode),
            Some(drain),
            Some(http_listen),
            Some(ready_when),
        ) => Ok(Config {
            node_name,
            local_asn,
            router_id,
            source,
            announce,
            peers,
            graceful_restart_time,
            shutdown: ShutdownConfig { mode, drain },
            http_listen,
            ready_when,
        }),
        _ => Err(vec![
            "config: incomplete (a problem was not reported; please file a bug)".into(),
        ]),
    }
}

fn parse_node_name(s: &str) -> Result<String, String> {
    // Node names are DNS subdomains (RFC 1123): lowercase alphanumerics, '-' and '.'.
    let valid = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if valid {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a Kubernetes node name (lowercase DNS subdomain)"
        ))
    }
}

fn parse_router_id(s: &str) -> Result<RouterId, String> {
    let ip = Ipv4Addr::from_str(s).map_err(|_| format!("{s:?} is not an IPv4 dotted quad"))?;
    RouterId::new(ip).map_err(|e| e.to_string())
}

fn parse_source(p: &mut Problems, raw: Option<super::raw::RawSource>) -> Option<SourceConfig> {
    let Some(raw) = raw else {
        p.add(
            "source",
            "is required: `kubernetes: {}` or `manifests: [PATH, ...]`",
        );
        return None;
    };
    match (raw.kubernetes, raw.manifests) {
        (Some(_), None) => Some(SourceConfig::Kubernetes),
        (None, Some(paths)) if paths.is_empty() => {
            p.add("source.manifests", "needs at least one file or directory");
            None
        }
        (None, Some(paths)) => Some(SourceConfig::Manifests(
            paths.into_iter().map(|s| PathBuf::from(s.0)).collect(),
        )),
        (Some(_), Some(_)) => {
            p.add("source", "exactly one of kubernetes or manifests, not both");
            None
        }
        (None, None) => {
            p.add(
                "source",
                "exactly one of kubernetes or manifests is required",
            );
            None
        }
    }
}

fn parse_announce(p: &mut Problems, raw: RawAnnounce) -> Option<AnnounceConfig> {
    let allowed_cidrs = match raw.allowed_cidrs {
        None => {
            p.add(
                "announce.allowed_cidrs",
                "is required (an empty list announces nothing)",
            );
            None
        }
        Some(list) => collect(p, "announce.allowed_cidrs", &list, parse_cidr),
    };
    let services = p.keyword(
        "announce.services",
        raw.services.as_ref(),
        &[
            ("all", ServiceSelection::All),
            ("annotated", ServiceSelection::Annotated),
        ],
    );
    let namespaces = collect(p, "announce.namespaces", &raw.namespaces, |s| {
        if s.is_empty() {
            Err("empty namespace name".to_string())
        } else {
            Ok(s.to_owned())
        }
    })
    .map(|v| v.into_iter().collect::<BTreeSet<_>>());
    let communities = collect(
        p,
        "announce.communities",
        &raw.communities,
        values::parse_community,
    );
    let large_communities = collect(
        p,
        "announce.large_communities",
        &raw.large_communities,
        values::parse_large_community,
    );
    let annotation_communities = collect(
        p,
        "announce.annotation_communities",
        &raw.annotation_communities,
        crate::annotation_communities::CommunityPattern::parse,
    );
    let allow_cross_namespace_sharing = p.or_default(
        "announce.allow_cross_namespace_sharing",
        raw.allow_cross_namespace_sharing.as_ref(),
        false,
        parse_bool,
    );
    let pools = super::pools::parse_pools(p, &raw.pools);
    let weighted = super::weighted::validate(raw.weighted, |field, e| p.add(field, e));
    Some(AnnounceConfig {
        weighted: weighted?,
        allowed_cidrs: allowed_cidrs?,
        pools: pools?,
        annotation_communities: annotation_communities?,
        allow_cross_namespace_sharing: allow_cross_namespace_sharing?,
        services: services?,
        namespaces: namespaces?,
        communities: sorted_unique(communities?),
        large_communities: sorted_unique(large_communities?),
    })
}
