//! The log lines of a decision's route changes: one per route with why, or for a bulk
//! change one summary line at info and the per-route lines at debug.

use crate::decide;
use crate::decide::incremental::Incremental;
use ipnet::IpNet;

/// Above this many changes in one decision (a start, a relist, a bulk change), one summary
/// line is logged at info and the per-route lines at debug: 100,000 log lines would cost
/// more than deciding and sending the routes.
pub(super) const ROUTE_LOG_LIMIT: usize = 100;

/// The withdrawals a decision hands to the peers while it runs, as the log needs them:
/// listed while they could still be logged one per line, else only counted. A bulk
/// delete of 100,000 addresses is counted, not copied.
#[derive(Debug)]
pub(super) struct WithdrawnEarly {
    listed: Vec<IpNet>,
    unlisted: usize,
    /// Per-route lines are logged whatever the count (debug level is on).
    list_all: bool,
}

impl WithdrawnEarly {
    pub(super) fn new(list_all: bool) -> Self {
        WithdrawnEarly {
            listed: Vec::new(),
            unlisted: 0,
            list_all,
        }
    }

    /// One chunk handed over.
    pub(super) fn add(&mut self, chunk: &[IpNet]) {
        let few = self.listed.len() + chunk.len() <= ROUTE_LOG_LIMIT;
        if self.list_all || (self.unlisted == 0 && few) {
            self.listed.extend_from_slice(chunk);
        } else {
            self.unlisted += self.listed.len() + chunk.len();
            self.listed = Vec::new();
        }
    }

    /// The listed withdrawals, and how many more were only counted.
    pub(super) fn into_parts(self) -> (Vec<IpNet>, usize) {
        (self.listed, self.unlisted)
    }
}

/// One log line per route announced or withdrawn, with why.
pub(super) fn log_route_changes(
    engine: &Incremental,
    changed: &[IpNet],
    unlisted_withdrawals: usize,
) {
    let bulk = changed.len() + unlisted_withdrawals > ROUTE_LOG_LIMIT;
    if bulk {
        let announced = changed.iter().filter(|p| engine.route(p).is_some()).count();
        tracing::info!(
            announced,
            withdrawn = changed.len() - announced + unlisted_withdrawals,
            total = engine.route_count(),
            "routes changed (per-route lines at debug level)"
        );
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
    }
    for prefix in changed {
        if let Some(route) = engine.route(prefix) {
            let services: Vec<String> = engine
                .services_of(prefix)
                .iter()
                .map(ToString::to_string)
                .collect();
            // Weighted anycast: the link bandwidth decided (a decrease goes out after the
            // hold, see weight_hold).
            let weight = decide::weight::display(&route.attributes).unwrap_or_default();
            if bulk {
                tracing::debug!(%prefix, services = %services.join(","), weight, "announce");
            } else {
                tracing::info!(%prefix, services = %services.join(","), weight, "announce");
            }
            continue;
        }
        let verdicts = engine.verdicts_for(prefix.addr());
        let reasons: Vec<String> = verdicts
            .iter()
            .map(|v| format!("{}: {}", v.service, v.verdict))
            .collect();
        let shared = verdicts.len() > 1
            && verdicts
                .iter()
                .any(|v| matches!(v.verdict, decide::reason::Verdict::Announced(_)));
        let why = if reasons.is_empty() {
            "no Service has this externalIP any more".to_string()
        } else if shared {
            format!(
                "shared address held back (see the problems of its Services): {}",
                reasons.join("; ")
            )
        } else {
            reasons.join("; ")
        };
        if bulk {
            tracing::debug!(%prefix, reason = %why, "withdraw");
        } else {
            tracing::info!(%prefix, reason = %why, "withdraw");
        }
    }
}

#[cfg(test)]
mod tests;
