//! Several Services may share one externalIP (SPEC 4.6): the address is announced if any
//! of them says so, with their attributes merged. Community sets are united; for MED the
//! lowest wins and for LOCAL_PREF the highest (the most attractive value, so no Service
//! sharing the address is made less reachable by another); a conflict is reported.

use super::{PeerSelection, Route, RouteTemplate, ServiceProblem, ServiceRef};
use ipnet::IpNet;
use smallvec::smallvec;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Merges the wanted (prefix, Service, template) tuples into one route per prefix. An
/// address wanted by one Service shares that Service's attributes; only a shared address
/// gets attributes of its own.
pub fn merge(
    wanted: Vec<(IpNet, ServiceRef, RouteTemplate)>,
) -> (BTreeMap<IpNet, Route>, Vec<ServiceProblem>) {
    let mut routes: BTreeMap<IpNet, Route> = BTreeMap::new();
    let mut conflicts: BTreeMap<IpNet, BTreeSet<&'static str>> = BTreeMap::new();
    for (
        prefix,
        service,
        RouteTemplate {
            attributes: attrs,
            peers,
        },
    ) in wanted
    {
        match routes.get_mut(&prefix) {
            None => {
                routes.insert(
                    prefix,
                    Route {
                        attributes: attrs,
                        peers,
                        services: smallvec![service],
                    },
                );
            }
            Some(route) => {
                let merged = Arc::make_mut(&mut route.attributes);
                merged.communities = union(&merged.communities, &attrs.communities);
                merged.large_communities =
                    union(&merged.large_communities, &attrs.large_communities);
                merged.extended_communities =
                    super::weight::merge(&merged.extended_communities, &attrs.extended_communities);
                if merged.med != attrs.med {
                    conflicts.entry(prefix).or_default().insert("med");
                    merged.med = lowest(merged.med, attrs.med);
                }
                if merged.local_pref != attrs.local_pref {
                    conflicts
                        .entry(prefix)
                        .or_default()
                        .insert("local-preference");
                    merged.local_pref = merged.local_pref.max(attrs.local_pref);
                }
                if merged.as_path_prepend != attrs.as_path_prepend {
                    conflicts
                        .entry(prefix)
                        .or_default()
                        .insert("as-path-prepend");
                    merged.as_path_prepend = merged.as_path_prepend.min(attrs.as_path_prepend);
                }
                route.peers = match (&route.peers, peers) {
                    (PeerSelection::All, _) | (_, PeerSelection::All) => PeerSelection::All,
                    (PeerSelection::Only(a), PeerSelection::Only(b)) => {
                        PeerSelection::Only(Arc::new(a.union(&b).cloned().collect()))
                    }
                };
                if let Err(at) = route.services.binary_search(&service) {
                    route.services.insert(at, service);
                }
            }
        }
    }
    let problems = conflicts
        .into_iter()
        .flat_map(|(prefix, fields)| {
            let route = &routes[&prefix];
            let fields: Vec<&str> = fields.into_iter().collect();
            let others: Vec<String> = route.services.iter().map(ToString::to_string).collect();
            route.services.iter().map(move |service| ServiceProblem {
                service: (**service).clone(),
                code: "shared_ip_conflict",
                message: format!(
                    "{} is shared by {} with different {}; announcing the merged route (lowest MED, highest local-preference, shortest prepend)",
                    prefix.addr(),
                    others.join(", "),
                    fields.join(", ")
                ),
            })
        })
        .collect();
    (routes, problems)
}

/// The lower of two MEDs, where an absent MED does not count as a value.
fn lowest(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn union<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let set: BTreeSet<T> = a.iter().chain(b).copied().collect();
    set.into_iter().collect()
}
