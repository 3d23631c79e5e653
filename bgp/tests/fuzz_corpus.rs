//! The seed corpus of the fuzz targets in `bgp/fuzz/`: generated here from messages built
//! with this crate's types (plus a few deliberately malformed ones), checked to be what is
//! committed, and replayed through the same entry points the fuzz targets call, so that
//! stable Rust exercises them on every test run.
//!
//! After changing the generator, rewrite the files with
//! `REGENERATE_FUZZ_CORPUS=1 cargo test -p bgp --test fuzz_corpus`.

use bgp::wire::{
    AsPath, AsPathSegment, Capability, Community, GracefulRestart, GracefulRestartFamily,
    LargeCommunity, MAX_EXTENDED_MESSAGE_LEN, Message, MpReach, NextHop, Notification, Open,
    Origin, PathAttributes, RouteRefresh, SessionContext, Update,
};
use bgp::{Afi, Asn, Family, RouterId, Safi};
use bytes::BytesMut;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The fuzz targets and how many seeds each has.
const TARGETS: [(&str, usize); 3] = [("message", 17), ("update", 9), ("open", 12)];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn run_target(target: &str, data: &[u8]) {
    match target {
        "message" => bgp::fuzzing::message(data),
        "update" => bgp::fuzzing::update(data),
        "open" => {
            bgp::fuzzing::open(data);
            bgp::fuzzing::small_bodies(data);
        }
        other => panic!("unknown fuzz target {other}"),
    }
}

fn four_octet() -> SessionContext {
    SessionContext {
        ebgp: true,
        ..SessionContext::default()
    }
}

fn two_octet() -> SessionContext {
    SessionContext {
        four_octet_as: false,
        ..SessionContext::default()
    }
}

fn encode(msg: &Message, ctx: &SessionContext) -> Vec<u8> {
    let mut out = BytesMut::new();
    msg.encode(ctx, &mut out).expect("seed encodes");
    out.to_vec()
}

fn body(msg: &Message, ctx: &SessionContext) -> Vec<u8> {
    encode(msg, ctx)[19..].to_vec()
}

fn ipv4_unicast() -> Capability {
    Capability::Multiprotocol {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    }
}

fn ipv6_unicast() -> Capability {
    Capability::Multiprotocol {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
    }
}

/// A unicast family in the graceful restart capability, with its Forwarding State bit.
fn unicast_restart(afi: Afi, forwarding_preserved: bool) -> GracefulRestartFamily {
    GracefulRestartFamily {
        afi,
        safi: Safi::Unicast,
        forwarding_preserved,
    }
}

fn opens() -> Vec<(&'static str, Open)> {
    let base = |my_as, capabilities| Open {
        version: 4,
        my_as,
        hold_time: 90,
        router_id: RouterId::new("192.0.2.10".parse().unwrap()).unwrap(),
        capabilities,
    };
    let full = vec![
        ipv4_unicast(),
        ipv6_unicast(),
        Capability::RouteRefresh,
        Capability::EnhancedRouteRefresh,
        Capability::ExtendedMessage,
        Capability::FourOctetAs(Asn(4_200_000_001)),
        Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            notification: false,
            restart_time: 120,
            families: vec![
                unicast_restart(Afi::Ipv4, true),
                unicast_restart(Afi::Ipv6, false),
            ],
        }),
        Capability::Hostname {
            hostname: "node-1".into(),
            domain: "cluster.local".into(),
        },
        Capability::Unknown {
            code: 5,
            value: vec![0, 1, 0, 1, 0, 2].into(),
        },
    ];
    // Enough capabilities to need the RFC 9072 extended parameters length.
    let many = (0..40)
        .map(|i| Capability::Unknown {
            code: 200,
            value: vec![i; 6].into(),
        })
        .collect();
    vec![
        ("open-minimal", base(65001, vec![])),
        ("open-full", base(23456, full)),
        (
            "open-two-octet-speaker",
            base(64512, vec![ipv4_unicast(), Capability::RouteRefresh]),
        ),
        ("open-extended-parameters", base(65001, many)),
    ]
}

fn updates() -> Vec<(&'static str, Update)> {
    let path = |asns: &[u32]| AsPath {
        segments: vec![AsPathSegment::Sequence(
            asns.iter().map(|a| Asn(*a)).collect(),
        )],
    };
    let v4 = Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(path(&[4_200_000_001, 65000])),
            next_hop: Some("192.0.2.10".parse().unwrap()),
            med: Some(10),
            communities: vec![Community::new(65000, 100), Community::GRACEFUL_SHUTDOWN],
            large_communities: vec![LargeCommunity {
                global: 4_200_000_001,
                local1: 1,
                local2: 2,
            }],
            ..PathAttributes::default()
        },
        nlri: vec![
            "203.0.113.7/32".parse().unwrap(),
            "198.51.100.0/24".parse().unwrap(),
        ],
        ..Update::default()
    };
    let v6 = Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(path(&[65001])),
            local_pref: Some(100),
            mp_reach: Some(MpReach {
                family: Family::Ipv6Unicast,
                next_hop: NextHop::V6 {
                    global: "2001:db8::10".parse().unwrap(),
                    link_local: Some("fe80::10".parse().unwrap()),
                },
                nlri: vec!["2001:db8:1::7/128".parse().unwrap()],
            }),
            ..PathAttributes::default()
        },
        ..Update::default()
    };
    let withdraw = Update::withdrawal(
        vec!["203.0.113.7/32".parse().unwrap()],
        vec!["2001:db8:1::7/128".parse().unwrap()],
    );
    vec![
        ("update-ipv4-announce", v4),
        ("update-ipv6-announce", v6),
        ("update-withdraw", withdraw),
        ("update-eor-ipv4", Update::end_of_rib(Family::Ipv4Unicast)),
        ("update-eor-ipv6", Update::end_of_rib(Family::Ipv6Unicast)),
    ]
}

