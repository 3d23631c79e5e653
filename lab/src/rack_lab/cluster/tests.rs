use super::*;

#[test]
fn the_state_file_round_trips_and_skips_what_it_does_not_know() {
    let e = Endpoints::initial();
    assert_eq!(e.0.len(), 5);
    assert_eq!(Endpoints::parse(&e.render()), e);
    let odd = Endpoints::parse("node9 web ready\nnode1 nope ready\nnode1 web maybe\n\n");
    assert!(odd.0.is_empty());
}

#[test]
fn gone_removes_and_terminating_replaces() {
    let mut e = Endpoints::initial();
    e.set(Node(1), "web", EndpointState::Terminating);
    assert_eq!(
        e.0.last(),
        Some(&Endpoint {
            node: Node(1),
            service: "web",
            state: EndpointState::Terminating
        })
    );
    e.set(Node(1), "web", EndpointState::Gone);
    assert!(!e.0.iter().any(|x| x.node == Node(1)));
}

#[test]
fn manifests_hold_conditions_per_node_and_an_empty_slice_when_none() {
    let mut e = Endpoints::initial();
    e.set(Node(2), "web", EndpointState::Terminating);
    for n in [2, 3] {
        e.set(Node(n), "api", EndpointState::Gone);
    }
    let y = e.manifests();
    assert!(y.contains("  - addresses: [10.244.2.10]\n    nodeName: node2\n    conditions: {ready: false, serving: true, terminating: true}\n"), "{y}");
    assert!(
        y.contains("  - addresses: [\"fd00:244:1::10\"]\n    nodeName: node1\n"),
        "{y}"
    );
    assert!(y.contains("name: api-lab-ipv6\n  namespace: demo\n  labels: {kubernetes.io/service-name: api}\naddressType: IPv6\nports: [{port: 80, protocol: TCP}]\nendpoints:\n  []\n"), "{y}");
    assert!(
        y.contains("externalIPs: [203.0.113.20, \"fd00:203::20\"]"),
        "{y}"
    );
}
