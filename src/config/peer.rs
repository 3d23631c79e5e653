//! One entry of `peers:`: its raw strings to a validated [`PeerConfig`] (a `TryFrom`,
//! every problem naming its field), and the rules across entries (unique names and
//! endpoints).

use super::fields::{Problems, collect, one_of, parse_asn, parse_bool, parse_ip};
use super::raw::RawPeer;
use super::{NextHopChoice, PeerConfig, TransportConfig};
use crate::values::{self, sorted_unique};
use bgp::{Asn, Family, HoldTime, PeerKind};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

const DEFAULT_HOLD_TIME: HoldTime = HoldTime::DEFAULT;
const DEFAULT_CONNECT_RETRY: Duration = Duration::from_secs(5);

/// One raw entry of `peers:` with what validating it needs.
pub struct PeerEntry<'a> {
    /// Where it is in the file (`peers[0]`), to name fields in problems.
    pub field: String,
    /// The entry as written.
    pub raw: &'a RawPeer,
    /// The file's `local_asn`, if valid: with the peer's ASN it gives the session's kind.
    pub local_asn: Option<Asn>,
}

impl TryFrom<PeerEntry<'_>> for PeerConfig {
    /// One line per problem, each naming its field. Empty when the entry itself is fine
    /// but `local_asn` was not (that problem is reported for `local_asn`).
    type Error = Vec<String>;

    fn try_from(entry: PeerEntry<'_>) -> Result<PeerConfig, Vec<String>> {
        let mut p = Problems::default();
        match parse_peer(&mut p, &entry.field, entry.raw, entry.local_asn) {
            Some(peer) if p.is_empty() => Ok(peer),
            _ => Err(p.into_lines()),
        }
    }
}

pub(super) fn parse_peers(
    p: &mut Problems,
    raw: &[RawPeer],
    local_asn: Option<Asn>,
) -> Option<Vec<PeerConfig>> {
    let mut peers = Vec::with_capacity(raw.len());
    let mut ok = true;
    let mut names = HashSet::new();
    let mut endpoints = HashSet::new();
    for (i, raw_peer) in raw.iter().enumerate() {
        let field = format!("peers[{i}]");
        let name_field = format!("{field}.name");
        let address_field = format!("{field}.address");
        match PeerConfig::try_from(PeerEntry {
            field,
            raw: raw_peer,
            local_asn,
        }) {
            Ok(peer) => {
                if !names.insert(peer.name.clone()) {
                    p.add(&name_field, format!("duplicate peer name {:?}", peer.name));
                    ok = false;
                }
                if !endpoints.insert((peer.address, peer.port)) {
                    p.add(
                        &address_field,
                        format!("another peer already uses {}:{}", peer.address, peer.port),
                    );
                    ok = false;
                }
                peers.push(peer);
            }
            Err(problems) => {
                p.extend(problems);
                ok = false;
            }
        }
    }
    ok.then_some(peers)
}

