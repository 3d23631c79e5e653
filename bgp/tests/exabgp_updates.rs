//! Every UPDATE encoded by ExaBGP in `tests/data/exabgp/` (BSD-3-Clause, see LICENCE.txt
//! there) is decoded and compared with ExaBGP's own JSON decoding of it: prefixes, next
//! hops and attributes. What decodes is re-encoded: byte for byte identical when ExaBGP
//! put the attributes in our order, otherwise identical once decoded again.

use bgp::Family;
use bgp::wire::notification::update_subcode;
use bgp::wire::{AsPathSegment, NextHop, SessionContext, Update};
use bytes::BytesMut;
use lab::update_layout;
use lab::vectors::hex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One UPDATE message found in the data.
struct Vector {
    /// File and line, for messages.
    origin: String,
    /// The whole message, header included.
    message: Vec<u8>,
    /// ExaBGP's decoding, when the file has one for this message.
    json: Option<Value>,
    /// The session had the 4-octet AS capability.
    four_octet_as: bool,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exabgp")
}

fn is_update(message: &[u8]) -> bool {
    message.len() >= 19 && message[18] == 2
}

/// `.ci` files: `N:raw:...` messages, each followed by its `N:json:...` when there is one.
fn ci_vectors(path: &Path, out: &mut Vec<Vector>) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let four_octet_as = name != "conf-no-asn4.ci";
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.splitn(3, ':');
        let (_, kind, payload) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => continue,
        };
        match kind {
            "raw" => {
                let message = hex(payload);
                if is_update(&message) {
                    out.push(Vector {
                        origin: format!("{name}:{}", n + 1),
                        message,
                        json: None,
                        four_octet_as,
                    });
                }
            }
            "json" => {
                let json: Value = serde_json::from_str(payload).unwrap();
                let last = out.last_mut().filter(|v| v.origin.starts_with(&name));
                if let Some(last) = last.filter(|v| v.json.is_none() && json["type"] == "update") {
                    last.json = Some(json);
                }
            }
            _ => {}
        }
    }
}

/// `decoding/*` files: a family line, the hex message, ExaBGP's JSON.
fn decoding_vector(path: &Path, out: &mut Vec<Vector>) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let message = hex(lines[1]);
    if is_update(&message) {
        out.push(Vector {
            origin: path.file_name().unwrap().to_string_lossy().to_string(),
            message,
            json: Some(serde_json::from_str(lines[2]).unwrap()),
            four_octet_as: true,
        });
    }
}

fn all_vectors() -> Vec<Vector> {
    let mut vectors = Vec::new();
    for f in &files_in("encoding") {
        ci_vectors(f, &mut vectors);
    }
    for f in &files_in("decoding") {
        decoding_vector(f, &mut vectors);
    }
    vectors
}

/// The files of the data directory `dir`, in name order.
fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn context(v: &Vector) -> SessionContext {
    let ebgp = v.json.as_ref().is_some_and(|j| {
        let asn = &j["neighbor"]["asn"];
        asn["local"] != asn["peer"]
    });
    SessionContext {
        four_octet_as: v.four_octet_as,
        max_message_len: 4096,
        ebgp,
    }
}

/// ExaBGP's list of `N`-number tuples (`[[65000, 1], ...]` for communities).
fn number_tuples<const N: usize>(value: &Value) -> Vec<[u64; N]> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| std::array::from_fn(|i| u64_of(&t[i])))
        .collect()
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn next_hop_string(nh: &NextHop) -> String {
    match nh {
        NextHop::V4(a) => a.to_string(),
        NextHop::V6 { global, .. } => global.to_string(),
    }
}

/// (family, next hop, prefix) of every announced route, as ExaBGP names them.
fn our_announcements(u: &Update) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for p in &u.nlri {
        let nh = u
            .attributes
            .next_hop
            .map(|a| a.to_string())
            .unwrap_or_default();
        out.insert(("ipv4 unicast".into(), nh, p.to_string()));
    }
    if let Some(r) = &u.attributes.mp_reach {
        for p in &r.nlri {
            let family = if p.addr().is_ipv4() {
                "ipv4 unicast"
            } else {
                "ipv6 unicast"
            };
            out.insert((family.into(), next_hop_string(&r.next_hop), p.to_string()));
        }
    }
    out
}

fn our_withdrawals(u: &Update) -> BTreeSet<(String, String)> {
    u.withdrawn_prefixes()
        .map(|p| {
            let family = if p.addr().is_ipv4() {
                "ipv4 unicast"
            } else {
                "ipv6 unicast"
            };
            (family.to_string(), p.to_string())
        })
        .collect()
}

