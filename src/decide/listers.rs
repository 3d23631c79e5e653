//! The Services listing one address, each with the address's position in its
//! `externalIPs`. Almost every address has exactly one, and the decision keeps one of
//! these per address (100,000 of them at scale): two words, with no allocation for the
//! usual single Service, where a small vector would take three.

use super::ServiceRef;
use std::sync::Arc;

/// The listers of one address, in the order they were added.
#[derive(Debug, Default)]
pub(super) enum Listers {
    /// None (an address that keeps its route until the re-merge that withdraws it).
    #[default]
    None,
    /// The usual single Service.
    One(ServiceRef, u32),
    /// Two or more (a shared address).
    #[expect(
        clippy::box_collection,
        reason = "a boxed Vec is one word where a Vec is three: it keeps the enum at two"
    )]
    Many(Box<Vec<(ServiceRef, u32)>>),
}

impl Listers {
    /// Adds `service`, listing the address at `index` of its `externalIPs`.
    pub(super) fn push(&mut self, service: ServiceRef, index: u32) {
        *self = match std::mem::take(self) {
            Listers::None => Listers::One(service, index),
            Listers::One(first, first_index) => {
                Listers::Many(Box::new(vec![(first, first_index), (service, index)]))
            }
            Listers::Many(mut all) => {
                all.push((service, index));
                Listers::Many(all)
            }
        };
    }

    /// Removes every entry of `service` (the same shared name, by pointer).
    pub(super) fn remove(&mut self, service: &ServiceRef) {
        *self = match std::mem::take(self) {
            Listers::One(only, _) if Arc::ptr_eq(&only, service) => Listers::None,
            Listers::Many(mut all) => {
                all.retain(|(s, _)| !Arc::ptr_eq(s, service));
                match all.len() {
                    0 => Listers::None,
                    1 => {
                        let (s, i) = all.remove(0);
                        Listers::One(s, i)
                    }
                    _ => Listers::Many(all),
                }
            }
            other => other,
        };
    }

    /// Each Service with the address's index in its `externalIPs`.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&ServiceRef, u32)> + '_ {
        let (one, many) = match self {
            Listers::None => (None, &[][..]),
            Listers::One(service, index) => (Some((service, *index)), &[][..]),
            Listers::Many(all) => (None, all.as_slice()),
        };
        one.into_iter().chain(many.iter().map(|(s, i)| (s, *i)))
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Listers::None => 0,
            Listers::One(..) => 1,
            Listers::Many(all) => all.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        matches!(self, Listers::None)
    }
}

#[cfg(test)]
mod tests;
