//! Messages captured from real routers by `lab capture-vectors`: FRR, BIRD 2,
//! GoBGP and ExaBGP each peered (eBGP, 4-octet ASN 42000001NN) with a recording peer in
//! AS 65001 that announced 4-octet AS, IPv4 and IPv6 unicast, route refresh and graceful
//! restart, asked for a ROUTE-REFRESH of both families once the End-of-RIB markers had
//! arrived, and was then shut down by the router with the shutdown communication
//! "capture complete" (RFC 9003), except ExaBGP, which closes the connection without a
//! NOTIFICATION when it is stopped.
//!
//! `frr-bandwidth.hex` is the same FRR (N = 5) with `set extcommunity bandwidth 8` added:
//! the link bandwidth extended community (draft-ietf-idr-link-bandwidth) of weighted
//! anycast, as FRR encodes it.
//!
//! Each router originated 10.201.N.1/32, 10.201.N.2/32, fd00:201:N::1/128 and
//! fd00:201:N::2/128 with MED 50, community 65001:100 and large community ASN:1:2. BIRD
//! does not send MED to an eBGP peer for routes it originates, so its routes have none.
//!
//! Every message must decode without error or RFC 7606 issue, carry what the router was
//! told to send, and re-encode to the same octets unless the router chose a different but
//! valid form, in which case decoding our encoding gives the same message.

use bgp::wire::notification::cease_subcode;
use bgp::wire::{
    AsPath, AsPathSegment, Capability, Community, ErrorCode, ExtendedCommunity, GracefulRestart,
    GracefulRestartFamily, LargeCommunity, LinkBandwidth, Message, MessageType, NextHop, Origin,
    SessionContext, Update,
};
use bgp::{Afi, Asn, Family, RouterId, Safi};
use bytes::{Bytes, BytesMut};
use ipnet::IpNet;
use lab::update_layout;
use lab::vectors::hex;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// The recorder announced neither extended messages nor anything that changes the
/// encoding except 4-octet AS, which every router announced too.
const CTX: SessionContext = SessionContext {
    four_octet_as: true,
    max_message_len: 4096,
    ebgp: true,
};

/// The shutdown communication the script gives each router.
const SHUTDOWN_TEXT: &str = "capture complete";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captured")
}

/// One capture file.
struct Capture {
    router: String,
    /// The `#` lines.
    header: Vec<String>,
    /// Every received message, header included.
    messages: Vec<Vec<u8>>,
}

fn captures() -> Vec<Capture> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", data_dir().display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("hex"),
                "{}",
                path.display()
            );
            let text = std::fs::read_to_string(path).expect("capture file");
            let (header, messages): (Vec<&str>, Vec<&str>) =
                text.lines().partition(|l| l.starts_with('#'));
            Capture {
                router: path.file_stem().unwrap().to_string_lossy().into_owned(),
                header: header.iter().map(|s| s.to_string()).collect(),
                messages: messages.iter().map(|l| hex(l.trim())).collect(),
            }
        })
        .collect()
}

/// The capture of `router`.
fn capture(router: &str) -> Capture {
    captures()
        .into_iter()
        .find(|c| c.router == router)
        .unwrap_or_else(|| panic!("no capture of {router}"))
}

/// What each router was configured to send, and what it chose for the rest.
struct Expected {
    /// Name as written in the file header, with the version.
    version: &'static str,
    asn: u32,
    hold_time: u16,
    origin: Origin,
    med: Option<u32>,
    capabilities: Vec<Capability>,
    /// OPEN, KEEPALIVE, UPDATE (End-of-RIB included), NOTIFICATION.
    counts: [usize; 4],
    /// End-of-RIB markers (IPv4, IPv6): GoBGP sends them again after a refresh.
    end_of_rib: (usize, usize),
    /// Messages our encoder writes octet for octet as the router did.
    byte_identical: usize,
    /// EXTENDED COMMUNITIES on every route.
    extended_communities: Vec<ExtendedCommunity>,
}

