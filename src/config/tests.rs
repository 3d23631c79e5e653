//! The config file's rules: what is accepted, the defaults, and that every refusal names
//! its field.

use super::*;

const FULL: &str = r#"
node_name: ${NODE_NAME}
local_asn: 4200000010
router_id: ${HOST_IP}
source:
  manifests: [/etc/kube-anycast/cluster.yaml]
announce:
  allowed_cidrs: [203.0.113.0/24, 2001:db8:100::/64, 198.51.100.7]
  services: annotated
  namespaces: [web]
  communities: ["65010:100", no-export]
  large_communities: ["65010:1:2"]
peers:
  - name: tor-a
    address: 10.0.1.1
    asn: 65000
    port: 1179
    local_address: 10.0.1.11
    password_file: /etc/kube-anycast/secrets/tor-a
    hold_time: 9s
    connect_retry: 500ms
    passive: true
    ebgp_multihop: 2
    ttl_security: true
    families: [ipv6]
    next_hop: {ipv4: 10.0.1.11, ipv6: auto}
    node_selector: {rack: r1}
  - name: tor-b
    address: fd00::1
    asn: 4200000010
graceful_restart:
  restart_time: 0s
shutdown:
  mode: withdraw
  drain: 500ms
http:
  listen: "[::]:9179"
  ready_when: any-peer
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "NODE_NAME" => Some("node-1".into()),
        "HOST_IP" => Some("10.0.1.11".into()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, env)
}

const MINIMAL: &str =
    "node_name: n1\nlocal_asn: 65010\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: []}\n";

/// Asserts that `text` is refused and that at least one of its problems mentions `field`
/// anywhere in the line: an unknown key or an unset variable is named inside the message,
/// not before it. Other problems may come with it; [`assert_one_problem_on`] is the strict
/// check.
fn refused_on(text: &str, field: &str) {
    let err = parse(text).expect_err("must be refused");
    assert!(
        err.problems.iter().any(|p| p.contains(field)),
        "expected a problem naming {field:?}, got {:?}",
        err.problems
    );
}

/// Asserts that `problems` is exactly one, and that it starts with `field`.
fn assert_one_problem_on(problems: &[String], field: &str) {
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with(field), "{problems:?}");
}

#[test]
fn full_example_parses_with_every_key() {
    let c = parse(FULL).unwrap();
    assert_eq!(c.node_name, "node-1");
    assert_eq!(c.local_asn, Asn(4_200_000_010));
    assert_eq!(
        c.router_id,
        bgp::RouterId::new("10.0.1.11".parse().unwrap()).ok()
    );
    assert_eq!(
        c.source,
        SourceConfig::Manifests(vec!["/etc/kube-anycast/cluster.yaml".into()])
    );
    assert_eq!(c.announce.allowed_cidrs.len(), 3);
    assert_eq!(
        c.announce.allowed_cidrs[2],
        "198.51.100.7/32".parse().unwrap()
    );
    assert_eq!(c.announce.services, ServiceSelection::Annotated);
    assert_eq!(
        c.announce.communities,
        vec![Community::new(65010, 100), Community::NO_EXPORT]
    );
    let a = &c.peers[0];
    assert_eq!(a.port, 1179);
    assert_eq!(a.hold_time.as_duration(), Duration::from_secs(9));
    assert_eq!(a.connect_retry, Duration::from_millis(500));
    assert!(a.passive && a.transport.ttl_security);
    assert_eq!(a.transport.ebgp_multihop, 2);
    assert_eq!(a.families, vec![Family::Ipv6Unicast]);
    assert_eq!(
        a.next_hop_v4,
        NextHopChoice::Address("10.0.1.11".parse().unwrap())
    );
    assert_eq!(a.next_hop_v6, NextHopChoice::Auto);
    assert_eq!(a.node_selector.get("rack").map(String::as_str), Some("r1"));
    assert_eq!(c.peers[0].kind, bgp::PeerKind::External);
    assert_eq!(c.peers[1].kind, bgp::PeerKind::Internal);
    assert_eq!(c.graceful_restart_time.as_duration(), Duration::ZERO);
    assert_eq!(c.shutdown.drain, Duration::from_millis(500));
    assert_eq!(c.http_listen, "[::]:9179".parse().unwrap());
    assert_eq!(c.ready_when, ReadyWhen::AnyPeer);
}

