//! The same decision as [`super::decide`], kept up to date one Service at a time: a change
//! to one Service or EndpointSlice recomputes that Service and re-merges only the
//! addresses it touches, so a withdraw reaches the wire in microseconds of decision time
//! even with 10,000 Services. A change to the Node or a relist recomputes everything. The
//! per-Service rules are the pure [`super::decide_service`]; a property test checks that
//! this engine always agrees with the full decision.
//!
//! Memory is per address, so it is kept to one index entry per address: Service names are
//! shared ([`ServiceRef`]), attributes are shared per Service, an address's listers are
//! stored inline for the usual single Service, IPv4 addresses are keyed at their own width,
//! and the route keeps only what the peers are sent (its Services are its listers that
//! announce it, found when asked).

use super::listers::Listers;
use super::reason::Verdict;
use super::{
    AddressVerdict, NodeView, Route, RouteTemplate, ServiceOutcome, ServiceProblem, ServiceRef,
    ServiceRefs, Settings, decide_service, default_template, merge, sharing_rules,
};
use crate::cluster::objects::SliceInfo;
use crate::cluster::{ClusterState, Dirty, ObjectKey};
use bgp::prefix_map::PrefixMap;
use ipnet::IpNet;
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

/// Everything kept about one listed address: the Services that list it, each with the
/// address's position in its `externalIPs` (so its verdict is found without a scan), and
/// what the peers are sent for it, when it is announced. One hash map entry per address,
/// nothing else.
#[derive(Debug, Default)]
struct AddressEntry {
    listers: Listers,
    /// Shared with the outcome of the Service it comes from whenever the merge left it
    /// unchanged (one word; almost every route).
    route: Option<Arc<RouteTemplate>>,
}

/// How many withdrawals [`Incremental::update_streaming`] hands over at a time: small
/// enough that the first is on the wire within a fraction of a millisecond, large enough
/// that a peer is woken a few dozen times for 100,000.
pub const WITHDRAWN_CHUNK: usize = 4096;

/// What became of an address a deleted Service listed.
enum Orphan {
    /// Its route is withdrawn for good in this update.
    Withdrawn,
    /// Other Services still list it: the re-merge settles it.
    Shared,
    /// Nothing to send: it had no route, or no entry.
    Gone,
}

/// The decision, maintained incrementally.
#[derive(Debug, Default)]
pub struct Incremental {
    /// Hashed with foldhash (seeded per process, so names chosen to collide gain
    /// nothing): a bulk delete looks up every deleted Service here, and in a profile of
    /// the daemon SipHash took most of those lookups' time.
    outcomes: foldhash::HashMap<ServiceRef, ServiceOutcome>,
    /// Every address some Service lists, announced or not, by its host prefix.
    addresses: PrefixMap<AddressEntry>,
    /// How many addresses have a route.
    route_count: usize,
    conflicts: BTreeMap<IpNet, Vec<ServiceProblem>>,
    node: NodeView,
    /// Refused externalIPs by reason code.
    refused: BTreeMap<&'static str, usize>,
    /// Some Service's problems (or a conflict) changed since [`Incremental::take_problems_changed`].
    problems_changed: bool,
    /// The routes the last [`Incremental::update`] replaced, when they carried a link
    /// bandwidth (weighted anycast): what the daemon's weight hold compares with.
    replaced: Vec<(IpNet, RouteTemplate)>,
}

impl Incremental {
    /// An empty decision.
    pub fn new() -> Incremental {
        Incremental::default()
    }

