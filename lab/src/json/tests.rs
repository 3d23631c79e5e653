use super::{elements, find, strings};
use serde_json::json;

#[test]
fn strings_reads_one_field_of_every_element_in_order() {
    let list = json!([{"prefix": "a"}, {"prefix": "b"}]);
    assert_eq!(strings(&list, "prefix"), ["a", "b"]);
}

#[test]
fn find_returns_the_first_match() {
    let list = json!([{"n": 1, "k": "x"}, {"n": 2, "k": "y"}, {"n": 3, "k": "y"}]);
    assert_eq!(find(&list, |e| e["k"] == "y")["n"], 2);
}

#[test]
#[should_panic(expected = "not an array")]
fn a_missing_array_fails_rather_than_reading_empty() {
    elements(&json!({"routes": []})["rutes"]);
}

#[test]
#[should_panic(expected = "no string prefix")]
fn a_missing_field_fails() {
    strings(&json!([{"prefx": "a"}]), "prefix");
}

#[test]
#[should_panic(expected = "no element as wanted")]
fn no_match_fails() {
    find(&json!([{"k": "x"}]), |e| e["k"] == "y");
}
