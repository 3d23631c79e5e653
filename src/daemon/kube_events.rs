//! Telling Service owners about refusals and bad annotations: a log line always, and a
//! Kubernetes Event on the Service when the source is the API.
//!
//! Every node decides the same problems, so an Event must not be one per node: its name is
//! derived from the Service (with its uid) and the problem code, every node writes the same
//! one, and a node that finds it already saying the same thing writes nothing. That also
//! keeps a restart quiet while the problem is unchanged. A changed problem updates the
//! Event (note and series count) instead of adding one, and writes are rate-limited so a
//! bulk change of thousands of Services cannot flood the API server.

use crate::cluster::ObjectKey;
use crate::decide::ServiceProblem;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, Patch, PatchParams, PostParams};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// The Event of one object about one kind of problem: every problem of that code on that
/// object, in one note. A Service's by default; [`NodeReport`] is the Node's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report<Subject = ObjectKey> {
    /// The object: a Service's key, or a Node's name.
    pub subject: Subject,
    /// Its uid, so the Event shows on `kubectl describe`.
    pub uid: Option<String>,
    /// The problem code.
    pub code: &'static str,
    /// What is wrong.
    pub note: String,
}

/// A problem of this node's speaker itself (a refused config file), for an Event on the
/// Node, by its name.
pub type NodeReport = Report<String>;