fn parse_peer(
    p: &mut Problems,
    field: &str,
    raw: &RawPeer,
    local_asn: Option<Asn>,
) -> Option<PeerConfig> {
    let f = |name: &str| format!("{field}.{name}");
    let name = p.required(&f("name"), raw.name.as_ref(), |s| {
        let valid = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(s.to_owned())
        } else {
            Err(format!("{s:?}: use letters, digits, '-', '_' and '.' (it appears in annotations and metrics)"))
        }
    });
    let address = p.required(&f("address"), raw.address.as_ref(), parse_ip);
    let asn = p.required(&f("asn"), raw.asn.as_ref(), parse_asn);
    let port = p.or_default(&f("port"), raw.port.as_ref(), 179, |s| {
        match s.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!("{s:?} is not a port 1..65535")),
            Ok(port) => Ok(port),
        }
    });
    let local_address = raw
        .local_address
        .as_ref()
        .and_then(|v| p.convert(&f("local_address"), v, parse_ip));
    if let (Some(a), Some(l)) = (address, local_address)
        && a.is_ipv4() != l.is_ipv4()
    {
        p.add(
            &f("local_address"),
            format!("{l} is not of the same family as address {a}"),
        );
    }
    let password_file = raw.password_file.as_ref().map(|s| PathBuf::from(&s.0));
    let hold_time = p.or_default(
        &f("hold_time"),
        raw.hold_time.as_ref(),
        DEFAULT_HOLD_TIME,
        |s| HoldTime::from_duration(values::parse_duration(s)?).map_err(|e| e.to_string()),
    );
    let connect_retry = p.or_default(
        &f("connect_retry"),
        raw.connect_retry.as_ref(),
        DEFAULT_CONNECT_RETRY,
        |s| {
            let d = values::parse_duration(s)?;
            if d < Duration::from_millis(100) {
                return Err("must be at least 100ms".into());
            }
            Ok(d)
        },
    );
    let passive = p.or_default(&f("passive"), raw.passive.as_ref(), false, parse_bool);
    let ebgp_multihop = p.or_default(
        &f("ebgp_multihop"),
        raw.ebgp_multihop.as_ref(),
        1,
        |s| match s.parse::<u8>() {
            Ok(0) | Err(_) => Err(format!("{s:?} is not a TTL 1..255")),
            Ok(ttl) => Ok(ttl),
        },
    );
    let ttl_security = p.or_default(
        &f("ttl_security"),
        raw.ttl_security.as_ref(),
        false,
        parse_bool,
    );
    let families = match &raw.families {
        None => Some(vec![Family::Ipv4Unicast, Family::Ipv6Unicast]),
        Some(list) if list.is_empty() => {
            p.add(&f("families"), "needs at least one of ipv4, ipv6");
            None
        }
        Some(list) => collect(
            p,
            &f("families"),
            list,
            one_of(&[("ipv4", Family::Ipv4Unicast), ("ipv6", Family::Ipv6Unicast)]),
        )
        .map(sorted_unique),
    };
    let next_hop = raw.next_hop.as_ref();
    let next_hop_v4 = p.or_default(
        &f("next_hop.ipv4"),
        next_hop.and_then(|n| n.ipv4.as_ref()),
        NextHopChoice::Auto,
        |s| parse_next_hop(s, "IPv4"),
    );
    let next_hop_v6 = p.or_default(
        &f("next_hop.ipv6"),
        next_hop.and_then(|n| n.ipv6.as_ref()),
        NextHopChoice::Auto,
        |s| parse_next_hop(s, "IPv6"),
    );
    let node_selector: BTreeMap<String, String> = raw
        .node_selector
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    let kind = asn
        .zip(local_asn)
        .map(|(asn, local)| PeerKind::of(local, asn));
    if kind == Some(PeerKind::Internal) && ttl_security == Some(true) {
        p.add(
            &f("ttl_security"),
            "GTSM (RFC 5082) applies to eBGP sessions only",
        );
    }
    let bfd = super::bfd::parse(&f("bfd"), raw.bfd.as_ref())
        .map_err(|problems| {
            for (field, message) in problems {
                p.add(&field, message);
            }
        })
        .ok();
    Some(PeerConfig {
        name: name?,
        address: address?,
        asn: asn?,
        kind: kind?,
        port: port?,
        transport: TransportConfig {
            local_address,
            password_file,
            ebgp_multihop: ebgp_multihop?,
            ttl_security: ttl_security?,
        },
        hold_time: hold_time?,
        connect_retry: connect_retry?,
        passive: passive?,
        families: families?,
        next_hop_v4: next_hop_v4?,
        next_hop_v6: next_hop_v6?,
        node_selector,
        bfd: bfd?,
    })
}

/// `auto` or an address of the family `family` names.
fn parse_next_hop<A: FromStr>(s: &str, family: &str) -> Result<NextHopChoice<A>, String> {
    if s == "auto" {
        return Ok(NextHopChoice::Auto);
    }
    s.parse()
        .map(NextHopChoice::Address)
        .map_err(|_| format!("{s:?} is not auto or an {family} address"))
}
