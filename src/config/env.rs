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
mod tests;
