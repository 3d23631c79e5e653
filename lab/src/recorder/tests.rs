use super::*;

#[test]
fn frames_split_whole_messages_and_keep_the_rest() {
    let mut buf = BytesMut::new();
    Message::Keepalive
        .encode(&CONTEXT, &mut buf)
        .expect("encodes");
    Message::Keepalive
        .encode(&CONTEXT, &mut buf)
        .expect("encodes");
    let whole = buf.len();
    buf.extend_from_slice(&[0xff; 10]);
    let got = frames(&mut buf).expect("frames");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].len() * 2, whole);
    assert_eq!(buf.len(), 10, "half a header waits for more");
    let mut bad = BytesMut::from(&[0u8; 19][..]);
    assert!(matches!(frames(&mut bad), Err(RecordError::Framing(_))));
}

#[test]
fn hex_files_hold_the_header_then_one_message_a_line() {
    let dir = std::env::temp_dir().join(format!("lab-recorder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("x.hex");
    write_hex(&path, &["first".into()], &[vec![0xff, 0x01], vec![0x0a]]).expect("writes");
    let text = std::fs::read_to_string(&path).expect("reads");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(text, "# first\nff01\n0a\n");
}
