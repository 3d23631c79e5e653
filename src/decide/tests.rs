//! One test per announce rule of SPEC sections 4 and 5. Each builds the smallest cluster
//! that exercises its rule and would fail if the rule were removed.

use super::reason::{AnnouncedBecause, Reason, Verdict};
use super::*;
use crate::annotation_communities::CommunityPattern;
use crate::config::{AnnounceConfig, ServiceSelection};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::sync::Arc;

const NODE: &str = "node-a";
const IP4: &str = "203.0.113.10";
const IP6: &str = "2001:db8:100::10";

pub(super) fn announce_config() -> AnnounceConfig {
    AnnounceConfig {
        allowed_cidrs: vec![
            "203.0.113.0/24".parse().unwrap(),
            "2001:db8:100::/64".parse().unwrap(),
        ],
        pools: vec![],
        services: ServiceSelection::All,
        namespaces: BTreeSet::new(),
        communities: vec![],
        large_communities: vec![],
        annotation_communities: vec![CommunityPattern::Asn(65010)],
        allow_cross_namespace_sharing: false,
        weighted: Default::default(),
    }
}

fn peer_names() -> BTreeSet<String> {
    ["tor-a", "tor-b"].into_iter().map(String::from).collect()
}

/// Service `web/name` as a cluster prints it, with these externalIPs.
fn service(name: &str, ips: &[&str]) -> Service {
    let printed = lab::objects::Service::new("web", name)
        .external_ips(ips)
        .build();
    serde_json::from_value(printed).expect("a printed Service parses")
}

fn annotate(mut s: Service, key: &str, value: &str) -> Service {
    s.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(key.into(), value.into());
    s
}

/// An endpoint: (address, node, ready, serving, terminating); `None` conditions are left out.
type Ep<'a> = (&'a str, &'a str, Option<bool>, Option<bool>, Option<bool>);

