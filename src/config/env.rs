//! `${VAR}` expansion of the config text, before YAML parsing, so that any value (a
//! number as much as an address) can come from the DaemonSet's environment.

/// Replaces every `${NAME}` with `lookup(NAME)`. `$${` stands for a literal `${`.
/// Unset variables are reported with their line number; nothing is silently left empty.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(text.len());
    let mut problems = Vec::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("${") {
            if rest[..start].ends_with('$') {
                out.push_str(&rest[..start - 1]);
                out.push_str("${");
                rest = &rest[start + 2..];
                continue;
            }
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                problems.push(format!(
                    "line {}: unterminated ${{ in {:?}",
                    index + 1,
                    line.trim_end()
                ));
                rest = "";
                break;
            };
            let name = &after[..end];
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            match (valid, lookup(name)) {
                (false, _) => problems.push(format!(
                    "line {}: ${{{name}}} is not a variable name",
                    index + 1
                )),
                (true, Some(value)) => out.push_str(&value),
                (true, None) => problems.push(format!(
                    "line {}: environment variable {name} is not set",
                    index + 1
                )),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
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
}
