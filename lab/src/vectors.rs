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
mod tests;