fn slice(service: &str, name: &str, address_type: &str, endpoints: &[Ep<'_>]) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("web".into()),
            labels: Some(
                [(
                    endpoints::SERVICE_NAME_LABEL.to_string(),
                    service.to_string(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        address_type: address_type.into(),
        endpoints: endpoints
            .iter()
            .map(|(addr, node, ready, serving, terminating)| Endpoint {
                addresses: vec![addr.to_string()],
                node_name: Some(node.to_string()),
                conditions: Some(EndpointConditions {
                    ready: *ready,
                    serving: *serving,
                    terminating: *terminating,
                }),
                ..Default::default()
            })
            .collect(),
        ports: None,
    }
}

fn ready(addr: &'static str, node: &'static str) -> Ep<'static> {
    (addr, node, Some(true), Some(true), Some(false))
}

fn terminating(addr: &'static str, node: &'static str) -> Ep<'static> {
    (addr, node, Some(false), Some(true), Some(true))
}

struct World {
    cluster: ClusterState,
    announce: AnnounceConfig,
}

impl World {
    fn new() -> World {
        World {
            cluster: ClusterState::default(),
            announce: announce_config(),
        }
    }

    fn with_service(mut self, s: Service) -> World {
        let key = ObjectKey::of(&s.metadata).unwrap();
        self.cluster.upsert_service(key, s);
        self
    }

    fn with_slice(mut self, s: EndpointSlice) -> World {
        let key = ObjectKey::of(&s.metadata).unwrap();
        self.cluster.upsert_slice(key, s);
        self
    }

    fn with_node(mut self, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> World {
        let map = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        self.cluster.set_node(Some(Node {
            metadata: ObjectMeta {
                name: Some(NODE.into()),
                labels: map(labels),
                annotations: map(annotations),
                ..Default::default()
            },
            ..Default::default()
        }));
        self
    }

    /// `announce.communities: [65010:100]`, the community the config puts on every route.
    fn with_config_community(mut self) -> World {
        self.announce.communities = vec![Community::new(65010, 100)];
        self
    }

    fn decide(&self) -> Decision {
        let names = peer_names();
        decide(
            &self.cluster,
            Settings {
                node_name: NODE,
                local_asn: bgp::Asn(65001),
                announce: &self.announce,
                peer_names: &names,
            },
        )
    }
}

fn verdict_of(d: &Decision, service: &str, ip: &str) -> Verdict {
    d.verdicts
        .iter()
        .find(|v| *v.service.name() == *service && &*v.external_ip == ip)
        .unwrap_or_else(|| panic!("no verdict for {service} {ip}: {:?}", d.verdicts))
        .verdict
        .clone()
}

/// Asserts the verdict on Service `app`'s IPv4 externalIP: the address most rules vary.
fn assert_app_verdict(d: &Decision, expected: Verdict) {
    assert_eq!(verdict_of(d, "app", IP4), expected, "Service app, {IP4}");
}

/// The decision's first route; `expected` says why there is one.
fn first_route<'a>(d: &'a Decision, expected: &str) -> &'a Route {
    d.routes.values().next().expect(expected)
}

fn announced(d: &Decision, ip: &str) -> bool {
    d.routes
        .contains_key(&IpNet::from(ip.parse::<std::net::IpAddr>().unwrap()))
}

/// Service `s`, named `app`, with `endpoints` in its one IPv4 slice.
fn serving(s: Service, endpoints: &[Ep<'_>]) -> World {
    World::new()
        .with_service(s)
        .with_slice(slice("app", "app-1", "IPv4", endpoints))
}

/// A Service with one ready endpoint on this node: the base case the rules below vary.
fn served_here() -> World {
    serving(service("app", &[IP4]), &[ready("10.0.0.1", NODE)])
}

#[test]
fn local_ready_endpoint_announces_a_host_route() {
    let d = served_here().decide();
    assert_app_verdict(&d, Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint));
    assert!(d.routes.contains_key(&"203.0.113.10/32".parse().unwrap()));
    assert_eq!(d.routes.len(), 1);
}

#[test]
fn no_endpoints_anywhere_does_not_announce() {
    let d = World::new().with_service(service("app", &[IP4])).decide();
    assert_app_verdict(&d, Verdict::NotAnnounced(Reason::NoEndpoints));
}

/// SPEC 4.2: which endpoints of the Service's slice make this node announce, by their
/// node and conditions.
#[test]
fn endpoint_states_decide_the_verdict() {
    let not_ready = ("10.0.0.1", NODE, Some(false), Some(false), Some(false));
    let no_conditions = ("10.0.0.1", NODE, None, None, None);
    let terminating_not_serving = ("10.0.0.1", NODE, Some(false), Some(false), Some(true));
    let cases: [(&str, Vec<Ep<'_>>, Verdict); 6] = [
        (
            "a ready endpoint only elsewhere does not announce",
            vec![ready("10.0.0.2", "node-b")],
            Verdict::NotAnnounced(Reason::NoLocalEndpoints),
        ),
        (
            "a not-ready local endpoint does not announce",
            vec![not_ready],
            Verdict::NotAnnounced(Reason::NoEndpoints),
        ),
        (
            "missing conditions default to ready",
            vec![no_conditions],
            Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint),
        ),
        (
            "a serving terminating local endpoint keeps announcing while none is ready",
            vec![
                terminating("10.0.0.1", NODE),
                terminating("10.0.0.2", "node-b"),
            ],
            Verdict::Announced(AnnouncedBecause::LocalTerminatingFallback),
        ),
        (
            "a terminating local endpoint withdraws once a ready one exists elsewhere",
            vec![terminating("10.0.0.1", NODE), ready("10.0.0.2", "node-b")],
            Verdict::NotAnnounced(Reason::NoLocalEndpoints),
        ),
        (
            "a terminating endpoint that is not serving does not announce",
            vec![terminating_not_serving],
            Verdict::NotAnnounced(Reason::NoEndpoints),
        ),
    ];
    for (case, endpoints, expected) in cases {
        let d = serving(service("app", &[IP4]), &endpoints).decide();
        assert_eq!(verdict_of(&d, "app", IP4), expected, "{case}");
        let routes = usize::from(matches!(expected, Verdict::Announced(_)));
        assert_eq!(
            d.routes.len(),
            routes,
            "{case}: the route follows the verdict"
        );
    }
}

#[test]
fn endpoints_of_the_other_family_do_not_count() {
    let w = World::new()
        .with_service(service("app", &[IP4, IP6]))
        .with_slice(slice("app", "s6", "IPv6", &[ready("fd00::1", NODE)]));
    let d = w.decide();
    assert_app_verdict(&d, Verdict::NotAnnounced(Reason::NoEndpoints));
    assert_eq!(
        verdict_of(&d, "app", IP6),
        Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint)
    );
    assert!(announced(&d, IP6) && !announced(&d, IP4));
}

#[test]
fn endpoints_are_the_union_of_all_slices_of_the_service() {
    let w = World::new()
        .with_service(service("app", &[IP4]))
        .with_slice(slice("app", "s1", "IPv4", &[ready("10.0.0.2", "node-b")]))
        .with_slice(slice("app", "s2", "IPv4", &[ready("10.0.0.1", NODE)]));
    assert!(announced(&w.decide(), IP4));
}

