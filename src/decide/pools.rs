//! `announce.pools` (SPEC 4.3): which namespaces may announce which addresses. Without
//! pools, `allowed_cidrs` is the only fence and any namespace may announce any allowed
//! address; with pools, a team can only attract traffic for its own prefixes.

use crate::cluster::objects::NamespaceInfo;
use crate::config::{NamespaceScope, Pool};
use std::net::IpAddr;

/// Why an address is refused by the pools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolRefusal {
    /// No pool contains the address.
    OutsidePools,
    /// The pool containing it (named) is not for the Service's namespace.
    NotForNamespace(std::sync::Arc<str>),
}

/// The pool containing `ip` (pools do not overlap, so there is at most one).
pub fn pool_of(ip: IpAddr, pools: &[Pool]) -> Option<&Pool> {
    pools
        .iter()
        .find(|pool| pool.cidrs.iter().any(|net| net.contains(&ip)))
}

/// Checks that `namespace` (with its Namespace object, once seen) may announce `ip`. No
/// pools configured: every namespace may.
pub fn check(
    ip: IpAddr,
    namespace: &str,
    info: Option<&NamespaceInfo>,
    pools: &[Pool],
) -> Result<(), PoolRefusal> {
    if pools.is_empty() {
        return Ok(());
    }
    let pool = pool_of(ip, pools).ok_or(PoolRefusal::OutsidePools)?;
    if admits(pool, namespace, info) {
        Ok(())
    } else {
        Err(PoolRefusal::NotForNamespace(pool.name.clone()))
    }
}

/// True when the pool is for this namespace. A selector needs the Namespace's labels: a
/// namespace not seen (yet) matches no selector, the safe side.
pub fn admits(pool: &Pool, namespace: &str, info: Option<&NamespaceInfo>) -> bool {
    match &pool.namespaces {
        NamespaceScope::Names(names) => names.contains(namespace),
        NamespaceScope::Selector(match_labels) => info.is_some_and(|ns| {
            match_labels
                .iter()
                .all(|(k, v)| ns.labels.get(k) == Some(v))
        }),
    }
}