#[test]
fn defaults_fill_what_is_left_out() {
    let c = parse(&format!(
        "{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 65000}}]\n"
    ))
    .unwrap();
    assert_eq!(c.source, SourceConfig::Kubernetes);
    assert_eq!(c.announce.services, ServiceSelection::All);
    assert!(c.announce.allowed_cidrs.is_empty());
    let p = &c.peers[0];
    assert_eq!(
        (
            p.port,
            p.hold_time.as_duration(),
            p.connect_retry,
            p.passive,
            p.transport.ebgp_multihop
        ),
        (
            179,
            Duration::from_secs(90),
            Duration::from_secs(5),
            false,
            1
        )
    );
    assert_eq!(p.families, vec![Family::Ipv4Unicast, Family::Ipv6Unicast]);
    assert_eq!(
        c.graceful_restart_time.as_duration(),
        Duration::from_secs(120)
    );
    assert_eq!(
        c.shutdown,
        ShutdownConfig {
            mode: ShutdownModeConfig::Withdraw,
            drain: Duration::from_secs(2)
        }
    );
    assert_eq!(c.http_listen, "127.0.0.1:9179".parse().unwrap());
    assert_eq!(c.ready_when, ReadyWhen::AllPeers);
}

#[test]
fn ready_when_takes_only_its_two_values() {
    let c = parse(&format!("{MINIMAL}http: {{ready_when: all-peers}}\n")).unwrap();
    assert_eq!(c.ready_when, ReadyWhen::AllPeers);
    refused_on(
        &format!("{MINIMAL}http: {{ready_when: some-peers}}\n"),
        "http.ready_when",
    );
}

#[test]
fn a_keyword_refusal_names_the_value_and_lists_every_choice() {
    let err = parse(&format!("{MINIMAL}http: {{ready_when: some-peers}}\n")).expect_err("refused");
    assert_eq!(
        err.problems,
        [r#"http.ready_when: "some-peers" is not one of: all-peers, any-peer"#]
    );
    let err = parse(&format!(
        "{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 65000, families: [ipv4, ipv5]}}]\n"
    ))
    .expect_err("refused");
    assert_eq!(
        err.problems,
        [r#"peers[0].families[1]: "ipv5" is not one of: ipv4, ipv6"#]
    );
}

#[test]
fn unknown_keys_are_refused_naming_the_key() {
    refused_on(&format!("{MINIMAL}bogus: 1\n"), "bogus");
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [], allowed_cidr: []}\n",
        "allowed_cidr",
    );
    refused_on(
        &format!("{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 1, holdtime: 3s}}]\n"),
        "holdtime",
    );
}

#[test]
fn bad_cidr_is_refused_naming_its_index() {
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [10.0.0.0/8, 300.1.1.0/24]}\n",
        "announce.allowed_cidrs[1]",
    );
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [203.0.113.7/24]}\n",
        "announce.allowed_cidrs[0]",
    );
}

#[test]
fn allowed_cidrs_are_required() {
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}}\nannounce: {}\n",
        "announce.allowed_cidrs",
    );
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}}\n",
        "announce.allowed_cidrs",
    );
}

#[test]
fn duplicate_peer_names_are_refused() {
    refused_on(
        &format!(
            "{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 1}}, {{name: t, address: 10.0.0.2, asn: 1}}]\n"
        ),
        "peers[1].name",
    );
}

#[test]
fn two_peers_on_one_address_and_port_are_refused() {
    refused_on(
        &format!(
            "{MINIMAL}peers: [{{name: a, address: 10.0.0.1, asn: 1}}, {{name: b, address: 10.0.0.1, asn: 2}}]\n"
        ),
        "peers[1].address",
    );
}