#[test]
fn slices_of_other_services_or_namespaces_do_not_count() {
    let mut other_ns = slice("app", "s2", "IPv4", &[ready("10.0.0.1", NODE)]);
    other_ns.metadata.namespace = Some("other".into());
    let w = World::new()
        .with_service(service("app", &[IP4]))
        .with_slice(slice("other-app", "s1", "IPv4", &[ready("10.0.0.1", NODE)]))
        .with_slice(other_ns);
    assert_app_verdict(&w.decide(), Verdict::NotAnnounced(Reason::NoEndpoints));
}

#[test]
fn duplicate_endpoint_in_two_slices_counts_once_with_its_best_state() {
    // During a slice handover the same address can appear twice: not-ready in the old
    // slice and ready in the new. It is one endpoint, and it is ready.
    let w = World::new()
        .with_service(service("app", &[IP4]))
        .with_slice(slice(
            "app",
            "old",
            "IPv4",
            &[("10.0.0.1", NODE, Some(false), Some(false), Some(false))],
        ))
        .with_slice(slice("app", "new", "IPv4", &[ready("10.0.0.1", NODE)]));
    assert!(announced(&w.decide(), IP4));
}

#[test]
fn external_name_headless_and_other_proxy_services_are_skipped() {
    let mut external_name = service("ext", &[IP4]);
    external_name.spec.as_mut().unwrap().type_ = Some("ExternalName".into());
    let mut headless = service("headless", &[IP4]);
    headless.spec.as_mut().unwrap().cluster_ip = Some("None".into());
    let mut proxied = service("proxied", &[IP4]);
    proxied.metadata.labels =
        Some([(SERVICE_PROXY_NAME_LABEL.to_string(), "other".to_string())].into());
    let ep = [ready("10.0.0.1", NODE)];
    let w = World::new()
        .with_service(external_name)
        .with_service(headless)
        .with_service(proxied)
        .with_slice(slice("ext", "a", "IPv4", &ep))
        .with_slice(slice("headless", "b", "IPv4", &ep))
        .with_slice(slice("proxied", "c", "IPv4", &ep));
    let d = w.decide();
    assert_eq!(
        verdict_of(&d, "ext", IP4),
        Verdict::NotAnnounced(Reason::ExternalName)
    );
    assert_eq!(
        verdict_of(&d, "headless", IP4),
        Verdict::NotAnnounced(Reason::Headless)
    );
    assert_eq!(
        verdict_of(&d, "proxied", IP4),
        Verdict::NotAnnounced(Reason::OtherServiceProxy)
    );
    assert!(d.routes.is_empty());
}

#[test]
fn namespaces_allow_list_filters_services() {
    let mut w = served_here();
    w.announce.namespaces = BTreeSet::from(["prod".to_string()]);
    assert_app_verdict(
        &w.decide(),
        Verdict::NotAnnounced(Reason::NamespaceNotAllowed),
    );
    w.announce.namespaces = BTreeSet::from(["web".to_string()]);
    assert!(announced(&w.decide(), IP4));
}

#[test]
fn annotated_mode_announces_only_opted_in_services() {
    let mut w = served_here();
    w.announce.services = ServiceSelection::Annotated;
    assert_app_verdict(&w.decide(), Verdict::NotAnnounced(Reason::NotOptedIn));
    let s = annotate(service("app", &[IP4]), annotations::ANNOUNCE, "true");
    let w = w.with_service(s);
    assert!(announced(&w.decide(), IP4));
}

#[test]
fn announce_false_opts_out() {
    let w = served_here().with_service(annotate(
        service("app", &[IP4]),
        annotations::ANNOUNCE,
        "false",
    ));
    assert_app_verdict(&w.decide(), Verdict::NotAnnounced(Reason::AnnotationOff));
}

#[test]
fn addresses_outside_allowed_cidrs_are_refused_and_reported() {
    let w = serving(
        service("app", &["8.8.8.8", IP4]),
        &[ready("10.0.0.1", NODE)],
    );
    let d = w.decide();
    assert_eq!(
        verdict_of(&d, "app", "8.8.8.8"),
        Verdict::NotAnnounced(Reason::Address(
            address::AddressRefusal::OutsideAllowedCidrs
        ))
    );
    assert!(!announced(&d, "8.8.8.8"));
    assert!(
        announced(&d, IP4),
        "the valid address of the same Service is unaffected"
    );
    assert_eq!(d.problems.len(), 1);
    assert_eq!(d.problems[0].code, "outside_allowed_cidrs");
}

#[test]
fn empty_allowed_cidrs_announce_nothing() {
    let mut w = served_here();
    w.announce.allowed_cidrs.clear();
    assert!(w.decide().routes.is_empty());
}

