//! The cut stream reads every document exactly as serde_json reads the whole stream, at
//! every chunk size, and refuses what serde_json refuses.

use super::super::add_json_documents;
use super::documents;
use crate::cluster::ClusterState;
use crate::cluster::manifest::AnyObject;
use std::io::BufReader;

/// The state the cut stream builds, read in chunks of `chunk` bytes.
fn cut_state(text: &[u8], chunk: usize) -> Result<ClusterState, String> {
    let mut state = ClusterState::default();
    let reader = BufReader::with_capacity(chunk, text);
    add_json_documents(&mut state, documents(reader), "node-0").map(|()| state)
}

/// The state serde_json's own stream reader builds from the whole text.
fn whole_state(text: &[u8]) -> Result<ClusterState, String> {
    let mut state = ClusterState::default();
    let documents = serde_json::Deserializer::from_slice(text).into_iter::<AnyObject>();
    add_json_documents(&mut state, documents, "node-0").map(|()| state)
}

fn assert_same(name: &str, a: &ClusterState, b: &ClusterState) {
    assert_eq!(a.services(), b.services(), "{name}: Services");
    assert_eq!(a.endpoint_slices(), b.endpoint_slices(), "{name}: slices");
    assert_eq!(a.node(), b.node(), "{name}: Node");
    assert_eq!(a.namespaces(), b.namespaces(), "{name}: Namespaces");
}

/// What `kubectl get svc,endpointslices,nodes -o json` prints (managedFields, the
/// last-applied annotation with its escaped JSON, status, targetRef).
fn printed_list() -> Vec<u8> {
    let spec = lab::workload::Spec::workload_a(40, "node-0");
    let mut out = Vec::new();
    lab::workload::write(&spec, lab::workload::Format::Json, &mut out).expect("written");
    out
}

/// Streams that take each path of the cutting: strings holding quotes, backslashes,
/// brackets and the word items; an `items` key below the top level; a typed list whose
/// kind comes after its untyped items; empty and null items; documents back to back
/// with and without whitespace between them.
const CASES: &[(&str, &str)] = &[
    (
        "escapes and brackets in strings",
        r#"{"kind":"Service","metadata":{"name":"a\"}]\\","namespace":"x","annotations":{"kube-anycast.io/med":"1","note":"\"items\": [{\\\"}"}},"spec":{"externalIPs":["203.0.113.1"]}}"#,
    ),
    (
        "items below the top level",
        r#"{"kind":"Service","metadata":{"name":"a","namespace":"x","labels":{"items":"[1]"}},"spec":{"items":[{"kind":"Service"}],"externalIPs":["203.0.113.2"]}}"#,
    ),
    (
        "typed list, kind after items",
        "{\"items\": [ {\"metadata\": {\"name\": \"a\", \"namespace\": \"x\"},\n  \"spec\": {\"externalIPs\": [\"203.0.113.3\"]}} ,\n {\"metadata\":{\"name\":\"b\",\"namespace\":\"x\"}} ], \"kind\": \"ServiceList\"}",
    ),
    (
        "empty and null items",
        r#"{"kind":"List","items":[]} {"kind":"List","items":null}"#,
    ),
    (
        "documents back to back",
        r#"{"kind":"Service","metadata":{"name":"a","namespace":"x"}}{"kind":"Service","metadata":{"name":"b","namespace":"x"}}
  {"kind":"List","items":[{"kind":"Node","metadata":{"name":"node-0","labels":{"rack":"r1"}}}]}"#,
    ),
    ("nothing but whitespace", " \n\t "),
];

#[test]
fn the_cut_stream_reads_what_serde_json_reads_at_every_chunk_size() {
    let printed = printed_list();
    let cases = CASES
        .iter()
        .map(|(name, text)| (*name, text.as_bytes().to_vec()))
        .chain([("a printed list", printed)]);
    for (name, text) in cases {
        let whole = whole_state(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for chunk in [1, 2, 3, 7, 64, 64 * 1024] {
            let cut = cut_state(&text, chunk).unwrap_or_else(|e| panic!("{name}/{chunk}: {e}"));
            assert_same(&format!("{name}/{chunk}"), &cut, &whole);
        }
    }
    let listed = whole_state(&printed_list()).unwrap();
    assert_eq!(
        listed.services().len(),
        4,
        "the printed list's Services were read"
    );
    assert_eq!(listed.endpoint_slices().len(), 4);
    assert!(listed.node().is_some());
}

#[test]
fn what_serde_json_refuses_is_refused_and_named() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "a broken item",
            r#"{"kind":"List","items":[{"kind":"Service","metadata":{"name":"a"}},{"kind":"Service","metadata":7}]}"#,
            "items[1]",
        ),
        (
            "two scalars in an item",
            r#"{"kind":"List","items":[{"kind":"Service","metadata":{"name":"a"},"spec":{"externalIPs":["1" "2"]}}]}"#,
            "items[0]",
        ),
        (
            "a cut-off document",
            r#"{"kind":"List","items":[{"kind":"Service""#,
            "EOF",
        ),
        ("a cut-off string", r#"{"kind":"Serv"#, "EOF"),
        ("a top-level scalar", "7", "invalid type"),
        (
            "a broken document around its items",
            r#"{"kind":"List" "x":1,"items":[]}"#,
            "expected",
        ),
    ];
    for (name, text, says) in cases {
        assert!(
            whole_state(text.as_bytes()).is_err(),
            "{name}: serde_json accepts it"
        );
        for chunk in [1, 5, 64 * 1024] {
            let error =
                cut_state(text.as_bytes(), chunk).expect_err(&format!("{name}/{chunk}: accepted"));
            assert!(error.contains(says), "{name}/{chunk}: {error}");
        }
    }
}

#[test]
fn the_stream_ends_after_its_first_error() {
    let text = br#"{"kind":"Service","metadata":7} {"kind":"Service","metadata":{"name":"a"}} {"#;
    let results: Vec<bool> = documents(BufReader::new(&text[..]))
        .take(5)
        .map(|d| d.is_ok())
        .collect();
    assert_eq!(results, [false]);
    // A cut-off end is one error, not one per call.
    let results: Vec<bool> = documents(BufReader::new(&b"{\"kind\":"[..]))
        .take(5)
        .map(|d| d.is_ok())
        .collect();
    assert_eq!(results, [false]);
}
