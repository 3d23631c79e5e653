use super::*;
use crate::wire::{ErrorCode, MAX_EXTENDED_MESSAGE_LEN, Notification};
use lab::vectors::hex;
use tokio_util::codec::{Decoder, Encoder};

const KEEPALIVE: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0013 04";
const NOTIFICATION: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0017 03 06 02 01 41";

#[test]
fn a_message_is_returned_only_once_complete() {
    let bytes = hex(NOTIFICATION);
    let mut codec = BgpCodec::default();
    let mut src = BytesMut::new();
    for (i, b) in bytes.iter().enumerate() {
        src.extend_from_slice(&[*b]);
        let got = codec.decode(&mut src).unwrap();
        if i + 1 < bytes.len() {
            assert_eq!(got, None, "after {} octets", i + 1);
            assert_eq!(src.len(), i + 1, "nothing consumed early");
        } else {
            assert_eq!(
                got,
                Some(Message::Notification(Notification::cease_with_reason(
                    2, "A"
                )))
            );
        }
    }
    assert!(src.is_empty());
}

#[test]
fn consecutive_messages_are_split_exactly() {
    let mut src = BytesMut::new();
    src.extend_from_slice(&hex(KEEPALIVE));
    src.extend_from_slice(&hex(NOTIFICATION));
    src.extend_from_slice(&hex(KEEPALIVE)[..5]);
    let mut codec = BgpCodec::default();
    assert_eq!(codec.decode(&mut src).unwrap(), Some(Message::Keepalive));
    assert!(matches!(
        codec.decode(&mut src).unwrap(),
        Some(Message::Notification(_))
    ));
    assert_eq!(codec.decode(&mut src).unwrap(), None);
    assert_eq!(src.len(), 5);
}

#[test]
fn bad_header_is_refused_before_its_body_arrives() {
    // Claims 4097 octets on a session limited to 4096: refused from the header alone.
    let mut src = BytesMut::from(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 1001 02")[..]);
    let mut codec = BgpCodec::default();
    match codec.decode(&mut src) {
        Err(CodecError::Message(e)) => {
            assert_eq!(e.notification.code, ErrorCode::MessageHeader);
            assert_eq!(&e.notification.data[..], &[0x10, 0x01]);
        }
        other => panic!("expected a header error, got {other:?}"),
    }
}

#[test]
fn only_the_current_message_is_reserved_for() {
    // A 4096-octet UPDATE header: room for that message, not for a 64 KiB one.
    let mut src = BytesMut::from(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 1000 02")[..]);
    let mut codec = BgpCodec::new(SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..SessionContext::default()
    });
    assert_eq!(codec.decode(&mut src).unwrap(), None);
    assert!(src.capacity() >= 4096);
    assert!(src.capacity() < MAX_EXTENDED_MESSAGE_LEN);
}

#[test]
fn context_changes_the_length_limit() {
    let mut codec = BgpCodec::default();
    assert_eq!(codec.context().max_message_len, 4096);
    codec.set_context(SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..SessionContext::default()
    });
    let mut src = BytesMut::from(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 1001 03")[..]);
    assert_eq!(codec.decode(&mut src).unwrap(), None);
}

#[test]
fn body_errors_surface_as_message_errors() {
    let mut src = BytesMut::from(
        &hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 001D 01 03 FDE8 005A 0A000001 00")[..],
    );
    let err = BgpCodec::default().decode(&mut src).unwrap_err();
    let CodecError::Message(e) = err else {
        panic!("expected a message error, got {err:?}");
    };
    assert_eq!(e.notification.code, ErrorCode::Open);
    assert_eq!(e.notification.subcode, 1);
}

proptest::proptest! {
    #[test]
    fn any_chunking_of_a_stream_yields_the_same_messages(
        cuts in proptest::collection::vec(0usize..200, 0..12)
    ) {
        let messages = [
            Message::Keepalive,
            Message::Notification(Notification::cease_with_reason(2, "maintenance")),
            Message::Keepalive,
            Message::Notification(Notification::new(ErrorCode::Cease, 4, Vec::new())),
        ];
        let mut stream = BytesMut::new();
        let mut codec = BgpCodec::default();
        for m in &messages {
            codec.encode(m.clone(), &mut stream).unwrap();
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % stream.len()).collect();
        cuts.push(stream.len());
        cuts.sort_unstable();
        let mut src = BytesMut::new();
        let mut got = Vec::new();
        let mut fed = 0;
        for cut in cuts {
            src.extend_from_slice(&stream[fed..cut]);
            fed = cut;
            while let Some(m) = codec.decode(&mut src).unwrap() {
                got.push(m);
            }
        }
        proptest::prop_assert_eq!(got, messages.to_vec());
        proptest::prop_assert!(src.is_empty());
    }
}

#[test]
fn encoder_writes_whole_messages() {
    let mut dst = BytesMut::new();
    let mut codec = BgpCodec::default();
    codec.encode(Message::Keepalive, &mut dst).unwrap();
    assert_eq!(dst.to_vec(), hex(KEEPALIVE));
    let huge = Message::Notification(Notification::new(ErrorCode::Cease, 0, vec![0; 5000]));
    assert!(matches!(
        codec.encode(huge, &mut dst),
        Err(CodecError::Encode(EncodeError::TooLong { .. }))
    ));
    assert_eq!(dst.len(), 19);
}