/// Every seed file: (target, file name) -> contents.
fn corpus() -> BTreeMap<(&'static str, String), Vec<u8>> {
    let mut c = BTreeMap::new();
    let ctx4 = four_octet();
    let ctx2 = two_octet();

    for (name, open) in opens() {
        let msg = Message::Open(open);
        c.insert(("open", name.to_string()), body(&msg, &ctx4));
        c.insert(("message", name.to_string()), encode(&msg, &ctx4));
    }
    // OPEN bodies that must be refused: version 3, hold time 1, BGP Identifier 0, an
    // unknown optional parameter, a capability overrunning its parameter.
    let bad_opens: [(&str, &[u8]); 5] = [
        ("open-bad-version", &[3, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 0]),
        (
            "open-bad-hold-time",
            &[4, 0xfd, 0xe9, 0, 1, 192, 0, 2, 1, 0],
        ),
        (
            "open-zero-identifier",
            &[4, 0xfd, 0xe9, 0, 90, 0, 0, 0, 0, 0],
        ),
        (
            "open-unknown-parameter",
            &[4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 3, 9, 1, 0],
        ),
        (
            "open-overrun-capability",
            &[4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 4, 2, 2, 65, 4],
        ),
    ];
    for (name, bytes) in bad_opens {
        c.insert(("open", name.to_string()), bytes.to_vec());
    }
    // NOTIFICATION and ROUTE-REFRESH bodies for the `open` target's second half.
    let cease = Message::Notification(Notification::cease_with_reason(2, "maintenance ✓"));
    c.insert(
        ("open", "notification-cease".to_string()),
        body(&cease, &ctx4),
    );
    let refresh = Message::RouteRefresh(RouteRefresh::request(Afi::Ipv6, Safi::Unicast));
    c.insert(("open", "route-refresh".to_string()), body(&refresh, &ctx4));
    c.insert(("open", "capabilities-only".to_string()), {
        let mut out = BytesMut::new();
        for cap in [ipv4_unicast(), Capability::FourOctetAs(Asn(65001))] {
            cap.encode(&mut out).unwrap();
        }
        out.to_vec()
    });

    for (name, update) in updates() {
        let msg = Message::Update(update);
        c.insert(("update", name.to_string()), body(&msg, &ctx4));
        c.insert(("message", name.to_string()), encode(&msg, &ctx4));
    }
    // The 4-octet path on a 2-octet session: AS_TRANS in AS_PATH, and AS4_PATH.
    let (_, v4) = updates().remove(0);
    let two = Message::Update(v4);
    c.insert(
        ("update", "update-ipv4-two-octet".to_string()),
        body(&two, &ctx2),
    );
    c.insert(
        ("message", "update-ipv4-two-octet".to_string()),
        encode(&two, &ctx2),
    );
    // UPDATE bodies that must be refused or repaired: lengths overrunning the body, and
    // an ORIGIN of a bad value (treat-as-withdraw).
    c.insert(
        ("update", "update-overrun-withdrawn".to_string()),
        vec![0, 9, 32, 10, 0],
    );
    c.insert(
        ("update", "update-bad-origin".to_string()),
        vec![0, 0, 0, 4, 0x40, 1, 1, 7, 24, 198, 51, 100],
    );
    c.insert(
        ("update", "update-attribute-overrun".to_string()),
        vec![0, 0, 0, 3, 0x40, 1, 5],
    );

    let small = [
        ("keepalive", Message::Keepalive),
        ("notification-cease", cease),
        ("route-refresh", refresh),
    ];
    for (name, msg) in &small {
        c.insert(("message", name.to_string()), encode(msg, &ctx4));
    }
    // A stream of several messages, as it comes off a socket.
    let mut stream = Vec::new();
    for (_, msg) in &small {
        stream.extend(encode(msg, &ctx4));
    }
    stream.extend(encode(&Message::Update(updates().remove(1).1), &ctx4));
    c.insert(("message", "stream".to_string()), stream);
    // An UPDATE over 4096 octets: valid only with extended messages.
    let big = Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::default()),
            next_hop: Some("192.0.2.10".parse().unwrap()),
            ..PathAttributes::default()
        },
        nlri: (0..=255u8)
            .flat_map(|a| (0..=5u8).map(move |b| format!("10.{a}.{b}.0/24").parse().unwrap()))
            .collect(),
        ..Update::default()
    };
    let extended = SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..four_octet()
    };
    c.insert(
        ("message", "update-extended-length".to_string()),
        encode(&Message::Update(big), &extended),
    );
    // Header errors: a bad marker, and a KEEPALIVE with a length of 20.
    let mut bad_marker = encode(&Message::Keepalive, &ctx4);
    bad_marker[3] = 0;
    c.insert(("message", "bad-marker".to_string()), bad_marker);
    let mut long_keepalive = encode(&Message::Keepalive, &ctx4);
    long_keepalive[17] = 20;
    long_keepalive.push(0);
    c.insert(
        ("message", "keepalive-length-20".to_string()),
        long_keepalive,
    );
    c
}

