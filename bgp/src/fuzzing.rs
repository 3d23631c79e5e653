//! Entry points shared by the fuzz targets (`bgp/fuzz/`) and the test that replays their
//! corpus on stable Rust. Each takes arbitrary bytes, must never panic, and checks that
//! what decodes re-encodes to something that decodes to the same value.
//!
//! Not part of the supported API: it exists so the crate-private body decoders can be
//! driven directly.

use crate::wire::{
    HEADER_LEN, Header, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, Message, Notification, Open,
    RouteRefresh, SessionContext, Update,
};
use bytes::BytesMut;

/// The session contexts every input is decoded under: 4-octet and 2-octet AS paths, the
/// classic and extended length limits, eBGP and iBGP.
pub fn contexts() -> [SessionContext; 4] {
    let ctx = |four_octet_as, max_message_len, ebgp| SessionContext {
        four_octet_as,
        max_message_len,
        ebgp,
    };
    [
        ctx(true, MAX_MESSAGE_LEN, true),
        ctx(false, MAX_MESSAGE_LEN, true),
        ctx(true, MAX_EXTENDED_MESSAGE_LEN, false),
        ctx(false, MAX_EXTENDED_MESSAGE_LEN, false),
    ]
}

/// Frames `data` as a stream of messages, as the codec would, and decodes each one under
/// every context until the stream ends or a message is refused.
pub fn message(data: &[u8]) {
    for ctx in contexts() {
        let mut rest = data;
        while let Ok(Some(header)) = Header::parse(rest, ctx.max_message_len) {
            let Some((frame, next)) = rest.split_at_checked(header.length) else {
                break;
            };
            let Ok(decoded) = Message::decode(frame, &ctx) else {
                break;
            };
            assert_eq!(decoded.message_type(), header.message_type);
            check_reencode(&decoded, &ctx);
            rest = next;
        }
    }
}

/// Decodes `data` as an UPDATE body under every context.
pub fn update(data: &[u8]) {
    for ctx in contexts() {
        if let Ok(update) = Update::decode_body(data, &ctx) {
            check_reencode(&Message::Update(update), &ctx);
        }
    }
}

/// Decodes `data` as an OPEN body, and as a bare capability list.
pub fn open(data: &[u8]) {
    let ctx = SessionContext::default();
    if let Ok(open) = Open::decode_body(data, &ctx) {
        check_reencode(&Message::Open(open), &ctx);
    }
    let _ = crate::wire::Capability::decode_all(data);
}

/// Decodes `data` as a NOTIFICATION body and as a ROUTE-REFRESH body.
pub fn small_bodies(data: &[u8]) {
    let ctx = SessionContext::default();
    if let Ok(n) = Notification::decode_body(data, &ctx) {
        let _ = n.shutdown_communication();
        check_reencode(&Message::Notification(n), &ctx);
    }
    if let Ok(rr) = RouteRefresh::decode_body(data, &ctx) {
        check_reencode(&Message::RouteRefresh(rr), &ctx);
    }
}

/// Encodes `decoded` and decodes the result, which must succeed. Except for UPDATE, whose
/// decoding may normalize (RFC 7606 discards, AS4_PATH merging), the second decoding must
/// equal the first. Encoding may refuse (a value that no longer fits once normalized); it must then
/// leave the buffer untouched.
fn check_reencode(decoded: &Message, ctx: &SessionContext) {
    let mut out = BytesMut::new();
    if decoded.encode(ctx, &mut out).is_err() {
        assert!(out.is_empty(), "a failed encode wrote octets");
        return;
    }
    assert!(out.len() >= HEADER_LEN);
    let again = Message::decode(&out, ctx);
    if matches!(decoded, Message::Update(_)) {
        assert!(again.is_ok(), "re-encoded UPDATE is refused: {again:?}");
    } else {
        assert_eq!(
            again.as_ref(),
            Ok(decoded),
            "re-encoded message decodes differently"
        );
    }
}