impl Expected {
    /// The router's number N in its addresses and ASN.
    fn n(&self) -> u8 {
        (self.asn - 4_200_000_100) as u8
    }

    fn router_id(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 255, self.n(), 1)
    }

    fn ipv6_next_hop(&self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x255, 0, u16::from(self.n()), 0, 0, 0, 1)
    }

    fn prefixes(&self) -> Vec<IpNet> {
        let n = self.n();
        vec![
            IpNet::new(IpAddr::V4(Ipv4Addr::new(10, 201, n, 1)), 32).unwrap(),
            IpNet::new(IpAddr::V4(Ipv4Addr::new(10, 201, n, 2)), 32).unwrap(),
            IpNet::new(
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x201, u16::from(n), 0, 0, 0, 0, 1)),
                128,
            )
            .unwrap(),
            IpNet::new(
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x201, u16::from(n), 0, 0, 0, 0, 2)),
                128,
            )
            .unwrap(),
        ]
    }
}

fn mp(afi: Afi) -> Capability {
    Capability::Multiprotocol {
        afi,
        safi: Safi::Unicast,
    }
}

fn graceful_restart(restart_state: bool, notification: bool, forwarding: bool) -> Capability {
    let family = |afi| GracefulRestartFamily {
        afi,
        safi: Safi::Unicast,
        forwarding_preserved: forwarding,
    };
    Capability::GracefulRestart(GracefulRestart {
        restart_state,
        notification,
        restart_time: 120,
        families: vec![family(Afi::Ipv4), family(Afi::Ipv6)],
    })
}

fn unknown(code: u8, value: &[u8]) -> Capability {
    Capability::Unknown {
        code,
        value: Bytes::copy_from_slice(value),
    }
}

impl Expected {
    /// Router `version` in AS `asn` doing as it was told (ORIGIN IGP, MED 50, no extended
    /// communities) and as most did: hold time 180 s, one OPEN, one KEEPALIVE, an UPDATE
    /// per family at start and again after the refresh, one End-of-RIB per family, then the
    /// shutdown NOTIFICATION. Its capabilities and the messages we write octet for octet as
    /// it did are its own: every case sets them.
    fn as_told(version: &'static str, asn: u32) -> Expected {
        Expected {
            version,
            asn,
            hold_time: 180,
            origin: Origin::Igp,
            med: Some(50),
            capabilities: Vec::new(),
            counts: [1, 1, 6, 1],
            end_of_rib: (1, 1),
            byte_identical: 0,
            extended_communities: Vec::new(),
        }
    }
}

