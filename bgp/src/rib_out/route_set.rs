//! A whole desired route set, as handed to a peer in one piece (its first set, or a
//! replacement): each family's prefixes at their own width, and the attribute sets as
//! runs over them.
//!
//! A list of `(IpNet, Arc<RouteAttributes>)` pairs is 32 bytes a route; at 100,000 routes
//! that is 3.2 MB, held while the peer's table is built beside it, at the start of every
//! session (the moment a node's memory peaks). Here an IPv4 route is its 5-byte prefix,
//! and the routes a decision lists one after another with the same attributes (a
//! Service's addresses) share one entry of the runs.

use super::RouteAttributes;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::sync::Arc;

/// Routes of one family: the prefixes, and where each run of equal attributes ends.
#[derive(Clone, Debug, Default, PartialEq)]
struct Family<P> {
    prefixes: Vec<P>,
    /// (end in `prefixes`, the attributes of the run ending there).
    runs: Vec<(usize, Arc<RouteAttributes>)>,
}

impl<P: Copy> Family<P> {
    fn push(&mut self, prefix: P, attrs: Arc<RouteAttributes>) {
        self.prefixes.push(prefix);
        let end = self.prefixes.len();
        match self.runs.last_mut() {
            Some((last_end, last)) if Arc::ptr_eq(last, &attrs) => *last_end = end,
            _ => self.runs.push((end, attrs)),
        }
    }

    fn into_routes(self) -> impl Iterator<Item = (P, Arc<RouteAttributes>)> {
        let mut runs = self.runs.into_iter().peekable();
        self.prefixes
            .into_iter()
            .enumerate()
            .filter_map(move |(i, prefix)| {
                while runs.peek().is_some_and(|(end, _)| *end <= i) {
                    runs.next();
                }
                // Every prefix is in a run: `push` ends one at each.
                runs.peek().map(|(_, attrs)| (prefix, Arc::clone(attrs)))
            })
    }
}

/// A desired route set; when a prefix is listed more than once, the last one wins.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteSet {
    v4: Family<Ipv4Net>,
    v6: Family<Ipv6Net>,
}

impl RouteSet {
    /// An empty set with room for `routes` IPv4 routes (the usual case).
    pub fn with_capacity(routes: usize) -> RouteSet {
        RouteSet {
            v4: Family {
                prefixes: Vec::with_capacity(routes),
                runs: Vec::new(),
            },
            v6: Family::default(),
        }
    }

    /// Adds a route.
    pub fn push(&mut self, prefix: IpNet, attrs: Arc<RouteAttributes>) {
        match prefix {
            IpNet::V4(p) => self.v4.push(p, attrs),
            IpNet::V6(p) => self.v6.push(p, attrs),
        }
    }

    /// How many routes (IPv4, IPv6) it lists.
    pub fn lens(&self) -> (usize, usize) {
        (self.v4.prefixes.len(), self.v6.prefixes.len())
    }

    /// How many routes it lists.
    pub fn len(&self) -> usize {
        self.v4.prefixes.len() + self.v6.prefixes.len()
    }

    /// True when it lists no route.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The routes: IPv4 in the order they were added, then IPv6.
    pub fn into_routes(self) -> impl Iterator<Item = (IpNet, Arc<RouteAttributes>)> {
        let v4 = self.v4.into_routes().map(|(p, a)| (IpNet::V4(p), a));
        let v6 = self.v6.into_routes().map(|(p, a)| (IpNet::V6(p), a));
        v4.chain(v6)
    }
}

impl FromIterator<(IpNet, Arc<RouteAttributes>)> for RouteSet {
    fn from_iter<I: IntoIterator<Item = (IpNet, Arc<RouteAttributes>)>>(routes: I) -> Self {
        let mut set = RouteSet::default();
        for (prefix, attrs) in routes {
            set.push(prefix, attrs);
        }
        set
    }
}

impl From<Vec<(IpNet, Arc<RouteAttributes>)>> for RouteSet {
    fn from(routes: Vec<(IpNet, Arc<RouteAttributes>)>) -> Self {
        routes.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(med: u32) -> Arc<RouteAttributes> {
        Arc::new(RouteAttributes {
            med: Some(med),
            ..RouteAttributes::default()
        })
    }

    fn p(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn the_routes_come_back_as_given_each_family_in_order() {
        let (a, b) = (attrs(1), attrs(2));
        let given = vec![
            (p("192.0.2.1/32"), a.clone()),
            (p("2001:db8::1/128"), b.clone()),
            (p("192.0.2.2/32"), a.clone()),
            (p("192.0.2.3/32"), b.clone()),
            (p("2001:db8::2/128"), b.clone()),
            (p("192.0.2.4/32"), a.clone()),
        ];
        let set = RouteSet::from(given.clone());
        assert_eq!(set.lens(), (4, 2));
        assert_eq!(set.len(), 6);
        let back: Vec<_> = set.into_routes().collect();
        let v4 = given.iter().filter(|(p, _)| matches!(p, IpNet::V4(_)));
        let v6 = given.iter().filter(|(p, _)| matches!(p, IpNet::V6(_)));
        let expected: Vec<_> = v4.chain(v6).cloned().collect();
        assert_eq!(back, expected);
        // Each route keeps the very attributes it was given, shared, not copied.
        assert!(
            back.iter()
                .zip(&expected)
                .all(|(x, y)| Arc::ptr_eq(&x.1, &y.1))
        );
    }

    #[test]
    fn consecutive_routes_with_the_same_attributes_share_one_run() {
        let a = attrs(1);
        let set: RouteSet = (1..=100)
            .map(|i| (p(&format!("10.0.0.{i}/32")), a.clone()))
            .collect();
        assert_eq!(set.v4.runs.len(), 1);
        assert_eq!(RouteSet::default().into_routes().count(), 0);
        assert!(RouteSet::default().is_empty());
    }
}
