//! Converting one field: the problem collector every part of validation shares, and
//! the parsers of values that appear in more than one place of the file.

use super::raw::Scalar;
use bgp::Asn;
use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// Collects problems while converting fields.
#[derive(Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    /// True when nothing was found wrong.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, one line each.
    pub(super) fn into_lines(self) -> Vec<String> {
        self.0
    }

    /// Takes problems found elsewhere, already naming their fields.
    pub(super) fn extend(&mut self, lines: Vec<String>) {
        self.0.extend(lines);
    }

    pub(super) fn add(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{field}: {message}"));
    }

    /// Converts a present value; records a problem and returns `None` on failure.
    pub(super) fn convert<T>(
        &mut self,
        field: &str,
        value: &Scalar,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match f(value.0.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    /// Converts an optional value, using `default` when absent.
    pub(super) fn or_default<T>(
        &mut self,
        field: &str,
        value: Option<&Scalar>,
        default: T,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match value {
            None => Some(default),
            Some(v) => self.convert(field, v, f),
        }
    }

    /// Converts an optional keyword field (see [`one_of`]); absent, it means the first
    /// choice.
    pub(super) fn keyword<T: Copy>(
        &mut self,
        field: &str,
        value: Option<&Scalar>,
        choices: &[(&'static str, T)],
    ) -> Option<T> {
        self.or_default(field, value, choices[0].1, one_of(choices))
    }

    /// Converts a required value.
    pub(super) fn required<T>(
        &mut self,
        field: &str,
        value: Option<&Scalar>,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match value {
            None => {
                self.add(field, "is required");
                None
            }
            Some(v) => self.convert(field, v, f),
        }
    }
}

/// The parser of a keyword field: its spellings and what each means, in the order a
/// refusal lists them.
pub(super) fn one_of<'a, T: Copy>(
    choices: &'a [(&'static str, T)],
) -> impl Fn(&str) -> Result<T, String> + 'a {
    move |s| {
        choices
            .iter()
            .find(|(name, _)| *name == s)
            .map(|&(_, value)| value)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|&(name, _)| name).collect();
                format!("{s:?} is not one of: {}", names.join(", "))
            })
    }
}

pub(super) fn parse_asn(s: &str) -> Result<Asn, String> {
    let n: u32 = s
        .parse()
        .map_err(|_| format!("{s:?} is not an AS number 1..4294967295"))?;
    match n {
        0 => Err("0 is not a valid AS number (RFC 7607)".into()),
        23456 => Err("23456 is AS_TRANS (RFC 6793) and cannot be used as an AS number".into()),
        _ => Ok(Asn(n)),
    }
}

/// Every boolean field of the file: `true` or `false`, nothing else.
pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    }
}

pub(super) fn parse_ip(s: &str) -> Result<IpAddr, String> {
    IpAddr::from_str(s).map_err(|_| format!("{s:?} is not an IP address"))
}

/// A prefix in CIDR notation; a bare address means a host prefix. Host bits must be zero:
/// `203.0.113.7/24` is more likely a typo than a wish to allow all of 203.0.113.0/24.
pub(super) fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let net = match IpNet::from_str(s) {
        Ok(net) => net,
        Err(_) => match IpAddr::from_str(s) {
            Ok(ip) => IpNet::from(ip),
            Err(_) => return Err(format!("{s:?} is not a CIDR prefix such as 203.0.113.0/24")),
        },
    };
    if net.trunc() != net {
        return Err(format!(
            "{s:?} has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Converts every element of a list, naming problems `field[i]`.
pub(super) fn collect<T>(
    p: &mut Problems,
    field: &str,
    list: &[Scalar],
    f: impl Fn(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    let mut out = Vec::with_capacity(list.len());
    let mut ok = true;
    for (i, item) in list.iter().enumerate() {
        match p.convert(&format!("{field}[{i}]"), item, &f) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