#[test]
fn special_range_addresses_are_refused_even_inside_allowed_cidrs() {
    let mut w = serving(
        service("app", &["127.0.0.1", "fe80::1"]),
        &[ready("10.0.0.1", NODE)],
    )
    .with_slice(slice("app", "s6", "IPv6", &[ready("fd00::1", NODE)]));
    w.announce.allowed_cidrs = vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()];
    let d = w.decide();
    assert!(d.routes.is_empty());
    assert!(matches!(
        verdict_of(&d, "app", "127.0.0.1"),
        Verdict::NotAnnounced(Reason::Address(address::AddressRefusal::SpecialRange(_)))
    ));
    assert!(matches!(
        verdict_of(&d, "app", "fe80::1"),
        Verdict::NotAnnounced(Reason::Address(address::AddressRefusal::SpecialRange(_)))
    ));
}

#[test]
fn unparsable_external_ip_is_refused() {
    let w = World::new().with_service(service("app", &["not-an-ip"]));
    let d = w.decide();
    assert_eq!(
        verdict_of(&d, "app", "not-an-ip"),
        Verdict::NotAnnounced(Reason::Address(address::AddressRefusal::Unparsable))
    );
    assert_eq!(d.problems.len(), 1);
}

#[test]
fn excluded_node_announces_nothing() {
    let w = served_here().with_node(&[(EXCLUDE_NODE_LABEL, "")], &[]);
    assert_withdrawn(&w.decide(), Reason::NodeExcluded);
}

#[test]
fn drained_node_adds_graceful_shutdown_to_every_route() {
    let w = served_here().with_node(&[], &[(annotations::DRAIN, "true")]);
    let d = w.decide();
    assert!(d.drained);
    let route = first_route(&d, "still announced while drained");
    assert!(
        route
            .attributes
            .communities
            .contains(&Community::GRACEFUL_SHUTDOWN)
    );
    let undrained = served_here().with_node(&[], &[]).decide();
    let route = first_route(&undrained, "announced");
    assert!(
        !route
            .attributes
            .communities
            .contains(&Community::GRACEFUL_SHUTDOWN)
    );
}

/// Service `app` annotated `announce-from: cluster`.
fn from_cluster() -> Service {
    annotate(
        service("app", &[IP4]),
        annotations::ANNOUNCE_FROM,
        "cluster",
    )
}

/// `s` with its one ready endpoint on another node.
fn served_elsewhere(s: Service) -> World {
    serving(s, &[ready("10.0.0.2", "node-b")])
}

#[test]
fn announce_from_cluster_announces_from_every_node_while_endpoints_exist() {
    let s = from_cluster();
    let w = served_elsewhere(s.clone());
    assert_app_verdict(
        &w.decide(),
        Verdict::Announced(AnnouncedBecause::AnnounceFromCluster),
    );
    let empty = World::new().with_service(s);
    assert_app_verdict(&empty.decide(), Verdict::NotAnnounced(Reason::NoEndpoints));
}

#[test]
fn announce_from_cluster_is_refused_with_local_traffic_policy() {
    let mut s = from_cluster();
    s.spec.as_mut().unwrap().external_traffic_policy = Some("Local".into());
    let w = served_elsewhere(s);
    let d = w.decide();
    assert_app_verdict(&d, Verdict::NotAnnounced(Reason::NoLocalEndpoints));
    assert!(
        d.problems
            .iter()
            .any(|p| p.code == "announce_from_cluster_refused")
    );
}

#[test]
fn announce_from_cluster_still_respects_the_exclude_label() {
    let w = served_elsewhere(from_cluster()).with_node(&[(EXCLUDE_NODE_LABEL, "true")], &[]);
    assert_app_verdict(&w.decide(), Verdict::NotAnnounced(Reason::NodeExcluded));
}

#[test]
fn annotations_set_route_attributes_and_peers() {
    let mut s = service("app", &[IP4]);
    for (k, v) in [
        (annotations::COMMUNITIES, "65010:7"),
        (annotations::LARGE_COMMUNITIES, "65010:1:2"),
        (annotations::MED, "50"),
        (annotations::LOCAL_PREFERENCE, "200"),
        (annotations::AS_PATH_PREPEND, "3"),
        (annotations::PEERS, "tor-b"),
    ] {
        s = annotate(s, k, v);
    }
    let w = served_here().with_service(s).with_config_community();
    let d = w.decide();
    let route = first_route(&d, "announced");
    assert_eq!(
        route.attributes.communities,
        vec![Community::new(65010, 7), Community::new(65010, 100)]
    );
    assert_eq!(route.attributes.large_communities.len(), 1);
    assert_eq!(route.attributes.med, Some(50));
    assert_eq!(route.attributes.local_pref, Some(200));
    assert_eq!(route.attributes.as_path_prepend, 3);
    assert_eq!(
        route.peers,
        PeerSelection::Only(Arc::new(BTreeSet::from(["tor-b".to_string()])))
    );
    assert!(!route.peers.includes("tor-a"));
}

