use super::hex;

#[test]
fn layout_characters_are_ignored() {
    assert_eq!(hex("ff 01:02_0a\n0B"), [0xff, 1, 2, 0x0a, 0x0b]);
}

#[test]
#[should_panic(expected = "bad hex vector")]
fn an_odd_digit_count_is_refused() {
    hex("abc");
}
