//! Messages encoded by another implementation (ExaBGP, see `tests/data/exabgp/README.md`):
//! every vector must frame and decode, or be refused with the exact NOTIFICATION; OPEN and
//! NOTIFICATION vectors must decode to what the RFCs say the octets mean, agree with
//! ExaBGP's JSON where the file has it, and re-encode to the same octets. The contents of
//! the UPDATE vectors are compared with ExaBGP's JSON in `exabgp_updates.rs`.

use bgp::wire::{Capability, ErrorCode, Message, MessageType, Notification, Open, SessionContext};
use bgp::{Afi, Asn, RouterId, Safi};
use bytes::{Bytes, BytesMut};
use lab::vectors::hex;
use serde_json::{Value, json};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exabgp")
}

/// One message from the vector files.
struct Vector {
    /// `file:line`, for failure messages.
    source: String,
    bytes: Vec<u8>,
    /// ExaBGP's decoding of the message, when the file has one.
    json: Option<Value>,
    ctx: SessionContext,
}

impl Vector {
    fn message_type(&self) -> u8 {
        self.bytes[18]
    }

    fn decode(&self) -> Message {
        Message::decode(&self.bytes, &self.ctx)
            .unwrap_or_else(|e| panic!("{}: does not decode: {e}", self.source))
    }

    fn is_rejected(&self) -> bool {
        rejected_vectors().iter().any(|(s, _)| *s == self.source)
    }
}

/// Vectors that must be refused, with the NOTIFICATION.
///
/// - ExaBGP was told to send attribute 0x99 with flags 0x60 and 0x70: the Optional bit is
///   clear, so it claims to be well-known, and RFC 4271 section 6.3 answers an
///   unrecognized well-known attribute with UPDATE Message Error / Unrecognized
///   Well-known Attribute, the attribute as data.
/// - An IPv6 route with a 4-octet next hop: RFC 2545 section 3 allows 16 or 32 octets, and
///   RFC 7606 section 7.11 makes a next hop length inconsistent with the AFI a session
///   reset (Optional Attribute Error, the attribute as data).
fn rejected_vectors() -> [(&'static str, Notification); 3] {
    [
        (
            "conf-generic-attribute.ci:6",
            Notification::new(ErrorCode::Update, 2, hex("6099 04 00000064")),
        ),
        (
            "conf-generic-attribute.ci:9",
            Notification::new(ErrorCode::Update, 2, hex("7099 0004 00000064")),
        ),
        (
            "extended-nexthop.ci:6",
            Notification::new(
                ErrorCode::Update,
                9,
                hex("800E 1A 0002 01 04 AAAAAAAA 00 80 DEADBEEFDEADBEEFDEADBEEFDEADBEEF"),
            ),
        ),
    ]
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

fn context_for(file_name: &str) -> SessionContext {
    SessionContext {
        // conf-no-asn4: the session has no 4-octet AS capability.
        four_octet_as: file_name != "conf-no-asn4.ci",
        // conf-ebgp is the only session between different ASNs.
        ebgp: file_name == "conf-ebgp.ci",
        ..SessionContext::default()
    }
}

/// Every `raw:` line of `encoding/*.ci`, each with the `json:` line that follows it.
fn encoding_vectors() -> Vec<Vector> {
    let mut vectors: Vec<Vector> = Vec::new();
    for path in sorted_files(&data_dir().join("encoding")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".ci"), "unexpected file {name}");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut last_raw: Option<usize> = None;
        for (n, line) in text.lines().enumerate() {
            let mut parts = line.trim().splitn(3, ':');
            let (Some(_), Some(kind), Some(payload)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            match kind {
                "raw" => {
                    vectors.push(Vector {
                        source: format!("{name}:{}", n + 1),
                        bytes: hex(payload),
                        json: None,
                        ctx: context_for(&name),
                    });
                    last_raw = Some(vectors.len() - 1);
                }
                "json" => {
                    let i = last_raw.take().expect("json line without raw line");
                    vectors[i].json = Some(serde_json::from_str(payload).unwrap());
                }
                _ => {}
            }
        }
    }
    vectors
}

/// `decoding/*`: the kind, the hex message and ExaBGP's JSON, one per line.
fn decoding_vectors() -> Vec<Vector> {
    sorted_files(&data_dir().join("decoding"))
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 3, "{name}: kind, hex, json");
            Vector {
                source: name.clone(),
                bytes: hex(lines[1]),
                json: Some(serde_json::from_str(lines[2]).unwrap()),
                ctx: context_for(&name),
            }
        })
        .collect()
}