#[test]
fn a_bad_annotation_takes_its_default_and_the_others_apply() {
    let good = annotate(service("app", &[IP4]), annotations::MED, "10");
    let first = served_here().with_service(good).decide();
    assert_eq!(first_route(&first, "announced").attributes.med, Some(10));

    let bad = annotate(
        annotate(service("app", &[IP4]), annotations::MED, "ten"),
        annotations::LOCAL_PREFERENCE,
        "300",
    );
    let d = served_here().with_service(bad).decide();
    let route = first_route(&d, "still announced");
    assert_eq!(route.attributes.med, None, "the bad MED takes its default");
    assert_eq!(
        route.attributes.local_pref,
        Some(300),
        "the good key applies"
    );
    assert_eq!(d.problems.len(), 1);
    assert_eq!(d.problems[0].code, "invalid_annotation");
    assert!(d.problems[0].message.contains("kube-anycast.io/med"));
}

#[test]
fn a_decision_depends_only_on_the_current_state() {
    // SPEC 4.8: whatever was decided before, the same cluster decides the same routes (a
    // restart, `plan` and `run` agree).
    let bad = || annotate(service("app", &[IP4]), annotations::MED, "ten");
    let after_a_good_value = {
        let mut w =
            served_here().with_service(annotate(service("app", &[IP4]), annotations::MED, "10"));
        let _ = w.decide();
        w = w.with_service(bad());
        w.decide()
    };
    let fresh = served_here().with_service(bad()).decide();
    assert_eq!(after_a_good_value, fresh);
}

#[test]
fn a_bad_announce_value_is_ignored_and_others_are_unaffected() {
    let w = served_here()
        .with_service(annotate(
            service("bad", &["203.0.113.20"]),
            annotations::ANNOUNCE,
            "maybe",
        ))
        .with_slice(slice("bad", "b", "IPv4", &[ready("10.0.0.9", NODE)]));
    let d = w.decide();
    assert_eq!(
        verdict_of(&d, "bad", "203.0.113.20"),
        Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint),
        "announce takes its default (services: all)"
    );
    assert!(d.problems.iter().any(|p| p.code == "invalid_annotation"));
    assert_app_verdict(&d, Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint));
    assert_eq!(d.routes.len(), 2);
}

fn in_namespace(mut s: Service, namespace: &str) -> Service {
    s.metadata.namespace = Some(namespace.into());
    s
}

fn problems_of<'a>(d: &'a Decision, service: &str, code: &str) -> Vec<&'a ServiceProblem> {
    d.problems
        .iter()
        .filter(|p| *p.service.name() == *service && p.code == code)
        .collect()
}

const SHARED: &str = "203.0.113.10/32";

#[test]
fn shared_address_is_announced_where_every_sharing_service_is() {
    let w = World::new()
        .with_service(service("a", &[IP4]))
        .with_service(service("b", &[IP4]))
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]))
        .with_slice(slice("b", "sb", "IPv4", &[ready("10.0.0.2", NODE)]));
    let d = w.decide();
    let route = &d.routes[&SHARED.parse().unwrap()];
    assert_eq!(route.services.len(), 2);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

#[test]
fn two_local_services_sharing_an_address_with_pods_on_different_nodes_are_not_announced() {
    // a's pods here, b's on node-b: announcing here would drop b's ports (and node-b
    // would drop a's).
    let mut a = service("a", &[IP4]);
    let mut b = service("b", &[IP4]);
    for s in [&mut a, &mut b] {
        s.spec.as_mut().unwrap().external_traffic_policy = Some("Local".into());
    }
    let w = World::new()
        .with_service(a)
        .with_service(b)
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]))
        .with_slice(slice("b", "sb", "IPv4", &[ready("10.0.0.2", "node-b")]));
    let d = w.decide();
    assert!(d.routes.is_empty());
    let narrowed = problems_of(&d, "b", "shared_ip_narrowed");
    assert_eq!(narrowed.len(), 1, "{:?}", d.problems);
    assert!(
        narrowed[0].message.contains("web/a"),
        "names the other Service"
    );
    assert!(problems_of(&d, "a", "shared_ip_narrowed").is_empty());
}

#[test]
fn a_service_that_opts_out_blocks_a_shared_address() {
    let w = World::new()
        .with_service(service("a", &[IP4]))
        .with_service(annotate(
            service("b", &[IP4]),
            annotations::ANNOUNCE,
            "false",
        ))
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]))
        .with_slice(slice("b", "sb", "IPv4", &[ready("10.0.0.2", NODE)]));
    let d = w.decide();
    assert!(d.routes.is_empty());
    assert_eq!(problems_of(&d, "b", "shared_ip_narrowed").len(), 1);
}

