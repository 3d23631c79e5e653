//! The rack's cluster: which node has an endpoint of which Service in which state (the
//! `endpoints` state file, lines `NODE SERVICE STATE`) and the manifests file the
//! speakers watch, generated from it. Pure: the verbs read and write the files.

use super::plan::{Node, SERVICES, Service};
use std::fmt::Write as _;

/// An endpoint's state, as `set-endpoint` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointState {
    /// Ready and serving.
    Ready,
    /// Terminating but still serving.
    Terminating,
    /// No endpoint on the node.
    Gone,
}

impl EndpointState {
    /// `ready`, `terminating` or `gone`.
    pub fn parse(word: &str) -> Option<EndpointState> {
        match word {
            "ready" => Some(EndpointState::Ready),
            "terminating" => Some(EndpointState::Terminating),
            "gone" => Some(EndpointState::Gone),
            _ => None,
        }
    }

    /// The word `parse` reads.
    pub fn word(self) -> &'static str {
        match self {
            EndpointState::Ready => "ready",
            EndpointState::Terminating => "terminating",
            EndpointState::Gone => "gone",
        }
    }

    /// The EndpointSlice conditions of this state.
    fn conditions(self) -> Option<&'static str> {
        match self {
            EndpointState::Ready => Some("{ready: true, serving: true, terminating: false}"),
            EndpointState::Terminating => Some("{ready: false, serving: true, terminating: true}"),
            EndpointState::Gone => None,
        }
    }
}

/// One node's endpoint of one Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The node it runs on.
    pub node: Node,
    /// The Service's name.
    pub service: &'static str,
    /// Ready or terminating (gone endpoints are not kept).
    pub state: EndpointState,
}

/// The endpoints of the cluster, in the order they were set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints(pub Vec<Endpoint>);

impl Endpoints {
    /// Every Service's initial nodes, ready.
    pub fn initial() -> Endpoints {
        Endpoints(
            SERVICES
                .iter()
                .flat_map(|s| {
                    s.initial_nodes.iter().map(|n| Endpoint {
                        node: Node(*n),
                        service: s.name,
                        state: EndpointState::Ready,
                    })
                })
                .collect(),
        )
    }

    /// Reads the state file's lines; lines naming no known node, Service or state are
    /// skipped.
    pub fn parse(text: &str) -> Endpoints {
        Endpoints(
            text.lines()
                .filter_map(|line| {
                    let mut words = line.split_whitespace();
                    let node = Node::parse(words.next()?)?;
                    let service = Service::find(words.next()?)?.name;
                    let state = EndpointState::parse(words.next()?)?;
                    (state != EndpointState::Gone).then_some(Endpoint {
                        node,
                        service,
                        state,
                    })
                })
                .collect(),
        )
    }

    /// The state file's text.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|e| format!("{} {} {}\n", e.node.name(), e.service, e.state.word()))
            .collect()
    }

    /// Sets `node`'s endpoint of `service` (last in order, as `set-endpoint` appends);
    /// `Gone` removes it.
    pub fn set(&mut self, node: Node, service: &'static str, state: EndpointState) {
        self.0.retain(|e| !(e.node == node && e.service == service));
        if state != EndpointState::Gone {
            self.0.push(Endpoint {
                node,
                service,
                state,
            });
        }
    }

    /// The cluster as a multi-document YAML manifests file: the Nodes, then each Service
    /// with one EndpointSlice per family. Pod addresses are made up (10.244.N.x,
    /// fd00:244:N::x): only nodeName and the conditions matter to the speakers.
    pub fn manifests(&self) -> String {
        let mut y = String::new();
        for node in Node::all() {
            let _ = write!(
                y,
                "apiVersion: v1\nkind: Node\nmetadata: {{name: {}}}\n---\n",
                node.name()
            );
        }
        for s in SERVICES {
            let _ = write!(
                y,
                "apiVersion: v1\nkind: Service\nmetadata: {{name: {}, namespace: demo}}\n\
                 spec:\n  type: ClusterIP\n  ipFamilyPolicy: RequireDualStack\n\
                 \x20 externalIPs: [{}, \"{}\"]\n  ports: [{{port: 80, protocol: TCP}}]\n---\n",
                s.name, s.v4, s.v6
            );
            for ipv6 in [false, true] {
                self.endpoint_slice(&s, ipv6, &mut y);
            }
        }
        y
    }

    fn endpoint_slice(&self, s: &Service, ipv6: bool, y: &mut String) {
        let family = if ipv6 { "IPv6" } else { "IPv4" };
        let _ = write!(
            y,
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
             metadata:\n  name: {}-lab-{}\n  namespace: demo\n\
             \x20 labels: {{kubernetes.io/service-name: {}}}\n\
             addressType: {family}\nports: [{{port: 80, protocol: TCP}}]\nendpoints:\n",
            s.name,
            family.to_ascii_lowercase(),
            s.name
        );
        let mut any = false;
        for e in self.0.iter().filter(|e| e.service == s.name) {
            let Some(conditions) = e.state.conditions() else {
                continue;
            };
            let address = if ipv6 {
                format!("\"fd00:244:{}::{:x}\"", e.node.0, s.v6.segments()[7])
            } else {
                format!("10.244.{}.{}", e.node.0, s.v4.octets()[3])
            };
            let _ = write!(
                y,
                "  - addresses: [{address}]\n    nodeName: {}\n    conditions: {conditions}\n",
                e.node.name()
            );
            any = true;
        }
        if !any {
            y.push_str("  []\n");
        }
        y.push_str("---\n");
    }
}

#[cfg(test)]
mod tests;
