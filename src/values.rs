//! Parsers for the small value syntaxes shared by the config file and the annotations:
//! communities, large communities and durations. Each returns a message fit to follow
//! the name of the field it came from.

use bgp::wire::{Community, LargeCommunity};
use std::time::Duration;

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
mod tests {
    use super::*;

    #[test]
    fn communities_accept_asn_value_and_well_known_names() {
        assert_eq!(parse_community("65010:100"), Ok(Community::new(65010, 100)));
        assert_eq!(parse_community("no-export"), Ok(Community::NO_EXPORT));
        assert_eq!(parse_community("NO-ADVERTISE"), Ok(Community::NO_ADVERTISE));
        assert_eq!(
            parse_community("graceful-shutdown"),
            Ok(Community::GRACEFUL_SHUTDOWN)
        );
    }

    #[test]
    fn communities_refuse_out_of_range_and_garbage() {
        assert!(parse_community("65536:1").is_err());
        assert!(parse_community("1:65536").is_err());
        assert!(parse_community("1").is_err());
        assert!(parse_community("a:b").is_err());
        assert!(parse_community("1:2:3").is_err());
    }

    #[test]
    fn large_communities_need_three_u32_parts() {
        assert_eq!(
            parse_large_community("4200000000:1:2"),
            Ok(LargeCommunity {
                global: 4_200_000_000,
                local1: 1,
                local2: 2
            })
        );
        assert!(parse_large_community("1:2").is_err());
        assert!(parse_large_community("1:2:4294967296").is_err());
    }

    #[test]
    fn lists_split_on_commas_and_skip_blanks() {
        assert_eq!(
            parse_list("65010:1, no-export ,", parse_community),
            Ok(vec![Community::new(65010, 1), Community::NO_EXPORT])
        );
        assert_eq!(parse_list("", parse_community), Ok(vec![]));
        assert!(parse_list("65010:1,bad", parse_community).is_err());
    }

    #[test]
    fn durations_take_units_and_sums() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_refuse_bare_numbers_and_unknown_units() {
        assert!(parse_duration("90").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }
}