#[test]
fn services_kube_proxy_does_not_serve_do_not_take_part_in_sharing() {
    let mut other = service("b", &[IP4]);
    other
        .metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(SERVICE_PROXY_NAME_LABEL.into(), "other".into());
    let d = served_here().with_service(other).decide();
    assert_eq!(d.routes[&SHARED.parse().unwrap()].services.len(), 1);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

#[test]
fn sharing_across_namespaces_is_refused_by_default() {
    let w = World::new()
        .with_service(service("a", &[IP4]))
        .with_service(in_namespace(service("b", &[IP4]), "team-b"))
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]));
    let d = w.decide();
    assert!(d.routes.is_empty());
    let on_a = problems_of(&d, "a", "shared_ip_cross_namespace");
    let on_b = problems_of(&d, "b", "shared_ip_cross_namespace");
    assert_eq!((on_a.len(), on_b.len()), (1, 1), "{:?}", d.problems);
    assert!(on_a[0].message.contains("team-b/b"));
    assert!(on_b[0].message.contains("web/a"));
}

#[test]
fn sharing_across_namespaces_is_allowed_when_configured() {
    let mut w = World::new()
        .with_service(service("a", &[IP4]))
        .with_service(in_namespace(service("b", &[IP4]), "team-b"))
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]));
    let mut b_slice = slice("b", "sb", "IPv4", &[ready("10.0.0.2", NODE)]);
    b_slice.metadata.namespace = Some("team-b".into());
    w = w.with_slice(b_slice);
    w.announce.allow_cross_namespace_sharing = true;
    let d = w.decide();
    assert_eq!(d.routes[&SHARED.parse().unwrap()].services.len(), 2);
}

fn sharing_pair(a_med: &str, b_med: &str) -> World {
    World::new()
        .with_service(annotate(service("a", &[IP4]), annotations::MED, a_med))
        .with_service(annotate(service("b", &[IP4]), annotations::MED, b_med))
        .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]))
        .with_slice(slice("b", "sb", "IPv4", &[ready("10.0.0.2", NODE)]))
        .with_config_community()
}

#[test]
fn sharing_services_that_agree_keep_their_attributes() {
    let d = sharing_pair("20", "20").decide();
    assert_eq!(d.routes[&SHARED.parse().unwrap()].attributes.med, Some(20));
    assert!(d.problems.is_empty());
}

#[test]
fn sharing_services_that_disagree_get_the_config_defaults_and_a_problem() {
    let w = sharing_pair("20", "10");
    let w = w.with_service(annotate(
        annotate(service("b", &[IP4]), annotations::MED, "10"),
        annotations::COMMUNITIES,
        "65010:2",
    ));
    let d = w.decide();
    let route = &d.routes[&SHARED.parse().unwrap()];
    assert_eq!(route.attributes.med, None, "no MED is the default");
    assert_eq!(
        route.attributes.communities,
        vec![Community::new(65010, 100)],
        "no union: only the config's communities"
    );
    assert_eq!(route.peers, PeerSelection::All);
    for name in ["a", "b"] {
        let conflict = problems_of(&d, name, "shared_ip_conflict");
        assert_eq!(conflict.len(), 1, "{:?}", d.problems);
        assert!(conflict[0].message.contains("med"));
        assert!(conflict[0].message.contains("communities"));
    }
}

#[test]
fn duplicate_external_ips_in_one_service_are_one_verdict() {
    let w = serving(service("app", &[IP4, IP4]), &[ready("10.0.0.1", NODE)]);
    assert_eq!(w.decide().verdicts.len(), 1);
}

#[test]
fn removed_service_leaves_no_route() {
    let first = served_here().decide();
    assert_eq!(first.routes.len(), 1);
    assert!(World::new().decide().routes.is_empty());
}