    /// What the peers are sent for each announced address (attributes and peers), in no
    /// particular order.
    pub fn routes(&self) -> impl Iterator<Item = (IpNet, &RouteTemplate)> + '_ {
        self.addresses
            .iter()
            .filter_map(|(prefix, entry)| Some((prefix, entry.route.as_deref()?)))
    }

    /// What the peers are sent for one address, if it is announced.
    pub fn route(&self, prefix: &IpNet) -> Option<&RouteTemplate> {
        self.addresses.get(prefix)?.route.as_deref()
    }

    /// The Services asking for an announced address, in Service order: those of its listers
    /// that announce it (a shared address is announced only when all that take part do).
    pub fn services_of(&self, prefix: &IpNet) -> ServiceRefs {
        let Some(entry) = self.addresses.get(prefix) else {
            return ServiceRefs::new();
        };
        let mut services: ServiceRefs = entry
            .listers
            .iter()
            .filter(|(service, index)| {
                self.outcomes
                    .get(*service)
                    .and_then(|o| o.verdicts.get(*index as usize))
                    .is_some_and(|v| matches!(v, Verdict::Announced(_)))
            })
            .map(|(service, _)| service.clone())
            .collect();
        services.sort();
        services.dedup();
        services
    }

    /// How many routes are announced.
    pub fn route_count(&self) -> usize {
        self.route_count
    }

    /// Why this node withdraws every address (unhealthy or excluded), if it does.
    pub fn node_withdraws_all(&self) -> Option<super::reason::Reason> {
        self.node.withdraws_all()
    }

    /// The routes with their Services, ordered by prefix (for display and comparison).
    pub fn sorted_routes(&self) -> BTreeMap<IpNet, Route> {
        self.routes()
            .map(|(prefix, sent)| {
                let route = Route {
                    attributes: sent.attributes.clone(),
                    peers: sent.peers.clone(),
                    services: self.services_of(&prefix),
                };
                (prefix, route)
            })
            .collect()
    }

    /// Refused externalIPs by reason code (codes with none are absent).
    pub fn refused(&self) -> &BTreeMap<&'static str, usize> {
        &self.refused
    }

    /// Why `address` is or is not announced: the verdicts of the Services that list it.
    pub fn verdicts_for(&self, address: IpAddr) -> Vec<AddressVerdict> {
        self.addresses
            .get(&IpNet::from(address))
            .into_iter()
            .flat_map(|entry| entry.listers.iter())
            .filter_map(|(service, index)| {
                let outcome = self.outcomes.get(service)?;
                let index = index as usize;
                Some(AddressVerdict {
                    service: service.clone(),
                    external_ip: outcome.external_ips.get(index)?.to_string().into(),
                    verdict: outcome.verdicts.get(index)?.clone(),
                })
            })
            .collect()
    }

    /// True once after any problem appeared, changed or went away: reporting needs to look
    /// at [`Incremental::problems`] only then.
    pub fn take_problems_changed(&mut self) -> bool {
        std::mem::take(&mut self.problems_changed)
    }

    /// Every current problem: per Service in Service order, then shared-address conflicts.
    pub fn problems(&self) -> Vec<ServiceProblem> {
        let mut keys: Vec<&ServiceRef> = self.outcomes.keys().collect();
        keys.sort();
        keys.into_iter()
            .flat_map(|k| self.outcomes[k].problems.iter())
            .chain(self.conflicts.values().flatten())
            .cloned()
            .collect()
    }

    /// Takes the weighted routes the last [`Incremental::update`] replaced or removed, as
    /// they were (see `daemon::weight_hold`); taken, so a relist's worth of them is not
    /// kept until the next change.
    pub fn take_replaced(&mut self) -> Vec<(IpNet, RouteTemplate)> {
        std::mem::take(&mut self.replaced)
    }

    /// Brings the decision up to date with `cluster`, given what changed; returns the
    /// addresses whose route appeared, disappeared or changed, in order.
    pub fn update(
        &mut self,
        cluster: &ClusterState,
        dirty: Dirty,
        settings: Settings<'_>,
    ) -> Vec<IpNet> {
        let mut changed = Vec::new();
        let mut rest = self.update_streaming(cluster, dirty, settings, &mut |withdrawn| {
            changed.extend_from_slice(withdrawn)
        });
        changed.append(&mut rest);
        changed.sort_unstable();
        changed
    }

    /// [`Incremental::update`], handing over withdrawals while it runs: `withdrawn` hears,
    /// in chunks of at most [`WITHDRAWN_CHUNK`] (each in order), the addresses whose last
    /// Service was deleted, as soon as each is final; the other changed addresses are
    /// returned, in order. Together they are what `update` returns.
    ///
    /// Why: deleting Services with 100,000 addresses takes the decision milliseconds, and
    /// a router takes tens of milliseconds to take in the withdrawals; handed over early,
    /// the first withdrawal is on the wire after the first chunk instead of after the
    /// whole decision, and the router works while the rest is decided.
    ///
    /// An address is final once its last Service is deleted and no Service still being
    /// decided lists it: the deleted Services are taken last, after every Service that
    /// could list it again.
    pub fn update_streaming(
        &mut self,
        cluster: &ClusterState,
        dirty: Dirty,
        settings: Settings<'_>,
        withdrawn: &mut dyn FnMut(&[IpNet]),
    ) -> Vec<IpNet> {
        self.replaced.clear();
        let node = NodeView::of(cluster.node());
        let keys: BTreeSet<ObjectKey> = match dirty {
            Dirty::Services(keys) if node == self.node => keys,
            Dirty::Removed(removed) if node == self.node => {
                // Nothing but removals: no Service is decided again, so every removed
                // one is deleted, and nothing still to decide can list its addresses.
                let mut touched = Vec::new();
                self.forget_deleted(removed, &mut touched, withdrawn);
                return self.remerge_touched(touched, settings);
            }
            _ => self
                .outcomes
                .keys()
                .map(|k| (**k).clone())
                .chain(cluster.services().keys().cloned())
                .collect(),
        };
        self.node = node;
        // The deleted Services (an outcome, no object) and the others, found with one
        // lookup of each key in both maps. A start or relist inserts every address at
        // once: the new Services' addresses are counted on the way, and sizing the map
        // first spares the doubling steps, whose old and new tables together would be
        // the peak of memory.
        let (mut deleted, mut kept) = (Vec::new(), Vec::new());
        let (mut new_v4, mut new_v6) = (0, 0);
        for key in keys {
            let known = self.outcomes.contains_key(&key);
            match cluster.services().get(&key) {
                None if known => deleted.push(key),
                service => {
                    let new_ips = service.filter(|_| !known).map(|s| s.external_ips.iter());
                    for ip in new_ips.into_iter().flatten() {
                        match ip.ip() {
                            Some(IpAddr::V6(_)) => new_v6 += 1,
                            _ => new_v4 += 1,
                        }
                    }
                    kept.push(key);
                }
            }
        }
        self.addresses.reserve(new_v4, new_v6);
        let mut touched: Vec<IpNet> = Vec::new();
        for key in kept {
            let old = self.outcomes.remove_entry(&key);
            let service_ref = match &old {
                Some((service_ref, old)) => {
                    self.forget(service_ref, old);
                    touched.extend(self.to_settle(old, 0));
                    service_ref.clone()
                }
                None => Arc::new(key.clone()),
            };
            let old = old.map(|(_, o)| o);
            let Some(service) = cluster.services().get(&key) else {
                if old.is_some_and(|o| !o.problems.is_empty()) {
                    self.problems_changed = true;
                }
                continue;
            };
            let slices: Vec<&SliceInfo> = cluster.slices_of(&key).collect();
            let namespace = cluster.namespace(key.namespace());
            let outcome = decide_service(&key, service, &slices, namespace, node, settings);
            if old.as_ref().map(|o| &o.problems) != Some(&outcome.problems)
                && !(old.is_none() && outcome.problems.is_empty())
            {
                self.problems_changed = true;
            }
            self.remember(&service_ref, &outcome);
            touched.extend(self.to_settle(&outcome, 1));
            self.outcomes.insert(service_ref, outcome);
        }
        self.forget_deleted(deleted, &mut touched, withdrawn);
        self.remerge_touched(touched, settings)
    }

    /// Re-merges the addresses a change touched, each once, in order; returns those whose
    /// route changed.
    fn remerge_touched(&mut self, mut touched: Vec<IpNet>, settings: Settings<'_>) -> Vec<IpNet> {
        touched.sort_unstable();
        touched.dedup();
        let defaults = default_template(settings.announce, self.node.drained);
        let rules = sharing_rules(settings, &defaults);
        touched
            .into_iter()
            .filter(|prefix| self.remerge(*prefix, rules))
            .collect()
    }

    /// Forgets the outcomes of deleted Services. Their addresses nobody else lists are
    /// withdrawn for good and go to `withdrawn` in sorted chunks; the shared ones join
    /// `touched` for the re-merge.
    fn forget_deleted(
        &mut self,
        deleted: Vec<ObjectKey>,
        touched: &mut Vec<IpNet>,
        withdrawn: &mut dyn FnMut(&[IpNet]),
    ) {
        let mut chunk = Vec::with_capacity(WITHDRAWN_CHUNK);
        // The outcomes whose withdrawals are in the chunk being filled, freed once it is
        // handed over: the withdrawals do not wait for the freeing, and what is held is
        // one chunk's outcomes, not every deleted Service's (10,000 outcomes moved aside
        // at once were the peak of a small node's memory).
        let mut retired = Vec::new();
        for key in deleted {
            let Some((service_ref, old)) = self.outcomes.remove_entry(&key) else {
                continue;
            };
            if !old.problems.is_empty() {
                self.problems_changed = true;
            }
            for (prefix, verdict) in old.addresses() {
                self.forget_refusal(verdict);
                let Some(prefix) = prefix else { continue };
                match self.drop_lister(prefix, &service_ref) {
                    Orphan::Withdrawn => {
                        chunk.push(prefix);
                        if chunk.len() == WITHDRAWN_CHUNK {
                            chunk.sort_unstable();
                            withdrawn(&chunk);
                            chunk.clear();
                            retired.clear();
                        }
                    }
                    Orphan::Shared => touched.push(prefix),
                    Orphan::Gone => {}
                }
            }
            retired.push((service_ref, old));
        }
        if !chunk.is_empty() {
            chunk.sort_unstable();
            withdrawn(&chunk);
        }
    }

    /// The addresses of `outcome` whose route may depend on it: those it announces, and
    /// those more than `others_than` other Services list (a shared address is settled
    /// whatever each Service says).
    fn to_settle<'a>(
        &'a self,
        outcome: &'a ServiceOutcome,
        others_than: usize,
    ) -> impl Iterator<Item = IpNet> + 'a {
        outcome.addresses().filter_map(move |(prefix, verdict)| {
            let prefix = prefix?;
            let shared = self
                .addresses
                .get(&prefix)
                .is_some_and(|e| e.listers.len() > others_than);
            (shared || matches!(verdict, Verdict::Announced(_))).then_some(prefix)
        })
    }

    /// Indexes an outcome's addresses and refusals.
    fn remember(&mut self, service: &ServiceRef, outcome: &ServiceOutcome) {
        for (index, (prefix, verdict)) in outcome.addresses().enumerate() {
            if let Some(prefix) = prefix {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                self.addresses
                    .get_or_insert_with(prefix, AddressEntry::default)
                    .listers
                    .push(service.clone(), index);
            }
            if let Verdict::NotAnnounced(reason) = verdict
                && reason.is_refusal()
            {
                *self.refused.entry(reason.code()).or_default() += 1;
            }
        }
    }

    /// Undoes [`Incremental::remember`].
    fn forget(&mut self, service: &ServiceRef, outcome: &ServiceOutcome) {
        for (prefix, verdict) in outcome.addresses() {
            if let Some(prefix) = prefix
                && let Some(entry) = self.addresses.get_mut(&prefix)
            {
                // The entry stays while it has a route: the re-merge that follows
                // withdraws it and then drops the entry.
                entry.listers.remove(service);
                if entry.listers.is_empty() && entry.route.is_none() {
                    self.addresses.remove(&prefix);
                }
            }
            self.forget_refusal(verdict);
        }
    }

    /// Uncounts a refusal [`Incremental::remember`] counted.
    fn forget_refusal(&mut self, verdict: &Verdict) {
        if let Verdict::NotAnnounced(reason) = verdict
            && reason.is_refusal()
            && let Some(n) = self.refused.get_mut(reason.code())
        {
            *n -= 1;
            if *n == 0 {
                self.refused.remove(reason.code());
            }
        }
    }

    /// Removes a deleted Service from the listers of `prefix`. With no lister left, the
    /// address is settled here: what the re-merge of an address nobody lists would do
    /// (no route, no conflict, no entry), without the merge.
    fn drop_lister(&mut self, prefix: IpNet, service: &ServiceRef) -> Orphan {
        // One lookup: the entry goes with its last lister.
        let last = self.addresses.change_or_remove(&prefix, |entry| {
            entry.listers.remove(service);
            if entry.listers.is_empty() {
                (Some(entry.route.take()), true)
            } else {
                (None, false)
            }
        });
        let route = match last {
            None => return Orphan::Gone,
            Some(None) => return Orphan::Shared,
            Some(Some(route)) => route,
        };
        if self.conflicts.remove(&prefix).is_some() {
            self.problems_changed = true;
        }
        let Some(route) = route else {
            return Orphan::Gone;
        };
        self.route_count -= 1;
        if super::weight::bytes_per_second(&route.attributes).is_some() {
            self.replaced.push((prefix, Arc::unwrap_or_clone(route)));
        }
        Orphan::Withdrawn
    }

    /// Recomputes the route of one address from the Services that list it; true when it
    /// changed.
    fn remerge(&mut self, prefix: IpNet, rules: merge::SharingRules<'_>) -> bool {
        let (new, conflicts) = {
            let sharers: SmallVec<[merge::Sharer<'_>; 1]> = self
                .addresses
                .get(&prefix)
                .into_iter()
                .flat_map(|entry| entry.listers.iter())
                .filter_map(|(service, index)| {
                    let outcome = self.outcomes.get(service)?;
                    Some(merge::Sharer {
                        service,
                        verdict: outcome.verdicts.get(index as usize)?,
                        template: outcome.template_for(prefix),
                    })
                })
                .collect();
            merge::settle(prefix, &sharers, rules)
        };
        let old_conflicts = if conflicts.is_empty() {
            self.conflicts.remove(&prefix)
        } else {
            self.conflicts.insert(prefix, conflicts.clone())
        };
        if old_conflicts.unwrap_or_default() != conflicts {
            self.problems_changed = true;
        }
        // The announcing Service's own template whenever the merge changed nothing.
        let new = new.map(|settled| settled.template);
        let Some(entry) = self.addresses.get_mut(&prefix) else {
            return false; // Nobody lists it and it had no route.
        };
        let changed = entry.route != new;
        match (entry.route.is_some(), new.is_some()) {
            (false, true) => self.route_count += 1,
            (true, false) => self.route_count -= 1,
            _ => {}
        }
        let old = std::mem::replace(&mut entry.route, new);
        if let Some(old) =
            old.filter(|o| changed && super::weight::bytes_per_second(&o.attributes).is_some())
        {
            self.replaced.push((prefix, Arc::unwrap_or_clone(old)));
        }
        if entry.route.is_none() && entry.listers.is_empty() {
            self.addresses.remove(&prefix);
        }
        changed
    }
}

#[cfg(test)]
mod tests;