fn committed_files(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn committed_corpus_is_what_the_generator_makes() {
    let generated = corpus();
    if std::env::var_os("REGENERATE_FUZZ_CORPUS").is_some() {
        for (target, _) in TARGETS {
            let dir = corpus_dir(target);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        for ((target, name), bytes) in &generated {
            std::fs::write(corpus_dir(target).join(name), bytes).unwrap();
        }
    }
    for (target, count) in TARGETS {
        let files = committed_files(target);
        assert_eq!(files.len(), count, "{target}");
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let expected = generated
                .get(&(target, name.clone()))
                .unwrap_or_else(|| panic!("{target}/{name} is not generated"));
            assert_eq!(&std::fs::read(&path).unwrap(), expected, "{target}/{name}");
        }
    }
    assert_eq!(
        generated.len(),
        TARGETS.iter().map(|(_, n)| n).sum::<usize>()
    );
}

#[test]
fn every_corpus_file_runs_through_its_target() {
    for (target, count) in TARGETS {
        let files = committed_files(target);
        assert_eq!(files.len(), count, "{target}");
        for path in files {
            run_target(target, &std::fs::read(&path).unwrap());
        }
    }
}

/// Seeds built to be refused (each exercises one error path).
const REFUSED: [&str; 8] = [
    "bad-marker",
    "keepalive-length-20",
    "open-bad-hold-time",
    "open-bad-version",
    "open-overrun-capability",
    "open-unknown-parameter",
    "open-zero-identifier",
    "update-overrun-withdrawn",
];

/// Seeds that decode but must be handled as withdrawals: an invalid ORIGIN (RFC 7606
/// section 7.1) and an attribute overrunning the attribute section (section 4).
const TREAT_AS_WITHDRAW: [&str; 2] = ["update-attribute-overrun", "update-bad-origin"];

#[test]
fn valid_seeds_decode_and_invalid_ones_are_refused() {
    let ctx = four_octet();
    let extended = SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..ctx
    };
    let mut checked = 0;
    for ((target, name), bytes) in &corpus() {
        let refused = REFUSED.contains(&name.as_str());
        let with_header = |type_code: u8| {
            let mut whole = vec![0xff; 16];
            whole.extend_from_slice(&((19 + bytes.len()) as u16).to_be_bytes());
            whole.push(type_code);
            whole.extend_from_slice(bytes);
            whole
        };
        let result = match (*target, name.as_str()) {
            ("message", "stream") => continue,
            ("message", "update-extended-length") => {
                assert!(bytes.len() > 4096);
                assert!(Message::decode(bytes, &ctx).is_err());
                Message::decode(bytes, &extended)
            }
            ("message", n) if n.ends_with("two-octet") => Message::decode(bytes, &two_octet()),
            ("message", _) => Message::decode(bytes, &ctx),
            ("open", n) if n.starts_with("open") => Message::decode(&with_header(1), &ctx),
            ("update", n) if n.ends_with("two-octet") => {
                Message::decode(&with_header(2), &two_octet())
            }
            ("update", _) => Message::decode(&with_header(2), &ctx),
            _ => continue,
        };
        assert_eq!(result.is_err(), refused, "{target}/{name}: {result:?}");
        if TREAT_AS_WITHDRAW.contains(&name.as_str()) {
            let Ok(Message::Update(u)) = result else {
                panic!("{name}: {result:?}")
            };
            assert!(u.is_treat_as_withdraw());
        }
        checked += 1;
    }
    assert_eq!(checked, 34);
}

/// Every seed truncated at every length, and with each of its first 512 octets flipped,
/// through its target: a deterministic sweep that stable Rust runs on every test run.
#[test]
fn mutated_seeds_never_panic() {
    let mut runs = 0usize;
    for ((target, _), bytes) in &corpus() {
        for len in 0..bytes.len() {
            run_target(target, &bytes[..len]);
            runs += 1;
        }
        let mut mutated = bytes.clone();
        for i in 0..bytes.len().min(512) {
            for flip in [0xff, 0x01, 0x80] {
                mutated[i] ^= flip;
                run_target(target, &mutated);
                mutated[i] ^= flip;
                runs += 1;
            }
        }
    }
    assert!(runs > 10_000, "{runs}");
}