/// This node's Node, changed by `change`.
fn this_node(change: impl FnOnce(&mut Node)) -> Node {
    let mut node = Node {
        metadata: ObjectMeta {
            name: Some(NODE.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    change(&mut node);
    node
}

/// `served_here()` with this node's Node changed by `change`.
fn served_on_node(change: impl FnOnce(&mut Node)) -> World {
    let mut w = served_here();
    w.cluster.set_node(Some(this_node(change)));
    w
}

/// Asserts that this node withdraws every route, and why.
fn assert_withdrawn(d: &Decision, reason: Reason) {
    assert_app_verdict(d, Verdict::NotAnnounced(reason));
    assert!(d.routes.is_empty(), "{:?}", d.routes);
}

/// Sets the Node's `NetworkUnavailable` condition to `status`.
fn network_unavailable(status: &str) -> impl FnOnce(&mut Node) + '_ {
    use k8s_openapi::api::core::v1::{NodeCondition, NodeStatus};
    move |n: &mut Node| {
        n.status = Some(NodeStatus {
            conditions: Some(vec![NodeCondition {
                type_: "NetworkUnavailable".into(),
                status: status.into(),
                ..Default::default()
            }]),
            ..Default::default()
        })
    }
}

#[test]
fn network_unavailable_node_withdraws_everything() {
    let d = served_on_node(network_unavailable("True")).decide();
    assert_withdrawn(&d, Reason::NodeUnhealthy(NodeUnhealthy::NetworkUnavailable));
    let recovered = served_on_node(network_unavailable("False"));
    assert_eq!(recovered.decide().routes.len(), 1);
}

#[test]
fn node_being_deleted_withdraws_everything() {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    let w = served_on_node(|n| {
        n.metadata.deletion_timestamp = Some(Time(Default::default()));
    });
    assert_withdrawn(&w.decide(), Reason::NodeUnhealthy(NodeUnhealthy::Deleting));
}

fn taint(key: &str) -> impl FnOnce(&mut Node) + '_ {
    move |n: &mut Node| {
        n.spec = Some(k8s_openapi::api::core::v1::NodeSpec {
            taints: Some(vec![k8s_openapi::api::core::v1::Taint {
                key: key.into(),
                effect: "NoSchedule".into(),
                ..Default::default()
            }]),
            ..Default::default()
        })
    }
}

#[test]
fn autoscaler_to_be_deleted_taint_withdraws_everything() {
    let d = served_on_node(taint(TO_BE_DELETED_TAINT)).decide();
    assert_withdrawn(&d, Reason::NodeUnhealthy(NodeUnhealthy::ToBeDeleted));
    let other_taint = served_on_node(taint("dedicated")).decide();
    assert_eq!(other_taint.routes.len(), 1, "other taints do not withdraw");
}

#[test]
fn announce_from_cluster_does_not_count_an_unhealthy_node() {
    let mut w = served_elsewhere(from_cluster());
    w.cluster
        .set_node(Some(this_node(taint(TO_BE_DELETED_TAINT))));
    assert_app_verdict(
        &w.decide(),
        Verdict::NotAnnounced(Reason::NodeUnhealthy(NodeUnhealthy::ToBeDeleted)),
    );
}

#[test]
fn a_tenants_blackhole_community_is_refused_and_the_configs_communities_apply() {
    let s = annotate(
        service("app", &[IP4]),
        annotations::COMMUNITIES,
        "65535:666",
    );
    let mut w = served_here().with_service(s).with_config_community();
    let d = w.decide();
    let route = first_route(&d, "still announced");
    assert_eq!(
        route.attributes.communities,
        vec![Community::new(65010, 100)]
    );
    assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
    assert_eq!(d.problems[0].code, "invalid_annotation");
    assert!(d.problems[0].message.contains("annotation_communities"));
    w.announce
        .annotation_communities
        .push(CommunityPattern::Community(Community::new(65535, 666)));
    let listed = w.decide();
    let route = first_route(&listed, "announced");
    assert!(
        route
            .attributes
            .communities
            .contains(&Community::new(65535, 666)),
        "an operator may list it"
    );
}

fn pool(name: &str, cidr: &str, namespaces: crate::config::NamespaceScope) -> crate::config::Pool {
    crate::config::Pool {
        name: name.into(),
        cidrs: vec![cidr.parse().unwrap()],
        namespaces,
    }
}

fn names(list: &[&str]) -> crate::config::NamespaceScope {
    crate::config::NamespaceScope::Names(list.iter().map(|s| s.to_string()).collect())
}

#[test]
fn with_pools_an_address_is_announced_only_for_the_namespaces_of_its_pool() {
    let mut w = served_here();
    w.announce.pools = vec![pool("web-pool", "203.0.113.0/28", names(&["web"]))];
    assert_eq!(w.decide().routes.len(), 1);
    w.announce.pools = vec![pool("team-b", "203.0.113.0/28", names(&["team-b"]))];
    let d = w.decide();
    assert!(d.routes.is_empty());
    assert_app_verdict(
        &d,
        Verdict::NotAnnounced(Reason::Pool(pools::PoolRefusal::NotForNamespace(
            "team-b".into(),
        ))),
    );
    assert_eq!(d.problems.len(), 1, "a refusal is reported");
}

#[test]
fn with_pools_an_address_in_no_pool_is_refused() {
    let mut w = served_here();
    w.announce.pools = vec![pool("web-pool", "203.0.113.128/25", names(&["web"]))];
    let d = w.decide();
    assert_app_verdict(
        &d,
        Verdict::NotAnnounced(Reason::Pool(pools::PoolRefusal::OutsidePools)),
    );
    assert_eq!(d.refusal_counts().get("outside_pools"), Some(&1));
}

#[test]
fn a_pool_scoped_by_namespace_label_admits_only_labelled_namespaces() {
    let selector =
        crate::config::NamespaceScope::Selector([("team".to_string(), "web".to_string())].into());
    let mut w = served_here();
    w.announce.pools = vec![pool("web-pool", "203.0.113.0/24", selector)];
    assert!(
        w.decide().routes.is_empty(),
        "namespace not seen: no label matches"
    );
    let label = |value: &str| crate::cluster::objects::NamespaceInfo {
        labels: [("team".to_string(), value.to_string())].into(),
    };
    w.cluster.upsert_namespace("web".into(), label("other"));
    assert!(w.decide().routes.is_empty(), "wrong label value");
    w.cluster.upsert_namespace("web".into(), label("web"));
    assert_eq!(w.decide().routes.len(), 1);
}

/// `announce.weighted` on, 8 Mbit/s (1,000,000 bytes/s) per endpoint.
fn weighted(mut w: World) -> World {
    w.announce.weighted = crate::config::weighted::WeightedConfig {
        enabled: true,
        bandwidth_per_endpoint: crate::config::weighted::BitsPerSecond(8_000_000),
        transitive: false,
    };
    w
}

fn bandwidth_of(d: &Decision, ip: &str) -> Option<f32> {
    let prefix = IpNet::from(ip.parse::<std::net::IpAddr>().unwrap());
    weight::bytes_per_second(&d.routes[&prefix].attributes)
}

#[test]
fn weighted_routes_carry_local_ready_endpoints_times_bandwidth_per_endpoint() {
    let w = weighted(serving(
        service("app", &[IP4, "203.0.113.11"]),
        &[
            ready("10.0.0.1", NODE),
            ready("10.0.0.2", NODE),
            ready("10.0.0.3", NODE),
            ready("10.0.0.4", "node-b"),
            terminating("10.0.0.5", NODE),
        ],
    ));
    let d = w.decide();
    // Only this node's ready endpoints count: 3 x 1,000,000 bytes/s.
    assert_eq!(bandwidth_of(&d, IP4), Some(3_000_000.0));
    // Every address of the Service shares one attribute set.
    let routes: Vec<&Route> = d.routes.values().collect();
    assert!(Arc::ptr_eq(&routes[0].attributes, &routes[1].attributes));
}

#[test]
fn weight_is_per_family() {
    let w = weighted(
        World::new()
            .with_service(service("app", &[IP4, IP6]))
            .with_slice(slice(
                "app",
                "app-4",
                "IPv4",
                &[ready("10.0.0.1", NODE), ready("10.0.0.2", NODE)],
            ))
            .with_slice(slice("app", "app-6", "IPv6", &[ready("fd00::1", NODE)])),
    );
    let d = w.decide();
    assert_eq!(bandwidth_of(&d, IP4), Some(2_000_000.0));
    assert_eq!(bandwidth_of(&d, IP6), Some(1_000_000.0));
}

#[test]
fn weighting_off_or_equal_sends_no_link_bandwidth() {
    let d = served_here().decide();
    assert_eq!(bandwidth_of(&d, IP4), None);
    let w = weighted(serving(
        annotate(service("app", &[IP4]), annotations::WEIGHT, "equal"),
        &[ready("10.0.0.1", NODE)],
    ));
    assert_eq!(bandwidth_of(&w.decide(), IP4), None);
}

#[test]
fn weight_endpoints_annotation_weights_one_service_while_the_config_is_off() {
    let w = serving(
        annotate(service("app", &[IP4]), annotations::WEIGHT, "endpoints"),
        &[ready("10.0.0.1", NODE), ready("10.0.0.2", NODE)],
    );
    // The default 1Mbps per endpoint: 125,000 bytes/s each.
    assert_eq!(bandwidth_of(&w.decide(), IP4), Some(250_000.0));
}

#[test]
fn a_shared_weighted_address_sums_the_bandwidth_of_its_services() {
    let w = weighted(
        World::new()
            .with_service(service("a", &[IP4]))
            .with_service(service("b", &[IP4]))
            .with_slice(slice("a", "sa", "IPv4", &[ready("10.0.0.1", NODE)]))
            .with_slice(slice(
                "b",
                "sb",
                "IPv4",
                &[ready("10.0.0.2", NODE), ready("10.0.0.3", NODE)],
            )),
    );
    assert_eq!(bandwidth_of(&w.decide(), IP4), Some(3_000_000.0));
}
