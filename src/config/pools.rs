//! `announce.pools`: validation of the pools that scope prefixes to namespaces. Pools must
//! not overlap, so every address belongs to at most one pool and `plan` can name it.

use super::fields::{Problems, collect, parse_cidr};
use super::raw::RawPool;
use super::{NamespaceScope, Pool};
use std::collections::{BTreeMap, HashSet};

/// Validates every pool; `None` when any is wrong (each problem names its field).
pub(super) fn parse_pools(p: &mut Problems, raw: &[RawPool]) -> Option<Vec<Pool>> {
    let mut pools = Vec::with_capacity(raw.len());
    let mut ok = true;
    let mut names = HashSet::new();
    for (i, raw_pool) in raw.iter().enumerate() {
        let field = format!("announce.pools[{i}]");
        match parse_pool(p, &field, raw_pool) {
            Some(pool) => {
                if !names.insert(pool.name.clone()) {
                    p.add(
                        &format!("{field}.name"),
                        format!("duplicate pool name {:?}", pool.name),
                    );
                    ok = false;
                }
                pools.push(pool);
            }
            None => ok = false,
        }
    }
    ok &= check_overlaps(p, &pools);
    ok.then_some(pools)
}

fn parse_pool(p: &mut Problems, field: &str, raw: &RawPool) -> Option<Pool> {
    let name = p.required(&format!("{field}.name"), raw.name.as_ref(), |s| {
        if s.is_empty() {
            Err("empty pool name".to_string())
        } else {
            Ok(std::sync::Arc::<str>::from(s))
        }
    });
    let cidrs = match &raw.cidrs {
        Some(list) if !list.is_empty() => collect(p, &format!("{field}.cidrs"), list, parse_cidr),
        _ => {
            p.add(&format!("{field}.cidrs"), "is required and not empty");
            None
        }
    };
    let namespaces = match (&raw.namespaces, &raw.namespace_selector) {
        (Some(names), None) => collect(p, &format!("{field}.namespaces"), names, |s| {
            if s.is_empty() {
                Err("empty namespace name".to_string())
            } else {
                Ok(s.to_owned())
            }
        })
        .map(|v| NamespaceScope::Names(v.into_iter().collect())),
        (None, Some(selector)) if !selector.match_labels.is_empty() => {
            let labels: BTreeMap<String, String> = selector
                .match_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect();
            Some(NamespaceScope::Selector(labels))
        }
        (None, Some(_)) => {
            p.add(
                &format!("{field}.namespace_selector"),
                "matchLabels is empty: it would give the pool to every namespace",
            );
            None
        }
        _ => {
            p.add(
                field,
                "exactly one of namespaces or namespace_selector is required",
            );
            None
        }
    };
    Some(Pool {
        name: name?,
        cidrs: cidrs?,
        namespaces: namespaces?,
    })
}

/// Reports every prefix that overlaps a prefix of an earlier pool.
fn check_overlaps(p: &mut Problems, pools: &[Pool]) -> bool {
    let mut ok = true;
    for (j, later) in pools.iter().enumerate() {
        for (k, cidr) in later.cidrs.iter().enumerate() {
            for earlier in &pools[..j] {
                if let Some(other) = earlier
                    .cidrs
                    .iter()
                    .find(|o| o.contains(cidr) || cidr.contains(*o))
                {
                    p.add(
                        &format!("announce.pools[{j}].cidrs[{k}]"),
                        format!(
                            "{cidr} overlaps {other} of pool {:?}; an address must belong to one pool",
                            earlier.name
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    ok
}