/// Compares our decoding with ExaBGP's; families we do not speak must be kept as raw
/// MP attributes.
fn compare(v: &Vector, u: &Update, json: &Value) {
    let update = &json["neighbor"]["message"]["update"];
    let o = &v.origin;

    let mut theirs = BTreeSet::new();
    if let Some(announce) = update["announce"].as_object() {
        for (family, by_next_hop) in announce {
            if family != "ipv4 unicast" && family != "ipv6 unicast" {
                assert!(
                    u.attributes.unknown.iter().any(|r| r.type_code == 14),
                    "{o}: {family} not kept as raw MP_REACH_NLRI"
                );
                continue;
            }
            for (nh, routes) in by_next_hop.as_object().unwrap() {
                for r in routes.as_array().unwrap() {
                    let prefix = r["nlri"].as_str().unwrap().to_string();
                    theirs.insert((family.clone(), nh.clone(), prefix));
                }
            }
        }
    }
    assert_eq!(our_announcements(u), theirs, "{o}: announced routes");

    let mut theirs = BTreeSet::new();
    if let Some(withdraw) = update["withdraw"].as_object() {
        for (family, routes) in withdraw {
            for r in routes.as_array().unwrap() {
                theirs.insert((family.clone(), r["nlri"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(our_withdrawals(u), theirs, "{o}: withdrawn routes");

    let a = &u.attributes;
    let empty = serde_json::Map::new();
    let attrs = update["attribute"].as_object().unwrap_or(&empty);
    for (key, value) in attrs {
        match key.as_str() {
            "origin" => {
                let ours = format!("{:?}", a.origin.unwrap()).to_lowercase();
                assert_eq!(ours, value.as_str().unwrap(), "{o}: origin");
            }
            "med" => assert_eq!(a.med.map(u64::from), Some(u64_of(value)), "{o}: med"),
            "local-preference" => assert_eq!(
                a.local_pref.map(u64::from),
                Some(u64_of(value)),
                "{o}: local-preference"
            ),
            "atomic-aggregate" => assert!(a.atomic_aggregate, "{o}: atomic-aggregate"),
            "aggregator" => {
                let agg = a.aggregator.unwrap();
                assert_eq!(
                    format!("{}:{}", agg.asn, agg.address),
                    value.as_str().unwrap()
                );
            }
            "originator-id" => assert_eq!(
                a.originator_id.map(|x| x.to_string()).as_deref(),
                value.as_str(),
                "{o}: originator-id"
            ),
            "as-path" => {
                let ours: Vec<(String, Vec<u64>)> = a
                    .as_path
                    .as_ref()
                    .unwrap()
                    .segments
                    .iter()
                    .map(|s| match s {
                        AsPathSegment::Sequence(x) => ("as-sequence", x),
                        AsPathSegment::Set(x) => ("as-set", x),
                        AsPathSegment::ConfedSequence(x) => ("confed-sequence", x),
                        AsPathSegment::ConfedSet(x) => ("confed-set", x),
                    })
                    .map(|(k, x)| (k.to_string(), x.iter().map(|a| u64::from(a.0)).collect()))
                    .collect();
                let theirs: Vec<(String, Vec<u64>)> = (0..)
                    .map_while(|i| value.get(i.to_string()))
                    .map(|s| {
                        let asns = s["value"].as_array().unwrap().iter().map(u64_of).collect();
                        (s["element"].as_str().unwrap().to_string(), asns)
                    })
                    .collect();
                assert_eq!(ours, theirs, "{o}: as-path");
            }
            "community" => {
                let ours: Vec<[u64; 2]> = a
                    .communities
                    .iter()
                    .map(|c| [u64::from(c.0 >> 16), u64::from(c.0 & 0xffff)])
                    .collect();
                assert_eq!(ours, number_tuples(value), "{o}: community");
            }
            "large-community" => {
                let ours: Vec<[u64; 3]> = a
                    .large_communities
                    .iter()
                    .map(|c| [c.global, c.local1, c.local2].map(u64::from))
                    .collect();
                assert_eq!(ours, number_tuples(value), "{o}: large-community");
            }
            "extended-community" => {
                let ours: Vec<u64> = a
                    .extended_communities
                    .iter()
                    .map(|c| u64::from_be_bytes(c.to_bytes()))
                    .collect();
                let theirs: Vec<u64> = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| u64_of(&c["value"]))
                    .collect();
                assert_eq!(ours, theirs, "{o}: extended-community");
            }
            other => panic!("{o}: attribute {other} not compared"),
        }
    }
    // What ExaBGP does not mention we must not have either.
    if !attrs.contains_key("as-path") {
        assert!(
            a.as_path.as_ref().is_none_or(|p| p.segments.is_empty()),
            "{o}: as-path"
        );
    }
    for (present, key) in [
        (a.med.is_some(), "med"),
        (a.local_pref.is_some(), "local-preference"),
        (a.atomic_aggregate, "atomic-aggregate"),
        (a.aggregator.is_some(), "aggregator"),
        (!a.communities.is_empty(), "community"),
        (!a.large_communities.is_empty(), "large-community"),
        (!a.extended_communities.is_empty(), "extended-community"),
        (a.originator_id.is_some(), "originator-id"),
    ] {
        assert_eq!(present, attrs.contains_key(key), "{o}: {key}");
    }
}

#[test]
fn exabgp_update_vectors_decode_as_exabgp_reads_them() {
    let vectors = all_vectors();
    // 75 UPDATEs in encoding/*.ci, 2 in decoding/*.
    assert_eq!(vectors.len(), 77, "UPDATE vectors found");

    let mut compared_with_json = 0;
    let mut extended_compared = 0;
    let mut byte_identical = 0;
    let mut rejected = Vec::new();
    let mut end_of_rib = (0, 0);
    for v in &vectors {
        let length = usize::from(u16::from_be_bytes([v.message[16], v.message[17]]));
        assert_eq!(length, v.message.len(), "{}: length field", v.origin);
        assert!(
            v.message[..16].iter().all(|b| *b == 0xff),
            "{}: marker",
            v.origin
        );
        let body = &v.message[19..];
        let ctx = context(v);
        let u = match Update::decode_body(body, &ctx) {
            Ok(u) => u,
            Err(e) => {
                rejected.push((
                    v.origin.clone(),
                    e.notification.subcode,
                    e.notification.data,
                ));
                continue;
            }
        };
        assert!(u.issues.is_empty(), "{}: {:?}", v.origin, u.issues);
        match u.as_end_of_rib() {
            Some(Family::Ipv4Unicast) => end_of_rib.0 += 1,
            Some(Family::Ipv6Unicast) => end_of_rib.1 += 1,
            None => {}
        }
        if let Some(json) = &v.json {
            compare(v, &u, json);
            compared_with_json += 1;
            if !u.attributes.extended_communities.is_empty() {
                extended_compared += 1;
            }
        }

        let mut out = BytesMut::new();
        u.encode_body(&ctx, &mut out).unwrap();
        assert_eq!(
            out.len() + 19,
            u.encoded_len(&ctx),
            "{}: encoded_len",
            v.origin
        );
        let attributes = update_layout::path_attributes(body);
        let our_form = attributes.iter().all(|a| a.has_our_length_form());
        if update_layout::in_our_order(&attributes) && our_form {
            assert_eq!(&out[..], body, "{}: re-encoded bytes", v.origin);
            byte_identical += 1;
        } else {
            // Unrecognized attributes come back in our order: MP first, then by code.
            let mut expected = u.clone();
            expected
                .attributes
                .unknown
                .sort_by_key(|r| update_layout::our_order(r.type_code));
            let again = Update::decode_body(&out, &ctx).unwrap();
            assert_eq!(again, expected, "{}: re-encoded and decoded", v.origin);
        }
    }

    // ExaBGP test cases that break RFC rules this crate enforces:
    // - conf-generic-attribute: attributes 0x99 with flags 0x60 / 0x70 are "well-known"
    //   (Optional bit clear) but unrecognized: RFC 4271 section 6.3, Unrecognized
    //   Well-known Attribute, data = the attribute.
    // - extended-nexthop: IPv6 routes with a 4-octet next hop: the NLRI cannot be located
    //   (RFC 7606 section 7.11), Optional Attribute Error, data = the attribute.
    let rejected: Vec<(String, u8, Vec<u8>)> = rejected
        .into_iter()
        .map(|(o, s, d)| (o, s, d.to_vec()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (
                "conf-generic-attribute.ci:6".to_string(),
                update_subcode::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                hex("60990400000064"),
            ),
            (
                "conf-generic-attribute.ci:9".to_string(),
                update_subcode::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                hex("7099000400000064"),
            ),
            (
                "extended-nexthop.ci:6".to_string(),
                update_subcode::OPTIONAL_ATTRIBUTE_ERROR,
                hex("800E1A00020104AAAAAAAA0080DEADBEEFDEADBEEFDEADBEEFDEADBEEF"),
            ),
        ]
    );
    // Two UPDATEs of conf-parity.ci carry EXTENDED COMMUNITIES (a route target) with
    // ExaBGP's decoding next to them; each matched value for value above.
    assert_eq!(
        extended_compared, 2,
        "UPDATEs with extended communities compared"
    );
    // 12 empty UPDATEs (IPv4) and 7 lone empty MP_UNREACH_NLRI for AFI 2 / SAFI 1; the
    // VPN markers (SAFI 128) are not ours.
    assert_eq!(end_of_rib, (12, 7), "End-of-RIB markers (IPv4, IPv6)");
    assert_eq!(
        compared_with_json, 37,
        "vectors compared with ExaBGP's JSON"
    );
    assert_eq!(byte_identical, 52, "vectors re-encoded byte for byte");
}