fn expected(router: &str) -> Expected {
    match router {
        "bird" => Expected {
            hold_time: 240,
            // BIRD does not send MED to an eBGP peer for routes it originates.
            med: None,
            capabilities: vec![
                mp(Afi::Ipv4),
                mp(Afi::Ipv6),
                Capability::RouteRefresh,
                graceful_restart(false, false, false),
                Capability::FourOctetAs(Asn(4_200_000_102)),
                Capability::EnhancedRouteRefresh,
                // 71: long-lived graceful restart (RFC 9494), no families.
                unknown(71, &[]),
            ],
            // All but the OPEN (capabilities in one parameter) and the two IPv6 UPDATEs
            // (MP_REACH_NLRI of 71 octets with the Extended Length bit).
            byte_identical: 6,
            ..Expected::as_told("BIRD 2.0.12", 4_200_000_102)
        },
        "exabgp" => Expected {
            capabilities: vec![
                mp(Afi::Ipv4),
                mp(Afi::Ipv6),
                Capability::FourOctetAs(Asn(4_200_000_104)),
                // ExaBGP sets the Restart State and Forwarding State bits at every start.
                graceful_restart(true, false, true),
                Capability::RouteRefresh,
                Capability::EnhancedRouteRefresh,
                Capability::ExtendedMessage,
            ],
            // An UPDATE per IPv6 route, and no NOTIFICATION: ExaBGP closes the connection
            // when it is stopped.
            counts: [1, 1, 8, 0],
            // All but the four IPv6 UPDATEs (MP_REACH_NLRI last) and the IPv6 End-of-RIB
            // (Extended Length bit on a 3-octet MP_UNREACH_NLRI).
            byte_identical: 5,
            ..Expected::as_told("ExaBGP 4.2.21", 4_200_000_104)
        },
        "frr" => frr(4_200_000_101, vec![]),
        // The same FRR with `set extcommunity bandwidth 8` (Mbit/s): 1,000,000 bytes/s,
        // transitive, and AS_TRANS in the 2-octet field since FRR's ASN is 4-octet
        // (draft-ietf-idr-link-bandwidth section 2 has room for 2 octets only).
        "frr-bandwidth" => frr(
            4_200_000_105,
            vec![ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
                23456, 1e6, true,
            ))],
        ),
        "gobgp" => Expected {
            hold_time: 90,
            // Routes added with `gobgp global rib add` are INCOMPLETE.
            origin: Origin::Incomplete,
            capabilities: vec![
                Capability::RouteRefresh,
                // The capture machine's host name.
                Capability::Hostname {
                    hostname: "vm".into(),
                    domain: String::new(),
                },
                mp(Afi::Ipv4),
                mp(Afi::Ipv6),
                Capability::FourOctetAs(Asn(4_200_000_103)),
                graceful_restart(false, false, false),
                // 5: extended next hop encoding (RFC 8950): IPv4 unicast over IPv6.
                unknown(5, &[0, 1, 0, 1, 0, 2]),
            ],
            // An UPDATE per IPv6 route, and the End-of-RIB markers again after the refresh.
            counts: [1, 1, 10, 1],
            end_of_rib: (2, 2),
            // All but the OPEN (capabilities in one parameter) and the four IPv6 UPDATEs
            // (MP_REACH_NLRI between COMMUNITIES and LARGE_COMMUNITY).
            byte_identical: 8,
            ..Expected::as_told("GoBGP 3.10.0", 4_200_000_103)
        },
        other => panic!("no expectations for a capture named {other}"),
    }
}

/// FRR 8.4.4 in AS `asn`.
fn frr(asn: u32, extended_communities: Vec<ExtendedCommunity>) -> Expected {
    Expected {
        capabilities: vec![
            mp(Afi::Ipv4),
            mp(Afi::Ipv6),
            // 128: the pre-standard (Cisco) route refresh code.
            unknown(128, &[]),
            Capability::RouteRefresh,
            Capability::EnhancedRouteRefresh,
            Capability::FourOctetAs(Asn(asn)),
            Capability::ExtendedMessage,
            // 69: ADD-PATH (RFC 7911), receive only, for IPv4 and IPv6 unicast.
            unknown(69, &[0, 1, 1, 1, 0, 2, 1, 1]),
            Capability::Hostname {
                hostname: "cap-frr".into(),
                domain: String::new(),
            },
            graceful_restart(true, true, false),
            // 71: long-lived graceful restart (RFC 9494), stale time 0, both families.
            unknown(71, &[0, 1, 1, 0x80, 0, 0, 0, 0, 2, 1, 0x80, 0, 0, 0]),
        ],
        // All but the four route UPDATEs: AS_PATH always with the Extended Length bit,
        // MP_REACH_NLRI too.
        byte_identical: 5,
        extended_communities,
        ..Expected::as_told("FRR 8.4.4", asn)
    }
}

fn decode(router: &str, i: usize, bytes: &[u8]) -> Message {
    Message::decode(bytes, &CTX).unwrap_or_else(|e| panic!("{router} message {i}: {e}"))
}

fn encode(message: &Message) -> Vec<u8> {
    let mut out = BytesMut::new();
    message.encode(&CTX, &mut out).expect("re-encodes");
    out.to_vec()
}

