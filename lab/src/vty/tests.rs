#[test]
fn finds_the_terminator() {
    assert_eq!(super::terminator(b"{}\0\0\0\0"), Some(0));
    assert_eq!(super::terminator(b"% Unknown\0\0\0\x01"), Some(1));
    assert_eq!(super::terminator(b"{\"a\": 1}"), None);
    assert_eq!(super::terminator(b"\0\0"), None);
}
