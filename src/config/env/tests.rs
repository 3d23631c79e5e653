use super::*;

fn env(name: &str) -> Option<String> {
    match name {
        "NODE_NAME" => Some("node-1".into()),
        "HOST_IP" => Some("10.0.0.11".into()),
        _ => None,
    }
}

#[test]
fn variables_are_replaced_anywhere_in_a_line() {
    assert_eq!(
        expand("node_name: ${NODE_NAME}\nrouter_id: \"${HOST_IP}\"\n", env),
        Ok("node_name: node-1\nrouter_id: \"10.0.0.11\"\n".into())
    );
}

#[test]
fn unset_variables_are_reported_with_their_line() {
    let problems = expand("a: 1\nb: ${MISSING}\n", env).unwrap_err();
    assert_eq!(
        problems,
        vec!["line 2: environment variable MISSING is not set".to_string()]
    );
}

#[test]
fn dollar_dollar_brace_is_a_literal() {
    assert_eq!(
        expand("a: $${NODE_NAME}", env),
        Ok("a: ${NODE_NAME}".into())
    );
}

#[test]
fn malformed_references_are_reported() {
    assert!(expand("a: ${NODE_NAME", env).is_err());
    assert!(expand("a: ${A-B}", env).is_err());
}
