//! Byte vectors written as hex text, as the codec tests and the captured vectors lay them
//! out.

/// Bytes from hex text laid out for reading: whitespace, `:` and `_` between digits are
/// ignored. Anything else panics: a vector with a typo must fail its test, not shrink.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '_'))
        .collect();
    hex::decode(&digits).unwrap_or_else(|e| panic!("bad hex vector {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
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
}
