//! Telling Service owners about refusals and bad annotations: a log line always, and a
//! Kubernetes Event on the Service when the source is the API. Each problem is reported
//! once per change: the same problem on the next reconcile is not repeated, a fixed and
//! re-broken one is.

use crate::cluster::ObjectKey;
use crate::decide::ServiceProblem;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use std::collections::{BTreeSet, HashMap};

/// What was reported per Service, to report only what changed.
#[derive(Debug, Default)]
pub struct ProblemMemory {
    reported: HashMap<ObjectKey, BTreeSet<(&'static str, String)>>,
}

impl ProblemMemory {
    /// The problems not reported before; forgets Services whose problems are gone, so a
    /// problem that comes back is reported again.
    pub fn news(&mut self, problems: &[ServiceProblem]) -> Vec<ServiceProblem> {
        let mut current: HashMap<ObjectKey, BTreeSet<(&'static str, String)>> = HashMap::new();
        for p in problems {
            current
                .entry(p.service.clone())
                .or_default()
                .insert((p.code, p.message.clone()));
        }
        let news = problems
            .iter()
            .filter(|p| {
                !self
                    .reported
                    .get(&p.service)
                    .is_some_and(|seen| seen.contains(&(p.code, p.message.clone())))
            })
            .cloned()
            .collect();
        self.reported = current;
        news
    }
}

/// Where problem reports go besides the log.
pub enum EventSink {
    /// Only the log (manifest source: there is no API to write Events to).
    LogOnly,
    /// Kubernetes Events on the Service, attributed to this node's speaker.
    Kubernetes(Recorder),
}

impl EventSink {
    /// Events reported by `kube-anycast` on `node_name`.
    pub fn kubernetes(client: kube::Client, node_name: &str) -> EventSink {
        let reporter = Reporter {
            controller: "kube-anycast".into(),
            instance: Some(node_name.to_owned()),
        };
        EventSink::Kubernetes(Recorder::new(client, reporter))
    }

    /// Logs each problem, and publishes it where Events go. A failure to publish is logged,
    /// never fatal.
    pub async fn report(&self, problems: Vec<ServiceProblem>) {
        for problem in problems {
            tracing::warn!(service = %problem.service, code = problem.code, "{}", problem.message);
            if let EventSink::Kubernetes(recorder) = self {
                let reference = k8s_openapi::api::core::v1::ObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Service".into()),
                    namespace: Some(problem.service.namespace.clone()),
                    name: Some(problem.service.name.clone()),
                    ..Default::default()
                };
                let event = Event {
                    type_: EventType::Warning,
                    reason: event_reason(problem.code),
                    note: Some(truncate(&problem.message, 1024)),
                    action: "Announce".into(),
                    secondary: None,
                };
                if let Err(error) = recorder.publish(&event, &reference).await {
                    tracing::warn!(service = %problem.service, %error, "could not publish the Event");
                }
            }
        }
    }
}

/// Event reasons are UpperCamelCase by convention.
fn event_reason(code: &str) -> String {
    code.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(service: &str, message: &str) -> ServiceProblem {
        ServiceProblem {
            service: ObjectKey::new("ns", service),
            code: "invalid_annotation",
            message: message.into(),
        }
    }

    #[test]
    fn a_problem_is_reported_once_while_it_lasts() {
        let mut memory = ProblemMemory::default();
        assert_eq!(memory.news(&[problem("a", "bad med")]).len(), 1);
        assert_eq!(memory.news(&[problem("a", "bad med")]).len(), 0);
        assert_eq!(
            memory
                .news(&[problem("a", "bad med"), problem("b", "bad med")])
                .len(),
            1
        );
    }

    #[test]
    fn a_changed_or_returning_problem_is_reported_again() {
        let mut memory = ProblemMemory::default();
        memory.news(&[problem("a", "bad med")]);
        assert_eq!(memory.news(&[problem("a", "bad prepend")]).len(), 1);
        memory.news(&[]);
        assert_eq!(memory.news(&[problem("a", "bad prepend")]).len(), 1);
    }

    #[test]
    fn event_reasons_are_camel_case() {
        assert_eq!(event_reason("outside_allowed_cidrs"), "OutsideAllowedCidrs");
    }
}