#[test]
fn every_capture_file_is_found_with_its_message_count() {
    let found: Vec<(String, usize)> = captures()
        .into_iter()
        .map(|c| (c.router, c.messages.len()))
        .collect();
    let expected = [
        ("bird", 9),
        ("exabgp", 10),
        ("frr-bandwidth", 9),
        ("frr", 9),
        ("gobgp", 13),
    ];
    let expected: Vec<(String, usize)> = expected
        .into_iter()
        .map(|(r, n)| (r.to_string(), n))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn capture_headers_name_the_router_version_and_date() {
    for c in captures() {
        let e = expected(&c.router);
        assert_eq!(c.header.len(), 2, "{}", c.router);
        assert!(
            c.header[0].contains(&format!("sent by {} ", e.version)),
            "{}: {}",
            c.router,
            c.header[0]
        );
        assert!(c.header[1].starts_with("# Captured 20"), "{}", c.router);
    }
}

#[test]
fn every_captured_message_decodes_without_rfc7606_issue() {
    let mut decoded = 0;
    for c in captures() {
        let e = expected(&c.router);
        let mut counts = [0; 4];
        for (i, bytes) in c.messages.iter().enumerate() {
            let m = decode(&c.router, i, bytes);
            assert_eq!(m.message_type().code(), bytes[18], "{} {i}", c.router);
            match &m {
                Message::Open(_) => counts[0] += 1,
                Message::Keepalive => counts[1] += 1,
                Message::Update(u) => {
                    assert!(u.issues.is_empty(), "{} {i}: {:?}", c.router, u.issues);
                    counts[2] += 1;
                }
                Message::Notification(_) => counts[3] += 1,
                Message::RouteRefresh(_) => panic!("{} {i}: unexpected ROUTE-REFRESH", c.router),
            }
            decoded += 1;
        }
        assert_eq!(
            counts, e.counts,
            "{}: OPEN, KEEPALIVE, UPDATE, NOTIFICATION",
            c.router
        );
        // The session starts with OPEN then KEEPALIVE (RFC 4271 section 8.2.2).
        assert_eq!(c.messages[0][18], MessageType::Open.code(), "{}", c.router);
        assert_eq!(
            c.messages[1][18],
            MessageType::Keepalive.code(),
            "{}",
            c.router
        );
    }
    assert_eq!(decoded, 50);
}

#[test]
fn open_carries_the_router_asn_hold_time_and_capabilities() {
    for c in captures() {
        let e = expected(&c.router);
        let Message::Open(open) = decode(&c.router, 0, &c.messages[0]) else {
            panic!("{}: first message is not an OPEN", c.router);
        };
        assert_eq!(open.version, 4, "{}", c.router);
        // RFC 6793 section 4.1: an ASN above 65535 is sent as AS_TRANS in My AS.
        assert_eq!(open.my_as, 23456, "{}", c.router);
        assert_eq!(open.asn(), Asn(e.asn), "{}", c.router);
        assert_eq!(open.hold_time, e.hold_time, "{}", c.router);
        assert_eq!(
            open.router_id,
            RouterId::new(e.router_id()).unwrap(),
            "{}",
            c.router
        );
        assert_eq!(open.capabilities, e.capabilities, "{}", c.router);
    }
}

/// The (prefix, times announced) of every route, and the End-of-RIB counts.
fn routes(
    router: &str,
    e: &Expected,
    messages: &[Vec<u8>],
) -> (BTreeMap<IpNet, usize>, (usize, usize)) {
    let mut seen = BTreeMap::new();
    let mut end_of_rib = (0, 0);
    for (i, bytes) in messages.iter().enumerate() {
        let Message::Update(u) = decode(router, i, bytes) else {
            continue;
        };
        match u.as_end_of_rib() {
            Some(Family::Ipv4Unicast) => end_of_rib.0 += 1,
            Some(Family::Ipv6Unicast) => end_of_rib.1 += 1,
            None => {
                check_route_update(router, i, e, &u);
                for p in u.announced() {
                    *seen.entry(p).or_insert(0) += 1;
                }
            }
        }
    }
    (seen, end_of_rib)
}

/// Path attributes of a route the router originated towards an eBGP peer.
fn check_route_update(router: &str, i: usize, e: &Expected, u: &Update) {
    let a = &u.attributes;
    let at = format!("{router} message {i}");
    assert!(u.withdrawn_prefixes().next().is_none(), "{at}: withdraws");
    assert_eq!(a.origin, Some(e.origin), "{at}: ORIGIN");
    // RFC 4271 section 5.1.2: an eBGP speaker prepends its own ASN.
    assert_eq!(
        a.as_path,
        Some(AsPath {
            segments: vec![AsPathSegment::Sequence(vec![Asn(e.asn)])]
        }),
        "{at}: AS_PATH"
    );
    assert_eq!(a.med, e.med, "{at}: MED");
    // RFC 4271 section 5.1.5: LOCAL_PREF is not sent to an eBGP peer.
    assert_eq!(a.local_pref, None, "{at}: LOCAL_PREF");
    assert_eq!(a.communities, vec![Community::new(65001, 100)], "{at}");
    assert_eq!(
        a.large_communities,
        vec![LargeCommunity {
            global: e.asn,
            local1: 1,
            local2: 2
        }],
        "{at}"
    );
    assert_eq!(a.extended_communities, e.extended_communities, "{at}");
    assert!(a.unknown.is_empty(), "{at}: {:?}", a.unknown);
    assert!(a.mp_unreach.is_none(), "{at}: MP_UNREACH_NLRI");
    match (&a.mp_reach, u.nlri.is_empty()) {
        // IPv4 in the classic fields, with the session address as NEXT_HOP.
        (None, false) => assert_eq!(a.next_hop, Some(e.router_id()), "{at}: NEXT_HOP"),
        // IPv6 in MP_REACH_NLRI: the configured global address, plus the link-local one
        // when the router adds it (RFC 2545 section 3).
        (Some(reach), true) => {
            assert_eq!(reach.family, Family::Ipv6Unicast, "{at}");
            assert_eq!(a.next_hop, None, "{at}: NEXT_HOP with MP_REACH_NLRI only");
            let NextHop::V6 { global, link_local } = reach.next_hop else {
                panic!("{at}: IPv4 next hop for IPv6 routes");
            };
            assert_eq!(global, e.ipv6_next_hop(), "{at}");
            if let Some(ll) = link_local {
                assert_eq!(ll.segments()[0] & 0xffc0, 0xfe80, "{at}: {ll}");
            }
        }
        _ => panic!("{at}: mixes or lacks NLRI"),
    }
}

#[test]
fn updates_carry_the_configured_routes_and_attributes_twice_after_refresh() {
    for c in captures() {
        let e = expected(&c.router);
        let (seen, end_of_rib) = routes(&c.router, &e, &c.messages);
        // Once when the session came up, once more after the ROUTE-REFRESH.
        let want: BTreeMap<IpNet, usize> = e.prefixes().into_iter().map(|p| (p, 2)).collect();
        assert_eq!(seen, want, "{}: announced prefixes", c.router);
        assert_eq!(
            end_of_rib, e.end_of_rib,
            "{}: End-of-RIB (IPv4, IPv6)",
            c.router
        );
    }
}

#[test]
fn bird_sends_the_link_local_next_hop_too() {
    let bird = capture("bird");
    let with_link_local = bird
        .messages
        .iter()
        .enumerate()
        .filter(|(i, b)| match decode("bird", *i, b) {
            Message::Update(u) => u.attributes.mp_reach.is_some_and(|r| {
                matches!(
                    r.next_hop,
                    NextHop::V6 {
                        link_local: Some(_),
                        ..
                    }
                )
            }),
            _ => false,
        })
        .count();
    assert_eq!(with_link_local, 2);
}

#[test]
fn shutdown_notification_carries_the_shutdown_communication() {
    for c in captures() {
        let last = c.messages.len() - 1;
        let m = decode(&c.router, last, &c.messages[last]);
        if c.router == "exabgp" {
            // ExaBGP closes the TCP connection without a NOTIFICATION when stopped.
            assert!(matches!(m, Message::Update(_)), "exabgp: {m:?}");
            continue;
        }
        let Message::Notification(n) = m else {
            panic!("{}: last message is not a NOTIFICATION: {m:?}", c.router);
        };
        assert_eq!(n.code, ErrorCode::Cease, "{}", c.router);
        assert_eq!(
            n.subcode,
            cease_subcode::ADMINISTRATIVE_SHUTDOWN,
            "{}",
            c.router
        );
        assert_eq!(
            n.shutdown_communication().as_deref(),
            Some(SHUTDOWN_TEXT),
            "{}",
            c.router
        );
    }
}

/// Why the router's octets may legitimately differ from ours, or `None` when they must
/// match: attributes in another order (RFC 4271 section 5 leaves it free), the Extended
/// Length bit on a value under 256 octets (RFC 4271 section 4.3 allows it), or several
/// capabilities in one optional parameter (RFC 5492 section 4 allows it).
fn form_difference(bytes: &[u8]) -> Option<&'static str> {
    let body = &bytes[19..];
    match bytes[18] {
        1 => {
            let mut params = &body[10..];
            while let [_, len, rest @ ..] = params {
                let (value, next) = rest.split_at(usize::from(*len));
                let mut caps = 0;
                let mut v = value;
                while let [_, l, r @ ..] = v {
                    v = &r[usize::from(*l)..];
                    caps += 1;
                }
                if caps > 1 {
                    return Some("capabilities grouped in one parameter");
                }
                params = next;
            }
            None
        }
        2 => {
            let attributes = update_layout::path_attributes(body);
            if attributes.iter().any(|a| !a.has_our_length_form()) {
                Some("Extended Length on a short attribute")
            } else if !update_layout::in_our_order(&attributes) {
                Some("attribute order")
            } else {
                None
            }
        }
        _ => None,
    }
}

