//! Rate limit for weighted anycast: how often a change of a Service's endpoint count
//! reaches the routers.
//!
//! A Deployment scaled from 10 to 1 replicas loses its pods one by one over seconds; sent
//! as is, every address of the Service would be re-announced nine times, on every node,
//! and every router would recompute its multipath set nine times. The rule:
//!
//! - A new weight goes out **at once** when it grows, when the route appears or goes
//!   away (to or from zero endpoints is an announce or a withdraw, never delayed), and
//!   when anything else about the route changes.
//! - A **decrease** is held for [`DEFAULT_DECREASE_HOLD`] (5 s) from the first decrease:
//!   the route keeps its last sent weight meanwhile, and at the end of the hold the
//!   weight in force then is sent. So a scale-down re-announces at most once per hold,
//!   and an increase or the return of the old value during the hold ends it at once.
//!
//! Holding decreases and not increases errs on the safe side only while the node can
//! take the extra share: the pods that left were drained by kube-proxy already (their
//! endpoints are not ready), so during the hold the node's remaining pods get up to the
//! old share for at most 5 s.
//!
//! The decision stays pure: this state lives in the daemon and takes the clock as an
//! argument, so the rule is tested without sleeping.

use crate::decide::RouteTemplate;
use crate::decide::weight::bytes_per_second;
use ipnet::IpNet;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a decrease of a route's link bandwidth is held.
pub const DEFAULT_DECREASE_HOLD: Duration = Duration::from_secs(5);

/// Routes whose decreased weight is not sent yet.
#[derive(Debug)]
pub struct WeightHold {
    hold: Duration,
    /// What the peers still have for the prefix, and when its hold ends.
    held: HashMap<IpNet, (RouteTemplate, Instant)>,
}

impl Default for WeightHold {
    fn default() -> WeightHold {
        WeightHold::new(DEFAULT_DECREASE_HOLD)
    }
}

/// True when `new` differs from `old` only by a lower link bandwidth.
fn is_decrease(old: &RouteTemplate, new: &RouteTemplate) -> bool {
    let (Some(before), Some(after)) = (
        bytes_per_second(&old.attributes),
        bytes_per_second(&new.attributes),
    ) else {
        return false;
    };
    let without_bandwidth = |r: &RouteTemplate| {
        let mut a = (*r.attributes).clone();
        a.extended_communities
            .retain(|c| c.link_bandwidth().is_none());
        a
    };
    after < before && old.peers == new.peers && without_bandwidth(old) == without_bandwidth(new)
}

impl WeightHold {
    /// Holds decreases for `hold`.
    pub fn new(hold: Duration) -> WeightHold {
        WeightHold {
            hold,
            held: HashMap::new(),
        }
    }

    /// Takes in one decision's changes at `now`: `replaced` are the weighted routes the
    /// decision replaced (as they were), `current` gives each prefix's route now.
    pub fn observe<'a>(
        &mut self,
        now: Instant,
        replaced: &[(IpNet, RouteTemplate)],
        current: impl Fn(&IpNet) -> Option<&'a RouteTemplate>,
    ) {
        for (prefix, replaced_route) in replaced {
            let new = current(prefix);
            match self.held.remove(prefix) {
                // Already held: the peers still have the held route.
                Some((sent, until)) => {
                    if new.is_some_and(|new| is_decrease(&sent, new)) {
                        self.held.insert(*prefix, (sent, until));
                    }
                }
                None => {
                    if new.is_some_and(|new| is_decrease(replaced_route, new)) {
                        self.held
                            .insert(*prefix, (replaced_route.clone(), now + self.hold));
                    }
                }
            }
        }
    }

    /// The route the peers should have for `prefix`: the held one while a decrease is
    /// held, else `decided`.
    pub fn effective<'a>(
        &'a self,
        prefix: &IpNet,
        decided: Option<&'a RouteTemplate>,
    ) -> Option<&'a RouteTemplate> {
        match self.held.get(prefix) {
            Some((route, _)) => Some(route),
            None => decided,
        }
    }

    /// Ends the holds due at `now`; returns their prefixes, whose decided route must now
    /// be sent.
    pub fn release(&mut self, now: Instant) -> Vec<IpNet> {
        let mut due: Vec<IpNet> = self
            .held
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(p, _)| *p)
            .collect();
        due.sort_unstable();
        for p in &due {
            self.held.remove(p);
        }
        due
    }

    /// When the next hold ends, if any is running.
    pub fn next_release(&self) -> Option<Instant> {
        self.held.values().map(|(_, until)| *until).min()
    }
}

#[cfg(test)]
mod tests;