fn all_vectors() -> Vec<Vector> {
    let mut v = encoding_vectors();
    v.extend(decoding_vectors());
    v
}

/// The vectors of one message type that are valid messages.
fn of_type(t: MessageType) -> Vec<Vector> {
    all_vectors()
        .into_iter()
        .filter(|v| v.message_type() == t.code() && !v.is_rejected())
        .collect()
}

fn reencode(msg: &Message, ctx: &SessionContext) -> Vec<u8> {
    let mut out = BytesMut::new();
    msg.encode(ctx, &mut out).expect("re-encodes");
    out.to_vec()
}

#[test]
fn every_vector_file_is_found() {
    assert_eq!(sorted_files(&data_dir().join("encoding")).len(), 26);
    assert_eq!(encoding_vectors().len(), 78);
    assert_eq!(decoding_vectors().len(), 3);
    let with_json = all_vectors().iter().filter(|v| v.json.is_some()).count();
    assert_eq!(with_json, 41);
}

#[test]
fn vectors_by_message_type() {
    let count = |t: MessageType| of_type(t).len();
    assert_eq!(count(MessageType::Open), 3);
    assert_eq!(count(MessageType::Update), 74);
    assert_eq!(count(MessageType::Notification), 1);
    // The set has no KEEPALIVE or ROUTE-REFRESH; the unit tests cover those.
    assert_eq!(count(MessageType::Keepalive), 0);
    assert_eq!(count(MessageType::RouteRefresh), 0);
}

#[test]
fn every_vector_decodes_except_the_invalid_ones() {
    let vectors = all_vectors();
    assert_eq!(vectors.len(), 81);
    let mut refused = Vec::new();
    for v in &vectors {
        match Message::decode(&v.bytes, &v.ctx) {
            Ok(m) => assert_eq!(m.message_type().code(), v.message_type(), "{}", v.source),
            Err(e) => refused.push((v.source.clone(), e.notification)),
        }
    }
    let expected: Vec<(String, Notification)> = rejected_vectors()
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    assert_eq!(refused, expected);
}

fn multiprotocol(afi: Afi) -> Capability {
    Capability::Multiprotocol {
        afi,
        safi: Safi::Unicast,
    }
}

/// The three OPENs, decoded by hand from the octets with RFC 4271, 5492 and the
/// capability RFCs. Each comes from a config about one capability (`about`, last); before
/// it, every config announces one unicast family, AS 65533 as a 4-octet AS and, in two of
/// them, the extended message capability.
fn expected_opens() -> Vec<(&'static str, Open)> {
    let open = |afi, extended_message: bool, about| {
        let mut capabilities = vec![multiprotocol(afi), Capability::FourOctetAs(Asn(65533))];
        if extended_message {
            capabilities.push(Capability::ExtendedMessage);
        }
        capabilities.push(about);
        Open {
            version: 4,
            my_as: 65533,
            hold_time: 180,
            router_id: RouterId::new(Ipv4Addr::new(10, 0, 0, 2)).unwrap(),
            capabilities,
        }
    };
    vec![
        (
            "conf-cap-link-local-nexthop.ci:3",
            open(
                Afi::Ipv6,
                true,
                // 77: link-local next hop, which we do not interpret.
                Capability::Unknown {
                    code: 77,
                    value: Bytes::new(),
                },
            ),
        ),
        (
            "conf-hostname.ci:3",
            open(
                Afi::Ipv4,
                true,
                Capability::Hostname {
                    hostname: "my-host-name".into(),
                    domain: "my-domain-name.com".into(),
                },
            ),
        ),
        (
            "bgp-open-sofware-version",
            open(
                Afi::Ipv4,
                false,
                // 75: software version, kept verbatim: length octet then the text.
                Capability::Unknown {
                    code: 75,
                    value: Bytes::from([&[31u8][..], b"ExaBGP/main-c2a2ea8ebd-20240715"].concat()),
                },
            ),
        ),
    ]
}