#[test]
fn messages_re_encode_identically_unless_the_router_chose_another_valid_form() {
    let mut total_identical = 0;
    for c in captures() {
        let e = expected(&c.router);
        let mut identical = 0;
        for (i, bytes) in c.messages.iter().enumerate() {
            let m = decode(&c.router, i, bytes);
            let ours = encode(&m);
            match form_difference(bytes) {
                None => {
                    assert_eq!(&ours, bytes, "{} message {i}: re-encoded octets", c.router);
                    identical += 1;
                }
                Some(why) => {
                    assert_ne!(&ours, bytes, "{} message {i}: {why}?", c.router);
                    let again = decode(&c.router, i, &ours);
                    assert_eq!(again, m, "{} message {i} ({why}): decode(encode)", c.router);
                }
            }
        }
        assert_eq!(
            identical, e.byte_identical,
            "{}: identical octets",
            c.router
        );
        total_identical += identical;
    }
    assert_eq!(total_identical, 29);
}

/// The EXTENDED COMMUNITIES attribute FRR sent with `set extcommunity bandwidth 8` (flags
/// optional transitive, type 16, length 8: Type 0x00, Sub-Type 0x04, AS_TRANS, 1e6 as an
/// IEEE-754 float) is written octet for octet the same by our encoder.
#[test]
fn frr_link_bandwidth_octets_are_the_ones_we_encode() {
    let capture = capture("frr-bandwidth");
    let attribute = [
        0xc0, 0x10, 0x08, 0x00, 0x04, 0x5b, 0xa0, 0x49, 0x74, 0x24, 0x00,
    ];
    let contains = |haystack: &[u8]| haystack.windows(attribute.len()).any(|w| w == attribute);
    let mut seen = 0;
    for (i, bytes) in capture.messages.iter().enumerate() {
        let message = decode("frr-bandwidth", i, bytes);
        if let Message::Update(u) = &message
            && !u.attributes.extended_communities.is_empty()
        {
            assert!(contains(bytes), "message {i}: FRR's octets");
            assert!(contains(&encode(&message)), "message {i}: our octets");
            seen += 1;
        }
    }
    // Two IPv4 and two IPv6 UPDATEs: once at session start, once after the refresh.
    assert_eq!(seen, 4);
}
