//! Parsers for the small value syntaxes shared by the config file and the annotations:
//! communities, large communities and durations. Each returns a message fit to follow
//! the name of the field it came from.

use bgp::wire::{Community, LargeCommunity};
use std::time::Duration;

/// `values` in order, each once: lists of communities compare equal whatever order and
/// repetitions the config and the annotations write them in.
pub fn sorted_unique<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    values
}

/// Parses `ASN:VALUE` (each 0..65535) or one of the well-known names
/// `no-export`, `no-advertise`, `no-export-subconfed`, `graceful-shutdown`.
pub fn parse_community(text: &str) -> Result<Community, String> {
    let text = text.trim();
    match text.to_ascii_lowercase().as_str() {
        "no-export" => return Ok(Community::NO_EXPORT),
        "no-advertise" => return Ok(Community::NO_ADVERTISE),
        "no-export-subconfed" => return Ok(Community::NO_EXPORT_SUBCONFED),
        "graceful-shutdown" => return Ok(Community::GRACEFUL_SHUTDOWN),
        _ => {}
    }
    let (asn, value) = text
        .split_once(':')
        .ok_or_else(|| format!("community {text:?} is not ASN:VALUE or a well-known name"))?;
    let asn: u16 = asn
        .parse()
        .map_err(|_| format!("community {text:?}: {asn:?} is not a number 0..65535"))?;
    let value: u16 = value
        .parse()
        .map_err(|_| format!("community {text:?}: {value:?} is not a number 0..65535"))?;
    Ok(Community::new(asn, value))
}

/// Parses `GLOBAL:LOCAL1:LOCAL2`, each 0..4294967295 (RFC 8092).
pub fn parse_large_community(text: &str) -> Result<LargeCommunity, String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(':').collect();
    let [global, local1, local2] = parts.as_slice() else {
        return Err(format!("large community {text:?} is not A:B:C"));
    };
    let number = |part: &str| {
        part.parse::<u32>().map_err(|_| {
            format!("large community {text:?}: {part:?} is not a number 0..4294967295")
        })
    };
    Ok(LargeCommunity {
        global: number(global)?,
        local1: number(local1)?,
        local2: number(local2)?,
    })
}

/// Parses a comma separated list with `parse`, ignoring blanks around items. An empty
/// string is an empty list.
pub fn parse_list<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(parse)
        .collect()
}

/// Parses a duration such as `90s`, `500ms`, `2m`, `1h`, or `0`. Sums like `1m30s` are
/// accepted; a bare number other than 0 is refused because its unit would be a guess.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "duration {text:?}: expected a number, e.g. 90s or 500ms"
            ));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("duration {text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.saturating_mul(60)),
            "h" => Duration::from_secs(number.saturating_mul(3600)),
            "" => return Err(format!("duration {text:?}: missing unit (ms, s, m or h)")),
            other => {
                return Err(format!(
                    "duration {text:?}: unknown unit {other:?} (ms, s, m or h)"
                ));
            }
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
