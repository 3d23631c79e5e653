//! `labelSelector` and `fieldSelector` query parameters: parsing and matching, as the
//! Kubernetes API documents them (equality-based and set-based label requirements,
//! comma meaning AND).

use serde_json::Value;

/// One label requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelRequirement {
    /// `k=v` or `k==v`: the label is present with this value.
    Equals(String, String),
    /// `k!=v`: the label is absent or has another value.
    NotEquals(String, String),
    /// `k in (a,b)`: the label is present with one of these values.
    In(String, Vec<String>),
    /// `k notin (a,b)`: the label is absent or has none of these values.
    NotIn(String, Vec<String>),
    /// `k`: the label is present.
    Exists(String),
    /// `!k`: the label is absent.
    DoesNotExist(String),
}

/// A parsed `labelSelector`; every requirement must hold. Empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector(pub Vec<LabelRequirement>);

impl LabelSelector {
    /// Parses the query parameter's value. The error says what was wrong, for a 400.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for term in split_top_level(text)? {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(term)?);
        }
        Ok(LabelSelector(requirements))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        if self.0.is_empty() {
            return true; // no label to look up (a list asks this of every object)
        }
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.0.iter().all(|req| match req {
            LabelRequirement::Equals(k, v) => label(k) == Some(v.as_str()),
            LabelRequirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            LabelRequirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelRequirement::NotIn(k, vs) => !label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelRequirement::Exists(k) => label(k).is_some(),
            LabelRequirement::DoesNotExist(k) => label(k).is_none(),
        })
    }
}

/// Splits on commas outside parentheses, so `a in (x,y),b` is two terms.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced ')' in selector {text:?}"))?;
            }
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced '(' in selector {text:?}"));
    }
    terms.push(&text[start..]);
    Ok(terms)
}

fn parse_requirement(term: &str) -> Result<LabelRequirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(LabelRequirement::DoesNotExist(valid_key(key.trim())?));
    }
    if let Some(open) = term.find('(') {
        let close = term
            .rfind(')')
            .filter(|&close| close > open && term[close + 1..].trim().is_empty())
            .ok_or_else(|| format!("set requirement {term:?} must end with ')'"))?;
        let mut words = term[..open].split_whitespace();
        let (Some(key), Some(op), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "set requirement {term:?} must read 'key in (values)'"
            ));
        };
        let values: Vec<String> = term[open + 1..close]
            .split(',')
            .map(|v| v.trim().to_string())
            .collect();
        let key = valid_key(key)?;
        return match op {
            "in" => Ok(LabelRequirement::In(key, values)),
            "notin" => Ok(LabelRequirement::NotIn(key, values)),
            _ => Err(format!("unknown set operator {op:?} in {term:?}")),
        };
    }
    if let Some((key, value)) = term.split_once("!=") {
        return Ok(LabelRequirement::NotEquals(
            valid_key(key.trim())?,
            value.trim().to_string(),
        ));
    }
    if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(LabelRequirement::Equals(
            valid_key(key.trim())?,
            value.trim().to_string(),
        ));
    }
    Ok(LabelRequirement::Exists(valid_key(term)?))
}

fn valid_key(key: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    if key.is_empty() || !key.chars().all(allowed) {
        return Err(format!("invalid label key {key:?}"));
    }
    Ok(key.to_string())
}

/// One field requirement: a dotted path, a value, and whether it must equal or differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    /// Dotted path into the object, such as `metadata.name`.
    pub path: String,
    /// The value compared with.
    pub value: String,
    /// `=`/`==` when true, `!=` when false.
    pub equal: bool,
}

/// A parsed `fieldSelector`; every requirement must hold. The real server accepts only a
/// few paths per kind; this one accepts any path, a superset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector(pub Vec<FieldRequirement>);

impl FieldSelector {
    /// Parses the query parameter's value.
    pub fn parse(text: &str) -> Result<FieldSelector, String> {
        let mut requirements = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (path, value, equal) = if let Some((p, v)) = term.split_once("!=") {
                (p, v, false)
            } else if let Some((p, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (p, v, true)
            } else {
                return Err(format!("field requirement {term:?} has no operator"));
            };
            requirements.push(FieldRequirement {
                path: path.trim().to_string(),
                value: value.trim().to_string(),
                equal,
            });
        }
        Ok(FieldSelector(requirements))
    }

    /// Whether the object satisfies every requirement. A missing field reads as "", as
    /// the API server's field sets do.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|req| {
            let field = req
                .path
                .split('.')
                .try_fold(object, |v, segment| v.get(segment));
            let text = match field {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            (text == req.value) == req.equal
        })
    }
}