/// What was reported per Service and code, to report only what changed.
#[derive(Debug, Default)]
pub struct ProblemMemory {
    reported: HashMap<(ObjectKey, &'static str), String>,
}

impl ProblemMemory {
    /// The reports whose note is new; forgets what went away, so a problem that comes
    /// back is reported again. `uid` finds a Service's uid.
    pub fn news(
        &mut self,
        problems: &[ServiceProblem],
        uid: impl Fn(&ObjectKey) -> Option<String>,
    ) -> Vec<Report> {
        let mut current: BTreeMap<(ObjectKey, &'static str), Vec<&str>> = BTreeMap::new();
        for p in problems {
            current
                .entry((p.service.clone(), p.code))
                .or_default()
                .push(&p.message);
        }
        let current: HashMap<(ObjectKey, &'static str), String> = current
            .into_iter()
            .map(|(key, mut messages)| {
                messages.sort_unstable();
                messages.dedup();
                (key, messages.join("; "))
            })
            .collect();
        let mut news: Vec<Report> = current
            .iter()
            .filter(|(key, note)| self.reported.get(*key) != Some(*note))
            .map(|((service, code), note)| Report {
                uid: uid(service),
                subject: service.clone(),
                code,
                note: note.clone(),
            })
            .collect();
        news.sort_by(|a, b| (&a.subject, a.code).cmp(&(&b.subject, b.code)));
        self.reported = current;
        news
    }
}

/// The Event's name: the same on every node and after every restart for one Service (by
/// uid) and problem code, so the cluster holds one Event per problem.
pub fn event_name(service: &ObjectKey, uid: Option<&str>, code: &str) -> String {
    let key = format!(
        "{}/{}/{}/{code}",
        service.namespace(),
        service.name(),
        uid.unwrap_or("")
    );
    format!(
        "{}.ka-{:016x}",
        service.name(),
        xxhash_rust::xxh3::xxh3_64(key.as_bytes())
    )
}

/// At most [`BURST`] writes at once, then one per [`REFILL`]: enough for a few changes at
/// a time, while a bulk change is spread out instead of hitting the API server at once.
const BURST: u32 = 20;
const REFILL: Duration = Duration::from_millis(200);

/// A token bucket for Event writes.
#[derive(Debug)]
pub struct RateLimit {
    tokens: u32,
    last: tokio::time::Instant,
}

impl RateLimit {
    fn new() -> RateLimit {
        RateLimit {
            tokens: BURST,
            last: tokio::time::Instant::now(),
        }
    }

    /// Takes a token at `now`, or says how long to wait for one.
    fn try_take(&mut self, now: tokio::time::Instant) -> Result<(), Duration> {
        let earned = now.saturating_duration_since(self.last).as_millis() / REFILL.as_millis();
        if earned > 0 {
            self.tokens = BURST.min(
                self.tokens
                    .saturating_add(u32::try_from(earned).unwrap_or(BURST)),
            );
            self.last = now;
        }
        if self.tokens > 0 {
            self.tokens -= 1;
            Ok(())
        } else {
            Err(REFILL.saturating_sub(now.saturating_duration_since(self.last)))
        }
    }

    /// Waits until a write is allowed.
    async fn acquire(&mut self) {
        while let Err(wait) = self.try_take(tokio::time::Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Where problem reports go besides the log.
pub enum EventSink {
    /// Only the log (manifest source: there is no API to write Events to).
    LogOnly,
    /// events.k8s.io Events on the Service, reported by this node's speaker.
    Kubernetes {
        /// The client.
        client: kube::Client,
        /// `reportingInstance`.
        instance: String,
        /// Spreads out bulk writes.
        limit: RateLimit,
    },
}

impl EventSink {
    /// Events reported by `kube-anycast` on `node_name`.
    pub fn kubernetes(client: kube::Client, node_name: &str) -> EventSink {
        EventSink::Kubernetes {
            client,
            instance: format!("kube-anycast-{node_name}"),
            limit: RateLimit::new(),
        }
    }

    /// Logs each report and publishes it where Events go. A failure to publish is logged,
    /// never fatal.
    pub async fn report(&mut self, reports: Vec<Report>) {
        for report in reports {
            tracing::warn!(service = %report.subject, code = report.code, "{}", report.note);
            if let Err(error) = self.publish(&report, Target::of_service).await {
                tracing::warn!(service = %report.subject, %error, "could not publish the Event");
            }
        }
    }

    /// Publishes an Event on this node's Node (the log line is the caller's).
    pub async fn report_node(&mut self, report: NodeReport) {
        if let Err(error) = self.publish(&report, Target::of_node).await {
            tracing::warn!(node = %report.subject, %error, "could not publish the Event");
        }
    }

    /// Writes `report` as the Event `target` makes of it, in its turn under the rate
    /// limit; nothing where Events do not go.
    async fn publish<Subject>(
        &mut self,
        report: &Report<Subject>,
        target: fn(&Report<Subject>) -> Target,
    ) -> kube::Result<()> {
        if let EventSink::Kubernetes {
            client,
            instance,
            limit,
        } = self
        {
            limit.acquire().await;
            upsert(client, instance, target(report), report.code, &report.note).await?;
        }
        Ok(())
    }
}

/// Where one Event goes: its namespace and deterministic name, and the object it is about.
struct Target {
    namespace: String,
    name: String,
    regarding: ObjectReference,
}

impl Target {
    fn of_service(report: &Report) -> Target {
        Target {
            namespace: report.subject.namespace().to_string(),
            name: event_name(&report.subject, report.uid.as_deref(), report.code),
            regarding: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Service".into()),
                namespace: Some(report.subject.namespace().to_string()),
                name: Some(report.subject.name().to_string()),
                uid: report.uid.clone(),
                ..Default::default()
            },
        }
    }

    /// Events about a Node go to `default`, as the kubelet's do, so `kubectl describe
    /// node` shows them.
    fn of_node(report: &NodeReport) -> Target {
        let key = format!(
            "{}/{}/{}",
            report.subject,
            report.uid.as_deref().unwrap_or(""),
            report.code
        );
        Target {
            namespace: "default".into(),
            name: format!(
                "{}.ka-{:016x}",
                report.subject,
                xxhash_rust::xxh3::xxh3_64(key.as_bytes())
            ),
            regarding: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Node".into()),
                name: Some(report.subject.clone()),
                uid: report.uid.clone(),
                ..Default::default()
            },
        }
    }
}

/// Creates the Event, or updates it when its note differs; leaves it alone when it already
/// says the same (another node or an earlier run wrote it).
async fn upsert(
    client: &kube::Client,
    instance: &str,
    target: Target,
    code: &str,
    note: &str,
) -> kube::Result<()> {
    let api: Api<Event> = Api::namespaced(client.clone(), &target.namespace);
    let note = truncate(note, 1024);
    // Two nodes may race to create it; the loser finds it on its second look.
    for _ in 0..2 {
        match api.get_opt(&target.name).await? {
            Some(existing) if existing.note.as_deref() == Some(note.as_str()) => return Ok(()),
            Some(existing) => {
                let count = existing.series.as_ref().map_or(1, |s| s.count) + 1;
                let patch = serde_json::json!({
                    "note": note,
                    "series": EventSeries { count, last_observed_time: now() },
                });
                api.patch(&target.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                return Ok(());
            }
            None => {
                let event = new_event(&target, instance, code, note.clone());
                match api.create(&PostParams::default(), &event).await {
                    Err(kube::Error::Api(status)) if status.code == 409 => continue,
                    other => return other.map(|_| ()),
                }
            }
        }
    }
    Ok(())
}

fn new_event(target: &Target, instance: &str, code: &str, note: String) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(target.name.clone()),
            namespace: Some(target.namespace.clone()),
            ..Default::default()
        },
        action: Some("Announce".into()),
        event_time: Some(now()),
        note: Some(note),
        reason: Some(event_reason(code)),
        regarding: Some(target.regarding.clone()),
        reporting_controller: Some("kube-anycast.io/speaker".into()),
        reporting_instance: Some(instance.to_owned()),
        type_: Some("Warning".into()),
        ..Default::default()
    }
}

fn now() -> MicroTime {
    MicroTime(k8s_openapi::jiff::Timestamp::now())
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
mod tests;
