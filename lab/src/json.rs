//! Reading JSON in tests: what the daemon prints (`plan --json`, `/status`) and the
//! objects the fake API server holds. The elements of an array, one field of each, the
//! element that matches: a missing array, field or element fails the test and shows what
//! was there, so a misspelled key never reads as an empty list.

use serde_json::Value;

/// The elements of `list`, which must be an array.
pub fn elements(list: &Value) -> &[Value] {
    list.as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("not an array: {list}"))
}

/// The string `field` of every element of the array `list`, in order.
pub fn strings<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    elements(list)
        .iter()
        .map(|e| {
            e[field]
                .as_str()
                .unwrap_or_else(|| panic!("no string {field} in {e}"))
        })
        .collect()
}

/// The first element of the array `list` for which `matches` holds.
pub fn find(list: &Value, matches: impl Fn(&Value) -> bool) -> &Value {
    elements(list)
        .iter()
        .find(|e| matches(e))
        .unwrap_or_else(|| panic!("no element as wanted in {list}"))
}

#[cfg(test)]
mod tests;