/// Our OPEN in the shape of ExaBGP's JSON `open` object.
fn open_as_exabgp_json(open: &Open) -> Value {
    let mut caps = serde_json::Map::new();
    let mut families = Vec::new();
    for cap in &open.capabilities {
        match cap {
            Capability::Multiprotocol { afi, safi } => {
                let afi = match afi {
                    Afi::Ipv4 => "ipv4",
                    Afi::Ipv6 => "ipv6",
                    Afi::Unknown(_) => "unknown",
                };
                assert_eq!(*safi, Safi::Unicast);
                families.push(json!(format!("{afi}/unicast")));
            }
            Capability::FourOctetAs(asn) => {
                caps.insert("65".into(), json!({"name": "asn4", "asn4": asn.0}));
            }
            Capability::Unknown { code: 75, value } => {
                let (len, text) = value.split_first().expect("length octet");
                assert_eq!(usize::from(*len), text.len());
                let text = std::str::from_utf8(text).unwrap();
                caps.insert("75".into(), json!({"software": text}));
            }
            other => panic!("no JSON shape for {other:?}"),
        }
    }
    caps.insert(
        "1".into(),
        json!({"name": "multiprotocol", "families": families}),
    );
    json!({
        "version": open.version,
        "asn": open.my_as,
        "hold_time": open.hold_time,
        "router_id": open.router_id.to_string(),
        "capabilities": caps,
    })
}

#[test]
fn open_vectors_decode_to_the_expected_capabilities_and_re_encode_exactly() {
    let vectors = of_type(MessageType::Open);
    let expected = expected_opens();
    assert_eq!(vectors.len(), expected.len());
    for (v, (source, open)) in vectors.iter().zip(&expected) {
        assert_eq!(&v.source, source);
        let Message::Open(got) = v.decode() else {
            panic!("{}: not an OPEN", v.source);
        };
        assert_eq!(&got, open, "{}", v.source);
        // ExaBGP puts each capability in its own parameter, as our encoder does.
        assert_eq!(
            reencode(&Message::Open(got), &v.ctx),
            v.bytes,
            "{}",
            v.source
        );
    }
}

#[test]
fn open_vectors_agree_with_exabgp_json() {
    let mut compared = 0;
    for v in of_type(MessageType::Open) {
        let Some(json) = &v.json else { continue };
        let Message::Open(open) = v.decode() else {
            panic!("{}: not an OPEN", v.source);
        };
        assert_eq!(
            open_as_exabgp_json(&open),
            json["neighbor"]["open"],
            "{}",
            v.source
        );
        compared += 1;
    }
    assert_eq!(compared, 1);
}

#[test]
fn notification_vector_decodes_and_re_encodes_exactly() {
    let vectors = of_type(MessageType::Notification);
    assert_eq!(vectors.len(), 1);
    let v = &vectors[0];
    let expected = Notification::new(
        ErrorCode::MessageHeader,
        0,
        &b"can not decode update message of type \"255\""[..],
    );
    assert_eq!(v.decode(), Message::Notification(expected.clone()));
    assert_eq!(reencode(&Message::Notification(expected), &v.ctx), v.bytes);
}