#[test]
fn each_peer_field_is_validated_by_name() {
    let cases = [
        ("address: nope", "peers[0].address"),
        ("asn: 0", "peers[0].asn"),
        ("asn: 23456", "peers[0].asn"),
        ("asn: 4294967296", "peers[0].asn"),
        ("port: 0", "peers[0].port"),
        ("hold_time: 2s", "peers[0].hold_time"),
        ("hold_time: 1500ms", "peers[0].hold_time"),
        ("hold_time: 90", "peers[0].hold_time"),
        ("connect_retry: 1ms", "peers[0].connect_retry"),
        ("passive: maybe", "peers[0].passive"),
        ("ebgp_multihop: 0", "peers[0].ebgp_multihop"),
        ("families: [ipv5]", "peers[0].families[0]"),
        ("families: []", "peers[0].families"),
        ("local_address: fd00::1", "peers[0].local_address"),
        ("next_hop: {ipv4: fd00::1}", "peers[0].next_hop.ipv4"),
        ("name: 'a b'", "peers[0].name"),
    ];
    for (field_yaml, field) in cases {
        let key = field_yaml.split(':').next().unwrap();
        let base: Vec<&str> = ["name: t", "address: 10.0.0.1", "asn: 65000"]
            .into_iter()
            .filter(|kv| !kv.starts_with(key))
            .collect();
        let text = format!("{MINIMAL}peers: [{{{}, {field_yaml}}}]\n", base.join(", "));
        refused_on(&text, field);
    }
}

#[test]
fn missing_required_fields_are_each_reported() {
    let err = parse("peers: [{}]\n").unwrap_err();
    for field in [
        "node_name",
        "local_asn",
        "source",
        "announce.allowed_cidrs",
        "peers[0].name",
        "peers[0].address",
        "peers[0].asn",
    ] {
        assert!(
            err.problems.iter().any(|p| p.starts_with(field)),
            "{field} not reported in {:?}",
            err.problems
        );
    }
}

#[test]
fn source_needs_exactly_one_kind() {
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {}\nannounce: {allowed_cidrs: []}\n",
        "source",
    );
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {kubernetes: {}, manifests: [a]}\nannounce: {allowed_cidrs: []}\n",
        "source",
    );
    refused_on(
        "node_name: n\nlocal_asn: 1\nsource: {manifests: []}\nannounce: {allowed_cidrs: []}\n",
        "source.manifests",
    );
}

#[test]
fn router_id_must_be_a_non_zero_ipv4_address() {
    refused_on(&format!("{MINIMAL}router_id: fd00::1\n"), "router_id");
    refused_on(&format!("{MINIMAL}router_id: 0.0.0.0\n"), "router_id");
}

#[test]
fn unset_environment_variable_is_refused() {
    refused_on("node_name: ${NOPE}\n", "NOPE");
}

#[test]
fn graceful_restart_shutdown_needs_the_capability() {
    refused_on(
        &format!(
            "{MINIMAL}graceful_restart: {{restart_time: 0s}}\nshutdown: {{mode: graceful-restart}}\n"
        ),
        "shutdown.mode",
    );
    refused_on(
        &format!("{MINIMAL}graceful_restart: {{restart_time: 4096s}}\n"),
        "graceful_restart.restart_time",
    );
    assert!(parse(&format!("{MINIMAL}shutdown: {{mode: graceful-restart}}\n")).is_ok());
}

#[test]
fn gtsm_on_ibgp_is_refused() {
    refused_on(
        &format!(
            "{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 65010, ttl_security: true}}]\n"
        ),
        "peers[0].ttl_security",
    );
}

#[test]
fn invalid_yaml_is_refused_not_panicked_on() {
    assert!(parse("node_name: [unclosed\n").is_err());
    assert!(parse("- just\n- a list\n").is_err());
}

#[test]
fn missing_password_file_is_reported_by_check() {
    let c = parse(&format!(
        "{MINIMAL}peers: [{{name: t, address: 10.0.0.1, asn: 65000, password_file: /nonexistent/kube-anycast-test}}]\n"
    ))
    .unwrap();
    let problems = c.check_password_files();
    assert_one_problem_on(&problems, "peers[0].password_file");
}

#[test]
fn password_file_trailing_newline_is_not_part_of_the_key() {
    let dir = std::env::temp_dir().join(format!("kube-anycast-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pw");
    std::fs::write(&path, "s3cret\n").unwrap();
    assert_eq!(read_password(&path).ok(), Some(b"s3cret".to_vec()));
    std::fs::write(&path, "\n").unwrap();
    assert!(
        matches!(
            read_password(&path),
            Err(super::PasswordError::Empty { .. })
        ),
        "an empty key is refused"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn annotation_communities_take_values_and_asn_patterns() {
    let config = parse(&format!(
        "{}  annotation_communities: [\"65010:*\", \"65535:666\", \"65010:1:*\"]\n  allow_cross_namespace_sharing: true\n",
        MINIMAL.replace("announce: {allowed_cidrs: []}", "announce:\n  allowed_cidrs: []")
    ))
    .unwrap();
    assert_eq!(config.announce.annotation_communities.len(), 3);
    assert!(config.announce.allow_cross_namespace_sharing);
    assert!(
        !parse(MINIMAL)
            .unwrap()
            .announce
            .allow_cross_namespace_sharing
    );
}

#[test]
fn a_bad_annotation_community_pattern_names_its_field() {
    let error = parse(&MINIMAL.replace(
        "announce: {allowed_cidrs: []}",
        "announce: {allowed_cidrs: [], annotation_communities: [\"65010:1\", \"x:*\"]}",
    ))
    .unwrap_err();
    assert_one_problem_on(&error.problems, "announce.annotation_communities[1]:");
}

fn with_announce(extra: &str) -> Result<Config, ConfigError> {
    parse(&format!(
        "{}{extra}",
        MINIMAL.replace(
            "announce: {allowed_cidrs: []}",
            "announce:\n  allowed_cidrs: []\n"
        )
    ))
}

#[test]
fn pools_take_namespace_names_or_a_label_selector() {
    let config = with_announce(
        "  pools:\n    - {name: a, cidrs: [203.0.113.0/28], namespaces: [team-a]}\n    - {name: b, cidrs: [203.0.113.16/28], namespace_selector: {matchLabels: {team: b}}}\n",
    )
    .unwrap();
    assert_eq!(
        config.announce.pools[0].namespaces,
        NamespaceScope::Names(["team-a".to_string()].into())
    );
    assert_eq!(
        config.announce.pools[1].namespaces,
        NamespaceScope::Selector([("team".to_string(), "b".to_string())].into())
    );
}

#[test]
fn a_pool_needs_exactly_one_of_namespaces_or_a_selector() {
    for pool in [
        "{name: a, cidrs: [203.0.113.0/28]}",
        "{name: a, cidrs: [203.0.113.0/28], namespaces: [x], namespace_selector: {matchLabels: {t: x}}}",
    ] {
        let error = with_announce(&format!("  pools: [{pool}]\n")).unwrap_err();
        assert_one_problem_on(&error.problems, "announce.pools[0]:");
    }
}

#[test]
fn overlapping_pools_are_refused_naming_both() {
    let error = with_announce(
        "  pools:\n    - {name: a, cidrs: [203.0.113.0/24], namespaces: [a]}\n    - {name: b, cidrs: [198.51.100.0/24, 203.0.113.64/26], namespaces: [b]}\n",
    )
    .unwrap_err();
    assert_one_problem_on(&error.problems, "announce.pools[1].cidrs[1]:");
    assert!(error.problems[0].contains("pool \"a\""), "{error}");
}

#[test]
fn announce_weighted_is_parsed_and_refused_naming_its_field() {
    let on = MINIMAL.replace(
        "announce: {allowed_cidrs: []}",
        "announce: {allowed_cidrs: [], weighted: {enabled: true, bandwidth_per_endpoint: 10Gbps}}",
    );
    let config = parse(&on).unwrap();
    assert!(config.announce.weighted.enabled);
    assert_eq!(
        config.announce.weighted.bandwidth_per_endpoint,
        weighted::BitsPerSecond(10_000_000_000)
    );
    assert_eq!(
        parse(MINIMAL).unwrap().announce.weighted,
        weighted::WeightedConfig::default()
    );
    let bad = MINIMAL.replace(
        "announce: {allowed_cidrs: []}",
        "announce: {allowed_cidrs: [], weighted: {bandwidth_per_endpoint: 10GB}}",
    );
    let err = parse(&bad).unwrap_err().to_string();
    assert!(
        err.contains("announce.weighted.bandwidth_per_endpoint"),
        "{err}"
    );
    let unknown = MINIMAL.replace(
        "announce: {allowed_cidrs: []}",
        "announce: {allowed_cidrs: [], weighted: {enable: true}}",
    );
    assert!(parse(&unknown).unwrap_err().to_string().contains("enable"));
}
